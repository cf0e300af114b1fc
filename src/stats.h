// Server statistics: per-worker counters (one writer each, so no shared
// cache lines on the hot path), server-wide connection counters, and the
// renderers for the "stats" family of replies, with memcached's names.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "slabs/clock.h"
#include "slabs/store.h"
#include "src/hot_keys.h"
#include "src/latency.h"
#include "src/server_config.h"

namespace slabcached {

// Counters each worker keeps for its own requests (memcached's thread stats).
#define SLABCACHED_THREAD_STATS(X)                                                              \
  X(cmd_get)                                                                                    \
  X(cmd_set) X(cmd_flush) X(cmd_touch) X(cmd_meta) X(get_hits) X(get_misses) X(get_expired)     \
      X(get_flushed) X(delete_misses) X(delete_hits) X(incr_misses) X(incr_hits) X(decr_misses) \
          X(decr_hits) X(cas_misses) X(cas_hits) X(cas_badval) X(touch_hits) X(touch_misses)    \
              X(store_too_large) X(store_no_memory) X(auth_cmds) X(auth_errors) X(idle_kicks)   \
                  X(bytes_read) X(bytes_written) X(conn_yields)

// A counter written by one thread and read by any: plain loads and stores,
// no locked instructions on the hot path.
class Counter {
 public:
  void Add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct ThreadStats {
#define SLABCACHED_COUNTER(name) Counter name;
  SLABCACHED_THREAD_STATS(SLABCACHED_COUNTER)
#undef SLABCACHED_COUNTER
  WorkerLatency latency;   // src/latency.h: "stats latency", command_duration_seconds
  WorkerHotKeys hot_keys;  // src/hot_keys.h: "stats hotkeys", hot_key_requests
};

// The sum of every worker's ThreadStats at one moment.
struct ThreadStatsTotals {
#define SLABCACHED_TOTAL(name) uint64_t name = 0;
  SLABCACHED_THREAD_STATS(SLABCACHED_TOTAL)
#undef SLABCACHED_TOTAL
};

// Shared, server-wide figures. Workers only touch the atomics.
class ServerStats {
 public:
  ServerStats(uint32_t num_workers, time_t started);

  ThreadStats* worker(uint32_t index) { return workers_[index].get(); }
  time_t started() const { return started_; }

  std::atomic<uint64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> connection_structures{0};
  // Memory connections hold outside the slabs (src/connection.cc): read
  // buffers, and queued replies (OutputQueue::footprint, brought up to date
  // after each socket event). Gauges; "stats reset" leaves them.
  std::atomic<uint64_t> read_buf_count{0};
  std::atomic<uint64_t> read_buf_bytes{0};
  std::atomic<uint64_t> read_buf_bytes_free{0};  // kept by workers (src/read_buffers.h)
  std::atomic<uint64_t> response_obj_bytes{0};
  // memcached's response_obj_count: connections whose queue still holds
  // replies after a socket event (one response object each: our queue).
  std::atomic<uint64_t> response_obj_count{0};
  // Connections closed because -o read_buf_mem_limit was reached.
  std::atomic<uint64_t> read_buf_oom{0};
  // The listener (src/listener.cc) stops accepting when accept runs out of
  // descriptors: how often, for how long in all, and whether it is now.
  std::atomic<uint64_t> listen_disabled_num{0};
  std::atomic<uint64_t> time_in_listen_disabled_us{0};
  std::atomic<bool> accepting_conns{true};
  // -N (src/worker_picker.h): connections that brought a NAPI id no worker
  // had while every worker had one, and connections without an id.
  std::atomic<uint64_t> unexpected_napi_ids{0};
  std::atomic<uint64_t> round_robin_fallback{0};
  // -Z (src/tls.cc): handshakes that failed, and sessions made with
  // ssl_session_cache. "stats reset" zeroes them, as memcached does.
  std::atomic<uint64_t> ssl_handshake_errors{0};
  std::atomic<uint64_t> ssl_new_sessions{0};
  // `watch` (src/logger.h): lines logged and dropped by the workers' logs,
  // sent to and skipped for watchers, and the watchers now.
  std::atomic<uint64_t> log_worker_dropped{0};
  std::atomic<uint64_t> log_worker_written{0};
  std::atomic<uint64_t> log_watcher_skipped{0};
  std::atomic<uint64_t> log_watcher_sent{0};
  std::atomic<uint64_t> log_watchers{0};

  // Totals since start, or since the last Reset() ("stats reset").
  ThreadStatsTotals Totals() const;
  void Reset();

  // -o no_latency and -o hot_keys_sample (src/metrics_config.h).
  void ConfigureObservation(const MetricsConfig& config);
  // Every worker's latency histograms, merged (since start).
  std::vector<CommandLatency> Latency() const;
  // The `limit` hottest keys (since start or the last Reset()), and when
  // (time(), the wall clock) their counting began.
  std::vector<HotKey> HotKeys(size_t limit) const;
  time_t hot_keys_since() const { return hot_keys_since_.load(std::memory_order_relaxed); }

 private:
  ThreadStatsTotals RawTotals() const;

  const time_t started_;
  std::vector<std::unique_ptr<ThreadStats>> workers_;
  mutable std::mutex baseline_mutex_;
  ThreadStatsTotals baseline_;  // guarded by baseline_mutex_
  uint64_t total_connections_baseline_ = 0;
  uint64_t rejected_connections_baseline_ = 0;
  std::atomic<time_t> hot_keys_since_;
};

// What the stats renderers read.
class TlsContext;  // src/tls.h

struct StatsSources {
  const ServerConfig& config;
  const TlsContext* tls;  // -Z's (the server's), or null
  ServerStats& server;
  const slabs::Store& store;
  const slabs::Clock& clock;
  int verbosity;
};

// Receives the name/value pairs of a "stats" reply; each protocol encodes
// them ("STAT name value" lines, or binary stat packets).
class StatSink {
 public:
  virtual ~StatSink() = default;
  virtual void Stat(std::string_view name, std::string_view value) = 0;
};

// Formats a value as memcached does (integers in decimal, doubles "%.6f").
void AppendStat(StatSink* out, std::string_view name, std::string_view value);
void AppendStat(StatSink* out, std::string_view name, uint64_t value);
void AppendStat(StatSink* out, std::string_view name, int64_t value);
void AppendStat(StatSink* out, std::string_view name, double value);

// The pairs of "stats", "stats settings", "stats slabs", "stats items" and
// "stats sizes" (the terminator, "END" or an empty packet, is the caller's).
void AppendGeneralStats(const StatsSources& sources, StatSink* out);
void AppendSettingsStats(const StatsSources& sources, StatSink* out);
void AppendSlabsStats(const StatsSources& sources, StatSink* out);
void AppendItemsStats(const StatsSources& sources, StatSink* out);
void AppendSizesStats(const StatsSources& sources, StatSink* out);
// "stats latency": per command timed, "<cmd>_count" and "<cmd>_p50_us"
// .. "_p999_us" (arrival to reply queued), then "<cmd>_written_p50_us" ..
// (to the reply's last byte written); microseconds with 3 decimals.
void AppendLatencyStats(const StatsSources& sources, StatSink* out);
// "stats hotkeys [N]": the N hottest keys (src/hot_keys.h), as
// "hotkey:<rank>:key|requests|rate|error".
void AppendHotKeyStats(const StatsSources& sources, size_t limit, StatSink* out);

}  // namespace slabcached
