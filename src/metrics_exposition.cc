#include "src/metrics_exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace slabcached {
namespace {

using Lookup = std::map<std::string_view, std::string_view, std::less<>>;

enum class Type { kCounter, kGauge, kHistogram, kUntyped };

struct Family {
  std::string_view name;
  Type type;
  std::string_view help;
};

// A family fed by one stat.
struct StatMetric {
  Family family;
  std::string_view stat;
};

// --- "stats" (with the totals of "stats slabs") ---
// The exporter declares a few counters whose names lack "_total"
// (memcached_uptime_seconds, the slab moves); promtool's linter refuses
// that, so they keep the exporter's names and say gauge or untyped instead.
constexpr StatMetric kGeneral[] = {
    {{"memcached_uptime_seconds", Type::kGauge, "Seconds since the server started."}, "uptime"},
    {{"memcached_time_seconds", Type::kGauge, "The server's UNIX time."}, "time"},
    {{"memcached_process_user_cpu_seconds_total", Type::kCounter, "User CPU time of the process."},
     "rusage_user"},
    {{"memcached_process_system_cpu_seconds_total", Type::kCounter,
      "System CPU time of the process."},
     "rusage_system"},
    {{"memcached_read_bytes_total", Type::kCounter, "Bytes read from clients."}, "bytes_read"},
    {{"memcached_written_bytes_total", Type::kCounter, "Bytes sent to clients."}, "bytes_written"},
    {{"memcached_current_connections", Type::kGauge, "Open client connections."},
     "curr_connections"},
    {{"memcached_connections_total", Type::kCounter, "Client connections accepted since start."},
     "total_connections"},
    {{"memcached_connections_rejected_total", Type::kCounter,
      "Connections refused at the -c limit (maxconns_fast)."},
     "rejected_connections"},
    {{"memcached_connections_yielded_total", Type::kCounter,
      "Times a connection gave way to others after -R requests."},
     "conn_yields"},
    {{"memcached_connections_listener_disabled_total", Type::kCounter,
      "Times the server stopped accepting at the connection limit."},
     "listen_disabled_num"},
    {{"memcached_current_bytes", Type::kGauge, "Bytes the stored items take."}, "bytes"},
    {{"memcached_limit_bytes", Type::kGauge, "The memory limit for items (-m)."}, "limit_maxbytes"},
    {{"memcached_current_items", Type::kGauge, "Items stored now."}, "curr_items"},
    {{"memcached_items_total", Type::kCounter, "Items stored since start."}, "total_items"},
    {{"memcached_items_evicted_total", Type::kCounter,
      "Unexpired items evicted to make room for new ones."},
     "evictions"},
    {{"memcached_items_reclaimed_total", Type::kCounter,
      "Items stored in the memory of an expired item."},
     "reclaimed"},
    {{"memcached_item_too_large_total", Type::kCounter,
      "Stores refused because the item was larger than -I."},
     "store_too_large"},
    {{"memcached_item_no_memory_total", Type::kCounter, "Stores refused for want of memory."},
     "store_no_memory"},
    {{"memcached_direct_reclaims_total", Type::kCounter,
      "Times a worker had to reclaim or evict an item itself."},
     "direct_reclaims"},
    {{"memcached_lru_crawler_starts_total", Type::kCounter, "LRU crawler runs started."},
     "lru_crawler_starts"},
    {{"memcached_lru_crawler_items_checked_total", Type::kCounter,
      "Items the LRU crawler examined."},
     "crawler_items_checked"},
    {{"memcached_lru_crawler_reclaimed_total", Type::kCounter,
      "Expired items the LRU crawler freed."},
     "crawler_reclaimed"},
    {{"memcached_lru_crawler_moves_to_cold_total", Type::kCounter,
      "Items moved from HOT or WARM to COLD."},
     "moves_to_cold"},
    {{"memcached_lru_crawler_moves_to_warm_total", Type::kCounter,
      "Items moved from COLD to WARM."},
     "moves_to_warm"},
    {{"memcached_lru_crawler_moves_within_lru_total", Type::kCounter,
      "Items bumped within HOT or WARM."},
     "moves_within_lru"},
    {{"memcached_malloced_bytes", Type::kGauge, "Bytes of memory given to slab pages."},
     "total_malloced"},
    {{"memcached_accepting_connections", Type::kGauge,
      "1 while the server accepts new connections."},
     "accepting_conns"},
};

// --- "stats settings", exported only while the LRU crawler is on (the exporter's rule) ---
constexpr StatMetric kCrawlerSettings[] = {
    {{"memcached_lru_crawler_enabled", Type::kGauge, "1 when the LRU crawler is on."},
     "lru_crawler"},
    {{"memcached_lru_crawler_sleep", Type::kGauge,
      "Microseconds the crawler sleeps between items."},
     "lru_crawler_sleep"},
    {{"memcached_lru_crawler_to_crawl", Type::kGauge, "Most items crawled per class and run."},
     "lru_crawler_tocrawl"},
    {{"memcached_lru_crawler_maintainer_thread", Type::kGauge,
      "1 when the LRU maintainer thread runs."},
     "lru_maintainer_thread"},
    {{"memcached_lru_crawler_hot_percent", Type::kGauge, "Percent of a class's memory for HOT."},
     "hot_lru_pct"},
    {{"memcached_lru_crawler_warm_percent", Type::kGauge, "Percent of a class's memory for WARM."},
     "warm_lru_pct"},
    {{"memcached_lru_crawler_hot_max_factor", Type::kGauge,
      "HOT items older than COLD's age times this move on."},
     "hot_max_factor"},
    {{"memcached_lru_crawler_warm_max_factor", Type::kGauge,
      "WARM items older than COLD's age times this move on."},
     "warm_max_factor"},
};

// --- per slab class ("stats items" and "stats slabs"), label slab="<class>" ---
constexpr StatMetric kPerSlab[] = {
    {{"memcached_slab_current_items", Type::kGauge, "Items stored in the class."}, "number"},
    {{"memcached_slab_items_age_seconds", Type::kGauge, "Age of the class's oldest item."}, "age"},
    {{"memcached_slab_items_crawler_reclaimed_total", Type::kCounter,
      "Items of the class the LRU crawler freed."},
     "crawler_reclaimed"},
    {{"memcached_slab_items_evicted_total", Type::kCounter, "Unexpired items evicted."}, "evicted"},
    {{"memcached_slab_items_evicted_nonzero_total", Type::kCounter,
      "Items with an expiry time evicted before it."},
     "evicted_nonzero"},
    {{"memcached_slab_items_evicted_time_seconds", Type::kGauge,
      "Seconds since the last access of the latest evicted item."},
     "evicted_time"},
    {{"memcached_slab_items_evicted_unfetched_total", Type::kCounter,
      "Items evicted without ever being read."},
     "evicted_unfetched"},
    {{"memcached_slab_items_expired_unfetched_total", Type::kCounter,
      "Items expired without ever being read."},
     "expired_unfetched"},
    {{"memcached_slab_items_outofmemory_total", Type::kCounter,
      "Stores in the class that found no memory."},
     "outofmemory"},
    {{"memcached_slab_items_reclaimed_total", Type::kCounter,
      "Items stored in the memory of an expired one."},
     "reclaimed"},
    {{"memcached_slab_items_tailrepairs_total", Type::kCounter, "LRU tail repairs (always 0)."},
     "tailrepairs"},
    {{"memcached_slab_mem_requested_bytes", Type::kGauge,
      "Bytes the class's items asked for (before rounding up to chunks)."},
     "mem_requested"},
    {{"memcached_slab_items_moves_to_cold", Type::kUntyped,
      "Items moved from HOT or WARM to COLD."},
     "moves_to_cold"},
    {{"memcached_slab_items_moves_to_warm", Type::kUntyped, "Items moved from COLD to WARM."},
     "moves_to_warm"},
    {{"memcached_slab_items_moves_within_lru", Type::kUntyped, "Items bumped within HOT or WARM."},
     "moves_within_lru"},
    {{"memcached_slab_hot_items", Type::kGauge, "Items in the HOT LRU."}, "number_hot"},
    {{"memcached_slab_warm_items", Type::kGauge, "Items in the WARM LRU."}, "number_warm"},
    {{"memcached_slab_cold_items", Type::kGauge, "Items in the COLD LRU."}, "number_cold"},
    {{"memcached_slab_temporary_items", Type::kGauge, "Items in the TEMP LRU."}, "number_temp"},
    {{"memcached_slab_hot_age_seconds", Type::kGauge, "Age of the oldest HOT item."}, "age_hot"},
    {{"memcached_slab_warm_age_seconds", Type::kGauge, "Age of the oldest WARM item."}, "age_warm"},
    {{"memcached_slab_chunk_size_bytes", Type::kGauge, "Bytes per chunk."}, "chunk_size"},
    {{"memcached_slab_chunks_per_page", Type::kGauge, "Chunks per page."}, "chunks_per_page"},
    {{"memcached_slab_current_pages", Type::kGauge, "Pages given to the class."}, "total_pages"},
    {{"memcached_slab_current_chunks", Type::kGauge, "Chunks in the class's pages."},
     "total_chunks"},
    {{"memcached_slab_chunks_used", Type::kGauge, "Chunks holding an item."}, "used_chunks"},
    {{"memcached_slab_chunks_free", Type::kGauge, "Chunks free for an item."}, "free_chunks"},
    {{"memcached_slab_chunks_free_end", Type::kGauge, "Free chunks at the end of the last page."},
     "free_chunks_end"},
};

constexpr Family kCommands{"memcached_commands_total", Type::kCounter,
                           "Requests by command and outcome."};
constexpr Family kLruHits{"memcached_slab_lru_hits_total", Type::kCounter,
                          "Hits per slab class and LRU."};
constexpr Family kMaxConnections{"memcached_max_connections", Type::kGauge,
                                 "The connection limit (-c)."};
constexpr Family kVersion{"memcached_version", Type::kGauge, "The server's version, as a label."};
constexpr Family kUp{"memcached_up", Type::kGauge, "1 when every stat could be read."};
constexpr Family kCommandDuration{
    "slabcached_command_duration_seconds", Type::kHistogram,
    "Service time by command, from the request's complete arrival to its reply queued "
    "(stage=queued) or its last byte written (stage=written)."};
constexpr Family kHotKeyRequests{
    "slabcached_hot_key_requests", Type::kGauge,
    "Estimated requests (sampled gets and sets) for the hottest keys since start or stats reset; "
    "key %XX-escaped and truncated."};

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
    case Type::kUntyped:
      break;
  }
  return "untyped";
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A stat's value as a sample value: integers pass through as the text
// protocol wrote them; anything else must be a finite decimal number.
std::optional<std::string> SampleValue(std::string_view text) {
  if (AllDigits(text) && text.size() <= 20) return std::string(text);
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
  if (text.empty() || ec != std::errc() || stop != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  char digits[32];
  const auto [last, ec2] = std::to_chars(digits, digits + sizeof(digits), value);
  if (ec2 != std::errc()) return std::nullopt;
  return std::string(digits, last);
}

std::optional<uint64_t> Integer(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (!AllDigits(text) || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

// A label value with the format's escapes (backslash, quote, newline).
void AppendLabel(std::string* out, std::string_view name, std::string_view value) {
  if (!out->empty()) *out += ',';
  *out += name;
  *out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      *out += '\\';
      *out += c;
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c < 0x20 || c > 0x7e) {
      *out += '?';  // only printable ASCII: no invalid UTF-8 in a label
    } else {
      *out += c;
    }
  }
  *out += '"';
}

std::string Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  std::string out;
  for (const auto& [name, value] : labels) AppendLabel(&out, name, value);
  return out;
}

// Writes families one after another: "# HELP" and "# TYPE" before a
// family's first sample, every sample of a family together.
class Writer {
 public:
  // The stat `raw` as a sample; a value that is not a number is left out
  // and counted.
  void Stat(const Family& family, std::string_view labels, std::string_view raw) {
    const std::optional<std::string> value = SampleValue(raw);
    if (!value) {
      ++unreadable_;
      return;
    }
    Sample(family, labels, *value);
  }
  void StatIfPresent(const Family& family, std::string_view labels, const Lookup& stats,
                     std::string_view name) {
    const auto it = stats.find(name);
    if (it != stats.end()) Stat(family, labels, it->second);
  }
  // "yes"/"no" as 1/0.
  void YesNo(const Family& family, std::string_view raw) {
    if (raw == "yes" || raw == "no") {
      Sample(family, "", raw == "yes" ? "1" : "0");
    } else {
      ++unreadable_;
    }
  }
  // `suffix`: a histogram's "_bucket", "_sum" or "_count".
  void Sample(const Family& family, std::string_view labels, std::string_view value,
              std::string_view suffix = "") {
    if (family.name != current_) {
      current_ = family.name;
      Line("# HELP ", family.name, " ", family.help);
      Line("# TYPE ", family.name, " ", TypeName(family.type));
    }
    out_ += family.name;
    out_ += suffix;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void Unreadable() { ++unreadable_; }

  uint64_t unreadable() const { return unreadable_; }
  std::string Take() { return std::move(out_); }

 private:
  void Line(std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
    out_ += a;
    out_ += b;
    out_ += c;
    out_ += d;
    out_ += '\n';
  }

  std::string out_;
  std::string_view current_;
  uint64_t unreadable_ = 0;
};

// "<class>:<field>" ("stats slabs") or "items:<class>:<field>" ("stats
// items"): the class and the field, or nothing for other names.
std::optional<std::pair<uint32_t, std::string_view>> SlabField(std::string_view name) {
  if (name.starts_with("items:")) name.remove_prefix(6);
  const size_t colon = name.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 3) return std::nullopt;
  const std::optional<uint64_t> id = Integer(name.substr(0, colon));
  if (!id || colon + 1 == name.size()) return std::nullopt;
  return std::pair{static_cast<uint32_t>(*id), name.substr(colon + 1)};
}

void Commands(const Lookup& stats, Writer* out) {
  for (std::string_view op : {"get", "delete", "incr", "decr", "cas", "touch"}) {
    const std::string hits = std::string(op) + "_hits";
    const std::string misses = std::string(op) + "_misses";
    out->StatIfPresent(kCommands, Labels({{"command", op}, {"status", "hit"}}), stats, hits);
    out->StatIfPresent(kCommands, Labels({{"command", op}, {"status", "miss"}}), stats, misses);
  }
  out->StatIfPresent(kCommands, Labels({{"command", "cas"}, {"status", "badval"}}), stats,
                     "cas_badval");
  out->StatIfPresent(kCommands, Labels({{"command", "flush"}, {"status", "hit"}}), stats,
                     "cmd_flush");
  // cmd_set counts cas requests too; the exporter takes them out.
  uint64_t sets = 0;
  for (std::string_view name : {"cmd_set", "cas_misses", "cas_hits", "cas_badval"}) {
    const auto it = stats.find(name);
    if (it == stats.end()) return;
    const std::optional<uint64_t> n = Integer(it->second);
    if (!n) {
      out->Unreadable();
      return;
    }
    // Counters are summed over the workers one by one, so a cas may show
    // before its cmd_set does: never below zero.
    sets = name == "cmd_set" ? *n : (sets > *n ? sets - *n : 0);
  }
  out->Sample(kCommands, Labels({{"command", "set"}, {"status", "hit"}}), std::to_string(sets));
}

void Settings(const Lookup& settings, Writer* out) {
  out->StatIfPresent(kMaxConnections, "", settings, "maxconns");
  const auto crawler = settings.find("lru_crawler");
  if (crawler == settings.end() || crawler->second != "yes") return;
  for (const StatMetric& metric : kCrawlerSettings) {
    const auto it = settings.find(metric.stat);
    if (it == settings.end()) continue;
    if (it->second == "yes" || it->second == "no") {
      out->YesNo(metric.family, it->second);
    } else {
      out->Stat(metric.family, "", it->second);
    }
  }
}

void PerSlab(const StatsSnapshot& stats, Writer* out) {
  // "stats items" first, so its mem_requested wins over a "stats slabs" one.
  std::map<uint32_t, Lookup> classes;
  for (const auto* pairs : {&stats.items, &stats.slabs}) {
    for (const auto& [name, value] : *pairs) {
      if (const auto field = SlabField(name)) classes[field->first].emplace(field->second, value);
    }
  }
  std::map<uint32_t, std::string> labels;
  for (const auto& [id, fields] : classes) labels[id] = Labels({{"slab", std::to_string(id)}});
  for (const StatMetric& metric : kPerSlab) {
    for (const auto& [id, fields] : classes) {
      out->StatIfPresent(metric.family, labels[id], fields, metric.stat);
    }
  }
  constexpr std::pair<std::string_view, std::string_view> kLrus[] = {{"hits_to_hot", "hot"},
                                                                     {"hits_to_warm", "warm"},
                                                                     {"hits_to_cold", "cold"},
                                                                     {"hits_to_temp", "temporary"}};
  for (const auto& [id, fields] : classes) {
    const std::string slab = std::to_string(id);
    for (const auto& [stat, lru] : kLrus) {
      out->StatIfPresent(kLruHits, Labels({{"slab", slab}, {"lru", lru}}), fields, stat);
    }
  }
}

// Shortest round-trip decimal text of a double.
std::string Decimal(double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, ec == std::errc() ? end : text);
}

// One command's stage as a Prometheus histogram, with a bucket at every
// power of two of nanoseconds (every 4th of the histogram's own buckets).
void Histogram(std::string_view command, std::string_view stage, const LatencySnapshot& latency,
               Writer* out) {
  uint64_t cumulative = 0;
  for (size_t bucket = 0; bucket + 1 < kLatencyBuckets; ++bucket) {
    cumulative += latency.buckets[bucket];
    const uint64_t bound = LatencyBucketUpperBound(bucket);
    if ((bound & (bound - 1)) != 0) continue;  // not a power of two
    const std::string le = Decimal(static_cast<double>(bound) / 1e9);
    out->Sample(kCommandDuration, Labels({{"command", command}, {"stage", stage}, {"le", le}}),
                std::to_string(cumulative), "_bucket");
  }
  const std::string total = std::to_string(latency.count());
  const std::string labels = Labels({{"command", command}, {"stage", stage}});
  out->Sample(kCommandDuration, Labels({{"command", command}, {"stage", stage}, {"le", "+Inf"}}),
              total, "_bucket");
  out->Sample(kCommandDuration, labels, Decimal(static_cast<double>(latency.sum_ns) / 1e9), "_sum");
  out->Sample(kCommandDuration, labels, total, "_count");
}

void HotKeys(const std::vector<HotKey>& keys, Writer* out) {
  size_t rank = 0;
  for (const HotKey& key : keys) {
    if (rank == kExportedHotKeys) break;
    // The rank keeps two keys whose truncated labels agree apart.
    const std::string name = EscapeHotKey(key.key).substr(0, kHotKeyLabelBytes);
    out->Sample(kHotKeyRequests, Labels({{"rank", std::to_string(++rank)}, {"key", name}}),
                std::to_string(key.requests));
  }
}

}  // namespace

std::string FormatExposition(const StatsSnapshot& stats) {
  // Later duplicates of a name are ignored; the totals of "stats slabs"
  // (total_malloced) are read like general stats, as the exporter does.
  Lookup general;
  for (const StatsSnapshot::Pairs* pairs : {&stats.general, &stats.slabs}) {
    for (const auto& [name, value] : *pairs) {
      if (!SlabField(name)) general.emplace(name, value);
    }
  }
  Lookup settings;
  for (const auto& [name, value] : stats.settings) settings.emplace(name, value);

  Writer out;
  if (const auto version = general.find("version"); version != general.end()) {
    out.Sample(kVersion, Labels({{"version", version->second}}), "1");
  }
  for (const StatMetric& metric : kGeneral) {
    out.StatIfPresent(metric.family, "", general, metric.stat);
  }
  Commands(general, &out);
  Settings(settings, &out);
  PerSlab(stats, &out);
  // A command none of whose requests was timed yet has no histogram: its
  // _count would have to hold requests no bucket holds.
  for (const CommandLatency& latency : stats.latency) {
    if (latency.queued.count() > 0) Histogram(latency.command, "queued", latency.queued, &out);
  }
  for (const CommandLatency& latency : stats.latency) {
    if (latency.queued.count() > 0) Histogram(latency.command, "written", latency.written, &out);
  }
  HotKeys(stats.hot_keys, &out);
  out.Sample(kUp, "", out.unreadable() == 0 ? "1" : "0");
  return out.Take();
}

}  // namespace slabcached
