// Live logging for `watch` (memcached's logger.c, our own shape).
//
// Workers never wait for a watcher: each worker appends formatted lines to
// its own bounded WorkerLog (a short mutex shared only with the logger
// thread; a full log drops the line and counts it). The logger thread moves
// the lines into every interested watcher's bounded buffer and sends what
// each socket takes; a watcher that does not keep up misses lines (counted).
// When nobody watches a kind, a hook costs one relaxed load (Watching()).
//
// Counters, with memcached's meanings ("stats"): log_worker_written and
// log_worker_dropped (lines the worker logs took or refused),
// log_watcher_sent and log_watcher_skipped (lines delivered to or missed by
// a watcher, once per watcher), log_watchers.
//
// "watch hotkeys" (slabcached's own kind) is not a worker's event: once a
// second, while somebody watches it, the logger thread merges the top
// kDefaultHotKeysListed hot keys and logs a line per change from the list it
// last logged (DiffHotKeys); a new hotkeys watcher gets the whole list.
#pragma once

#include <sys/time.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proto/watch_format.h"
#include "slabs/item_handle.h"
#include "slabs/store.h"
#include "src/ev.h"
#include "src/hot_keys.h"
#include "src/server_config.h"

namespace slabcached {

class ServerStats;
class Watcher;

// One writer thread's lines waiting for the logger thread, at most
// `capacity` bytes of them.
class WorkerLog {
 public:
  explicit WorkerLog(size_t capacity) : capacity_(capacity) {}

  // Appends one line of `kind`; drops it (counted) when the log is full.
  void Append(uint32_t kind, uint64_t gid, std::string_view line);

  struct Taken {
    uint64_t written = 0;
    uint64_t dropped = 0;
  };
  // Moves every line appended so far into `entries` (replacing what it
  // held), with the counts since the last call.
  Taken TakeAll(std::string* entries);

  // Calls f(kind, gid, line) for each line TakeAll() returned.
  template <typename F>
  static void ForEach(std::string_view entries, F&& f);

 private:
  struct Header {
    uint32_t kind;
    uint32_t length;
    uint64_t gid;
  };
  const size_t capacity_;
  std::mutex mutex_;
  std::string entries_;   // guarded by mutex_: Header + line, repeated
  uint64_t written_ = 0;  // guarded by mutex_
  uint64_t dropped_ = 0;  // guarded by mutex_
};

class Logger final : public slabs::EvictionObserver {
 public:
  // `writers`: one WorkerLog per worker; one more is shared by other threads
  // (the store's evictions).
  Logger(const LoggerConfig& config, uint32_t writers, ServerStats* stats);
  ~Logger() override;  // stops the thread; closes the watchers' sockets
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void Start();

  // Does any watcher want events of `kind`? One relaxed load.
  bool Watching(uint32_t kind) const {
    return (kinds_.load(std::memory_order_relaxed) & kind) != 0;
  }

  WorkerLog* log(uint32_t writer) { return logs_[writer].get(); }

  // Formats one event with format(std::string*, const proto::LogStamp&) and
  // appends it to `log`. Call it only when Watching(kind).
  template <typename F>
  void Record(WorkerLog* log, uint32_t kind, F&& format) {
    timeval now{};
    gettimeofday(&now, nullptr);
    const proto::LogStamp stamp{
        .sec = now.tv_sec, .usec = static_cast<int32_t>(now.tv_usec), .gid = NextGid()};
    std::string line;
    line.reserve(192);
    format(&line, stamp);
    log->Append(kind, stamp.gid, line);
  }

  enum class AddResult { kOk, kTooMany };
  // Hands a client socket to the logger as a watcher of `kinds`; it gets
  // "OK\r\n" first, as from memcached. kTooMany: `fd` is given back untouched.
  // `closed` runs on the logger thread when the watcher goes.
  AddResult AddWatcher(ev::Fd* fd, uint32_t kinds, std::function<void()> closed);

  // slabs::EvictionObserver
  bool WantsEvictions() const override { return Watching(proto::kWatchEvictions); }
  void Evicted(const slabs::EvictionInfo& info) override;

  // memcached's WATCHER_LIMIT.
  static constexpr size_t kMaxWatchers = 20;

 private:
  uint64_t NextGid() { return gid_.fetch_add(1, std::memory_order_relaxed) + 1; }
  void Run(std::stop_token stop);
  // Logs the changes of the hot-key top list. Holds watchers_mutex_.
  void ReportHotKeys();
  // One pass: worker lines to watchers, watchers to their sockets. Returns
  // how many bytes of lines it found. Holds watchers_mutex_.
  size_t Pump();
  void UpdateKinds();  // holds watchers_mutex_

  const LoggerConfig config_;
  ServerStats* stats_;
  std::vector<std::unique_ptr<WorkerLog>> logs_;
  std::atomic<uint32_t> kinds_{0};
  std::atomic<uint64_t> gid_{0};
  std::mutex watchers_mutex_;
  std::condition_variable_any wake_;
  std::vector<std::unique_ptr<Watcher>> watchers_;  // guarded by watchers_mutex_
  std::string scratch_;                             // logger thread only
  std::vector<HotKey> hot_keys_sent_;               // guarded by watchers_mutex_
  std::jthread thread_;
};

// A worker's hooks into the logger. Every call is cheap when nobody
// watches its kind: callers test Watching() first.
class EventLog {
 public:
  EventLog() = default;  // logs nothing
  EventLog(Logger* logger, WorkerLog* log) : logger_(logger), log_(log) {}

  bool Watching(uint32_t kind) const { return logger_ != nullptr && logger_->Watching(kind); }
  Logger* logger() const { return logger_; }

  // fetchers: one get of `key` (`item` empty on a miss).
  void ItemGet(std::string_view key, slabs::GetOutcome outcome, const slabs::ItemHandle& item,
               int cfd) const;

  // mutations: what a store command is about to link, noted before the item
  // is handed to the store, then logged with the outcome.
  struct PendingStore {
    bool active = false;
    std::string key;
    proto::StoreLogCmd cmd = proto::StoreLogCmd::kSet;
    uint32_t ttl = 0;
    uint32_t clsid = 0;
    uint32_t size = 0;
  };
  PendingStore BeforeStore(const slabs::ItemHandle& item, slabs::StoreMode mode,
                           slabs::RelTime now) const;
  void ItemStore(const PendingStore& pending, slabs::StoreStatus status, int cfd) const;

  // deletions: `item` is the one about to be deleted (a peek).
  void Deletion(const slabs::ItemHandle& item, proto::DeleteLogCmd cmd) const;

  // connevents.
  void ConnEvent(const proto::ConnLog& conn, bool opened, proto::CloseReason reason) const;

 private:
  Logger* logger_ = nullptr;
  WorkerLog* log_ = nullptr;
};

template <typename F>
void WorkerLog::ForEach(std::string_view entries, F&& f) {
  size_t pos = 0;
  while (pos + sizeof(Header) <= entries.size()) {
    Header header;
    std::memcpy(&header, entries.data() + pos, sizeof(header));
    pos += sizeof(header);
    f(header.kind, header.gid, entries.substr(pos, header.length));
    pos += header.length;
  }
}

}  // namespace slabcached
