// The -o names: memcached's extended options, then slabcached's own.
#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "slabs/slab_allocator.h"
#include "src/option_rows.h"
#include "src/stats.h"
#include "src/tls.h"

namespace slabcached::option_rows {
namespace {

using slabs::StoreConfig;

// -o watcher_logbuf_size, worker_logbuf_size: memcached's safe_strtoul() of KiB.
uint32_t LogBufferKilobytes(const Option& option, Value value) {
  const std::string_view text = NeedArgument(option, value);
  uint32_t kilobytes = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), kilobytes);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw CommandLineError("could not parse argument to " + std::string(option.name));
  }
  return kilobytes;
}

// memcached's _parse_slab_sizes(), with its messages.
void ApplySlabSizes(const Option& option, Value value, ParsedOptions* parsed) {
  const std::string_view text = NeedArgument(option, value);
  if (text.empty()) throw CommandLineError("slab_sizes needs a list of sizes");
  StoreConfig& store = parsed->config.store;
  const size_t max =
      store.slab_chunk_max != 0 ? store.slab_chunk_max : slabs::SlabAllocator::kPageSize / 2;
  std::vector<uint32_t> sizes;
  for (size_t pos = 0, dash = 0; pos < text.size(); pos = dash + 1) {
    dash = std::min(text.find('-', pos), text.size());
    if (dash == pos) continue;  // strtok() skips empty fields
    uint32_t size = 0;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + dash, size);
    if (ec != std::errc() || end != text.data() + dash) size = 0;
    const uint32_t last = sizes.empty() ? 0 : sizes.back();
    std::string why;
    if (size < store.chunk_size_min || size > max) {
      why = " is out of valid range";
    } else if (last >= size) {
      why = " cannot be lower than or equal to a previous class size";
    } else if (size <= last + 8) {
      why = " must be at least 8 bytes larger than previous class";
    }
    if (!why.empty()) throw CommandLineError("slab size " + std::to_string(size) + why);
    sizes.push_back(size);
    if (sizes.size() >= slabs::SlabAllocator::kMemcachedMaxClasses) {
      throw CommandLineError("too many slab classes specified");
    }
  }
  store.slab_sizes = std::move(sizes);
}

// An option memcached has and slabcached cannot honour: it refuses to
// start, with `why` (also its -h line).
void RefuseOption(const Option& option, Value, ParsedOptions*) {
  throw CommandLineError("-o " + std::string(option.name) + " is " + std::string(option.help));
}
// `why` starts "refused: ".
constexpr Option Refused(std::string_view name, std::string_view why) {
  return {0, name, OptionArg::kNone, "", "", why, RefuseOption, "", nullptr};
}

// memcached's check of the name; the store keeps its seeded xxh3 whatever
// is asked (memcached's hashes are not seeded).
void ApplyHashAlgorithm(const Option& option, Value value, ParsedOptions*) {
  const std::string_view name = NeedArgument(option, value);
  if (name != "jenkins" && name != "murmur3" && name != "xxh3") {
    throw CommandLineError("Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
  }
}

// memcached's NO_MODERN (its hash_type = JENKINS has no counterpart here).
void ApplyNoModern(const Option&, Value, ParsedOptions* parsed) {
  ServerConfig& config = parsed->config;
  if (config.store.slab_chunk_max == 0) {
    config.store.slab_chunk_max = slabs::SlabAllocator::kPageSize;
  }
  config.store.slab_reassign = false;
  config.store.slab_automove = 0;
  config.net.maxconns_fast = false;
  config.store.lru_segmented = false;
  config.store.lru_crawler = false;
  config.store.lru_maintainer = false;
}

template <auto Field>
void PrintTuning(View view, std::string_view name, StatSink* out) {
  const auto value = view.lru.*Field;
  if constexpr (std::is_same_v<decltype(value), const bool>) {
    YesNo(out, name, value);
  } else if constexpr (std::is_floating_point_v<decltype(value)>) {
    TwoDecimals(out, name, value);
  } else {
    Unsigned(out, name, value);
  }
}

// memcached's fixed answer for a setting slabcached does not vary.
template <const char* kValue>
void PrintFixed(View, std::string_view name, StatSink* out) {
  AppendStat(out, name, kValue);
}
constexpr char kXxh3[] = "xxh3";

constexpr Option kExtended[] = {
    Switch<&NetConfig::maxconns_fast, true>(
        0, "maxconns_fast", "on",
        "at the connection limit, send new clients an error and close them at once",
        "maxconns_fast"),
    Switch<&NetConfig::maxconns_fast, false>(0, "no_maxconns_fast", "",
                                             "leave them in the accept queue"),
    {0, "hashpower", OptionArg::kRequired, "<n>", "16",
     "start the hash table with 2^n buckets (12..32)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const std::string_view text = Need(o, v);
       const int64_t power = WholeNumber(o, text);
       if (power < 0) Invalid(o, text);
       if (power < 12 || power > 32) {
         throw CommandLineError("Initial hashtable multiplier of " + std::string(text) +
                                " is too low or too high (12..32)");
       }
       p->config.store.hashpower_init = static_cast<uint32_t>(power);
     },
     "hashpower_init", PrintInteger<&StoreConfig::hashpower_init>},
    Switch<&StoreConfig::hash_expand, false>(0, "no_hashexpand", "", "never grow the hash table"),
    Switch<&StoreConfig::lru_maintainer, true>(
        0, "lru_maintainer", "on",
        "a background thread moves items between the HOT, WARM and COLD LRUs",
        "lru_maintainer_thread"),
    Switch<&StoreConfig::lru_maintainer, false>(0, "no_lru_maintainer", "",
                                                "no LRU maintainer thread"),
    // The LRU settings print what "lru tune" and "lru mode" made of them.
    {0,
     "hot_lru_pct",
     OptionArg::kRequired,
     "<pct>",
     "20",
     "the HOT LRU's share of a class's memory",
     ApplyInteger<&StoreConfig::hot_lru_pct, 1>,
     "hot_lru_pct",
     PrintTuning<&slabs::LruTuning::hot_lru_pct>,
     {1, 79, "hot_lru_pct must be > 1 and < 80"}},
    {0,
     "warm_lru_pct",
     OptionArg::kRequired,
     "<pct>",
     "40",
     "the WARM LRU's share of a class's memory",
     ApplyInteger<&StoreConfig::warm_lru_pct, 1>,
     "warm_lru_pct",
     PrintTuning<&slabs::LruTuning::warm_lru_pct>,
     {1, 79, "warm_lru_pct must be > 1 and < 80"}},
    {0, "hot_max_factor", OptionArg::kRequired, "<x>", "0.20",
     "HOT items older than x times COLD's age move to WARM or COLD",
     ApplyFactor<&StoreConfig::hot_max_factor>, "hot_max_factor",
     PrintTuning<&slabs::LruTuning::hot_max_factor>},
    {0, "warm_max_factor", OptionArg::kRequired, "<x>", "2.00",
     "WARM items older than x times COLD's age move to COLD",
     ApplyFactor<&StoreConfig::warm_max_factor>, "warm_max_factor",
     PrintTuning<&slabs::LruTuning::warm_max_factor>},
    {0, "lru_segmented", OptionArg::kNone, "", "on",
     "HOT, WARM and COLD LRUs per class (off: memcached's flat LRU)",
     ApplySwitch<&StoreConfig::lru_segmented, true>, "lru_segmented",
     PrintTuning<&slabs::LruTuning::segmented>},
    Switch<&StoreConfig::lru_segmented, false>(0, "no_lru_segmented", "",
                                               "one LRU per class, as memcached's flat mode"),
    // memcached's -o temporary_ttl: the TEMP LRU on, with this threshold.
    {0, "temporary_ttl", OptionArg::kRequired, "<secs>", "",
     "items stored with a TTL of at most secs go to the TEMP LRU: never bumped nor evicted, "
     "reaped first (needs the LRU maintainer)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const std::string_view text = NeedArgument(o, v);
       const int64_t ttl = WholeNumber(o, text);
       if (ttl < 0 || ttl > int64_t{UINT32_MAX}) Invalid(o, text);
       p->config.store.temp_lru = true;
       p->config.store.temporary_ttl = static_cast<uint32_t>(ttl);
     },
     "temporary_ttl", PrintTuning<&slabs::LruTuning::temporary_ttl>},
    {0, "lru_crawler", OptionArg::kNone, "", "on", "reap expired items away from the LRU tails",
     ApplySwitch<&StoreConfig::lru_crawler, true>, "lru_crawler",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.crawler.enabled); }},
    Switch<&StoreConfig::lru_crawler, false>(0, "no_lru_crawler", "", "no LRU crawler"),
    {0,
     "lru_crawler_sleep",
     OptionArg::kRequired,
     "<us>",
     "100",
     "the crawler's pause between items, in microseconds (0..1000000)",
     ApplyInteger<&StoreConfig::lru_crawler_sleep, 1>,
     "lru_crawler_sleep",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.crawler.sleep_us); },
     {0, 1000000, "LRU crawler sleep must be between 0 and 1 second"}},
    {0, "lru_crawler_tocrawl", OptionArg::kRequired, "<n>", "0",
     "items per class a crawl looks at (0: all)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const std::string_view text = Need(o, v);
       uint32_t tocrawl = 0;
       const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), tocrawl);
       if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
         throw CommandLineError("lru_crawler_tocrawl takes a numeric 32bit value");
       }
       p->config.store.lru_crawler_tocrawl = tocrawl;
     },
     "lru_crawler_tocrawl",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.crawler.tocrawl); }},
    Switch<&StoreConfig::slab_reassign, true>(
        0, "slab_reassign", "on", "let slab pages move between classes", "slab_reassign"),
    Switch<&StoreConfig::slab_reassign, false>(0, "no_slab_reassign", "",
                                               "slab pages stay in their class"),
    {0,
     "slab_automove",
     OptionArg::kOptional,
     "<0|1|2>",
     "1",
     "0 off, 1 move pages to classes that evict, 2 move on every eviction",
     [](const Option& o, Value v, ParsedOptions* p) {
       ApplyInteger<&StoreConfig::slab_automove, 1>(o, Value(v.value_or("1")), p);
     },
     "slab_automove",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.slab_automove); },
     {0, 2, "slab_automove must be 0, 1 or 2"}},
    Factor<&StoreConfig::slab_automove_ratio>(
        0, "slab_automove_ratio", "<x>", "0.80",
        "a source class's oldest item must be this much older than the destination's",
        "slab_automove_ratio"),
    {0, "no_slab_automove", OptionArg::kNone, "", "", "slab_automove=0",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.slab_automove = 0; }, "",
     nullptr},
    Integer<&StoreConfig::slab_automove_window>(
        0, "slab_automove_window", "<n>", "10",
        "memcached's automove window (3..1800); a destination must evict in n/5 seconds running",
        "slab_automove_window", {3, 1800, "slab_automove_window must be > 2 and < 1800"}),
    {0, "slab_chunk_max", OptionArg::kRequired, "<size>", "512k or -I",
     "the largest slab chunk (kilobytes up to 1024, else bytes); larger items are chained",
     [](const Option& o, Value v, ParsedOptions* p) {
       const int64_t n = ParsedArgument(o, v);
       if (n <= 0) throw CommandLineError("slab_chunk_max must be >= 0");
       // Current memcached takes kilobytes (at most 1024); 1.6.18, Debian's,
       // took bytes. Both spellings of a sane size mean the same here.
       p->config.store.slab_chunk_max = static_cast<size_t>(n) * (n <= 1024 ? 1024 : 1);
     },
     "slab_chunk_max", PrintInteger<&StoreConfig::slab_chunk_max>},
    {0, "no_chunked_items", OptionArg::kNone, "", "", "slab_chunk_max is a whole page",
     [](const Option&, Value, ParsedOptions* p) {
       p->config.store.slab_chunk_max = slabs::SlabAllocator::kPageSize;
     },
     "", nullptr},
    Integer<&NetConfig::idle_timeout>(0, "idle_timeout", "<seconds>", "0",
                                      "close connections idle this long (0: never)",
                                      "idle_timeout"),
    Integer<&NetConfig::read_buf_mem_limit, kMegabyte>(
        0, "read_buf_mem_limit", "<MB>", "0",
        "all connections' read buffers together (0: no limit)", "read_buf_mem_limit"),
    Integer<&NetConfig::resp_obj_mem_limit, kMegabyte>(
        0, "resp_obj_mem_limit", "<MB>", "0",
        "all connections' queued replies together (0: no limit)", "resp_obj_mem_limit"),
    // slabcached's own: the Prometheus endpoint (src/metrics_server.h).
    Integer<&MetricsConfig::port>(0, "metrics_port", "<num>", "0",
                                  "serve Prometheus metrics over HTTP on this port (0 = off)", "",
                                  {0, 65535, "metrics_port must be 0..65535"}),
    {0, "metrics_addr", OptionArg::kRequired, "<addr>", "127.0.0.1",
     "the address the metrics endpoint listens on",
     [](const Option& o, Value v, ParsedOptions* p) {
       const std::string_view addr = Need(o, v);
       if (addr.empty()) Invalid(o, addr);
       p->config.metrics.addr = addr;
     },
     "", nullptr},
    Integer<&MetricsConfig::timeout_seconds>(
        0, "metrics_timeout", "<seconds>", "10",
        "close a metrics connection whose next request or reply takes longer", "",
        {1, 3600, "metrics_timeout must be 1..3600 (seconds)"}),
    Switch<&MetricsConfig::latency, false>(
        0, "no_latency", "", "do not time requests (stats latency, command_duration_seconds)", ""),
    Integer<&MetricsConfig::latency_sample>(
        0, "latency_sample", "<num>", "16",
        "time one batch of requests in <num> for stats latency (1 = every one)", "",
        {1, 65536, "latency_sample must be 1..65536"}),
    Integer<&MetricsConfig::hot_keys_sample>(
        0, "hot_keys_sample", "<num>", "8",
        "count the keys of one request in <num> for stats hotkeys (0 = off)", "",
        {0, 65536, "hot_keys_sample must be 0..65536"}),
    Text<&ServerConfig::sasl_pwdb>(0, "sasl_pwdb", "<file>", "$MEMCACHED_SASL_PWDB",
                                   "-S users, \"user:password\" lines"),
    // -Z's settings: accepted without -Z, as memcached does.
    Text<&TlsConfig::chain_cert, OrNull, NeedArgument>(
        0, "ssl_chain_cert", "<file>", "", "-Z: the certificate chain, PEM", "ssl_chain_cert"),
    Text<&TlsConfig::key, OrNull, NeedArgument>(0, "ssl_key", "<file>", "", "-Z: the private key",
                                                "ssl_key"),
    {0, "ssl_keyformat", OptionArg::kRequired, "<1|2>", "1", "-Z: the key's format (PEM, DER)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.tls.key_format = static_cast<int>(ParsedArgument(o, v));
     },
     "ssl_keyformat",
     [](View v, std::string_view n, StatSink* out) {
       AppendStat(out, n, static_cast<int64_t>(v.config.net.tls.key_format));
     }},
    {0, "ssl_verify_mode", OptionArg::kRequired, "<0|1|2|3>", "0",
     "-Z: client certificates: none, request, require, once",
     [](const Option& o, Value v, ParsedOptions* p) {
       const int64_t mode = ParsedArgument(o, v);
       if (mode < 0 || mode > 3) {
         throw CommandLineError("Invalid ssl_verify_mode. Use help to see valid options.");
       }
       p->config.net.tls.verify_mode = static_cast<int>(mode);
     },
     "ssl_verify_mode",
     [](View v, std::string_view n, StatSink* out) {
       AppendStat(out, n, static_cast<int64_t>(TlsVerifyFlags(v.config.net.tls.verify_mode)));
     }},
    Text<&TlsConfig::ciphers, OrNULL, NeedArgument>(
        0, "ssl_ciphers", "<list>", "", "-Z: OpenSSL's cipher list (TLS 1.2)", "ssl_ciphers"),
    Text<&TlsConfig::ca_cert, OrNULL, NeedArgument>(
        0, "ssl_ca_cert", "<file>", "", "-Z: the CAs client certificates must chain to, PEM",
        "ssl_ca_cert"),
    {0, "ssl_wbuf_size", OptionArg::kRequired, "<KB>", "16", "-Z: the size of a reply's records",
     [](const Option& o, Value v, ParsedOptions* p) {
       const int64_t kilobytes = ParsedArgument(o, v);
       if (kilobytes <= 0 || kilobytes > 1024 * 1024) {
         throw CommandLineError("ssl_wbuf_size must be 1 to 1048576 (kilobytes)");
       }
       p->config.net.tls.wbuf_size = static_cast<uint32_t>(kilobytes * 1024);
     },
     "ssl_wbuf_size", PrintInteger<&TlsConfig::wbuf_size>},
    Switch<&TlsConfig::session_cache, true>(
        0, "ssl_session_cache", "", "-Z: server-side session resumption", "ssl_session_cache"),
    Switch<&TlsConfig::kernel_tls, true>(0, "ssl_kernel_tls", "", "-Z: let OpenSSL use kernel TLS",
                                         "ssl_kernel_tls"),
    {0, "ssl_min_version", OptionArg::kRequired, "<0|1|2|3>", "2",
     "-Z: the oldest TLS version (tlsv1.0 .. tlsv1.3)",
     [](const Option& o, Value v, ParsedOptions* p) {
       // memcached's numbers, or (slabcached) the names "stats settings" prints.
       for (int version = 0; version <= 3; ++version) {
         if (v && *v == TlsVersionName(version)) {
           p->config.net.tls.min_version = version;
           return;
         }
       }
       const int64_t version = ParsedArgument(o, v);
       if (version < 0 || version > 3) {
         throw CommandLineError("Invalid ssl_min_version. Use help to see valid options.");
       }
       p->config.net.tls.min_version = static_cast<int>(version);
     },
     "ssl_min_version",
     [](View v, std::string_view n, StatSink* out) {
       AppendStat(out, n, TlsVersionName(v.config.net.tls.min_version));
     }},
    {0, "slab_sizes", OptionArg::kOptional, "<sizes>", "",
     "chunk sizes of the slab classes, dash separated", ApplySlabSizes, "", nullptr},
    Switch<&StoreConfig::track_sizes, true>(
        0, "track_sizes", "", "count items by size in 32-byte steps (stats sizes)", "track_sizes"),
    {0, "hash_algorithm", OptionArg::kRequired, "<name>", "",
     "jenkins, murmur3 or xxh3, checked as memcached checks it; keys are always hashed with a "
     "seeded xxh3 (stats settings says so)",
     ApplyHashAlgorithm, "hash_algorithm", PrintFixed<kXxh3>},
    {0, "modern", OptionArg::kNone, "", "", "memcached's current defaults (they are the defaults)",
     Ignore, "", nullptr},
    {0, "no_modern", OptionArg::kNone, "", "",
     "memcached's old defaults: no page moves, automove, maintainer, crawler, segmented LRU "
     "or maxconns_fast; whole-page chunks",
     ApplyNoModern, "", nullptr},
    {0, "inline_ascii_resp", OptionArg::kNone, "", "",
     "accepted: a dead setting in memcached 1.6 too", Ignore, "", nullptr},
    {0, "no_inline_ascii_resp", OptionArg::kNone, "", "",
     "accepted: a dead setting in memcached 1.6 too", Ignore, "", nullptr},
    {0, "no_drop_privileges", OptionArg::kNone, "", "",
     "accepted: slabcached has no system call sandbox to leave off", Ignore, "", nullptr},
    // memcached's options slabcached cannot honour: each refuses to start, saying why.
    Refused("tail_repair_time",
            "refused: item references are handles that cannot leak, so no stuck tail item is "
            "left to repair"),
    Refused("drop_privileges", "refused: slabcached has no seccomp sandbox"),
    Refused("sock_cookie_id", "refused: slabcached does not mark its sockets (SO_MARK)"),
    Refused("slab_automove_freeratio",
            "refused: it tunes extstore, which slabcached does not have"),
    // watch (src/logger.h): memcached's buffer sizes, in KiB, with its messages.
    {0, "watcher_logbuf_size", OptionArg::kOptional, "<kb>", "256",
     "bytes of log lines each watcher may hold unsent",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.logger.watcher_buffer_bytes = LogBufferKilobytes(o, v) * 1024;
     },
     "", nullptr},
    {0, "worker_logbuf_size", OptionArg::kOptional, "<kb>", "64",
     "bytes of log lines each worker may hold for the logger thread",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.logger.worker_buffer_bytes = LogBufferKilobytes(o, v) * 1024;
     },
     "", nullptr},
};

}  // namespace

std::span<const Option> ExtendedOptionRows() { return kExtended; }

}  // namespace slabcached::option_rows
