// Debian's memcached-tool (the perl script the memcached package ships) against the daemon under
// test and against memcached 1.6.18: display (stats items + stats slabs), stats, settings, keys
// and dump (lru_crawler metadump + get), whose output is replayed into a fresh server.
//
//   MEMCACHED_TOOL=path  the script (default /usr/share/memcached/scripts/memcached-tool)
//   PERL=path            the interpreter (default /usr/bin/perl)
// Tests skip when either is missing.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// One stored item as memcached-tool's dump prints it: "add <key> <flags> <exptime> <bytes>".
struct Dumped {
  std::string key;
  uint32_t flags = 0;
  int64_t exptime = 0;
  std::string value;
  bool operator<(const Dumped& o) const {
    return std::tie(key, flags, exptime, value) < std::tie(o.key, o.flags, o.exptime, o.value);
  }
  bool operator==(const Dumped& o) const = default;
};

// Parses a dump; fails the test on anything else.
std::vector<Dumped> ParseDump(const std::string& text) {
  std::vector<Dumped> out;
  static const std::regex kHeader(R"(add (\S+) (\d+) (-?\d+) (\d+))");
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = text.find("\r\n", pos);
    std::smatch m;
    const std::string header = text.substr(pos, eol == std::string::npos ? eol : eol - pos);
    if (eol == std::string::npos || !std::regex_match(header, m, kHeader)) {
      ADD_FAILURE() << "not a dump header at byte " << pos << ": " << Escape(text.substr(pos));
      break;
    }
    const size_t len = std::stoul(m[4]);
    const size_t value_at = eol + 2;
    if (value_at + len + 2 > text.size() || text.compare(value_at + len, 2, "\r\n") != 0) {
      ADD_FAILURE() << "bad data block for " << m[1];
      break;
    }
    out.push_back({.key = m[1],
                   .flags = static_cast<uint32_t>(std::stoul(m[2])),
                   .exptime = std::stoll(m[3]),
                   .value = text.substr(value_at, len)});
    pos = value_at + len + 2;
  }
  return out;
}

class MemcachedToolTest : public ServerTest {
 protected:
  void SetUp() override {
    tool_ = EnvOr("MEMCACHED_TOOL", "/usr/share/memcached/scripts/memcached-tool");
    perl_ = EnvOr("PERL", "/usr/bin/perl");
    if (::access(tool_.c_str(), R_OK) != 0) GTEST_SKIP() << tool_ << " is missing";
    if (::access(perl_.c_str(), X_OK) != 0) GTEST_SKIP() << perl_ << " is missing";
    ServerTest::SetUp();
  }

  // memcached-tool <host:port> args...: what it printed (stdout after its stderr notes).
  std::string Tool(const Daemon& d, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {tool_, d.host() + ":" + std::to_string(d.port())};
    argv.insert(argv.end(), args.begin(), args.end());
    const ExitResult r = RunToExit(perl_, argv, milliseconds(30000));
    EXPECT_TRUE(r.exited && WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 0)
        << r.Describe();
    return r.output;
  }
  std::string Tool(const std::vector<std::string>& args) { return Tool(daemon(), args); }

  // The dump modes first say on stderr what they do; perl flushes stdout at exit, after it.
  static std::string WithoutNote(std::string output, std::string_view note) {
    EXPECT_TRUE(output.starts_with(note)) << Escape(output);
    const size_t eol = output.find('\n');
    return eol == std::string::npos ? "" : output.substr(eol + 1);
  }

  // memcached's own crawler runs now and then; a dump started meanwhile would be refused
  // (memcached-tool does not expect that).
  void WaitCrawlerIdle(Client& c) {
    std::string running;
    for (int i = 0; i < 200 && (running = c.Stats()["lru_crawler_running"]) != "0"; ++i) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    ASSERT_EQ(running, "0");
  }

  // Items with keys and values a dump must carry byte for byte.
  std::vector<Dumped> Sample() {
    const int64_t exptime = std::stoll(client().Stats()["time"]) + 100000;
    return {{.key = "plain", .flags = 0, .exptime = 0, .value = "hello"},
            {.key = "a%b\x01:c/d", .flags = 42, .exptime = exptime, .value = "x"},
            {.key = "flags", .flags = 4294967295u, .exptime = 0, .value = "max flags"},
            {.key = "crlf", .flags = 7, .exptime = 0, .value = "two\r\nlines\r\n"},
            {.key = "binary", .flags = 1, .exptime = 0, .value = std::string("\0\xff\x80 ", 4)},
            {.key = "empty", .flags = 0, .exptime = 0, .value = ""},
            {.key = "large", .flags = 3, .exptime = exptime, .value = std::string(20000, 'L')}};
  }
  void Store(Client& c, const std::vector<Dumped>& items) {
    for (const Dumped& d : items) {
      ASSERT_TRUE(
          c.Roundtrip(StorageCommand("set", d.key, d.value, d.flags, d.exptime), "STORED\r\n"))
          << d.key;
    }
  }

  std::string tool_;
  std::string perl_;
};

TEST_P(MemcachedToolTest, DisplayShowsTheClassesInUse) {
  std::string batch;
  for (int i = 0; i < 20; ++i)
    batch += StorageCommand("set", "s" + std::to_string(i), "v", 0, 0, true);
  for (int i = 0; i < 5; ++i) {
    batch += StorageCommand("set", "l" + std::to_string(i), std::string(5000, 'l'), 0, 0, true);
  }
  ASSERT_TRUE(client().Roundtrip(batch + "mn\r\n", "MN\r\n"));
  auto slabs = client().Stats("slabs");

  std::istringstream out(Tool({"display"}));
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  EXPECT_EQ(line, "  #  Item_Size  Max_age   Pages   Count   Full?  Evicted Evict_Time OOM");
  // "%3d %8s %9ds %7d %7d %7s %8d %8d %4d"
  static const std::regex kRow(
      R"( *(\d+) +(\d+B|\d+\.\dK) +(\d+)s +(\d+) +(\d+) +(yes| no) +(\d+) +(\d+) +(\d+))");
  std::map<std::string, uint64_t> counts;
  while (std::getline(out, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kRow)) << Escape(line);
    const std::string cls = m[1];
    const uint64_t chunk = std::stoull(slabs[cls + ":chunk_size"]);
    char size[32];
    if (chunk < 1024) {
      std::snprintf(size, sizeof(size), "%lluB", static_cast<unsigned long long>(chunk));
    } else {
      std::snprintf(size, sizeof(size), "%.1fK", static_cast<double>(chunk) / 1024.0);
    }
    EXPECT_EQ(m[2], size) << line;
    EXPECT_EQ(m[4], slabs[cls + ":total_pages"]) << line;
    EXPECT_EQ(m[6], " no") << line;
    EXPECT_EQ(m[7], "0") << line;  // nothing evicted
    counts[cls] = std::stoull(m[5]);
  }
  std::map<std::string, uint64_t> expected;
  ASSERT_TRUE(client().Send("me s0\r\nme l0\r\n"));
  for (uint64_t n : {20, 5}) {
    const std::string me = client().ReadLine();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(me, m, std::regex(" cls=(\\d+)"))) << me;
    expected[m[1]] = n;
  }
  EXPECT_EQ(counts, expected);
}

TEST_P(MemcachedToolTest, StatsPrintsTheGeneralStatsSorted) {
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  std::istringstream out(Tool({"stats"}));
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  char header[128];
  std::snprintf(header, sizeof(header), "#%-22s %5s %13s",
                ("127.0.0.1:" + std::to_string(daemon().port())).c_str(), "Field", "Value");
  EXPECT_EQ(line, header);
  std::map<std::string, std::string> printed;
  std::string previous;
  while (std::getline(out, line)) {
    std::istringstream fields(line);
    std::string name, value;
    ASSERT_TRUE(fields >> name >> value) << line;
    EXPECT_LT(previous, name);  // sorted by name
    previous = name;
    printed[name] = value;
  }
  EXPECT_EQ(printed["curr_items"], "1");
  EXPECT_EQ(printed["total_items"], "1");
  EXPECT_EQ(printed["version"], MemcachedVersion());
  EXPECT_EQ(printed["limit_maxbytes"], "67108864");
  EXPECT_EQ(printed["threads"], "2");
  EXPECT_EQ(printed.count("lru_crawler_running"), 1u);
  EXPECT_EQ(printed.count("lru_crawler_starts"), 1u);
}

TEST_P(MemcachedToolTest, SettingsPrintsTheSettings) {
  std::istringstream out(Tool({"settings"}));
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  EXPECT_TRUE(line.starts_with("#127.0.0.1:")) << line;
  std::map<std::string, std::string> printed;
  while (std::getline(out, line)) {
    std::istringstream fields(line);
    std::string name, value;
    ASSERT_TRUE(fields >> name >> value) << line;
    printed[name] = value;
  }
  EXPECT_EQ(printed["maxbytes"], "67108864");
  EXPECT_EQ(printed["maxconns"], "1024");
  EXPECT_EQ(printed["item_size_max"], "1048576");
  EXPECT_EQ(printed["lru_crawler"], "yes");
  EXPECT_EQ(printed["lru_crawler_sleep"], "100");
  EXPECT_EQ(printed["lru_crawler_tocrawl"], "0");
  EXPECT_EQ(printed["dump_enabled"], "yes");
}

// The dump is "add" commands: replayed into an empty server they recreate every item, with its
// flags, value and absolute expiry time.
TEST_P(MemcachedToolTest, DumpPrintsReplayableAddCommands) {
  SKIP_IF_ATTACHED();
  const std::vector<Dumped> items = Sample();
  Store(client(), items);
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "expired", "x", 0, -1), "STORED\r\n"));
  WaitCrawlerIdle(client());
  const std::string dump = WithoutNote(Tool({"dump"}), "Dumping memcache contents\n");
  std::vector<Dumped> dumped = ParseDump(dump);
  std::sort(dumped.begin(), dumped.end());
  std::vector<Dumped> expected = items;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(dumped, expected);

  auto fresh = StartDaemon(DefaultFlags());
  ASSERT_NE(fresh, nullptr);
  auto c = Connect(fresh.get());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(dump));
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(c->ReadLine(), "STORED\r\n");
  for (const Dumped& d : items) {
    EXPECT_TRUE(
        c->Roundtrip("get " + d.key + "\r\n", ValueReply(d.key, d.value, d.flags) + "END\r\n"))
        << d.key;
  }
  // And a dump of the copy is the same dump.
  WaitCrawlerIdle(*c);
  std::vector<Dumped> again =
      ParseDump(WithoutNote(Tool(*fresh, {"dump"}), "Dumping memcache contents\n"));
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, expected);
}

TEST_P(MemcachedToolTest, DumpWithALimitPrintsThatManyItems) {
  Store(client(), Sample());
  WaitCrawlerIdle(client());
  const std::string dump =
      WithoutNote(Tool({"dump", "3"}), "Dumping memcache contents (limiting to 3 keys)\n");
  EXPECT_EQ(ParseDump(dump).size(), 3u);
}

TEST_P(MemcachedToolTest, KeysPrintsTheMetadumpLines) {
  const std::vector<Dumped> items = Sample();
  Store(client(), items);
  WaitCrawlerIdle(client());
  std::istringstream out(WithoutNote(Tool({"keys"}), "Dumping memcache keys\n"));
  std::set<std::string> keys;
  std::string line;
  static const std::regex kLine(
      R"(key=(\S+) exp=(-?\d+) la=\d+ cas=\d+ fetch=(yes|no) cls=\d+ size=\d+( flags=\d+ )?)");
  while (std::getline(out, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kLine)) << Escape(line);
    keys.insert(m[1]);
    EXPECT_EQ(m[3], "no");  // nobody read them
  }
  EXPECT_EQ(keys, (std::set<std::string>{"plain", "a%25b%01%3Ac%2Fd", "flags", "crlf", "binary",
                                         "empty", "large"}));
}

INSTANTIATE_TEST_SUITE_P(MemcachedTool, MemcachedToolTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
