#include "src/stats.h"

#include <event2/event.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "build_config.h"
#include "src/daemon.h"
#include "src/options.h"
#include "src/tls.h"

namespace slabcached {

void AppendStat(StatSink* out, std::string_view name, std::string_view value) {
  out->Stat(name, value);
}

void AppendStat(StatSink* out, std::string_view name, uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out->Stat(name, std::string_view(digits, static_cast<size_t>(end - digits)));
}

void AppendStat(StatSink* out, std::string_view name, int64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out->Stat(name, std::string_view(digits, static_cast<size_t>(end - digits)));
}

void AppendStat(StatSink* out, std::string_view name, double value) {
  char text[64];
  int n = std::snprintf(text, sizeof(text), "%.6f", value);
  if (n < 0) n = 0;
  out->Stat(name, std::string_view(text, std::min(static_cast<size_t>(n), sizeof(text) - 1)));
}

ServerStats::ServerStats(uint32_t num_workers, time_t started)
    : started_(started), hot_keys_since_(time(nullptr)) {
  for (uint32_t i = 0; i < num_workers; ++i) workers_.push_back(std::make_unique<ThreadStats>());
}

ThreadStatsTotals ServerStats::RawTotals() const {
  ThreadStatsTotals totals;
  for (const auto& worker : workers_) {
#define SLABCACHED_SUM(name) totals.name += worker->name.Get();
    SLABCACHED_THREAD_STATS(SLABCACHED_SUM)
#undef SLABCACHED_SUM
  }
  return totals;
}

ThreadStatsTotals ServerStats::Totals() const {
  ThreadStatsTotals totals = RawTotals();
  std::lock_guard lock(baseline_mutex_);
#define SLABCACHED_SUB(name) totals.name -= baseline_.name;
  SLABCACHED_THREAD_STATS(SLABCACHED_SUB)
#undef SLABCACHED_SUB
  return totals;
}

void ServerStats::Reset() {
  ThreadStatsTotals now = RawTotals();
  std::lock_guard lock(baseline_mutex_);
  baseline_ = now;
  total_connections_baseline_ = total_connections.load();
  rejected_connections_baseline_ = rejected_connections.load();
  ssl_handshake_errors.store(0);
  ssl_new_sessions.store(0);
  listen_disabled_num.store(0);
  time_in_listen_disabled_us.store(0);
  unexpected_napi_ids.store(0);
  round_robin_fallback.store(0);
  // Hot keys count from now on; latency histograms stay cumulative (they
  // are Prometheus counters).
  for (const auto& worker : workers_) worker->hot_keys.Clear();
  hot_keys_since_.store(time(nullptr), std::memory_order_relaxed);
  // memcached's stats_reset() zeroes the log_* counters but not log_watchers.
  log_worker_dropped.store(0);
  log_worker_written.store(0);
  log_watcher_skipped.store(0);
  log_watcher_sent.store(0);
}

void ServerStats::ConfigureObservation(const MetricsConfig& config) {
  for (const auto& worker : workers_) {
    worker->latency.set_enabled(config.latency);
    worker->latency.set_sample_every(config.latency_sample);
    worker->hot_keys.set_sample_every(config.hot_keys_sample);
  }
}

std::vector<CommandLatency> ServerStats::Latency() const {
  std::vector<const WorkerLatency*> latencies;
  for (const auto& worker : workers_) latencies.push_back(&worker->latency);
  return MergeLatency(latencies);
}

std::vector<HotKey> ServerStats::HotKeys(size_t limit) const {
  std::vector<const WorkerHotKeys*> sketches;
  for (const auto& worker : workers_) sketches.push_back(&worker->hot_keys);
  return MergeHotKeys(sketches, limit);
}

namespace {

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

}  // namespace

namespace {

// The process: who and since when, CPU used.
void AppendProcessStats(const StatsSources& s, time_t now, StatSink* out) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  AppendStat(out, "pid", static_cast<uint64_t>(getpid()));
  AppendStat(out, "uptime", static_cast<uint64_t>(now - s.server.started()));
  AppendStat(out, "time", static_cast<uint64_t>(now));
  AppendStat(out, "version", MEMCACHED_COMPAT_VERSION);
  // slabcached's own release; "version" is the memcached it follows.
  AppendStat(out, "slabcached_version", PACKAGE_VERSION);
  AppendStat(out, "libevent", event_get_version());
  AppendStat(out, "pointer_size", static_cast<uint64_t>(8 * sizeof(void*)));
  AppendStat(out, "rusage_user", Seconds(usage.ru_utime));
  AppendStat(out, "rusage_system", Seconds(usage.ru_stime));
}

// Connections and the memory they hold outside the slabs.
void AppendConnectionStats(const StatsSources& s, StatSink* out) {
  AppendStat(out, "max_connections", static_cast<uint64_t>(s.config.net.max_conns));
  AppendStat(out, "curr_connections", s.server.curr_connections.load());
  AppendStat(out, "total_connections", s.server.total_connections.load());
  AppendStat(out, "rejected_connections", s.server.rejected_connections.load());
  AppendStat(out, "connection_structures", s.server.connection_structures.load());
  // Replies queue within the limit (-o resp_obj_mem_limit makes connections
  // wait), never fail to: memcached's response_obj_oom is always 0 here.
  AppendStat(out, "response_obj_oom", uint64_t{0});
  AppendStat(out, "response_obj_count", s.server.response_obj_count.load());
  AppendStat(out, "response_obj_bytes", s.server.response_obj_bytes.load());
  AppendStat(out, "read_buf_count", s.server.read_buf_count.load());
  AppendStat(out, "read_buf_bytes", s.server.read_buf_bytes.load());
  AppendStat(out, "read_buf_bytes_free", s.server.read_buf_bytes_free.load());
  AppendStat(out, "read_buf_oom", s.server.read_buf_oom.load());
  // The descriptors each worker's event loop holds (src/daemon.h).
  AppendStat(out, "reserved_fds", static_cast<uint64_t>(WorkerDescriptors(s.config.num_threads)));
  // slabcached's own: the meta protocol's stampede state (bounded, outside -m).
  AppendStat(out, "meta_state_bytes", static_cast<uint64_t>(s.store.SideTableBytes()));
}

// Requests, summed over the workers.
void AppendCommandStats(const StatsSources& s, const ThreadStatsTotals& t, StatSink* out) {
  AppendStat(out, "cmd_get", t.cmd_get);
  AppendStat(out, "cmd_set", t.cmd_set);
  AppendStat(out, "cmd_flush", t.cmd_flush);
  AppendStat(out, "cmd_touch", t.cmd_touch);
  AppendStat(out, "cmd_meta", t.cmd_meta);
  AppendStat(out, "get_hits", t.get_hits);
  AppendStat(out, "get_misses", t.get_misses);
  AppendStat(out, "get_expired", t.get_expired);
  AppendStat(out, "get_flushed", t.get_flushed);
  AppendStat(out, "delete_misses", t.delete_misses);
  AppendStat(out, "delete_hits", t.delete_hits);
  AppendStat(out, "incr_misses", t.incr_misses);
  AppendStat(out, "incr_hits", t.incr_hits);
  AppendStat(out, "decr_misses", t.decr_misses);
  AppendStat(out, "decr_hits", t.decr_hits);
  AppendStat(out, "cas_misses", t.cas_misses);
  AppendStat(out, "cas_hits", t.cas_hits);
  AppendStat(out, "cas_badval", t.cas_badval);
  AppendStat(out, "touch_hits", t.touch_hits);
  AppendStat(out, "touch_misses", t.touch_misses);
  AppendStat(out, "store_too_large", t.store_too_large);
  AppendStat(out, "store_no_memory", t.store_no_memory);
  AppendStat(out, "auth_cmds", t.auth_cmds);
  AppendStat(out, "auth_errors", t.auth_errors);
  if (s.config.net.idle_timeout > 0) AppendStat(out, "idle_kicks", t.idle_kicks);
  AppendStat(out, "bytes_read", t.bytes_read);
  AppendStat(out, "bytes_written", t.bytes_written);
}

// The listeners, threads, hash table, page mover, crawler, logger and TLS.
void AppendServerStats(const StatsSources& s, const ThreadStatsTotals& t,
                       const slabs::StoreStats& store, time_t now, StatSink* out) {
  AppendStat(out, "limit_maxbytes", store.limit_maxbytes);
  AppendStat(out, "accepting_conns", static_cast<uint64_t>(s.server.accepting_conns.load()));
  AppendStat(out, "listen_disabled_num", s.server.listen_disabled_num.load());
  AppendStat(out, "time_in_listen_disabled_us", s.server.time_in_listen_disabled_us.load());
  AppendStat(out, "threads", static_cast<uint64_t>(s.config.num_threads));
  AppendStat(out, "conn_yields", t.conn_yields);
  AppendStat(out, "hash_power_level", static_cast<uint64_t>(store.hash_power_level));
  AppendStat(out, "hash_bytes", store.hash_bytes);
  AppendStat(out, "hash_is_expanding", static_cast<uint64_t>(store.hash_is_expanding));
  AppendStat(out, "slab_reassign_rescues", store.slab_reassign_rescues);
  AppendStat(out, "slab_reassign_chunk_rescues", store.slab_reassign_chunk_rescues);
  AppendStat(out, "slab_reassign_inline_reclaim", store.slab_reassign_inline_reclaim);
  // memcached 1.6.18's; 1.6.45 waits instead (busy_nomem), our mover evicts.
  AppendStat(out, "slab_reassign_evictions_nomem", store.slab_reassign_evictions_nomem);
  AppendStat(out, "slab_reassign_busy_items", store.slab_reassign_busy_items);
  AppendStat(out, "slab_reassign_busy_deletes", store.slab_reassign_busy_deletes);
  AppendStat(out, "slab_reassign_busy_nomem", store.slab_reassign_busy_nomem);
  AppendStat(out, "slab_reassign_last_busy_status", store.slab_reassign_last_busy_status);
  AppendStat(out, "slab_reassign_running", store.slab_reassign_running);
  AppendStat(out, "slabs_moved", store.slabs_moved);
  if (s.store.crawler_settings().enabled) {
    AppendStat(out, "lru_crawler_running", static_cast<uint64_t>(store.lru_crawler_running));
    AppendStat(out, "lru_crawler_starts", store.lru_crawler_starts);
    // slabcached's own: dumps whose client stopped reading, ended for another job.
    AppendStat(out, "lru_crawler_dumps_taken_over", store.lru_crawler_dumps_taken_over);
  }
  AppendStat(out, "slab_global_page_pool", store.slab_global_page_pool);
  AppendStat(out, "lru_maintainer_juggles", store.lru_maintainer_juggles);
  AppendStat(out, "malloc_fails", store.malloc_fails);
  AppendStat(out, "log_worker_dropped", s.server.log_worker_dropped.load());
  AppendStat(out, "log_worker_written", s.server.log_worker_written.load());
  AppendStat(out, "log_watcher_skipped", s.server.log_watcher_skipped.load());
  AppendStat(out, "log_watcher_sent", s.server.log_watcher_sent.load());
  AppendStat(out, "log_watchers", s.server.log_watchers.load());
  AppendTlsStats(s.tls, s.config.net.tls, s.server, now, out);
  // Printed with or without -N, as memcached does.
  AppendStat(out, "unexpected_napi_ids", s.server.unexpected_napi_ids.load());
  AppendStat(out, "round_robin_fallback", s.server.round_robin_fallback.load());
}

// The items the store holds and what happened to the ones it let go.
void AppendItemTotals(const slabs::StoreStats& store, StatSink* out) {
  AppendStat(out, "bytes", store.bytes);
  AppendStat(out, "curr_items", store.curr_items);
  AppendStat(out, "total_items", store.total_items);
  AppendStat(out, "expired_unfetched", store.expired_unfetched);
  AppendStat(out, "evicted_unfetched", store.evicted_unfetched);
  AppendStat(out, "evicted_active", store.evicted_active);
  AppendStat(out, "evictions", store.evictions);
  AppendStat(out, "reclaimed", store.reclaimed);
  AppendStat(out, "crawler_reclaimed", store.crawler_reclaimed);
  AppendStat(out, "crawler_items_checked", store.crawler_items_checked);
  AppendStat(out, "lrutail_reflocked", store.lrutail_reflocked);
  AppendStat(out, "moves_to_cold", store.moves_to_cold);
  AppendStat(out, "moves_to_warm", store.moves_to_warm);
  AppendStat(out, "moves_within_lru", store.moves_within_lru);
  AppendStat(out, "direct_reclaims", store.direct_reclaims);
  // Bumps are made in place, never queued: none is ever dropped.
  AppendStat(out, "lru_bumps_dropped", uint64_t{0});
}

}  // namespace

// memcached's order (server_stats, then threadlocal and slab totals).
void AppendGeneralStats(const StatsSources& s, StatSink* out) {
  const ThreadStatsTotals t = s.server.Totals();
  const slabs::StoreStats store = s.store.GetStats();
  const time_t now = s.clock.UnixNow();
  AppendProcessStats(s, now, out);
  AppendConnectionStats(s, out);
  AppendCommandStats(s, t, out);
  AppendServerStats(s, t, store, now, out);
  AppendItemTotals(store, out);
}

// Every line comes from the option table (src/options.cc), which knows
// memcached's order.
void AppendSettingsStats(const StatsSources& s, StatSink* out) {
  const SettingsView view{s.config, s.verbosity, s.store.automove(), s.store.crawler_settings(),
                          s.store.lru_tuning()};
  AppendOptionSettings(view, out);
}

void AppendSlabsStats(const StatsSources& s, StatSink* out) {
  const auto classes = s.store.GetSlabClassStats();
  const slabs::StoreStats store = s.store.GetStats();
  uint64_t active = 0;
  for (const auto& c : classes) {
    if (c.total_pages == 0) continue;
    ++active;
    const std::string p = std::to_string(c.id) + ":";
    AppendStat(out, p + "chunk_size", static_cast<uint64_t>(c.chunk_size));
    AppendStat(out, p + "chunks_per_page", static_cast<uint64_t>(c.chunks_per_page));
    AppendStat(out, p + "total_pages", c.total_pages);
    AppendStat(out, p + "total_chunks", c.total_chunks);
    AppendStat(out, p + "used_chunks", c.used_chunks);
    AppendStat(out, p + "free_chunks", c.free_chunks);
    AppendStat(out, p + "free_chunks_end", c.free_chunks_end);
    AppendStat(out, p + "get_hits", c.get_hits);
    AppendStat(out, p + "cmd_set", c.cmd_set);
    AppendStat(out, p + "delete_hits", c.delete_hits);
    AppendStat(out, p + "incr_hits", c.incr_hits);
    AppendStat(out, p + "decr_hits", c.decr_hits);
    AppendStat(out, p + "cas_hits", c.cas_hits);
    AppendStat(out, p + "cas_badval", c.cas_badval);
    AppendStat(out, p + "touch_hits", c.touch_hits);
  }
  AppendStat(out, "active_slabs", active);
  AppendStat(out, "total_malloced", store.total_malloced);
}

void AppendItemsStats(const StatsSources& s, StatSink* out) {
  for (const auto& c : s.store.GetSlabClassStats()) {
    if (c.number == 0) continue;
    const std::string p = "items:" + std::to_string(c.id) + ":";
    AppendStat(out, p + "number", c.number);
    AppendStat(out, p + "number_hot", c.number_hot);
    AppendStat(out, p + "number_warm", c.number_warm);
    AppendStat(out, p + "number_cold", c.number_cold);
    if (s.store.lru_tuning().temp_lru) AppendStat(out, p + "number_temp", c.number_temp);
    AppendStat(out, p + "age_hot", c.age_hot);
    AppendStat(out, p + "age_warm", c.age_warm);
    AppendStat(out, p + "age", c.age);
    AppendStat(out, p + "mem_requested", c.mem_requested);
    AppendStat(out, p + "evicted", c.evicted);
    AppendStat(out, p + "evicted_nonzero", c.evicted_nonzero);
    AppendStat(out, p + "evicted_time", c.evicted_time);
    AppendStat(out, p + "outofmemory", c.outofmemory);
    AppendStat(out, p + "tailrepairs", static_cast<uint64_t>(0));
    AppendStat(out, p + "reclaimed", c.reclaimed);
    AppendStat(out, p + "expired_unfetched", c.expired_unfetched);
    AppendStat(out, p + "evicted_unfetched", c.evicted_unfetched);
    AppendStat(out, p + "evicted_active", c.evicted_active);
    AppendStat(out, p + "crawler_reclaimed", c.crawler_reclaimed);
    AppendStat(out, p + "crawler_items_checked", c.crawler_items_checked);
    AppendStat(out, p + "lrutail_reflocked", c.lrutail_reflocked);
    AppendStat(out, p + "moves_to_cold", c.moves_to_cold);
    AppendStat(out, p + "moves_to_warm", c.moves_to_warm);
    AppendStat(out, p + "moves_within_lru", c.moves_within_lru);
    AppendStat(out, p + "direct_reclaims", c.direct_reclaims);
    AppendStat(out, p + "hits_to_hot", c.hits_to_hot);
    AppendStat(out, p + "hits_to_warm", c.hits_to_warm);
    AppendStat(out, p + "hits_to_cold", c.hits_to_cold);
    AppendStat(out, p + "hits_to_temp", c.hits_to_temp);
  }
}

void AppendSizesStats(const StatsSources& s, StatSink* out) {
  const auto sizes = s.store.ItemSizes();
  if (!sizes) {
    AppendStat(out, "sizes_status", "disabled");  // without -o track_sizes
    return;
  }
  for (const auto& [size, count] : *sizes) AppendStat(out, std::to_string(size), count);
}

namespace {

// Nanoseconds as microseconds with 3 decimals.
void AppendMicros(StatSink* out, std::string_view name, uint64_t ns) {
  char text[32];
  const int n =
      std::snprintf(text, sizeof(text), "%llu.%03llu", static_cast<unsigned long long>(ns / 1000),
                    static_cast<unsigned long long>(ns % 1000));
  out->Stat(name, std::string_view(text, static_cast<size_t>(std::max(n, 0))));
}

constexpr std::pair<std::string_view, double> kQuantiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};

}  // namespace

void AppendLatencyStats(const StatsSources& sources, StatSink* out) {
  for (const CommandLatency& latency : sources.server.Latency()) {
    const std::string command(latency.command);
    AppendStat(out, command + "_count", latency.requests);
    for (const auto& [name, q] : kQuantiles) {
      AppendMicros(out, command + "_" + std::string(name) + "_us", latency.queued.QuantileNs(q));
    }
    for (const auto& [name, q] : kQuantiles) {
      AppendMicros(out, command + "_written_" + std::string(name) + "_us",
                   latency.written.QuantileNs(q));
    }
  }
}

void AppendHotKeyStats(const StatsSources& sources, size_t limit, StatSink* out) {
  const time_t since = sources.server.hot_keys_since();
  const time_t now = time(nullptr);  // the wall clock, as hot_keys_since() (not debugtime)
  const double seconds = static_cast<double>(std::max<time_t>(now - since, 1));
  AppendStat(out, "hotkeys_sample_every", uint64_t{sources.config.metrics.hot_keys_sample});
  AppendStat(out, "hotkeys_seconds", static_cast<uint64_t>(seconds));
  size_t rank = 0;
  for (const HotKey& key : sources.server.HotKeys(limit)) {
    const std::string prefix = "hotkey:" + std::to_string(++rank) + ":";
    AppendStat(out, prefix + "key", EscapeHotKey(key.key));
    AppendStat(out, prefix + "requests", key.requests);
    AppendStat(out, prefix + "rate", static_cast<double>(key.requests) / seconds);
    AppendStat(out, prefix + "error", key.error);
  }
}

}  // namespace slabcached
