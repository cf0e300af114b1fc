#include "src/options.h"

#include <glog/logging.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "slabs/slab_allocator.h"
#include "src/stats.h"
#include "src/tls.h"

namespace slabcached {
namespace {

using Value = std::optional<std::string_view>;
using View = const SettingsView&;

// --- reading values, with the messages memcached (or slabcached) prints ---

// "-p (--port)" or "-o hashpower": how an error names the option.
std::string Spelling(const Option& option) {
  if (option.extended()) return "-o " + std::string(option.name);
  return std::string("-") + option.letter + " (--" + std::string(option.name) + ")";
}

[[noreturn]] void Invalid(const Option& option, std::string_view text) {
  throw CommandLineError("invalid value for " + Spelling(option) + ": \"" + std::string(text) +
                         "\"");
}

// A letter's value is always there (getopt sees to it); an -o value may not be.
std::string_view Need(const Option& option, Value value) {
  if (!value) throw CommandLineError(Spelling(option) + " needs a value");
  return *value;
}

template <typename T>
T Number(const Option& option, std::string_view text) {
  T number{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    Invalid(option, text);
  }
  return number;
}

double Decimal(const Option& option, std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double number = std::strtod(copy.c_str(), &end);
  if (copy.empty() || *end != '\0') Invalid(option, text);
  return number;
}

// "-I 1m", "-I 512k", "-I 2097152": memcached's size suffixes.
size_t ItemSize(const Option& option, std::string_view text) {
  size_t multiplier = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) {
    multiplier = 1024;
    text.remove_suffix(1);
  } else if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) {
    multiplier = 1024 * 1024;
    text.remove_suffix(1);
  }
  return Number<size_t>(option, text) * multiplier;
}

// memcached's -o ssl_* and slab_chunk_max messages.
std::string_view NeedArgument(const Option& option, Value value) {
  if (!value) throw CommandLineError("Missing " + std::string(option.name) + " argument");
  return *value;
}

int64_t ParsedArgument(const Option& option, Value value) {
  const std::string_view text = NeedArgument(option, value);
  int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw CommandLineError("could not parse argument to " + std::string(option.name));
  }
  return number;
}

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

// hot_lru_pct, warm_lru_pct: a share of a class's memory, 1..79 percent, as memcached checks.
uint32_t LruPercent(const Option& option, Value value) {
  const auto pct = Number<uint32_t>(option, Need(option, value));
  if (pct < 1 || pct >= 80) {
    throw CommandLineError(std::string(option.name) + " must be > 1 and < 80");
  }
  return pct;
}

// A positive count for -c, -t, -R: memcached's "<what> must be greater than 0".
uint32_t Positive(const Option& option, Value value, std::string_view what) {
  const auto n = Number<int32_t>(option, *value);
  if (n <= 0) throw CommandLineError(std::string(what) + " must be greater than 0");
  return static_cast<uint32_t>(n);
}

int Port(const Option& option, Value value) {
  const auto port = Number<int32_t>(option, *value);
  if (port < 0 || port > 65535) {
    throw CommandLineError(std::string("-") + option.letter + " must be 0..65535");
  }
  return port;
}

BindingProtocol Protocol(std::string_view name) {
  if (name == "auto") return BindingProtocol::kAuto;
  if (name == "ascii") return BindingProtocol::kAscii;
  if (name == "binary") return BindingProtocol::kBinary;
  throw CommandLineError("Invalid value for binding protocol: " + std::string(name) +
                         "\n -- should be one of auto, binary, or ascii");
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > pos) parts.emplace_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return parts;
}

// Options that tune what slabcached does not have (extstore, the logger's
// buffers): accepted so existing unit files keep working.
void NoEffect(const Option& option, Value, ParsedOptions*) {
  LOG(WARNING) << "-o " << option.name << " is accepted and has no effect in slabcached";
}

void Ignore(const Option&, Value, ParsedOptions*) {}

// --- printing "stats settings" values as memcached does ---

void Unsigned(StatSink* out, std::string_view name, uint64_t value) {
  AppendStat(out, name, value);
}

void YesNo(StatSink* out, std::string_view name, bool on) {
  AppendStat(out, name, on ? "yes" : "no");
}

// memcached prints its tuning factors with two decimals ("1.25", "0.20").
void TwoDecimals(StatSink* out, std::string_view name, double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  AppendStat(out, name, text);
}

// memcached prints unset strings with printf's "(null)", or as "NULL".
void OrNull(StatSink* out, std::string_view name, const std::string& text) {
  AppendStat(out, name, text.empty() ? std::string("(null)") : text);
}

void OrNULL(StatSink* out, std::string_view name, const std::string& text) {
  AppendStat(out, name, text.empty() ? std::string("NULL") : text);
}

constexpr Option kOptions[] = {
    // --- memcached's letters, in its -h order ---
    {'p', "port", OptionArg::kRequired, "<num>", "11211", "TCP port to listen on (0 = off)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->port_given = true;
       p->config.net.tcp_port = Port(o, v);
     },
     "tcpport",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.net.tcp_port); }},
    {'U', "udp-port", OptionArg::kRequired, "<num>", "0", "UDP port to listen on (0 = off)",
     [](const Option& o, Value v, ParsedOptions* p) { p->config.net.udp_port = Port(o, v); },
     "udpport",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.net.udp_port); }},
    {'s', "unix-socket", OptionArg::kRequired, "<file>", "",
     "UNIX socket to listen on (disables network support)",
     [](const Option&, Value v, ParsedOptions* p) { p->config.net.unix_socket = *v; },
     "domain_socket",
     [](View v, std::string_view n, StatSink* out) { OrNULL(out, n, v.config.net.unix_socket); }},
    {'a', "unix-mask", OptionArg::kRequired, "<mask>", "700",
     "access mask for UNIX socket, in octal",
     [](const Option&, Value v, ParsedOptions* p) {
       p->config.net.unix_mask = static_cast<int>(std::strtol(std::string(*v).c_str(), nullptr, 8));
     },
     "umask",
     [](View v, std::string_view n, StatSink* out) {
       char mask[16];
       std::snprintf(mask, sizeof(mask), "%o", v.config.net.unix_mask);
       AppendStat(out, n, mask);
     }},
    {'A', "enable-shutdown", OptionArg::kNone, "", "", "enable ascii \"shutdown\" command",
     [](const Option&, Value, ParsedOptions* p) { p->config.shutdown_enabled = true; },
     "shutdown_command",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.shutdown_enabled); }},
    {'l', "listen", OptionArg::kRequired, "<addr>", "",
     "interface(s) to listen on, comma separated (default: INADDR_ANY); with -Z, "
     "notls:<addr> is a plaintext listener",
     // Every -l adds listeners, as in memcached (which skips one already in the list).
     [](const Option&, Value v, ParsedOptions* p) {
       if (p->listen.find(*v) == std::string::npos) {
         p->listen += (p->listen.empty() ? "" : ",") + std::string(*v);
       }
     },
     "inter",
     [](View v, std::string_view n, StatSink* out) {
       std::string inter;
       for (const auto& host : v.config.net.listen_hosts) {
         inter += (inter.empty() ? "" : ",") + host;
       }
       OrNULL(out, n, inter);
     }},
    {'d', "daemon", OptionArg::kNone, "", "", "run as a daemon",
     [](const Option&, Value, ParsedOptions* p) { p->config.daemonize = true; }, "", nullptr},
    {'r', "enable-coredumps", OptionArg::kNone, "", "", "maximize core file limit",
     [](const Option&, Value, ParsedOptions* p) { p->config.maximize_core = true; }, "", nullptr},
    {'u', "user", OptionArg::kRequired, "<user>", "",
     "assume identity of <username> (only when run as root)",
     [](const Option&, Value v, ParsedOptions* p) { p->config.user = *v; }, "", nullptr},
    {'m', "memory-limit", OptionArg::kRequired, "<num>", "64", "item memory in megabytes",
     [](const Option& o, Value v, ParsedOptions* p) {
       const auto megabytes = Number<int64_t>(o, *v);
       if (megabytes <= 0) throw CommandLineError("-m must be greater than 0");
       p->config.store.max_bytes = static_cast<size_t>(megabytes) * 1024 * 1024;
     },
     "maxbytes",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.store.max_bytes); }},
    {'M', "disable-evictions", OptionArg::kNone, "", "",
     "return error on memory exhausted instead of evicting",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.evict_to_free = false; },
     "evictions",
     [](View v, std::string_view n, StatSink* out) {
       AppendStat(out, n, v.config.store.evict_to_free ? "on" : "off");
     }},
    {'c', "conn-limit", OptionArg::kRequired, "<num>", "1024", "max simultaneous connections",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.max_conns = Positive(o, v, "Maximum connections");
     },
     "maxconns",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.net.max_conns); }},
    {'k', "lock-memory", OptionArg::kNone, "", "", "lock down all paged memory",
     [](const Option&, Value, ParsedOptions* p) { p->config.lock_memory = true; }, "", nullptr},
    {'v', "verbose", OptionArg::kNone, "", "",
     "verbosity: 1 errors/warnings, 2 client commands, 3 internal state",
     [](const Option&, Value, ParsedOptions* p) { ++p->config.verbosity; }, "verbosity",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, static_cast<uint64_t>(v.verbosity));
     }},
    {'h', "help", OptionArg::kNone, "", "", "print this help and exit",
     [](const Option&, Value, ParsedOptions* p) { p->action = ParsedOptions::Action::kHelp; }, "",
     nullptr},
    {'i', "license", OptionArg::kNone, "", "", "print license and exit",
     [](const Option&, Value, ParsedOptions* p) { p->action = ParsedOptions::Action::kLicense; },
     "", nullptr},
    {'V', "version", OptionArg::kNone, "", "", "print version and exit",
     [](const Option&, Value, ParsedOptions* p) { p->action = ParsedOptions::Action::kVersion; },
     "", nullptr},
    {'P', "pidfile", OptionArg::kRequired, "<file>", "",
     "save PID in <file>, only used with -d option",
     [](const Option&, Value v, ParsedOptions* p) { p->config.pid_file = *v; }, "", nullptr},
    {'f', "slab-growth-factor", OptionArg::kRequired, "<num>", "1.25", "chunk size growth factor",
     [](const Option& o, Value v, ParsedOptions* p) {
       const double factor = Decimal(o, *v);
       if (factor <= 1.0) throw CommandLineError("Factor must be greater than 1");
       p->config.store.growth_factor = factor;
       p->config.store.growth_classes = true;  // memcached's classes (slabs/store.h)
     },
     "growth_factor",
     [](View v, std::string_view n, StatSink* out) {
       TwoDecimals(out, n, v.config.store.growth_factor);
     }},
    {'n', "slab-min-size", OptionArg::kRequired, "<bytes>", "48",
     "min space used for key+value+flags",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.store.chunk_size_min = Positive(o, v, "Chunk size");
       p->config.store.growth_classes = true;  // memcached's classes (slabs/store.h)
     },
     "chunk_size",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.chunk_size_min);
     }},
    {'L', "enable-largepages", OptionArg::kNone, "", "",
     "try to use large memory pages (if available)", Ignore, "", nullptr},
    {'D', "prefix-delimiter", OptionArg::kRequired, "<char>", ":",
     "delimiter between key prefixes and IDs (stats detail)",
     [](const Option&, Value v, ParsedOptions* p) {
       if (v->size() != 1) throw CommandLineError("-D takes exactly one character");
       p->config.prefix_delimiter = v->front();
       p->config.detail_enabled = true;  // as memcached 1.6.45's -D
     },
     "stat_key_prefix",
     [](View v, std::string_view n, StatSink* out) {
       AppendStat(out, n, std::string(1, v.config.prefix_delimiter));
     }},
    {'t', "threads", OptionArg::kRequired, "<num>", "4", "number of threads to use",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.num_threads = Positive(o, v, "Number of threads");
       if (p->config.num_threads > 64) {
         LOG(WARNING) << "Setting a high number of worker threads is not recommended.";
       }
     },
     "num_threads",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.num_threads); }},
    {'R', "max-reqs-per-event", OptionArg::kRequired, "<num>", "20",
     "maximum number of requests per event",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.reqs_per_event = Positive(o, v, "Maximum requests per event");
     },
     "reqs_per_event",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.net.reqs_per_event);
     }},
    {'C', "disable-cas", OptionArg::kNone, "", "", "disable use of CAS",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.cas_enabled = false; },
     "cas_enabled",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.store.cas_enabled); }},
    {'b', "listen-backlog", OptionArg::kRequired, "<num>", "1024", "set the backlog queue limit",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.backlog = Number<int32_t>(o, *v);
     },
     "tcp_backlog",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, static_cast<uint64_t>(v.config.net.backlog));
     }},
    {'B', "protocol", OptionArg::kRequired, "<name>", "auto",
     "protocol - one of ascii, binary, or auto",
     [](const Option&, Value v, ParsedOptions* p) {
       p->protocol_given = true;
       p->config.net.protocol = Protocol(*v);
     },
     "binding_protocol",
     [](View v, std::string_view n, StatSink* out) {
       const BindingProtocol protocol = v.config.net.protocol;
       AppendStat(out, n,
                  protocol == BindingProtocol::kAscii    ? "ascii"
                  : protocol == BindingProtocol::kBinary ? "binary"
                                                         : "auto-negotiate");
     }},
    {'I', "max-item-size", OptionArg::kRequired, "<num>", "1m",
     "adjusts max item size (min: 1k, max: 1024m)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const size_t size = ItemSize(o, *v);
       if (size < 1024) throw CommandLineError("Item max size cannot be less than 1024 bytes.");
       if (size > 1024ull * 1024 * 1024) {
         throw CommandLineError("Cannot set item size limit higher than 1 gigabyte.");
       }
       p->config.store.item_size_max = size;
     },
     "item_size_max",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.item_size_max);
     }},
    {'S', "enable-sasl", OptionArg::kNone, "", "",
     "turn on SASL authentication (binary protocol, PLAIN; users from -o sasl_pwdb)",
     [](const Option&, Value, ParsedOptions* p) { p->sasl = true; }, "auth_enabled_sasl",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.net.sasl); }},
    {'F', "disable-flush-all", OptionArg::kNone, "", "", "disable flush_all command",
     [](const Option&, Value, ParsedOptions* p) { p->config.flush_enabled = false; },
     "flush_enabled",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.flush_enabled); }},
    {'X', "disable-dumping", OptionArg::kNone, "", "",
     "disable stats cachedump and lru_crawler metadump",
     [](const Option&, Value, ParsedOptions* p) { p->config.dump_enabled = false; }, "dump_enabled",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.dump_enabled); }},
    {'W', "disable-watch", OptionArg::kNone, "", "", "disable watch commands (live logging)",
     [](const Option&, Value, ParsedOptions* p) { p->config.watch_enabled = false; }, "", nullptr},
    {'Y', "auth-file", OptionArg::kRequired, "<file>", "",
     "enable ASCII protocol authentication: \"user:password\" lines",
     [](const Option&, Value v, ParsedOptions* p) { p->config.net.ascii_auth_file = *v; },
     "auth_enabled_ascii",
     [](View v, std::string_view n, StatSink* out) {
       const std::string& file = v.config.net.ascii_auth_file;
       AppendStat(out, n, file.empty() ? std::string("no") : file);
     }},
    {'e', "memory-file", OptionArg::kRequired, "<file>", "",
     "mmap a file for item memory (on tmpfs): a restart after SIGUSR1 keeps the items",
     [](const Option&, Value v, ParsedOptions* p) { p->config.store.memory_file = *v; },
     "memory_file",
     [](View v, std::string_view n, StatSink* out) {
       const std::string& file = v.config.store.memory_file;
       AppendStat(out, n, file.empty() ? std::string("(null)") : file);
     }},
    {'Z', "enable-ssl", OptionArg::kNone, "", "",
     "enable TLS/SSL (certificates: -o ssl_chain_cert, ssl_key)",
     [](const Option&, Value, ParsedOptions* p) { p->config.net.tls.enabled = true; },
     "ssl_enabled",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.net.tls.enabled); }},
    {'o', "extended", OptionArg::kRequired, "<opts>", "",
     "comma separated list of extended options (below)",
     [](const Option&, Value v, ParsedOptions* p) { ApplyExtendedOptions(*v, p); }, "", nullptr},
    {'N', "napi-ids", OptionArg::kRequired, "<num>", "", "number of napi ids (not supported yet)",
     [](const Option&, Value v, ParsedOptions*) {
       if (!v->empty()) throw CommandLineError("-N (napi ids) is not supported yet");
     },
     "", nullptr},

    // --- -o names ---
    {0, "maxconns_fast", OptionArg::kNone, "", "on",
     "at the connection limit, send new clients an error and close them at once",
     [](const Option&, Value, ParsedOptions* p) { p->config.net.maxconns_fast = true; },
     "maxconns_fast",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.net.maxconns_fast); }},
    {0, "no_maxconns_fast", OptionArg::kNone, "", "", "leave them in the accept queue",
     [](const Option&, Value, ParsedOptions* p) { p->config.net.maxconns_fast = false; }, "",
     nullptr},
    {0, "hashpower", OptionArg::kRequired, "<n>", "16",
     "start the hash table with 2^n buckets (12..32)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const std::string_view text = Need(o, v);
       const auto power = Number<uint32_t>(o, text);
       if (power < 12 || power > 32) {
         throw CommandLineError("Initial hashtable multiplier of " + std::string(text) +
                                " is too low or too high (12..32)");
       }
       p->config.store.hashpower_init = power;
     },
     "hashpower_init",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.hashpower_init);
     }},
    {0, "no_hashexpand", OptionArg::kNone, "", "", "never grow the hash table",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.hash_expand = false; }, "",
     nullptr},
    {0, "lru_maintainer", OptionArg::kNone, "", "on",
     "a background thread moves items between the HOT, WARM and COLD LRUs",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.lru_maintainer = true; },
     "lru_maintainer_thread",
     [](View v, std::string_view n, StatSink* out) {
       YesNo(out, n, v.config.store.lru_maintainer);
     }},
    {0, "no_lru_maintainer", OptionArg::kNone, "", "", "no LRU maintainer thread",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.lru_maintainer = false; }, "",
     nullptr},
    {0, "hot_lru_pct", OptionArg::kRequired, "<pct>", "20",
     "the HOT LRU's share of a class's memory",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.store.hot_lru_pct = LruPercent(o, v);
     },
     "hot_lru_pct",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.hot_lru_pct);
     }},
    {0, "warm_lru_pct", OptionArg::kRequired, "<pct>", "40",
     "the WARM LRU's share of a class's memory",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.store.warm_lru_pct = LruPercent(o, v);
     },
     "warm_lru_pct",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.warm_lru_pct);
     }},
    {0, "hot_max_factor", OptionArg::kRequired, "<x>", "0.20",
     "HOT items older than x times COLD's age move to WARM or COLD",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.store.hot_max_factor = Decimal(o, Need(o, v));
     },
     "hot_max_factor",
     [](View v, std::string_view n, StatSink* out) {
       TwoDecimals(out, n, v.config.store.hot_max_factor);
     }},
    {0, "warm_max_factor", OptionArg::kRequired, "<x>", "2.00",
     "WARM items older than x times COLD's age move to COLD",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.store.warm_max_factor = Decimal(o, Need(o, v));
     },
     "warm_max_factor",
     [](View v, std::string_view n, StatSink* out) {
       TwoDecimals(out, n, v.config.store.warm_max_factor);
     }},
    {0, "lru_crawler", OptionArg::kNone, "", "on", "reap expired items away from the LRU tails",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.lru_crawler = true; },
     "lru_crawler",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.crawler.enabled); }},
    {0, "no_lru_crawler", OptionArg::kNone, "", "", "no LRU crawler",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.lru_crawler = false; }, "",
     nullptr},
    {0, "lru_crawler_sleep", OptionArg::kRequired, "<us>", "100",
     "the crawler's pause between items, in microseconds (0..1000000)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const auto sleep_us = Number<int64_t>(o, Need(o, v));
       if (sleep_us < 0 || sleep_us > 1000000) {
         throw CommandLineError("LRU crawler sleep must be between 0 and 1 second");
       }
       p->config.store.lru_crawler_sleep = static_cast<uint32_t>(sleep_us);
     },
     "lru_crawler_sleep",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.crawler.sleep_us); }},
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
    {0, "slab_reassign", OptionArg::kNone, "", "on", "let slab pages move between classes",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.slab_reassign = true; },
     "slab_reassign",
     [](View v, std::string_view n, StatSink* out) {
       YesNo(out, n, v.config.store.slab_reassign);
     }},
    {0, "no_slab_reassign", OptionArg::kNone, "", "", "slab pages stay in their class",
     [](const Option&, Value, ParsedOptions* p) { p->config.store.slab_reassign = false; }, "",
     nullptr},
    {0, "slab_automove", OptionArg::kOptional, "<0|1|2>", "1",
     "0 off, 1 move pages to classes that evict, 2 move on every eviction",
     [](const Option& o, Value v, ParsedOptions* p) {
       const uint32_t mode = v ? Number<uint32_t>(o, *v) : 1;
       if (mode > 2) throw CommandLineError("slab_automove must be 0, 1 or 2");
       p->config.store.slab_automove = mode;
     },
     "slab_automove",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.slab_automove); }},
    {0, "slab_automove_ratio", OptionArg::kRequired, "<x>", "0.80",
     "a source class's oldest item must be this much older than the destination's",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.store.slab_automove_ratio = Decimal(o, Need(o, v));
     },
     "slab_automove_ratio",
     [](View v, std::string_view n, StatSink* out) {
       TwoDecimals(out, n, v.config.store.slab_automove_ratio);
     }},
    {0, "slab_automove_window", OptionArg::kRequired, "<n>", "2",
     "1-second samples a destination must have evicted in (1..32)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const auto window = Number<uint32_t>(o, Need(o, v));
       if (window < 1 || window > 32) {
         throw CommandLineError("slab_automove_window must be 1 to 32");
       }
       p->config.store.slab_automove_window = window;
     },
     "slab_automove_window",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.slab_automove_window);
     }},
    {0, "slab_chunk_max", OptionArg::kRequired, "<size>", "512k or -I",
     "the largest slab chunk (kilobytes up to 1024, else bytes); larger items are chained",
     [](const Option& o, Value v, ParsedOptions* p) {
       const int64_t n = ParsedArgument(o, v);
       if (n <= 0) throw CommandLineError("slab_chunk_max must be >= 0");
       // Current memcached takes kilobytes (at most 1024); 1.6.18, Debian's,
       // took bytes. Both spellings of a sane size mean the same here.
       p->config.store.slab_chunk_max = static_cast<size_t>(n) * (n <= 1024 ? 1024 : 1);
     },
     "slab_chunk_max",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.store.slab_chunk_max);
     }},
    {0, "no_chunked_items", OptionArg::kNone, "", "", "slab_chunk_max is a whole page",
     [](const Option&, Value, ParsedOptions* p) {
       p->config.store.slab_chunk_max = slabs::SlabAllocator::kPageSize;
     },
     "", nullptr},
    {0, "idle_timeout", OptionArg::kRequired, "<seconds>", "0",
     "close connections idle this long (0: never)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.idle_timeout = Number<uint32_t>(o, Need(o, v));
     },
     "idle_timeout",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.net.idle_timeout);
     }},
    {0, "read_buf_mem_limit", OptionArg::kRequired, "<MB>", "0",
     "all connections' read buffers together (0: no limit)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.read_buf_mem_limit = uint64_t{Number<uint32_t>(o, Need(o, v))} << 20;
     },
     "read_buf_mem_limit",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.net.read_buf_mem_limit);
     }},
    {0, "resp_obj_mem_limit", OptionArg::kRequired, "<MB>", "0",
     "all connections' queued replies together (0: no limit)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.resp_obj_mem_limit = uint64_t{Number<uint32_t>(o, Need(o, v))} << 20;
     },
     "resp_obj_mem_limit",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.net.resp_obj_mem_limit);
     }},
    // slabcached's own: the Prometheus endpoint (src/metrics_server.h).
    {0, "metrics_port", OptionArg::kRequired, "<num>", "0",
     "serve Prometheus metrics over HTTP on this port (0 = off)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const auto port = Number<int32_t>(o, Need(o, v));
       if (port < 0 || port > 65535) throw CommandLineError("metrics_port must be 0..65535");
       p->config.metrics.port = port;
     },
     "", nullptr},
    {0, "metrics_addr", OptionArg::kRequired, "<addr>", "127.0.0.1",
     "the address the metrics endpoint listens on",
     [](const Option& o, Value v, ParsedOptions* p) {
       const std::string_view addr = Need(o, v);
       if (addr.empty()) Invalid(o, addr);
       p->config.metrics.addr = addr;
     },
     "", nullptr},
    {0, "metrics_timeout", OptionArg::kRequired, "<seconds>", "10",
     "close a metrics connection whose next request or reply takes longer",
     [](const Option& o, Value v, ParsedOptions* p) {
       const auto seconds = Number<uint32_t>(o, Need(o, v));
       if (seconds < 1 || seconds > 3600) {
         throw CommandLineError("metrics_timeout must be 1..3600 (seconds)");
       }
       p->config.metrics.timeout_seconds = seconds;
     },
     "", nullptr},
    {0, "no_latency", OptionArg::kNone, "", "",
     "do not time requests (stats latency, command_duration_seconds)",
     [](const Option&, Value, ParsedOptions* p) { p->config.metrics.latency = false; }, "",
     nullptr},
    {0, "hot_keys_sample", OptionArg::kRequired, "<num>", "8",
     "count the keys of one request in <num> for stats hotkeys (0 = off)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const auto every = Number<uint32_t>(o, Need(o, v));
       if (every > 65536) throw CommandLineError("hot_keys_sample must be 0..65536");
       p->config.metrics.hot_keys_sample = every;
     },
     "", nullptr},
    {0, "sasl_pwdb", OptionArg::kRequired, "<file>", "$MEMCACHED_SASL_PWDB",
     "-S users, \"user:password\" lines",
     [](const Option& o, Value v, ParsedOptions* p) { p->config.sasl_pwdb = Need(o, v); }, "",
     nullptr},
    // -Z's settings: accepted without -Z, as memcached does.
    {0, "ssl_chain_cert", OptionArg::kRequired, "<file>", "", "-Z: the certificate chain, PEM",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.tls.chain_cert = NeedArgument(o, v);
     },
     "ssl_chain_cert",
     [](View v, std::string_view n, StatSink* out) {
       OrNull(out, n, v.config.net.tls.chain_cert);
     }},
    {0, "ssl_key", OptionArg::kRequired, "<file>", "", "-Z: the private key",
     [](const Option& o, Value v, ParsedOptions* p) { p->config.net.tls.key = NeedArgument(o, v); },
     "ssl_key",
     [](View v, std::string_view n, StatSink* out) { OrNull(out, n, v.config.net.tls.key); }},
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
    {0, "ssl_ciphers", OptionArg::kRequired, "<list>", "", "-Z: OpenSSL's cipher list (TLS 1.2)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.tls.ciphers = NeedArgument(o, v);
     },
     "ssl_ciphers",
     [](View v, std::string_view n, StatSink* out) { OrNULL(out, n, v.config.net.tls.ciphers); }},
    {0, "ssl_ca_cert", OptionArg::kRequired, "<file>", "",
     "-Z: the CAs client certificates must chain to, PEM",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->config.net.tls.ca_cert = NeedArgument(o, v);
     },
     "ssl_ca_cert",
     [](View v, std::string_view n, StatSink* out) { OrNULL(out, n, v.config.net.tls.ca_cert); }},
    {0, "ssl_wbuf_size", OptionArg::kRequired, "<KB>", "16", "-Z: the size of a reply's records",
     [](const Option& o, Value v, ParsedOptions* p) {
       const int64_t kilobytes = ParsedArgument(o, v);
       if (kilobytes <= 0 || kilobytes > 1024 * 1024) {
         throw CommandLineError("ssl_wbuf_size must be 1 to 1048576 (kilobytes)");
       }
       p->config.net.tls.wbuf_size = static_cast<uint32_t>(kilobytes * 1024);
     },
     "ssl_wbuf_size",
     [](View v, std::string_view n, StatSink* out) {
       Unsigned(out, n, v.config.net.tls.wbuf_size);
     }},
    {0, "ssl_session_cache", OptionArg::kNone, "", "", "-Z: server-side session resumption",
     [](const Option&, Value, ParsedOptions* p) { p->config.net.tls.session_cache = true; },
     "ssl_session_cache",
     [](View v, std::string_view n, StatSink* out) {
       YesNo(out, n, v.config.net.tls.session_cache);
     }},
    {0, "ssl_kernel_tls", OptionArg::kNone, "", "", "-Z: let OpenSSL use kernel TLS",
     [](const Option&, Value, ParsedOptions* p) { p->config.net.tls.kernel_tls = true; },
     "ssl_kernel_tls",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.net.tls.kernel_tls); }},
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
    // memcached's options for what slabcached does not have: accepted, no effect.
    {0, "tail_repair_time", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "hash_algorithm", OptionArg::kOptional, "", "", "", NoEffect, "hash_algorithm",
     [](View, std::string_view n, StatSink* out) { AppendStat(out, n, "xxh3"); }},
    {0, "temporary_ttl", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "temp_lru", OptionArg::kOptional, "", "", "", NoEffect, "temp_lru",
     [](View, std::string_view n, StatSink* out) { AppendStat(out, n, "no"); }},
    {0, "modern", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "no_modern", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "slab_automove_freeratio", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "drop_privileges", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "no_drop_privileges", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "sock_cookie_id", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "lru_segmented", OptionArg::kOptional, "", "", "", NoEffect, "lru_segmented",
     [](View, std::string_view n, StatSink* out) { AppendStat(out, n, "yes"); }},
    {0, "no_lru_segmented", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    {0, "slab_sizes", OptionArg::kOptional, "<sizes>", "",
     "chunk sizes of the slab classes, dash separated",
     [](const Option& o, Value v, ParsedOptions* p) {
       // memcached's _parse_slab_sizes(), with its messages.
       const std::string_view text = NeedArgument(o, v);
       if (text.empty()) throw CommandLineError("slab_sizes needs a list of sizes");
       const size_t max = p->config.store.slab_chunk_max != 0 ? p->config.store.slab_chunk_max
                                                              : slabs::SlabAllocator::kPageSize / 2;
       std::vector<uint32_t> sizes;
       for (size_t pos = 0, dash = 0; pos < text.size(); pos = dash + 1) {
         dash = std::min(text.find('-', pos), text.size());
         if (dash == pos) continue;  // strtok() skips empty fields
         uint32_t size = 0;
         const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + dash, size);
         if (ec != std::errc() || end != text.data() + dash) size = 0;
         const uint32_t last = sizes.empty() ? 0 : sizes.back();
         std::string why;
         if (size < p->config.store.chunk_size_min || size > max) {
           why = " is out of valid range";
         } else if (last >= size) {
           why = " cannot be lower than or equal to a previous class size";
         } else if (size <= last + 8) {
           why = " must be at least 8 bytes larger than previous class";
         }
         if (!why.empty()) throw CommandLineError("slab size " + std::to_string(size) + why);
         sizes.push_back(size);
         if (sizes.size() >= slabs::SlabAllocator::kMaxClasses) {
           throw CommandLineError("too many slab classes specified");
         }
       }
       p->config.store.slab_sizes = std::move(sizes);
     },
     "", nullptr},
    {0, "inline_ascii_resp", OptionArg::kOptional, "", "", "", NoEffect, "", nullptr},
    // Not served yet: there is no item size histogram ("stats sizes").
    {0, "track_sizes", OptionArg::kOptional, "", "", "", NoEffect, "track_sizes",
     [](View, std::string_view n, StatSink* out) { AppendStat(out, n, "no"); }},
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

// "stats settings" lines no option sets.
struct DerivedSetting {
  std::string_view name;
  void (*print)(const SettingsView& view, std::string_view name, StatSink* out);
};

constexpr DerivedSetting kDerivedSettings[] = {
    {"oldest", [](View, std::string_view n, StatSink* out) { Unsigned(out, n, 0); }},
    // memcached's num_threads_per_udp: -t, or 1 when -l lists several addresses.
    {"num_threads_per_udp",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.net.udp_threads); }},
    {"detail_enabled",
     [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.config.detail_enabled); }},
};

// memcached 1.6.18's order of "stats settings" (its process_stat_settings).
constexpr std::string_view kSettingsOrder[] = {
    "maxbytes",
    "maxconns",
    "tcpport",
    "udpport",
    "inter",
    "verbosity",
    "oldest",
    "evictions",
    "domain_socket",
    "umask",
    "shutdown_command",
    "growth_factor",
    "chunk_size",
    "num_threads",
    "num_threads_per_udp",
    "stat_key_prefix",
    "detail_enabled",
    "reqs_per_event",
    "cas_enabled",
    "tcp_backlog",
    "binding_protocol",
    "auth_enabled_sasl",
    "auth_enabled_ascii",
    "item_size_max",
    "maxconns_fast",
    "hashpower_init",
    "slab_reassign",
    "slab_automove",
    "slab_automove_ratio",
    "slab_automove_window",
    "slab_chunk_max",
    "lru_crawler",
    "lru_crawler_sleep",
    "lru_crawler_tocrawl",
    "flush_enabled",
    "dump_enabled",
    "hash_algorithm",
    "lru_maintainer_thread",
    "lru_segmented",
    "hot_lru_pct",
    "warm_lru_pct",
    "hot_max_factor",
    "warm_max_factor",
    "temp_lru",
    "idle_timeout",
    "read_buf_mem_limit",
    "resp_obj_mem_limit",
    "track_sizes",
    "ssl_enabled",
    "ssl_chain_cert",
    "ssl_key",
    "ssl_verify_mode",
    "ssl_keyformat",
    "ssl_ciphers",
    "ssl_ca_cert",
    "ssl_wbuf_size",
    "ssl_session_cache",
    "ssl_kernel_tls",
    "ssl_min_version",
    "memory_file",
};

// memcached's checks of -o slab_chunk_max against -I and the page size.
void ResolveChunkMax(slabs::StoreConfig* store) {
  constexpr size_t kPage = slabs::SlabAllocator::kPageSize;
  if (store->slab_chunk_max == 0) {
    store->slab_chunk_max = std::min(kPage / 2, store->item_size_max);
    return;
  }
  const std::string chunk = std::to_string(store->slab_chunk_max);
  if (store->slab_chunk_max > store->item_size_max) {
    throw CommandLineError("slab_chunk_max (bytes: " + chunk +
                           ") cannot be larger than -I (item_size_max " +
                           std::to_string(store->item_size_max) + ")");
  }
  if (kPage % store->slab_chunk_max != 0) {
    throw CommandLineError("slab_chunk_max (bytes: " + chunk + ") must divide evenly into " +
                           std::to_string(kPage) + " (slab_page_size)");
  }
}

// -S: binary only (memcached's rule: -S alone implies -B binary); the users
// file is named here and read by the server (src/services.h).
void FinishSasl(ParsedOptions* parsed) {
  ServerConfig& config = parsed->config;
  config.net.sasl = true;
  if (!parsed->protocol_given) {
    config.net.protocol = BindingProtocol::kBinary;
  } else if (config.net.protocol != BindingProtocol::kBinary) {
    throw CommandLineError("You cannot allow the ASCII protocol while using SASL.");
  }
  if (config.sasl_pwdb.empty()) {
    if (const char* env = std::getenv("MEMCACHED_SASL_PWDB"); env != nullptr) {
      config.sasl_pwdb = env;
    }
  }
  if (config.sasl_pwdb.empty()) {
    throw CommandLineError(
        "-S needs a password file of \"user:password\" lines: -o sasl_pwdb=<file> or "
        "MEMCACHED_SASL_PWDB=<file>");
  }
}

// -Y: text only (memcached's rule: -Y alone implies -B ascii).
void FinishAsciiAuth(ParsedOptions* parsed) {
  NetConfig& net = parsed->config.net;
  if (net.sasl || (parsed->protocol_given && net.protocol != BindingProtocol::kAscii)) {
    throw CommandLineError(
        "ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.");
  }
  // memcached serves UDP requests without asking for credentials; refusing
  // the pair is the only way -Y means what it says.
  if (net.udp_port != 0) {
    throw CommandLineError(
        "-Y cannot be combined with -U: UDP requests carry no credentials (memcached serves them "
        "unauthenticated); use -U 0");
  }
  net.protocol = BindingProtocol::kAscii;
}

void FinishTls(const NetConfig& net) {
  if (net.tls.enabled) {
    if (net.tcp_port == 0) {
      throw CommandLineError("ERROR: You cannot enable SSL without a TCP port.");
    }
    return;
  }
  for (const std::string& host : net.listen_hosts) {
    if (host.starts_with("notls")) {
      throw CommandLineError("'notls' option is valid only when SSL is enabled");
    }
  }
}

}  // namespace

std::span<const Option> OptionTable() { return kOptions; }

const Option* FindLetter(char letter) {
  for (const Option& option : kOptions) {
    if (option.letter == letter && !option.extended()) return &option;
  }
  return nullptr;
}

const Option* FindExtended(std::string_view name) {
  for (const Option& option : kOptions) {
    if (option.extended() && option.name == name) return &option;
  }
  return nullptr;
}

void ApplyExtendedOptions(std::string_view list, ParsedOptions* parsed) {
  for (const std::string& item : SplitList(list)) {
    const size_t eq = item.find('=');
    const std::string_view name = std::string_view(item).substr(0, eq);
    const Value value =
        eq == std::string::npos ? Value() : Value(std::string_view(item).substr(eq + 1));
    const Option* option = FindExtended(name);
    if (option == nullptr) throw CommandLineError("Illegal suboption \"" + item + "\"");
    option->apply(*option, value, parsed);
  }
}

void FinishOptions(ParsedOptions* parsed) {
  ServerConfig& config = parsed->config;
  NetConfig& net = config.net;
  if (parsed->sasl && net.udp_port != 0) {
    throw CommandLineError("Cannot enable UDP while using binary SASL authentication.");
  }
  // memcached: -U without -p serves TCP on the UDP port too.
  if (!parsed->port_given && net.udp_port != 0) net.tcp_port = net.udp_port;
  net.listen_hosts = SplitList(parsed->listen);
  // memcached's num_threads_per_udp: one worker per UDP socket when -l lists several addresses.
  net.udp_threads = parsed->listen.find(',') != std::string::npos ? 1 : config.num_threads;

  slabs::StoreConfig& store = config.store;
  if (store.item_size_max > store.max_bytes / 2) {
    throw CommandLineError("Cannot set item size limit higher than 1/2 of memory max.");
  }
  ResolveChunkMax(&store);
  if (parsed->sasl) FinishSasl(parsed);
  if (!net.ascii_auth_file.empty()) FinishAsciiAuth(parsed);
  FinishTls(net);
}

void AppendOptionSettings(const SettingsView& view, StatSink* out) {
  for (std::string_view name : kSettingsOrder) {
    for (const Option& option : kOptions) {
      if (option.setting == name) option.print(view, name, out);
    }
    for (const DerivedSetting& derived : kDerivedSettings) {
      if (derived.name == name) derived.print(view, name, out);
    }
  }
}

std::span<const std::string_view> SettingsOrder() { return kSettingsOrder; }

}  // namespace slabcached
