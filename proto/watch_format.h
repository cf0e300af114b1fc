// The `watch` command's pieces that need no daemon: its argument words and
// the log lines a watcher receives, byte for byte as memcached 1.6.45 writes
// them (logger.c). Pure functions: the caller supplies the time stamp, the
// global id and every field; nothing here reads a clock or a socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slabcached::proto {

// The event kinds a watcher asks for (memcached's LOG_* bits, same values).
enum WatchKind : uint32_t {
  kWatchSysevents = 1u << 1,
  kWatchFetchers = 1u << 2,
  kWatchMutations = 1u << 3,
  kWatchConnevents = 1u << 5,
  kWatchEvictions = 1u << 6,
  kWatchRawcmds = 1u << 9,
  kWatchProxyreqs = 1u << 10,
  kWatchProxyevents = 1u << 11,
  kWatchProxyuser = 1u << 12,
  kWatchDeletions = 1u << 13,
  // slabcached's own (memcached has no such kind): changes of the hot-key
  // top list, a bit far above memcached's.
  kWatchHotkeys = 1u << 24,
};

// The words after "watch": the kinds they name, or nullopt for a word
// memcached does not know (it answers ERROR). No word means fetchers. As in
// memcached, a word matches when it is a prefix of a kind's name ("fetch"),
// tried in memcached's order; "hotkeys" (slabcached's own) is tried last,
// so every word memcached knows means what it means there.
std::optional<uint32_t> ParseWatchArgs(std::string_view args);

// When and in which order an event happened: every line starts with it.
struct LogStamp {
  int64_t sec = 0;
  int32_t usec = 0;
  uint64_t gid = 0;  // global, increasing: watchers can restore the order
};

// type=item_get (fetchers).
enum class GetStatus : uint8_t { kNotFound, kFound, kFlushed, kExpired };
struct ItemGetLog {
  std::string_view key;
  GetStatus status = GetStatus::kNotFound;
  uint32_t clsid = 0;
  int cfd = -1;
  uint32_t size = 0;  // value bytes, without "\r\n"
};
void AppendItemGetLine(std::string* out, const LogStamp& stamp, const ItemGetLog& log);

// type=item_store (mutations).
enum class StoreLogStatus : uint8_t {
  kNotStored,
  kStored,
  kExists,
  kNotFound,
  kTooLarge,
  kNoMemory
};
enum class StoreLogCmd : uint8_t { kAdd = 1, kSet, kReplace, kAppend, kPrepend, kCas };
struct ItemStoreLog {
  std::string_view key;
  StoreLogStatus status = StoreLogStatus::kStored;
  StoreLogCmd cmd = StoreLogCmd::kSet;
  uint32_t ttl = 0;  // seconds left, 0 for none (memcached prints it unsigned)
  uint32_t clsid = 0;
  int cfd = -1;
  uint32_t size = 0;
};
void AppendItemStoreLine(std::string* out, const LogStamp& stamp, const ItemStoreLog& log);

// type=eviction (evictions).
struct EvictionLog {
  std::string_view key;
  bool fetched = false;
  int64_t ttl = -1;         // seconds left, -1 for none
  int32_t last_access = 0;  // seconds since
  uint32_t clsid = 0;
  uint32_t size = 0;
};
void AppendEvictionLine(std::string* out, const LogStamp& stamp, const EvictionLog& log);

// type=deleted (deletions).
enum class DeleteLogCmd : uint8_t { kDelete = 1, kMetaDelete };
struct DeletionLog {
  std::string_view key;
  DeleteLogCmd cmd = DeleteLogCmd::kDelete;
  uint32_t clsid = 0;
  uint32_t size = 0;
};
void AppendDeletionLine(std::string* out, const LogStamp& stamp, const DeletionLog& log);

// type=conn_new / type=conn_close (connevents). `remote_ip` is the printed
// address ("127.0.0.1", "::1", or "unix").
enum class LogTransport : uint8_t { kLocal, kTcp, kUdp };
enum class CloseReason : uint8_t { kError, kNormal, kIdleTimeout, kShutdown };
struct ConnLog {
  std::string_view remote_ip;
  uint16_t remote_port = 0;
  LogTransport transport = LogTransport::kTcp;
  int cfd = -1;
};
void AppendConnNewLine(std::string* out, const LogStamp& stamp, const ConnLog& log);
void AppendConnCloseLine(std::string* out, const LogStamp& stamp, const ConnLog& log,
                         CloseReason reason);

// type=hotkey (hotkeys, slabcached's own): the key now at `rank` (1 is the
// hottest) of the top list, or rank=0 for a key that left it. `requests`
// and `rate` (per second) are the estimates of "stats hotkeys".
struct HotKeyLog {
  std::string_view key;
  uint32_t rank = 0;
  uint64_t requests = 0;
  double rate = 0;
};
void AppendHotKeyLine(std::string* out, const LogStamp& stamp, const HotKeyLog& log);

// What a watcher gets in place of the lines it missed while its buffer was full.
void AppendSkippedLine(std::string* out, uint64_t skipped);

}  // namespace slabcached::proto
