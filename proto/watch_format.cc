#include "proto/watch_format.h"

#include <array>
#include <charconv>
#include <type_traits>

#include "proto/dump_encoder.h"

namespace slabcached::proto {
namespace {

struct KindName {
  std::string_view name;
  uint32_t kind;
};

// memcached's process_watch_command() order: the first name a word
// prefixes wins ("e" is evictions, not an error).
constexpr std::array<KindName, 11> kKindNames{{
    {"rawcmds", kWatchRawcmds},
    {"evictions", kWatchEvictions},
    {"fetchers", kWatchFetchers},
    {"mutations", kWatchMutations},
    {"sysevents", kWatchSysevents},
    {"connevents", kWatchConnevents},
    {"proxyreqs", kWatchProxyreqs},
    {"proxyevents", kWatchProxyevents},
    {"proxyuser", kWatchProxyuser},
    {"deletions", kWatchDeletions},
    {"hotkeys", kWatchHotkeys},
}};

bool IsSpace(char c) { return c == ' '; }

template <typename T>
void AppendNumber(std::string* out, T value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, end);
}

// "ts=<sec>.<usec> gid=<gid> " (usec unpadded, as memcached's "%d").
void AppendStamp(std::string* out, const LogStamp& stamp) {
  out->append("ts=");
  AppendNumber(out, stamp.sec);
  out->push_back('.');
  AppendNumber(out, stamp.usec);
  out->append(" gid=");
  AppendNumber(out, stamp.gid);
  out->push_back(' ');
}

void AppendKey(std::string* out, std::string_view key) {
  out->append(" key=");
  AppendUriEncoded(out, key);
}

template <typename T>
void AppendField(std::string* out, std::string_view name, T value) {
  out->push_back(' ');
  out->append(name);
  out->push_back('=');
  if constexpr (std::is_convertible_v<T, std::string_view>) {
    out->append(value);
  } else {
    AppendNumber(out, value);
  }
}

std::string_view TransportName(LogTransport transport) {
  switch (transport) {
    case LogTransport::kLocal:
      return "local";
    case LogTransport::kTcp:
      return "tcp";
    case LogTransport::kUdp:
      return "udp";
  }
  return "tcp";
}

void AppendConnFields(std::string* out, const ConnLog& log) {
  AppendField(out, "rip", log.remote_ip);
  AppendField(out, "rport", log.remote_port);
  AppendField(out, "transport", TransportName(log.transport));
}

}  // namespace

std::optional<uint32_t> ParseWatchArgs(std::string_view args) {
  uint32_t kinds = 0;
  bool any = false;
  size_t pos = 0;
  while (pos < args.size()) {
    if (IsSpace(args[pos])) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < args.size() && !IsSpace(args[end])) ++end;
    const std::string_view word = args.substr(pos, end - pos);
    pos = end;
    any = true;
    bool known = false;
    for (const KindName& k : kKindNames) {
      if (k.name.starts_with(word)) {
        kinds |= k.kind;
        known = true;
        break;
      }
    }
    if (!known) return std::nullopt;
  }
  return any ? kinds : static_cast<uint32_t>(kWatchFetchers);
}

void AppendItemGetLine(std::string* out, const LogStamp& stamp, const ItemGetLog& log) {
  static constexpr std::string_view kStatus[] = {"not_found", "found", "flushed", "expired"};
  AppendStamp(out, stamp);
  out->append("type=item_get");
  AppendKey(out, log.key);
  AppendField(out, "status", kStatus[static_cast<int>(log.status)]);
  AppendField(out, "clsid", log.clsid);
  AppendField(out, "cfd", log.cfd);
  AppendField(out, "size", log.size);
  out->push_back('\n');
}

void AppendItemStoreLine(std::string* out, const LogStamp& stamp, const ItemStoreLog& log) {
  static constexpr std::string_view kStatus[] = {"not_stored", "stored",    "exists",
                                                 "not_found",  "too_large", "no_memory"};
  static constexpr std::string_view kCmd[] = {"null",   "add",     "set", "replace",
                                              "append", "prepend", "cas"};
  AppendStamp(out, stamp);
  out->append("type=item_store");
  AppendKey(out, log.key);
  AppendField(out, "status", kStatus[static_cast<int>(log.status)]);
  AppendField(out, "cmd", kCmd[static_cast<int>(log.cmd)]);
  AppendField(out, "ttl", log.ttl);
  AppendField(out, "clsid", log.clsid);
  AppendField(out, "cfd", log.cfd);
  AppendField(out, "size", log.size);
  out->push_back('\n');
}

void AppendEvictionLine(std::string* out, const LogStamp& stamp, const EvictionLog& log) {
  AppendStamp(out, stamp);
  out->append("type=eviction");
  AppendKey(out, log.key);
  AppendField(out, "fetch", log.fetched ? "yes" : "no");
  AppendField(out, "ttl", log.ttl);
  AppendField(out, "la", log.last_access);
  AppendField(out, "clsid", log.clsid);
  AppendField(out, "size", log.size);
  out->push_back('\n');
}

void AppendDeletionLine(std::string* out, const LogStamp& stamp, const DeletionLog& log) {
  static constexpr std::string_view kCmd[] = {"null", "delete", "md"};
  AppendStamp(out, stamp);
  out->append("type=deleted");
  AppendKey(out, log.key);
  AppendField(out, "cmd", kCmd[static_cast<int>(log.cmd)]);
  AppendField(out, "clsid", log.clsid);
  AppendField(out, "size", log.size);
  out->push_back('\n');
}

void AppendConnNewLine(std::string* out, const LogStamp& stamp, const ConnLog& log) {
  AppendStamp(out, stamp);
  out->append("type=conn_new");
  AppendConnFields(out, log);
  AppendField(out, "cfd", log.cfd);
  out->push_back('\n');
}

void AppendConnCloseLine(std::string* out, const LogStamp& stamp, const ConnLog& log,
                         CloseReason reason) {
  static constexpr std::string_view kReason[] = {"error", "normal", "idle_timeout", "shutdown"};
  AppendStamp(out, stamp);
  out->append("type=conn_close");
  AppendConnFields(out, log);
  AppendField(out, "reason", kReason[static_cast<int>(reason)]);
  AppendField(out, "cfd", log.cfd);
  out->push_back('\n');
}

void AppendHotKeyLine(std::string* out, const LogStamp& stamp, const HotKeyLog& log) {
  AppendStamp(out, stamp);
  out->append("type=hotkey");
  AppendField(out, "rank", log.rank);
  AppendKey(out, log.key);
  AppendField(out, "requests", log.requests);
  // Two decimals: a rate is an estimate, and a fixed form is easy to parse.
  char digits[32];
  const auto [end, ec] =
      std::to_chars(digits, digits + sizeof(digits), log.rate, std::chars_format::fixed, 2);
  AppendField(out, "rate", std::string_view(digits, ec == std::errc() ? end : digits));
  out->push_back('\n');
}

void AppendSkippedLine(std::string* out, uint64_t skipped) {
  out->append("skipped=");
  AppendNumber(out, skipped);
  out->push_back('\n');
}

}  // namespace slabcached::proto
