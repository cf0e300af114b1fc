#include "src/flags.h"

#include <getopt.h>
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "build_config.h"
#include "slabs/slab_allocator.h"
#include "src/tls.h"

// Every flag of the daemon, under memcached's long option names (with '_'
// for '-'). Defaults are memcached's.
DEFINE_int32(port, 11211, "TCP port to listen on (0 = off)");
DEFINE_int32(udp_port, 0, "UDP port to listen on (0 = off)");
DEFINE_string(unix_socket, "", "UNIX socket to listen on (disables network support)");
DEFINE_string(unix_mask, "700", "access mask for UNIX socket, in octal");
DEFINE_bool(enable_shutdown, false, "enable ascii \"shutdown\" command");
DEFINE_string(listen, "",
              "interface(s) to listen on, comma separated (default: INADDR_ANY); with -Z, "
              "notls:<addr> is a plaintext listener");
DEFINE_bool(daemon, false, "run as a daemon");
DEFINE_bool(enable_coredumps, false, "maximize core file limit");
DEFINE_string(user, "", "assume identity of <username> (only when run as root)");
DEFINE_int64(memory_limit, 64, "item memory in megabytes");
DEFINE_bool(disable_evictions, false, "return error on memory exhausted instead of evicting");
DEFINE_int32(conn_limit, 1024, "max simultaneous connections");
DEFINE_bool(lock_memory, false, "lock down all paged memory");
DEFINE_int32(verbose, 0, "verbosity: 1 errors/warnings, 2 client commands, 3 internal state");
DEFINE_string(pidfile, "", "save PID in <file>, only used with -d option");
DEFINE_double(slab_growth_factor, 1.25, "chunk size growth factor");
DEFINE_int32(slab_min_size, 48, "min space used for key+value+flags");
DEFINE_bool(enable_largepages, false, "try to use large memory pages (if available)");
DEFINE_string(prefix_delimiter, ":", "delimiter between key prefixes and IDs (stats detail)");
DEFINE_int32(threads, 4, "number of threads to use");
DEFINE_int32(max_reqs_per_event, 20, "maximum number of requests per event");
DEFINE_bool(disable_cas, false, "disable use of CAS");
DEFINE_int32(listen_backlog, 1024, "set the backlog queue limit");
DEFINE_string(protocol, "auto", "protocol - one of ascii, binary, or auto");
DEFINE_string(max_item_size, "1m", "adjusts max item size (min: 1k, max: 1024m)");
DEFINE_bool(enable_sasl, false,
            "turn on SASL authentication (binary protocol, PLAIN; users from -o sasl_pwdb)");
DEFINE_bool(disable_flush_all, false, "disable flush_all command");
DEFINE_bool(disable_dumping, false, "disable stats cachedump and lru_crawler metadump");
DEFINE_bool(disable_watch, false, "disable watch commands (live logging)");
DEFINE_string(auth_file, "", "enable ASCII protocol authentication: \"user:password\" lines");
DEFINE_string(memory_file, "", "mmap a file for item memory (not supported yet)");
DEFINE_bool(enable_ssl, false, "enable TLS/SSL (certificates: -o ssl_chain_cert, ssl_key)");
DEFINE_string(extended, "", "comma separated list of extended options");
DEFINE_string(napi_ids, "", "number of napi ids (not supported yet)");

namespace slabcached {
namespace {

enum class Arg { kNone, kRequired };

// One memcached option: its getopt letter, its long name and the gflag behind it.
struct OptionSpec {
  char letter;
  const char* long_name;
  const char* flag;
  Arg arg;
  const char* placeholder;  // for -h
};

constexpr OptionSpec kOptions[] = {
    {'p', "port", "port", Arg::kRequired, "<num>"},
    {'U', "udp-port", "udp_port", Arg::kRequired, "<num>"},
    {'s', "unix-socket", "unix_socket", Arg::kRequired, "<file>"},
    {'a', "unix-mask", "unix_mask", Arg::kRequired, "<mask>"},
    {'A', "enable-shutdown", "enable_shutdown", Arg::kNone, nullptr},
    {'l', "listen", "listen", Arg::kRequired, "<addr>"},
    {'d', "daemon", "daemon", Arg::kNone, nullptr},
    {'r', "enable-coredumps", "enable_coredumps", Arg::kNone, nullptr},
    {'u', "user", "user", Arg::kRequired, "<user>"},
    {'m', "memory-limit", "memory_limit", Arg::kRequired, "<num>"},
    {'M', "disable-evictions", "disable_evictions", Arg::kNone, nullptr},
    {'c', "conn-limit", "conn_limit", Arg::kRequired, "<num>"},
    {'k', "lock-memory", "lock_memory", Arg::kNone, nullptr},
    {'v', "verbose", "verbose", Arg::kNone, nullptr},
    {'h', "help", nullptr, Arg::kNone, nullptr},
    {'i', "license", nullptr, Arg::kNone, nullptr},
    {'V', "version", nullptr, Arg::kNone, nullptr},
    {'P', "pidfile", "pidfile", Arg::kRequired, "<file>"},
    {'f', "slab-growth-factor", "slab_growth_factor", Arg::kRequired, "<num>"},
    {'n', "slab-min-size", "slab_min_size", Arg::kRequired, "<bytes>"},
    {'L', "enable-largepages", "enable_largepages", Arg::kNone, nullptr},
    {'D', "prefix-delimiter", "prefix_delimiter", Arg::kRequired, "<char>"},
    {'t', "threads", "threads", Arg::kRequired, "<num>"},
    {'R', "max-reqs-per-event", "max_reqs_per_event", Arg::kRequired, "<num>"},
    {'C', "disable-cas", "disable_cas", Arg::kNone, nullptr},
    {'b', "listen-backlog", "listen_backlog", Arg::kRequired, "<num>"},
    {'B', "protocol", "protocol", Arg::kRequired, "<name>"},
    {'I', "max-item-size", "max_item_size", Arg::kRequired, "<num>"},
    {'S', "enable-sasl", "enable_sasl", Arg::kNone, nullptr},
    {'F', "disable-flush-all", "disable_flush_all", Arg::kNone, nullptr},
    {'X', "disable-dumping", "disable_dumping", Arg::kNone, nullptr},
    {'W', "disable-watch", "disable_watch", Arg::kNone, nullptr},
    {'Y', "auth-file", "auth_file", Arg::kRequired, "<file>"},
    {'e', "memory-file", "memory_file", Arg::kRequired, "<file>"},
    {'Z', "enable-ssl", "enable_ssl", Arg::kNone, nullptr},
    {'o', "extended", "extended", Arg::kRequired, "<opts>"},
    {'N', "napi-ids", "napi_ids", Arg::kRequired, "<num>"},
};

const OptionSpec* FindOption(int letter) {
  for (const auto& spec : kOptions) {
    if (spec.letter == letter) return &spec;
  }
  return nullptr;
}

void SetFlag(const OptionSpec& spec, const char* value) {
  if (gflags::SetCommandLineOption(spec.flag, value).empty()) {
    throw CommandLineError(std::string("invalid value for -") + spec.letter + " (--" +
                           spec.long_name + "): \"" + value + "\"");
  }
}

template <typename T>
T ParseNumber(std::string_view text, std::string_view what) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw CommandLineError(std::string("invalid value for ") + std::string(what) + ": \"" +
                           std::string(text) + "\"");
  }
  return value;
}

double ParseDouble(std::string_view text, std::string_view what) {
  std::string copy(text);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || *end != '\0') {
    throw CommandLineError(std::string("invalid value for ") + std::string(what) + ": \"" + copy +
                           "\"");
  }
  return value;
}

// "-I 1m", "-I 512k", "-I 2097152": memcached's size suffixes.
size_t ParseItemSize(std::string_view text) {
  size_t multiplier = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) {
    multiplier = 1024;
    text.remove_suffix(1);
  } else if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) {
    multiplier = 1024 * 1024;
    text.remove_suffix(1);
  }
  return ParseNumber<size_t>(text, "-I (--max-item-size)") * multiplier;
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

// -o ssl_*: TLS settings (used with -Z, accepted without it, as memcached
// does), with memcached's messages. False if `name` is no TLS option.
bool ApplyTlsOption(const std::string& name, std::optional<std::string_view> value,
                    TlsConfig* tls) {
  auto need_value = [&]() {
    if (!value) throw CommandLineError("Missing " + name + " argument");
    return std::string(*value);
  };
  auto need_number = [&]() {
    const std::string text = need_value();
    int64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      throw CommandLineError("could not parse argument to " + name);
    }
    return number;
  };
  if (name == "ssl_chain_cert") {
    tls->chain_cert = need_value();
  } else if (name == "ssl_key") {
    tls->key = need_value();
  } else if (name == "ssl_keyformat") {
    tls->key_format = static_cast<int>(need_number());
  } else if (name == "ssl_verify_mode") {
    const int64_t mode = need_number();
    if (mode < 0 || mode > 3) {
      throw CommandLineError("Invalid ssl_verify_mode. Use help to see valid options.");
    }
    tls->verify_mode = static_cast<int>(mode);
  } else if (name == "ssl_ciphers") {
    tls->ciphers = need_value();
  } else if (name == "ssl_ca_cert") {
    tls->ca_cert = need_value();
  } else if (name == "ssl_wbuf_size") {
    const int64_t kilobytes = need_number();
    if (kilobytes <= 0 || kilobytes > 1024 * 1024) {
      throw CommandLineError("ssl_wbuf_size must be 1 to 1048576 (kilobytes)");
    }
    tls->wbuf_size = static_cast<uint32_t>(kilobytes * 1024);
  } else if (name == "ssl_session_cache") {
    tls->session_cache = true;
  } else if (name == "ssl_kernel_tls") {
    tls->kernel_tls = true;
  } else if (name == "ssl_min_version") {
    // memcached's numbers, or (slabcached) the names "stats settings" prints.
    for (int version = 0; version <= 3; ++version) {
      if (value && *value == TlsVersionName(version)) {
        tls->min_version = version;
        return true;
      }
    }
    const int64_t version = need_number();
    if (version < 0 || version > 3) {
      throw CommandLineError("Invalid ssl_min_version. Use help to see valid options.");
    }
    tls->min_version = static_cast<int>(version);
  } else {
    return false;
  }
  return true;
}

// -o name[=value],...: the extended options memcached knows. Options that
// tune subsystems slabcached does not have (extstore, the crawler's
// pacing) are accepted so existing unit files keep working.
void ApplyExtendedOption(const std::string& option, ServerConfig* config) {
  const size_t eq = option.find('=');
  const std::string name = option.substr(0, eq);
  const std::string_view value =
      eq == std::string::npos ? std::string_view() : std::string_view(option).substr(eq + 1);
  auto need_value = [&]() {
    if (eq == std::string::npos) throw CommandLineError("-o " + name + " needs a value");
  };
  if (ApplyTlsOption(name, eq == std::string::npos ? std::nullopt : std::optional(value),
                     &config->net.tls)) {
    return;
  }
  slabs::StoreConfig& store = config->store;
  using Handler = std::function<void()>;
  const std::map<std::string, Handler> handlers = {
      {"maxconns_fast", [&] { config->net.maxconns_fast = true; }},
      {"no_maxconns_fast", [&] { config->net.maxconns_fast = false; }},
      {"hashpower",
       [&] {
         need_value();
         store.hashpower_init = ParseNumber<uint32_t>(value, "-o hashpower");
         if (store.hashpower_init < 12 || store.hashpower_init > 32) {
           throw CommandLineError("Initial hashtable multiplier of " + std::string(value) +
                                  " is too low or too high (12..32)");
         }
       }},
      {"no_hashexpand", [&] { store.hash_expand = false; }},
      {"lru_maintainer", [&] { store.lru_maintainer = true; }},
      {"no_lru_maintainer", [&] { store.lru_maintainer = false; }},
      {"hot_lru_pct",
       [&] {
         need_value();
         store.hot_lru_pct = ParseNumber<uint32_t>(value, "-o hot_lru_pct");
         if (store.hot_lru_pct < 1 || store.hot_lru_pct >= 80) {
           throw CommandLineError("hot_lru_pct must be > 1 and < 80");
         }
       }},
      {"warm_lru_pct",
       [&] {
         need_value();
         store.warm_lru_pct = ParseNumber<uint32_t>(value, "-o warm_lru_pct");
         if (store.warm_lru_pct < 1 || store.warm_lru_pct >= 80) {
           throw CommandLineError("warm_lru_pct must be > 1 and < 80");
         }
       }},
      {"hot_max_factor",
       [&] {
         need_value();
         store.hot_max_factor = ParseDouble(value, "-o hot_max_factor");
       }},
      {"warm_max_factor",
       [&] {
         need_value();
         store.warm_max_factor = ParseDouble(value, "-o warm_max_factor");
       }},
      {"lru_crawler", [&] { store.lru_crawler = true; }},
      {"no_lru_crawler", [&] { store.lru_crawler = false; }},
      {"lru_crawler_sleep",
       [&] {
         need_value();
         const auto sleep_us = ParseNumber<int64_t>(value, "-o lru_crawler_sleep");
         if (sleep_us < 0 || sleep_us > 1000000) {
           throw CommandLineError("LRU crawler sleep must be between 0 and 1 second");
         }
         store.lru_crawler_sleep = static_cast<uint32_t>(sleep_us);
       }},
      {"lru_crawler_tocrawl",
       [&] {
         need_value();
         uint32_t tocrawl = 0;
         const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), tocrawl);
         if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
           throw CommandLineError("lru_crawler_tocrawl takes a numeric 32bit value");
         }
         store.lru_crawler_tocrawl = tocrawl;
       }},
      {"slab_reassign", [&] { store.slab_reassign = true; }},
      {"no_slab_reassign", [&] { store.slab_reassign = false; }},
      {"slab_automove",
       [&] {
         store.slab_automove =
             eq == std::string::npos ? 1 : ParseNumber<uint32_t>(value, "-o slab_automove");
         if (store.slab_automove > 2) throw CommandLineError("slab_automove must be 0, 1 or 2");
       }},
      {"slab_automove_ratio",
       [&] {
         need_value();
         store.slab_automove_ratio = ParseDouble(value, "-o slab_automove_ratio");
       }},
      {"slab_automove_window",
       [&] {
         need_value();
         store.slab_automove_window = ParseNumber<uint32_t>(value, "-o slab_automove_window");
         if (store.slab_automove_window < 1 || store.slab_automove_window > 32) {
           throw CommandLineError("slab_automove_window must be 1 to 32");
         }
       }},
      {"idle_timeout",
       [&] {
         need_value();
         config->net.idle_timeout = ParseNumber<uint32_t>(value, "-o idle_timeout");
       }},
      {"read_buf_mem_limit",
       [&] {
         need_value();
         config->net.read_buf_mem_limit =
             uint64_t{ParseNumber<uint32_t>(value, "-o read_buf_mem_limit")} << 20;
       }},
      {"resp_obj_mem_limit",
       [&] {
         need_value();
         config->net.resp_obj_mem_limit =
             uint64_t{ParseNumber<uint32_t>(value, "-o resp_obj_mem_limit")} << 20;
       }},
      {"sasl_pwdb",
       [&] {
         need_value();
         config->sasl_pwdb = std::string(value);
       }},
      {"slab_chunk_max",
       [&] {
         if (eq == std::string::npos) throw CommandLineError("Missing slab_chunk_max argument");
         int64_t n = 0;
         auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
         if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
           throw CommandLineError("could not parse argument to slab_chunk_max");
         }
         if (n <= 0) throw CommandLineError("slab_chunk_max must be >= 0");
         // Current memcached takes kilobytes (at most 1024); 1.6.18, Debian's,
         // took bytes. Both spellings of a sane size mean the same here.
         store.slab_chunk_max = static_cast<size_t>(n) * (n <= 1024 ? 1024 : 1);
       }},
      {"no_chunked_items", [&] { store.slab_chunk_max = slabs::SlabAllocator::kPageSize; }},
  };
  if (auto it = handlers.find(name); it != handlers.end()) {
    it->second();
    return;
  }
  static const char* const kAcceptedNoOps[] = {
      "tail_repair_time", "hash_algorithm", "temporary_ttl", "temp_lru", "watcher_logbuf_size",
      "worker_logbuf_size", "modern", "no_modern", "slab_automove_freeratio", "drop_privileges",
      "no_drop_privileges", "sock_cookie_id", "lru_segmented", "no_lru_segmented", "slab_sizes",
      "inline_ascii_resp",
      // Not served yet: there is no item size histogram.
      "track_sizes"};
  for (const char* known : kAcceptedNoOps) {
    if (name == known) {
      LOG(WARNING) << "-o " << name << " is accepted and has no effect in slabcached";
      return;
    }
  }
  throw CommandLineError("Illegal suboption \"" + option + "\"");
}

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

BindingProtocol ParseProtocol(const std::string& name) {
  if (name == "auto") return BindingProtocol::kAuto;
  if (name == "ascii") return BindingProtocol::kAscii;
  if (name == "binary") return BindingProtocol::kBinary;
  throw CommandLineError("Invalid value for binding protocol: " + name +
                         "\n -- should be one of auto, binary, or ascii");
}

// -S: binary only (memcached's rule: -S alone implies -B binary), and the
// users come from a "user:password" file.
void ConfigureSasl(ServerConfig* config) {
  config->net.sasl = true;
  gflags::CommandLineFlagInfo protocol;
  const bool protocol_given =
      gflags::GetCommandLineFlagInfo("protocol", &protocol) && !protocol.is_default;
  if (!protocol_given) {
    config->net.protocol = BindingProtocol::kBinary;
  } else if (config->net.protocol != BindingProtocol::kBinary) {
    throw CommandLineError("You cannot allow the ASCII protocol while using SASL.");
  }
  if (config->sasl_pwdb.empty()) {
    if (const char* env = std::getenv("MEMCACHED_SASL_PWDB"); env != nullptr) {
      config->sasl_pwdb = env;
    }
  }
  if (config->sasl_pwdb.empty()) {
    throw CommandLineError(
        "-S needs a password file of \"user:password\" lines: -o sasl_pwdb=<file> or "
        "MEMCACHED_SASL_PWDB=<file>");
  }
  std::string error;
  if (!LoadSaslPasswords(config->sasl_pwdb, &config->sasl_users, &error)) {
    throw CommandLineError(error);
  }
}

// -Y: text only (memcached's rule: -Y alone implies -B ascii).
void ConfigureAsciiAuth(ServerConfig* config) {
  gflags::CommandLineFlagInfo protocol;
  const bool protocol_given =
      gflags::GetCommandLineFlagInfo("protocol", &protocol) && !protocol.is_default;
  if (config->net.sasl || (protocol_given && config->net.protocol != BindingProtocol::kAscii)) {
    throw CommandLineError(
        "ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.");
  }
  // memcached serves UDP requests without asking for credentials; refusing
  // the pair is the only way -Y means what it says.
  if (config->net.udp_port != 0) {
    throw CommandLineError(
        "-Y cannot be combined with -U: UDP requests carry no credentials (memcached serves them "
        "unauthenticated); use -U 0");
  }
  config->net.protocol = BindingProtocol::kAscii;
  auto file = std::make_shared<PasswordFile>(FLAGS_auth_file);
  std::string error;
  if (!file->Load(&error)) throw CommandLineError(error);
  config->net.ascii_auth = std::move(file);
}

// -Z: memcached's checks, then the certificates are loaded, now, while the
// process may still read files only root can.
void ConfigureTls(ServerConfig* config) {
  NetConfig& net = config->net;
  net.tls.enabled = true;
  if (net.tcp_port == 0) {
    throw CommandLineError("ERROR: You cannot enable SSL without a TCP port.");
  }
  try {
    net.tls_context = std::make_shared<TlsContext>(net.tls);
  } catch (const std::runtime_error& e) {
    throw CommandLineError(e.what());
  }
}

void RejectUnsupported() {
  struct Unsupported {
    bool set;
    const char* what;
  };
  const Unsupported unsupported[] = {
      {!FLAGS_memory_file.empty(), "-e (restartable memory file) is not supported yet"},
      {!FLAGS_napi_ids.empty(), "-N (napi ids) is not supported yet"},
  };
  for (const auto& u : unsupported) {
    if (u.set) throw CommandLineError(u.what);
  }
}

// `port_given`: -p was on the command line.
ServerConfig ConfigFromFlags(bool port_given) {
  RejectUnsupported();
  ServerConfig config;
  NetConfig& net = config.net;
  net.udp_port = FLAGS_udp_port;
  if (net.udp_port < 0 || net.udp_port > 65535) throw CommandLineError("-U must be 0..65535");
  if (FLAGS_enable_sasl && net.udp_port != 0) {
    throw CommandLineError("Cannot enable UDP while using binary SASL authentication.");
  }
  // memcached: -U without -p serves TCP on the UDP port too.
  net.tcp_port = !port_given && net.udp_port != 0 ? net.udp_port : FLAGS_port;
  if (net.tcp_port < 0 || net.tcp_port > 65535) throw CommandLineError("-p must be 0..65535");
  net.listen_hosts = SplitList(FLAGS_listen);
  net.unix_socket = FLAGS_unix_socket;
  net.unix_mask = static_cast<int>(std::strtol(FLAGS_unix_mask.c_str(), nullptr, 8));
  net.backlog = FLAGS_listen_backlog;
  if (FLAGS_conn_limit <= 0) throw CommandLineError("Maximum connections must be greater than 0");
  net.max_conns = static_cast<uint32_t>(FLAGS_conn_limit);
  if (FLAGS_max_reqs_per_event <= 0) {
    throw CommandLineError("Maximum requests per event must be greater than 0");
  }
  net.reqs_per_event = static_cast<uint32_t>(FLAGS_max_reqs_per_event);
  net.protocol = ParseProtocol(FLAGS_protocol);

  if (FLAGS_threads <= 0) throw CommandLineError("Number of threads must be greater than 0");
  config.num_threads = static_cast<uint32_t>(FLAGS_threads);
  // memcached's num_threads_per_udp: one worker per UDP socket when -l lists several addresses.
  net.udp_threads = FLAGS_listen.find(',') != std::string::npos ? 1 : config.num_threads;
  if (config.num_threads > 64) {
    LOG(WARNING) << "Setting a high number of worker threads is not recommended.";
  }
  config.verbosity = FLAGS_verbose;
  config.shutdown_enabled = FLAGS_enable_shutdown;
  config.flush_enabled = !FLAGS_disable_flush_all;
  config.dump_enabled = !FLAGS_disable_dumping;
  config.watch_enabled = !FLAGS_disable_watch;
  if (FLAGS_prefix_delimiter.size() != 1) {
    throw CommandLineError("-D takes exactly one character");
  }
  config.prefix_delimiter = FLAGS_prefix_delimiter[0];
  config.daemonize = FLAGS_daemon;
  config.lock_memory = FLAGS_lock_memory;
  config.maximize_core = FLAGS_enable_coredumps;
  config.user = FLAGS_user;
  config.pid_file = FLAGS_pidfile;

  slabs::StoreConfig& store = config.store;
  if (FLAGS_memory_limit <= 0) throw CommandLineError("-m must be greater than 0");
  store.max_bytes = static_cast<size_t>(FLAGS_memory_limit) * 1024 * 1024;
  store.evict_to_free = !FLAGS_disable_evictions;
  store.cas_enabled = !FLAGS_disable_cas;
  if (FLAGS_slab_growth_factor <= 1.0) throw CommandLineError("Factor must be greater than 1");
  store.growth_factor = FLAGS_slab_growth_factor;
  if (FLAGS_slab_min_size <= 0) throw CommandLineError("Chunk size must be greater than 0");
  store.chunk_size_min = static_cast<uint32_t>(FLAGS_slab_min_size);

  for (const std::string& option : SplitList(FLAGS_extended)) {
    ApplyExtendedOption(option, &config);
  }

  store.item_size_max = ParseItemSize(FLAGS_max_item_size);
  if (store.item_size_max < 1024) {
    throw CommandLineError("Item max size cannot be less than 1024 bytes.");
  }
  if (store.item_size_max > 1024ull * 1024 * 1024) {
    throw CommandLineError("Cannot set item size limit higher than 1 gigabyte.");
  }
  if (store.item_size_max > store.max_bytes / 2) {
    throw CommandLineError("Cannot set item size limit higher than 1/2 of memory max.");
  }
  ResolveChunkMax(&store);
  if (FLAGS_enable_sasl) ConfigureSasl(&config);
  if (!FLAGS_auth_file.empty()) ConfigureAsciiAuth(&config);
  if (FLAGS_enable_ssl) {
    ConfigureTls(&config);
  } else {
    for (const std::string& host : net.listen_hosts) {
      if (host.starts_with("notls")) {
        throw CommandLineError("'notls' option is valid only when SSL is enabled");
      }
    }
  }
  return config;
}

std::string ShortOptString() {
  std::string optstring = ":";  // report missing arguments as ':'
  for (const auto& spec : kOptions) {
    optstring += spec.letter;
    if (spec.arg == Arg::kRequired) optstring += ':';
  }
  return optstring;
}

}  // namespace

CommandLine ParseCommandLine(int argc, char** argv) {
  std::vector<option> long_options;
  for (const auto& spec : kOptions) {
    long_options.push_back({spec.long_name,
                            spec.arg == Arg::kRequired ? required_argument : no_argument, nullptr,
                            spec.letter});
  }
  long_options.push_back({nullptr, 0, nullptr, 0});
  const std::string optstring = ShortOptString();

  CommandLine result;
  std::string extended;
  std::string listen;
  int verbosity = 0;
  bool port_given = false;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, optstring.c_str(), long_options.data(), nullptr)) != -1) {
    if (c == '?') {
      const std::string arg = optopt != 0 ? std::string("-") + static_cast<char>(optopt)
                                          : std::string(argv[optind - 1]);
      throw CommandLineError("unrecognized option '" + arg + "' (see -h)");
    }
    if (c == ':') {
      throw CommandLineError(std::string("option '") + argv[optind - 1] + "' requires an argument");
    }
    const OptionSpec* spec = FindOption(c);
    switch (c) {
      case 'h':
        result.action = CommandLine::Action::kHelp;
        return result;
      case 'V':
        result.action = CommandLine::Action::kVersion;
        return result;
      case 'i':
        result.action = CommandLine::Action::kLicense;
        return result;
      case 'v':
        SetFlag(*spec, std::to_string(++verbosity).c_str());
        break;
      case 'p':
        port_given = true;
        SetFlag(*spec, optarg);
        break;
      case 'o':  // -o accumulates, as in memcached
        extended += (extended.empty() ? "" : ",") + std::string(optarg);
        SetFlag(*spec, extended.c_str());
        break;
      case 'l':  // every -l adds listeners, as in memcached (which skips one already in the list)
        if (listen.find(optarg) == std::string::npos) {
          listen += (listen.empty() ? "" : ",") + std::string(optarg);
        }
        SetFlag(*spec, listen.c_str());
        break;
      default:
        SetFlag(*spec, spec->arg == Arg::kRequired ? optarg : "true");
    }
  }
  if (optind < argc) {
    throw CommandLineError(std::string("unexpected argument '") + argv[optind] + "'");
  }
  result.config = ConfigFromFlags(port_given);
  return result;
}

std::string UsageText() {
  std::ostringstream out;
  out << PACKAGE_NAME << " " << PACKAGE_VERSION << " (memcached " << MEMCACHED_COMPAT_VERSION
      << " compatible)\n";
  for (const auto& spec : kOptions) {
    std::string left = std::string("-") + spec.letter + ", --" + spec.long_name;
    if (spec.placeholder != nullptr) left += std::string("=") + spec.placeholder;
    std::string help;
    std::string default_value;
    if (spec.flag != nullptr) {
      gflags::CommandLineFlagInfo info;
      if (gflags::GetCommandLineFlagInfo(spec.flag, &info)) {
        help = info.description;
        default_value = info.default_value;
      }
    } else {
      help = spec.letter == 'h'   ? "print this help and exit"
             : spec.letter == 'i' ? "print license and exit"
                                  : "print version and exit";
    }
    out << left;
    out << std::string(left.size() < 30 ? 30 - left.size() : 1, ' ') << help;
    if (spec.arg == Arg::kRequired && !default_value.empty()) {
      out << " (default: " << default_value << ")";
    }
    out << "\n";
  }
  out << "-o options: maxconns_fast, hashpower=N, no_hashexpand, [no_]lru_maintainer,\n"
         "  hot_lru_pct, warm_lru_pct, hot_max_factor, warm_max_factor, [no_]slab_reassign,\n"
         "  slab_automove=0|1|2, idle_timeout, [no_]lru_crawler,\n"
         "  read_buf_mem_limit=<MB>, resp_obj_mem_limit=<MB> (connections' buffers; 0 = none),\n"
         "  sasl_pwdb=<file> (-S users, \"user:password\" lines; default $MEMCACHED_SASL_PWDB),\n"
         "  -Z: ssl_chain_cert=<file>, ssl_key=<file>, ssl_keyformat=1|2 (PEM|DER),\n"
         "  ssl_verify_mode=0|1|2|3 (none, request, require, once), ssl_ca_cert=<file>,\n"
         "  ssl_ciphers=<list>, ssl_wbuf_size=<KB> (16), ssl_session_cache, ssl_kernel_tls,\n"
         "  ssl_min_version=0|1|2|3 (tlsv1.0 .. tlsv1.3; default 2, tlsv1.2)\n";
  return out.str();
}

void InitLogging(const char* argv0) {
  FLAGS_logtostderr = true;
  SetLogVerbosity(0);
  google::InitGoogleLogging(argv0);
}

void SetLogVerbosity(int verbosity) {
  // Like memcached, a daemon without -v only reports warnings and errors.
  FLAGS_minloglevel = verbosity > 0 ? google::GLOG_INFO : google::GLOG_WARNING;
  FLAGS_v = verbosity;
}

}  // namespace slabcached
