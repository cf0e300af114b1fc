#include "src/options.h"

#include <glog/logging.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "slabs/slab_allocator.h"
#include "src/option_rows.h"
#include "src/stats.h"

namespace slabcached {
namespace {

using namespace option_rows;  // NOLINT(build/namespaces): the table's vocabulary

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
  const int64_t number = WholeNumber(option, text);
  if (number < 0) Invalid(option, text);
  return static_cast<size_t>(number) * multiplier;
}

constexpr OptionRange kPortRange(char letter) {
  return {0, 65535, letter == 'p' ? "-p must be 0..65535" : "-U must be 0..65535"};
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

// --- memcached's letters, in its -h order ---
constexpr Option kLetters[] = {
    {'p', "port", OptionArg::kRequired, "<num>", "11211", "TCP port to listen on (0 = off)",
     [](const Option& o, Value v, ParsedOptions* p) {
       p->port_given = true;
       ApplyInteger<&NetConfig::tcp_port, 1>(o, v, p);
     },
     "tcpport", PrintInteger<&NetConfig::tcp_port>, kPortRange('p')},
    Integer<&NetConfig::udp_port>('U', "udp-port", "<num>", "0", "UDP port to listen on (0 = off)",
                                  "udpport", kPortRange('U')),
    Text<&NetConfig::unix_socket>('s', "unix-socket", "<file>", "",
                                  "UNIX socket to listen on (disables network support)",
                                  "domain_socket"),
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
    Switch<&ServerConfig::shutdown_enabled, true>(
        'A', "enable-shutdown", "", "enable ascii \"shutdown\" command", "shutdown_command"),
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
    Switch<&ServerConfig::daemonize, true>('d', "daemon", "", "run as a daemon"),
    Switch<&ServerConfig::maximize_core, true>('r', "enable-coredumps", "",
                                               "maximize core file limit"),
    Text<&ServerConfig::user>('u', "user", "<user>", "",
                              "assume identity of <username> (only when run as root)"),
    Integer<&slabs::StoreConfig::max_bytes, kMegabyte>(
        'm', "memory-limit", "<num>", "64", "item memory in megabytes", "maxbytes",
        {1, AnyValue<&slabs::StoreConfig::max_bytes, kMegabyte>().max,
         "-m must be greater than 0"}),
    {'M', "disable-evictions", OptionArg::kNone, "", "",
     "return error on memory exhausted instead of evicting",
     ApplySwitch<&slabs::StoreConfig::evict_to_free, false>, "evictions",
     [](View v, std::string_view n, StatSink* out) {
       AppendStat(out, n, v.config.store.evict_to_free ? "on" : "off");
     }},
    Integer<&NetConfig::max_conns>('c', "conn-limit", "<num>", "1024",
                                   "max simultaneous connections", "maxconns",
                                   Positive("Maximum connections must be greater than 0")),
    Switch<&ServerConfig::lock_memory, true>('k', "lock-memory", "", "lock down all paged memory"),
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
    Text<&ServerConfig::pid_file>('P', "pidfile", "<file>", "",
                                  "save PID in <file>, only used with -d option"),
    {'f', "slab-growth-factor", OptionArg::kRequired, "<num>", "1.25", "chunk size growth factor",
     [](const Option& o, Value v, ParsedOptions* p) {
       const double factor = Decimal(o, *v);
       if (factor <= 1.0) throw CommandLineError("Factor must be greater than 1");
       p->config.store.growth_factor = factor;
       p->config.store.growth_classes = true;  // memcached's classes (slabs/store.h)
     },
     "growth_factor", PrintTwoDecimals<&slabs::StoreConfig::growth_factor>},
    {'n', "slab-min-size", OptionArg::kRequired, "<bytes>", "48",
     "min space used for key+value+flags",
     [](const Option& o, Value v, ParsedOptions* p) {
       ApplyInteger<&slabs::StoreConfig::chunk_size_min, 1>(o, v, p);
       p->config.store.growth_classes = true;  // memcached's classes (slabs/store.h)
     },
     "chunk_size", PrintInteger<&slabs::StoreConfig::chunk_size_min>,
     Positive("Chunk size must be greater than 0")},
    Switch<&slabs::StoreConfig::large_pages, true>(
        'L', "enable-largepages", "",
        "try to use large memory pages (if available): transparent huge pages for slab memory"),
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
       ApplyInteger<&ServerConfig::num_threads, 1>(o, v, p);
       if (p->config.num_threads > 64) {
         LOG(WARNING) << "Setting a high number of worker threads is not recommended.";
       }
     },
     "num_threads", PrintInteger<&ServerConfig::num_threads>,
     Positive("Number of threads must be greater than 0")},
    Integer<&NetConfig::reqs_per_event>(
        'R', "max-reqs-per-event", "<num>", "20", "maximum number of requests per event",
        "reqs_per_event", Positive("Maximum requests per event must be greater than 0")),
    Switch<&slabs::StoreConfig::cas_enabled, false>('C', "disable-cas", "", "disable use of CAS",
                                                    "cas_enabled"),
    Integer<&NetConfig::backlog>('b', "listen-backlog", "<num>", "1024",
                                 "set the backlog queue limit", "tcp_backlog"),
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
     "item_size_max", PrintInteger<&slabs::StoreConfig::item_size_max>},
    {'S', "enable-sasl", OptionArg::kNone, "", "",
     "turn on SASL authentication (binary protocol, PLAIN; users from -o sasl_pwdb)",
     [](const Option&, Value, ParsedOptions* p) { p->sasl = true; }, "auth_enabled_sasl",
     PrintYesNo<&NetConfig::sasl>},
    Switch<&ServerConfig::flush_enabled, false>('F', "disable-flush-all", "",
                                                "disable flush_all command", "flush_enabled"),
    Switch<&ServerConfig::dump_enabled, false>('X', "disable-dumping", "",
                                               "disable stats cachedump and lru_crawler metadump",
                                               "dump_enabled"),
    Switch<&ServerConfig::watch_enabled, false>('W', "disable-watch", "",
                                                "disable watch commands (live logging)"),
    {'Y', "auth-file", OptionArg::kRequired, "<file>", "",
     "enable ASCII protocol authentication: \"user:password\" lines",
     ApplyText<&NetConfig::ascii_auth_file, Need>, "auth_enabled_ascii",
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
    Switch<&TlsConfig::enabled, true>('Z', "enable-ssl", "",
                                      "enable TLS/SSL (certificates: -o ssl_chain_cert, ssl_key)",
                                      "ssl_enabled"),
    {'o', "extended", OptionArg::kRequired, "<opts>", "",
     "comma separated list of extended options (below)",
     [](const Option&, Value v, ParsedOptions* p) { ApplyExtendedOptions(*v, p); }, "", nullptr},
    {'N', "napi-ids", OptionArg::kRequired, "<num>", "",
     "hand each connection to the worker serving its NIC receive queue (at most -t)",
     [](const Option& o, Value v, ParsedOptions* p) {
       const int64_t napi_ids = WholeNumber(o, *v);
       if (napi_ids <= 0 || napi_ids > std::numeric_limits<int32_t>::max()) {
         throw CommandLineError("Maximum number of NAPI IDs must be greater than 0");
       }
       p->config.net.napi_ids = static_cast<uint32_t>(napi_ids);
     },
     "num_napi_ids",
     [](View v, std::string_view n, StatSink* out) { Unsigned(out, n, v.config.net.napi_ids); }},
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
    // -o temporary_ttl or "lru temp_ttl" (the temporary_ttl row prints the threshold).
    {"temp_lru", [](View v, std::string_view n, StatSink* out) { YesNo(out, n, v.lru.temp_lru); }},
    // Off, as memcached's default: slabcached has none (see the -o rows).
    {"tail_repair_time", [](View, std::string_view n, StatSink* out) { Unsigned(out, n, 0); }},
    // A dead setting in memcached 1.6: always "no" there too.
    {"inline_ascii_response",
     [](View, std::string_view n, StatSink* out) { AppendStat(out, n, "no"); }},
    // Client flags are 32 bits wide.
    {"client_flags_size", [](View, std::string_view n, StatSink* out) { Unsigned(out, n, 4); }},
};

// memcached's order of "stats settings" (process_stat_settings): 1.6.18's
// lines, and 1.6.45's that have a meaning here where 1.6.45 puts them.
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
    "tail_repair_time",
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
    "temporary_ttl",
    "idle_timeout",
    "read_buf_mem_limit",
    "resp_obj_mem_limit",
    "track_sizes",
    "inline_ascii_response",
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
    "num_napi_ids",
    "memory_file",
    "client_flags_size",
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

std::span<const Option> OptionTable() {
  static const std::vector<Option> table = [] {
    std::vector<Option> rows(std::begin(kLetters), std::end(kLetters));
    const std::span<const Option> extended = ExtendedOptionRows();
    rows.insert(rows.end(), extended.begin(), extended.end());
    return rows;
  }();
  return table;
}

const Option* FindLetter(char letter) {
  for (const Option& option : kLetters) {
    if (option.letter == letter && !option.extended()) return &option;
  }
  return nullptr;
}

const Option* FindExtended(std::string_view name) {
  for (const Option& option : ExtendedOptionRows()) {
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

  if (net.napi_ids > config.num_threads) {
    throw CommandLineError("Number of napi_ids(" + std::to_string(net.napi_ids) +
                           ") cannot be greater than number of threads(" +
                           std::to_string(config.num_threads) + ")");
  }

  slabs::StoreConfig& store = config.store;
  if (store.item_size_max > store.max_bytes / 2) {
    throw CommandLineError("Cannot set item size limit higher than 1/2 of memory max.");
  }
  ResolveChunkMax(&store);
  if (store.temp_lru && !store.lru_maintainer) {
    throw CommandLineError("temporary_ttl requires lru_maintainer to be enabled");
  }
  if (parsed->sasl) FinishSasl(parsed);
  if (!net.ascii_auth_file.empty()) FinishAsciiAuth(parsed);
  FinishTls(net);
}

void AppendOptionSettings(const SettingsView& view, StatSink* out) {
  for (std::string_view name : kSettingsOrder) {
    for (const Option& option : OptionTable()) {
      if (option.setting == name) option.print(view, name, out);
    }
    for (const DerivedSetting& derived : kDerivedSettings) {
      if (derived.name == name) derived.print(view, name, out);
    }
  }
}

std::span<const std::string_view> SettingsOrder() { return kSettingsOrder; }

}  // namespace slabcached
