// The command line, read through the option table (src/options.h) with no
// daemon: memcached's forms, defaults, limits and messages; -h, "stats
// settings" and the man page against the table.
#include "src/flags.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "src/options.h"
#include "src/services.h"
#include "src/stats.h"

namespace slabcached {
namespace {

CommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "slabcached");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

ServerConfig Config(std::vector<std::string> args) { return Parse(std::move(args)).config; }

// The message a command line is refused with, or "" if it is accepted.
std::string ErrorOf(std::vector<std::string> args) {
  try {
    Parse(std::move(args));
  } catch (const CommandLineError& e) {
    return e.what();
  }
  return "";
}

class CollectingSink : public StatSink {
 public:
  void Stat(std::string_view name, std::string_view value) override {
    lines.emplace_back(name, value);
  }
  std::vector<std::pair<std::string, std::string>> lines;
};

// "stats settings" of a freshly started daemon with `config`.
std::vector<std::pair<std::string, std::string>> SettingsLines(const ServerConfig& config) {
  const slabs::StoreConfig& store = config.store;
  const SettingsView view{
      config, config.verbosity, store.slab_automove,
      slabs::CrawlerSettings{store.lru_crawler, store.lru_crawler_sleep, store.lru_crawler_tocrawl},
      slabs::LruTuning{store.hot_lru_pct, store.warm_lru_pct, store.hot_max_factor,
                       store.warm_max_factor, store.lru_segmented, store.temp_lru,
                       store.temporary_ttl}};
  CollectingSink sink;
  AppendOptionSettings(view, &sink);
  return sink.lines;
}

std::map<std::string, std::string> Settings(std::vector<std::string> args) {
  const auto lines = SettingsLines(Config(std::move(args)));
  return {lines.begin(), lines.end()};
}

TEST(FlagsTest, DefaultsAreMemcacheds) {
  const ServerConfig config = Config({});
  EXPECT_EQ(config.net.tcp_port, 11211);
  EXPECT_EQ(config.net.udp_port, 0);
  EXPECT_EQ(config.net.max_conns, 1024u);
  EXPECT_EQ(config.net.backlog, 1024);
  EXPECT_EQ(config.net.reqs_per_event, 20u);
  EXPECT_EQ(config.net.protocol, BindingProtocol::kAuto);
  EXPECT_TRUE(config.net.listen_hosts.empty());
  EXPECT_EQ(config.num_threads, 4u);
  EXPECT_EQ(config.net.udp_threads, 4u);
  EXPECT_EQ(config.verbosity, 0);
  EXPECT_EQ(config.store.max_bytes, 64u << 20);
  EXPECT_EQ(config.store.item_size_max, 1u << 20);
  EXPECT_EQ(config.store.slab_chunk_max, 512u << 10);
  EXPECT_EQ(config.store.growth_factor, 1.25);
  EXPECT_EQ(config.store.chunk_size_min, 48u);
  EXPECT_EQ(config.store.hashpower_init, 16u);
  EXPECT_TRUE(config.store.cas_enabled);
  EXPECT_TRUE(config.store.evict_to_free);
  EXPECT_FALSE(config.net.tls.enabled);
  EXPECT_FALSE(config.net.sasl);
}

TEST(FlagsTest, ShortLongAndAttachedFormsAgree) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-p", "1234"}, {"-p1234"}, {"--port=1234"}, {"--port", "1234"}}) {
    EXPECT_EQ(Config(args).net.tcp_port, 1234) << args[0];
  }
  EXPECT_EQ(Config({"-t", "2", "--conn-limit=7", "-m128"}).net.max_conns, 7u);
  EXPECT_EQ(Config({"--disable-cas"}).store.cas_enabled, false);
  EXPECT_EQ(Config({"-C"}).store.cas_enabled, false);
  EXPECT_EQ(Config({"--max-item-size=2m"}).store.item_size_max, 2u << 20);
  EXPECT_EQ(Config({"--extended=hashpower=20"}).store.hashpower_init, 20u);
}

TEST(FlagsTest, VerbosityCountsEveryV) {
  EXPECT_EQ(Config({"-v"}).verbosity, 1);
  EXPECT_EQ(Config({"-vv"}).verbosity, 2);
  EXPECT_EQ(Config({"-v", "-vv"}).verbosity, 3);
  EXPECT_EQ(Config({"--verbose", "--verbose"}).verbosity, 2);
}

TEST(FlagsTest, ExtendedOptionsAccumulateInOrder) {
  const ServerConfig config =
      Config({"-o", "hashpower=20", "-o", "no_lru_crawler,idle_timeout=5,,slab_automove", "-o",
              "slab_automove=0,read_buf_mem_limit=3"});
  EXPECT_EQ(config.store.hashpower_init, 20u);
  EXPECT_FALSE(config.store.lru_crawler);
  EXPECT_EQ(config.net.idle_timeout, 5u);
  EXPECT_EQ(config.store.slab_automove, 0u);
  EXPECT_EQ(config.net.read_buf_mem_limit, 3u << 20);
  EXPECT_EQ(Config({"-o", "no_maxconns_fast"}).net.maxconns_fast, false);
  EXPECT_EQ(Config({"-o", "slab_automove"}).store.slab_automove, 1u);
}

TEST(FlagsTest, MemcachedOptionsWithoutAnEffectAreAccepted) {
  EXPECT_EQ(ErrorOf({"-o", "modern,inline_ascii_resp,no_inline_ascii_resp,no_drop_privileges"}),
            "");
  EXPECT_EQ(ErrorOf({"-o", "watcher_logbuf_size=1,worker_logbuf_size=1"}), "");
}

TEST(FlagsTest, LruSizeAndPageOptionsReachTheStore) {
  EXPECT_FALSE(Config({}).store.track_sizes);
  EXPECT_TRUE(Config({"-o", "track_sizes"}).store.track_sizes);
  EXPECT_FALSE(Config({}).store.large_pages);
  EXPECT_TRUE(Config({"-L"}).store.large_pages);
  EXPECT_TRUE(Config({}).store.lru_segmented);
  EXPECT_FALSE(Config({"-o", "no_lru_segmented"}).store.lru_segmented);
  EXPECT_TRUE(Config({"-o", "no_lru_segmented,lru_segmented"}).store.lru_segmented);
  EXPECT_EQ(Config({"-o", "no_slab_automove"}).store.slab_automove, 0u);
  // memcached's no_modern: its old defaults.
  const ServerConfig old = Config({"-o", "no_modern"});
  EXPECT_FALSE(old.store.slab_reassign);
  EXPECT_EQ(old.store.slab_automove, 0u);
  EXPECT_FALSE(old.net.maxconns_fast);
  EXPECT_FALSE(old.store.lru_segmented);
  EXPECT_FALSE(old.store.lru_crawler);
  EXPECT_FALSE(old.store.lru_maintainer);
  EXPECT_EQ(old.store.slab_chunk_max, 1u << 20);
  EXPECT_EQ(Config({"-o", "slab_chunk_max=256,no_modern"}).store.slab_chunk_max, 256u << 10);
  auto settings = Settings({"-o", "track_sizes,no_lru_segmented"});
  EXPECT_EQ(settings["track_sizes"], "yes");
  EXPECT_EQ(settings["lru_segmented"], "no");
}

// memcached's -o temporary_ttl: the TEMP LRU on, which needs the maintainer.
TEST(FlagsTest, TemporaryTtlTurnsTheTempLruOn) {
  EXPECT_FALSE(Config({}).store.temp_lru);
  const ServerConfig temp = Config({"-o", "temporary_ttl=30"});
  EXPECT_TRUE(temp.store.temp_lru);
  EXPECT_EQ(temp.store.temporary_ttl, 30u);
  EXPECT_EQ(ErrorOf({"-o", "temporary_ttl"}), "Missing temporary_ttl argument");
  EXPECT_EQ(ErrorOf({"-o", "temporary_ttl=10,no_lru_maintainer"}),
            "temporary_ttl requires lru_maintainer to be enabled");
  auto settings = Settings({"-o", "temporary_ttl=30"});
  EXPECT_EQ(settings["temp_lru"], "yes");
  EXPECT_EQ(settings["temporary_ttl"], "30");
  EXPECT_EQ(Settings({})["temporary_ttl"], "61");
}

TEST(FlagsTest, HashAlgorithmIsCheckedAsMemcachedChecksIt) {
  for (const char* name : {"jenkins", "murmur3", "xxh3"}) {
    EXPECT_EQ(ErrorOf({"-o", std::string("hash_algorithm=") + name}), "") << name;
    // The store keeps its seeded xxh3, and says so.
    EXPECT_EQ(Settings({"-o", std::string("hash_algorithm=") + name})["hash_algorithm"], "xxh3");
  }
  EXPECT_EQ(ErrorOf({"-o", "hash_algorithm=md5"}),
            "Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
  EXPECT_EQ(ErrorOf({"-o", "hash_algorithm"}), "Missing hash_algorithm argument");
}

// What slabcached cannot honour stops it with the reason, instead of being ignored.
TEST(FlagsTest, OptionsItCannotHonourAreRefused) {
  for (const char* name : {"tail_repair_time=30", "drop_privileges", "sock_cookie_id=1",
                           "slab_automove_freeratio=0.01"}) {
    const std::string error = ErrorOf({"-o", name});
    const std::string option(name, std::string_view(name).find('=') == std::string_view::npos
                                       ? std::strlen(name)
                                       : std::string_view(name).find('='));
    EXPECT_TRUE(error.starts_with("-o " + option + " is refused: ")) << error;
  }
  EXPECT_EQ(ErrorOf({"-N", "0"}), "Maximum number of NAPI IDs must be greater than 0");
}

TEST(FlagsTest, NapiIdsAtMostOnePerThread) {
  EXPECT_EQ(Config({"-N", "2"}).net.napi_ids, 2u);  // -t 4 by default
  EXPECT_EQ(Config({"--napi-ids=3", "-t", "3"}).net.napi_ids, 3u);
  EXPECT_EQ(Config({}).net.napi_ids, 0u);
  EXPECT_EQ(ErrorOf({"-N", "-1"}), "Maximum number of NAPI IDs must be greater than 0");
  EXPECT_EQ(ErrorOf({"-t", "2", "-N", "3"}),
            "Number of napi_ids(3) cannot be greater than number of threads(2)");
}

TEST(FlagsTest, UdpPortServesTcpTooWithoutP) {
  EXPECT_EQ(Config({"-U", "5000"}).net.tcp_port, 5000);
  EXPECT_EQ(Config({"-U", "5000", "-p", "6000"}).net.tcp_port, 6000);
  EXPECT_EQ(Config({"-p", "0", "-U", "5000"}).net.tcp_port, 0);
}

TEST(FlagsTest, EveryListenAddsAddressesOnce) {
  const ServerConfig config = Config({"-l", "127.0.0.1", "-l", "::1", "-l", "127.0.0.1"});
  EXPECT_EQ(config.net.listen_hosts, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(config.net.udp_threads, 1u) << "one worker per UDP socket with several addresses";
  EXPECT_EQ(Config({"-l", "127.0.0.1", "-t", "3"}).net.udp_threads, 3u);
}

TEST(FlagsTest, ItemSizeLimits) {
  EXPECT_EQ(Config({"-I", "512k"}).store.item_size_max, 512u << 10);
  EXPECT_EQ(Config({"-I", "2M"}).store.item_size_max, 2u << 20);
  EXPECT_EQ(Config({"-I", "2097152"}).store.item_size_max, 2u << 20);
  EXPECT_EQ(ErrorOf({"-I", "1023"}), "Item max size cannot be less than 1024 bytes.");
  EXPECT_EQ(ErrorOf({"-I", "1025m", "-m", "4096"}),
            "Cannot set item size limit higher than 1 gigabyte.");
  EXPECT_EQ(ErrorOf({"-I", "64m"}), "Cannot set item size limit higher than 1/2 of memory max.");
  EXPECT_EQ(ErrorOf({"-I", "32m", "-m", "64"}), "");
  EXPECT_EQ(ErrorOf({"-I", "2g"}), "invalid value for -I (--max-item-size): \"2g\"");
}

TEST(FlagsTest, CountsMustBePositive) {
  EXPECT_EQ(ErrorOf({"-t", "0"}), "Number of threads must be greater than 0");
  EXPECT_EQ(ErrorOf({"-c", "0"}), "Maximum connections must be greater than 0");
  EXPECT_EQ(ErrorOf({"-R", "-1"}), "Maximum requests per event must be greater than 0");
  EXPECT_EQ(ErrorOf({"-n", "0"}), "Chunk size must be greater than 0");
  EXPECT_EQ(ErrorOf({"-m", "0"}), "-m must be greater than 0");
  EXPECT_EQ(ErrorOf({"-f", "1"}), "Factor must be greater than 1");
  EXPECT_EQ(ErrorOf({"-f", "1.0001"}), "");
  EXPECT_EQ(ErrorOf({"-t", "x"}), "invalid value for -t (--threads): \"x\"");
  EXPECT_EQ(ErrorOf({"--conn-limit=9x"}), "invalid value for -c (--conn-limit): \"9x\"");
  EXPECT_EQ(ErrorOf({"-f", "abc"}), "invalid value for -f (--slab-growth-factor): \"abc\"");
  EXPECT_EQ(ErrorOf({"-p", "65536"}), "-p must be 0..65535");
  EXPECT_EQ(ErrorOf({"-U", "-1"}), "-U must be 0..65535");
  EXPECT_EQ(ErrorOf({"-D", "ab"}), "-D takes exactly one character");
  EXPECT_EQ(
      ErrorOf({"-B", "text"}),
      "Invalid value for binding protocol: text\n -- should be one of auto, binary, or ascii");
}

TEST(FlagsTest, SlabChunkMaxAgainstItemSizeAndPage) {
  // Up to 1024 it counts kilobytes (current memcached), above it bytes (1.6.18).
  EXPECT_EQ(Config({"-o", "slab_chunk_max=256"}).store.slab_chunk_max, 256u << 10);
  EXPECT_EQ(Config({"-o", "slab_chunk_max=262144"}).store.slab_chunk_max, 256u << 10);
  EXPECT_EQ(Config({"-I", "256k"}).store.slab_chunk_max, 256u << 10) << "default: min(512k, -I)";
  EXPECT_EQ(Config({"-o", "no_chunked_items"}).store.slab_chunk_max, 1u << 20);
  EXPECT_EQ(ErrorOf({"-I", "512k", "-o", "slab_chunk_max=1024"}),
            "slab_chunk_max (bytes: 1048576) cannot be larger than -I (item_size_max 524288)");
  EXPECT_EQ(ErrorOf({"-o", "slab_chunk_max=768"}),
            "slab_chunk_max (bytes: 786432) must divide evenly into 1048576 (slab_page_size)");
  EXPECT_EQ(ErrorOf({"-o", "slab_chunk_max"}), "Missing slab_chunk_max argument");
  EXPECT_EQ(ErrorOf({"-o", "slab_chunk_max=x"}), "could not parse argument to slab_chunk_max");
  EXPECT_EQ(ErrorOf({"-o", "slab_chunk_max=0"}), "slab_chunk_max must be >= 0");
}

TEST(FlagsTest, ExtendedOptionLimits) {
  EXPECT_EQ(ErrorOf({"-o", "bogus=1"}), "Illegal suboption \"bogus=1\"");
  EXPECT_EQ(ErrorOf({"-o", "ext_path=/x:1G"}), "Illegal suboption \"ext_path=/x:1G\"");
  EXPECT_EQ(ErrorOf({"-o", "hashpower=11"}),
            "Initial hashtable multiplier of 11 is too low or too high (12..32)");
  EXPECT_EQ(ErrorOf({"-o", "hashpower"}), "-o hashpower needs a value");
  EXPECT_EQ(ErrorOf({"-o", "hashpower=x"}), "invalid value for -o hashpower: \"x\"");
  EXPECT_EQ(ErrorOf({"-o", "hot_lru_pct=80"}), "hot_lru_pct must be > 1 and < 80");
  EXPECT_EQ(ErrorOf({"-o", "lru_crawler_sleep=1000001"}),
            "LRU crawler sleep must be between 0 and 1 second");
  EXPECT_EQ(ErrorOf({"-o", "lru_crawler_tocrawl=-1"}),
            "lru_crawler_tocrawl takes a numeric 32bit value");
  EXPECT_EQ(ErrorOf({"-o", "slab_automove=3"}), "slab_automove must be 0, 1 or 2");
  // memcached's range and message (its check lets 1800 through).
  EXPECT_EQ(ErrorOf({"-o", "slab_automove_window=2"}),
            "slab_automove_window must be > 2 and < 1800");
  EXPECT_EQ(ErrorOf({"-o", "slab_automove_window=1801"}),
            "slab_automove_window must be > 2 and < 1800");
  EXPECT_EQ(Config({"-o", "slab_automove_window=1800"}).store.slab_automove_window, 1800u);
  EXPECT_EQ(Config({}).store.slab_automove_window, 10u);
  EXPECT_EQ(ErrorOf({"-o", "ssl_verify_mode=4"}),
            "Invalid ssl_verify_mode. Use help to see valid options.");
  EXPECT_EQ(ErrorOf({"-o", "ssl_min_version=x"}), "could not parse argument to ssl_min_version");
  EXPECT_EQ(Config({"-o", "ssl_min_version=tlsv1.3"}).net.tls.min_version, 3);
  EXPECT_EQ(ErrorOf({"-o", "ssl_key"}), "Missing ssl_key argument");
  EXPECT_EQ(ErrorOf({"-o", "ssl_wbuf_size=0"}), "ssl_wbuf_size must be 1 to 1048576 (kilobytes)");
}

TEST(FlagsTest, GetoptErrors) {
  EXPECT_EQ(ErrorOf({"-x"}), "unrecognized option '-x' (see -h)");
  EXPECT_EQ(ErrorOf({"--bogus"}), "unrecognized option '--bogus' (see -h)");
  EXPECT_EQ(ErrorOf({"-p"}), "option '-p' requires an argument");
  EXPECT_EQ(ErrorOf({"--port"}), "option '--port' requires an argument");
  EXPECT_EQ(ErrorOf({"stray"}), "unexpected argument 'stray'");
  // memcached's -h spells it --napi_ids, but its getopt (and ours) takes --napi-ids only.
  EXPECT_EQ(ErrorOf({"--napi_ids=2"}), "unrecognized option '--napi_ids=2' (see -h)");
}

TEST(FlagsTest, HelpVersionAndLicenseStopParsing) {
  EXPECT_EQ(Parse({"-h", "-p", "bad"}).action, CommandLine::Action::kHelp);
  EXPECT_EQ(Parse({"--version", "-Z", "-p", "0"}).action, CommandLine::Action::kVersion);
  EXPECT_EQ(Parse({"-i"}).action, CommandLine::Action::kLicense);
  EXPECT_EQ(Parse({"-p", "1"}).action, CommandLine::Action::kRun);
}

// gflags kept every value in globals; the table's parse starts afresh.
TEST(FlagsTest, AParseSeesNothingOfAnEarlierOne) {
  ASSERT_EQ(Config({"-p", "5", "-B", "ascii", "-vv", "-o", "hashpower=20"}).net.tcp_port, 5);
  const ServerConfig config = Config({});
  EXPECT_EQ(config.net.tcp_port, 11211);
  EXPECT_EQ(config.net.protocol, BindingProtocol::kAuto);
  EXPECT_EQ(config.verbosity, 0);
  EXPECT_EQ(config.store.hashpower_init, 16u);
  // -B given earlier must not make -S refuse the default protocol now.
  EXPECT_EQ(ErrorOf({"-S", "-o", "sasl_pwdb=/x"}), "");
}

TEST(FlagsTest, SaslIsBinaryOnly) {
  const ServerConfig config = Config({"-S", "-o", "sasl_pwdb=/etc/users"});
  EXPECT_TRUE(config.net.sasl);
  EXPECT_EQ(config.net.protocol, BindingProtocol::kBinary) << "-S alone means -B binary";
  EXPECT_EQ(config.sasl_pwdb, "/etc/users");
  EXPECT_EQ(ErrorOf({"-S", "-B", "auto", "-o", "sasl_pwdb=/x"}),
            "You cannot allow the ASCII protocol while using SASL.");
  EXPECT_EQ(ErrorOf({"-S", "-U", "5", "-o", "sasl_pwdb=/x"}),
            "Cannot enable UDP while using binary SASL authentication.");
  ::unsetenv("MEMCACHED_SASL_PWDB");
  EXPECT_EQ(ErrorOf({"-S"}),
            "-S needs a password file of \"user:password\" lines: -o sasl_pwdb=<file> or "
            "MEMCACHED_SASL_PWDB=<file>");
  ::setenv("MEMCACHED_SASL_PWDB", "/from/env", 1);
  EXPECT_EQ(Config({"-S"}).sasl_pwdb, "/from/env");
  ::unsetenv("MEMCACHED_SASL_PWDB");
}

TEST(FlagsTest, AsciiAuthIsTextOnly) {
  const ServerConfig config = Config({"-Y", "/etc/auth"});
  EXPECT_EQ(config.net.ascii_auth_file, "/etc/auth");
  EXPECT_EQ(config.net.protocol, BindingProtocol::kAscii) << "-Y alone means -B ascii";
  EXPECT_EQ(ErrorOf({"-Y", "/etc/auth", "-B", "binary"}),
            "ERROR: You cannot allow the BINARY protocol while using ascii authentication "
            "tokens.");
  EXPECT_NE(ErrorOf({"-Y", "/etc/auth", "-U", "5"}).find("-Y cannot be combined with -U"),
            std::string::npos);
}

TEST(FlagsTest, TlsNeedsATcpPort) {
  EXPECT_EQ(ErrorOf({"-Z", "-p", "0"}), "ERROR: You cannot enable SSL without a TCP port.");
  EXPECT_EQ(ErrorOf({"-l", "notls:127.0.0.1"}), "'notls' option is valid only when SSL is enabled");
  const ServerConfig config = Config({"-Z", "-l", "notls:127.0.0.1", "-o",
                                      "ssl_chain_cert=/c.pem,ssl_key=/k.pem,ssl_verify_mode=2"});
  EXPECT_TRUE(config.net.tls.enabled);
  EXPECT_EQ(config.net.tls.chain_cert, "/c.pem");
  EXPECT_EQ(config.net.tls.verify_mode, 2);
}

// Parsing reads no file: the server's services do, with memcached's messages.
TEST(ServicesTest, LoadReadsTheFilesTheOptionsName) {
  const ServerConfig none = Config({});
  const Services services = LoadServices(none);
  EXPECT_EQ(services.tls, nullptr);
  EXPECT_EQ(services.ascii_auth, nullptr);

  const ServerConfig auth = Config({"-Y", "/nonexistent/auth"});
  EXPECT_THROW(LoadServices(auth), std::runtime_error);
  const ServerConfig tls = Config({"-Z", "-o", "ssl_chain_cert=/nonexistent/c.pem"});
  try {
    LoadServices(tls);
    ADD_FAILURE() << "loaded a certificate that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Error loading the certificate chain: "
                                         "/nonexistent/c.pem"),
              std::string::npos)
        << e.what();
  }
}

TEST(OptionTableTest, HelpListsEveryOption) {
  const std::string help = UsageText();
  for (const Option& option : OptionTable()) {
    if (option.extended()) {
      const std::regex word("[ ,]" + std::string(option.name) + "([=\\[ \n]|$)");
      EXPECT_TRUE(std::regex_search(help, word)) << "-o " << option.name << " missing from -h";
    } else {
      EXPECT_NE(help.find(std::string("-") + option.letter + ", --" + std::string(option.name)),
                std::string::npos)
          << "-" << option.letter << " missing from -h";
    }
  }
}

TEST(OptionTableTest, NamesAreUnique) {
  std::set<char> letters;
  std::set<std::string_view> names;
  for (const Option& option : OptionTable()) {
    if (!option.extended()) {
      EXPECT_TRUE(letters.insert(option.letter).second) << option.letter;
    }
    EXPECT_TRUE(names.insert(option.name).second) << option.name;
    EXPECT_EQ(option.setting.empty(), option.print == nullptr) << option.name;
  }
}

// Each "stats settings" line is printed once, in memcached's order.
TEST(OptionTableTest, SettingsFollowMemcachedsOrder) {
  std::vector<std::string> printed;
  for (const auto& [name, value] : SettingsLines(Config({}))) printed.push_back(name);
  const auto order = SettingsOrder();
  EXPECT_EQ(printed, std::vector<std::string>(order.begin(), order.end()));
  for (const Option& option : OptionTable()) {
    if (option.setting.empty()) continue;
    EXPECT_EQ(std::count(order.begin(), order.end(), option.setting), 1) << option.setting;
  }
}

TEST(OptionTableTest, SettingsAreFormattedAsMemcachedFormatsThem) {
  auto settings = Settings({});
  EXPECT_EQ(settings["maxbytes"], "67108864");
  EXPECT_EQ(settings["inter"], "NULL");
  EXPECT_EQ(settings["domain_socket"], "NULL");
  EXPECT_EQ(settings["umask"], "700");
  EXPECT_EQ(settings["evictions"], "on");
  EXPECT_EQ(settings["growth_factor"], "1.25");
  EXPECT_EQ(settings["stat_key_prefix"], ":");
  EXPECT_EQ(settings["binding_protocol"], "auto-negotiate");
  EXPECT_EQ(settings["auth_enabled_ascii"], "no");
  EXPECT_EQ(settings["slab_chunk_max"], "524288");
  EXPECT_EQ(settings["slab_automove_ratio"], "0.80");
  EXPECT_EQ(settings["hot_max_factor"], "0.20");
  EXPECT_EQ(settings["ssl_chain_cert"], "(null)");
  EXPECT_EQ(settings["ssl_ciphers"], "NULL");
  EXPECT_EQ(settings["ssl_min_version"], "tlsv1.2");
  EXPECT_EQ(settings["memory_file"], "(null)");
  EXPECT_EQ(Config({"-e", "/dev/shm/mem"}).store.memory_file, "/dev/shm/mem");
  EXPECT_EQ(Settings({"-e", "/dev/shm/mem"})["memory_file"], "/dev/shm/mem");
  settings = Settings({"-l", "127.0.0.1", "-l", "::1", "-a", "755", "-M", "-B", "binary", "-o",
                       "ssl_verify_mode=2,ssl_min_version=3,ssl_key=/k"});
  EXPECT_EQ(settings["inter"], "127.0.0.1,::1");
  EXPECT_EQ(settings["umask"], "755");
  EXPECT_EQ(settings["evictions"], "off");
  EXPECT_EQ(settings["binding_protocol"], "binary");
  EXPECT_EQ(settings["ssl_verify_mode"], "3") << "OpenSSL's flags, as memcached prints them";
  EXPECT_EQ(settings["ssl_min_version"], "tlsv1.3");
  EXPECT_EQ(settings["ssl_key"], "/k");
}

// The default -h shows is the default: giving it changes no setting.
TEST(OptionTableTest, HelpDefaultsAreTheDefaults) {
  const auto defaults = SettingsLines(Config({}));
  for (const Option& option : OptionTable()) {
    if (option.default_text.empty() || option.setting.empty()) continue;
    const std::string value(option.default_text);
    if (value.find_first_of(" $") != std::string::npos) continue;  // "512k or -I": prose
    std::vector<std::string> args;
    if (option.extended()) {
      args = {"-o", std::string(option.name) + (option.arg == OptionArg::kNone ? "" : "=" + value)};
    } else {
      args = {"--" + std::string(option.name) + "=" + value};
    }
    auto expected = defaults;
    // memcached 1.6.45: giving -D (any delimiter) also turns stats detail on.
    if (option.name == "prefix-delimiter") {
      for (auto& [name, setting] : expected) {
        if (name == "detail_enabled") setting = "yes";
      }
    }
    EXPECT_EQ(SettingsLines(Config(args)), expected) << args.back();
  }
}

// --- the man page documents exactly the table's options ---

// A roff request line's words, with "quoted words" kept whole.
std::vector<std::string> RoffWords(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  in >> std::ws;
  std::string word;
  while (in >> std::quoted(word)) words.push_back(word);
  return words;
}

std::string Unescape(std::string text) {
  for (size_t at; (at = text.find("\\-")) != std::string::npos;) text.erase(at, 1);
  return text;
}

// The -o names in bold on a line: .B all words, .BR/.BI even words, .RB/.IB odd ones.
void AddBoldNames(const std::string& line, std::set<std::string>* names) {
  const std::vector<std::string> words = RoffWords(line);
  if (words.empty()) return;
  const std::string& macro = words[0];
  static const std::regex kName("[a-z][a-z0-9_]*=?");
  for (size_t i = 1; i < words.size(); ++i) {
    const bool bold = macro == ".B" || ((macro == ".BR" || macro == ".BI") && i % 2 == 1) ||
                      ((macro == ".RB" || macro == ".IB") && i % 2 == 0);
    if (!bold || !std::regex_match(words[i], kName)) continue;
    std::string name = words[i];
    if (name.back() == '=') name.pop_back();
    names->insert(name);
  }
}

struct ManOptions {
  std::set<std::string> letters;   // "-p, --port"
  std::set<std::string> extended;  // "hashpower"
};

ManOptions ReadManPage(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ManOptions man;
  static const std::regex kLetter(R"(^\.B \\-(.), \\-\\-([a-z\\-]+).*)");
  enum { kBefore, kLetters, kExtended, kAfter } part = kBefore;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line == ".SH OPTIONS") {
      part = kLetters;
    } else if (line.starts_with(".SH ") && part != kBefore) {
      part = kAfter;  // the options end with their section
    }
    if (part == kLetters && line.starts_with("These are honoured")) part = kExtended;
    const bool item = i > 0 && lines[i - 1] == ".TP";
    std::smatch match;
    if (part == kLetters && item && std::regex_match(line, match, kLetter)) {
      man.letters.insert("-" + match[1].str() + ", --" + Unescape(match[2].str()));
    } else if (part == kExtended && item) {
      AddBoldNames(line, &man.extended);
    }
  }
  return man;
}

// Options the man page does not document yet (the lead empties this list).
const std::set<std::string> kKnownManGaps = {};

TEST(ManPageTest, DocumentsExactlyTheTablesOptions) {
  const ManOptions man = ReadManPage(SLABCACHED_MAN_PAGE);
  ASSERT_FALSE(man.letters.empty());
  ASSERT_FALSE(man.extended.empty());
  std::set<std::string> table_letters, table_extended;
  for (const Option& option : OptionTable()) {
    if (option.extended()) {
      table_extended.insert(std::string(option.name));
    } else {
      table_letters.insert(std::string("-") + option.letter + ", --" + std::string(option.name));
    }
  }
  for (const std::string& option : table_letters) {
    if (kKnownManGaps.count(option)) continue;
    EXPECT_TRUE(man.letters.count(option)) << option << " is not in man/slabcached.1";
  }
  for (const std::string& name : table_extended) {
    if (kKnownManGaps.count(name)) continue;
    EXPECT_TRUE(man.extended.count(name)) << "-o " << name << " is not in man/slabcached.1";
  }
  for (const std::string& option : man.letters) {
    EXPECT_TRUE(table_letters.count(option))
        << "man/slabcached.1 documents " << option << ", which the daemon does not have";
  }
  for (const std::string& name : man.extended) {
    EXPECT_TRUE(table_extended.count(name))
        << "man/slabcached.1 documents -o " << name << ", which the daemon does not have";
  }
  for (const std::string& gap : kKnownManGaps) {
    EXPECT_FALSE(man.letters.count(gap) || man.extended.count(gap))
        << gap << " is documented now: take it off kKnownManGaps";
  }
}

}  // namespace
}  // namespace slabcached
