// The LRU crawler's commands and the key dumps over raw sockets, exact bytes, against the daemon
// under test and Debian's memcached 1.6.18: "lru_crawler enable|disable|sleep|tocrawl|crawl|
// metadump|mgdump" and "stats cachedump" (memcached's t/lru-crawler.t, t/metaget.t topics).
//
// memcached's own crawler also starts crawls in the background (once at start, then every
// minute or more), during which a command may be answered BUSY: commands that start a crawl or a
// dump are retried while they are (Crawler()). mgdump is memcached 1.6.19's (1.6.18 answers
// ERROR), and 1.6.18's "metadump hash" can hang its crawler: those run on slabcached only.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kBusy = "BUSY currently processing crawler request\r\n";

// One "key=... exp=... la=... cas=... fetch=... cls=... size=...[ flags=... ]" line, parsed.
struct DumpLine {
  std::string key;  // still URI-encoded
  int64_t exp = 0;
  uint64_t la = 0;
  uint64_t cas = 0;
  bool fetched = false;
  uint32_t cls = 0;
  uint64_t size = 0;
  std::optional<uint32_t> flags;  // memcached 1.6.45's field; 1.6.18 has none
};

// Bytes from `c`'s socket until they hold `terminator` (what follows it in the last read is kept
// too), or the deadline passes. Reads the socket directly: for dumps of several megabytes, line
// by line would be slow.
std::string ReadRawUntil(Client& c, std::string_view terminator,
                         milliseconds timeout = milliseconds(20000)) {
  const auto deadline = Clock::now() + timeout;
  std::string out;
  char buf[1 << 16];
  size_t scan_from = 0;
  while (out.find(terminator, scan_from) == std::string::npos) {
    scan_from = out.size() < terminator.size() ? 0 : out.size() - terminator.size();
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{c.fd(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(c.fd(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Parses a whole metadump reply; fails the test on a line that is not one.
std::vector<DumpLine> ParseMetadump(const std::string& reply) {
  static const std::regex kLine(
      R"(key=(\S+) exp=(-?\d+) la=(\d+) cas=(\d+) fetch=(yes|no) cls=(\d+) size=(\d+)( flags=(\d+) )?)");
  std::vector<DumpLine> lines;
  EXPECT_TRUE(reply.ends_with("END\r\n")) << Escape(reply);
  size_t pos = 0;
  while (pos < reply.size()) {
    const size_t nl = reply.find('\n', pos);
    if (nl == std::string::npos) break;
    const std::string line = reply.substr(pos, nl - pos);
    pos = nl + 1;
    if (line == "END\r") break;
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) {
      ADD_FAILURE() << "not a metadump line: " << Escape(line);
      continue;
    }
    lines.push_back(
        {.key = m[1],
         .exp = std::stoll(m[2]),
         .la = std::stoull(m[3]),
         .cas = std::stoull(m[4]),
         .fetched = m[5] == "yes",
         .cls = static_cast<uint32_t>(std::stoul(m[6])),
         .size = std::stoull(m[7]),
         .flags = m[9].matched ? std::optional<uint32_t>(std::stoul(m[9])) : std::nullopt});
  }
  return lines;
}

std::map<std::string, DumpLine> ByKey(const std::vector<DumpLine>& lines) {
  std::map<std::string, DumpLine> out;
  for (const auto& l : lines) EXPECT_TRUE(out.emplace(l.key, l).second) << "twice: " << l.key;
  return out;
}

// The value of `field` ("cls", "size", ...) in an "ME <key> ..." line.
std::string MeField(const std::string& me, const std::string& field) {
  std::smatch m;
  const std::regex re(" " + field + "=(\\S+)");
  if (!std::regex_search(me, m, re)) return "<no " + field + " in " + me + ">";
  return m[1];
}

class CrawlerTest : public ServerTest {
 protected:
  // Sends a crawler command and returns its first reply line, retrying while the crawler is busy
  // with something else (memcached's background crawls).
  static std::string Crawler(Client& c, std::string_view request) {
    const auto deadline = Clock::now() + milliseconds(10000);
    while (true) {
      if (!c.Send(request)) return "<send failed>";
      std::string line = c.ReadLine();
      if (line != kBusy || Clock::now() > deadline) return line;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  std::string Crawler(std::string_view request) { return Crawler(client(), request); }

  // A whole metadump of `classes`, retried while busy.
  static std::string Metadump(Client& c, std::string_view classes = "all") {
    const std::string request = "lru_crawler metadump " + std::string(classes) + "\r\n";
    const auto deadline = Clock::now() + milliseconds(10000);
    while (true) {
      if (!c.Send(request)) return "<send failed>";
      std::string reply = c.ReadUntilEnd();
      if (reply != kBusy || Clock::now() > deadline) return reply;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  // "stats settings" until `name` has `value` (memcached's crawler thread changes
  // lru_crawler itself, shortly after "lru_crawler disable").
  ::testing::AssertionResult SettingBecomes(const std::string& name, const std::string& value) {
    std::string last;
    const auto deadline = Clock::now() + milliseconds(5000);
    do {
      last = client().Stats("settings")[name];
      if (last == value) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(milliseconds(20));
    } while (Clock::now() < deadline);
    return ::testing::AssertionFailure() << name << " is " << last << ", not " << value;
  }

  // The slab class of `key`, from "me".
  std::string ClassOf(const std::string& key) {
    if (!client().Send("me " + key + "\r\n")) return "<send failed>";
    return MeField(client().ReadLine(), "cls");
  }

  // memcached's dump walks the LRU lists and can miss an item its maintainer moves from one to
  // another meanwhile: waits until class `cls` has no item left in HOT, returns number_hot.
  std::string WaitForHotToDrain(const std::string& cls) {
    std::string hot;
    for (int i = 0; i < 100 && (hot = client().Stats("items")["items:" + cls + ":number_hot"]) != "0";
         ++i) {
      std::this_thread::sleep_for(milliseconds(100));
    }
    return hot;
  }

  // Stores `n` keys "<prefix><i>" padded to `key_len` with `value`, pipelined with noreply.
  void Fill(const std::string& prefix, int n, size_t key_len, const std::string& value) {
    std::string batch;
    for (int i = 0; i < n; ++i) {
      std::string key = prefix + std::to_string(i);
      key.append(key_len > key.size() ? key_len - key.size() : 0, 'k');
      batch += StorageCommand("set", key, value, 0, 0, /*noreply=*/true);
      if (batch.size() > 256 * 1024) {
        ASSERT_TRUE(client().Send(batch));
        batch.clear();
      }
    }
    batch += "mn\r\n";
    ASSERT_TRUE(client().Roundtrip(batch, "MN\r\n"));
  }
};

// Tests that let time pass on the server's clock (AdvanceClock).
class CrawlerClockTest : public CrawlerTest {
 protected:
  bool UsesTestClock() const override { return true; }
};

// ------------------------------------------------------------- commands ---

TEST_P(CrawlerTest, BadUsageIsAPlainError) {
  for (const char* request :
       {"lru_crawler\r\n", "lru_crawler foo\r\n", "lru_crawler CRAWL 1\r\n",
        "lru_crawler crawl 1 noreply\r\n", "lru_crawler crawl\r\n", "lru_crawler tocrawl 5 6\r\n",
        "lru_crawler disable x\r\n", "lru_crawler metadump all extra\r\n"}) {
    EXPECT_TRUE(client().Roundtrip(request, "ERROR\r\n")) << request;
  }
}

TEST_P(CrawlerTest, CrawlTakesAClassList) {
  EXPECT_EQ(Crawler("lru_crawler crawl 1\r\n"), "OK\r\n");
  EXPECT_EQ(Crawler("lru_crawler crawl all\r\n"), "OK\r\n");
  EXPECT_EQ(Crawler("lru_crawler crawl 63\r\n"), "OK\r\n");
  EXPECT_EQ(Crawler("lru_crawler crawl 1,2,3\r\n"), "OK\r\n");
  EXPECT_EQ(Crawler("lru_crawler crawl 1,,2,\r\n"), "OK\r\n");  // empty pieces are skipped
  EXPECT_EQ(Crawler("lru_crawler  crawl   +1\r\n"), "OK\r\n");
  for (const char* bad : {"0", "64", "-1", "1,x", "1,64", "x"}) {
    EXPECT_EQ(Crawler("lru_crawler crawl " + std::string(bad) + "\r\n"),
              "BADCLASS invalid class id\r\n")
        << bad;
  }
  EXPECT_EQ(Crawler("lru_crawler crawl ,\r\n"), "NOTSTARTED no items to crawl\r\n");
  // Only the dumps walk the hash table.
  EXPECT_EQ(Crawler("lru_crawler crawl hash\r\n"), "ERROR an unknown error happened\r\n");
}

TEST_P(CrawlerTest, SleepAndToCrawlAreSettings) {
  auto settings = client().Stats("settings");
  EXPECT_EQ(settings["lru_crawler"], "yes");
  EXPECT_EQ(settings["lru_crawler_sleep"], "100");
  EXPECT_EQ(settings["lru_crawler_tocrawl"], "0");
  EXPECT_TRUE(client().Roundtrip("lru_crawler sleep 1000001\r\n",
                                 "CLIENT_ERROR sleep must be one second or less\r\n"));
  for (const char* bad : {"x", "-1", "1x"}) {
    EXPECT_TRUE(client().Roundtrip("lru_crawler sleep " + std::string(bad) + "\r\n",
                                   "CLIENT_ERROR bad command line format\r\n"))
        << bad;
    EXPECT_TRUE(client().Roundtrip("lru_crawler tocrawl " + std::string(bad) + "\r\n",
                                   "CLIENT_ERROR bad command line format\r\n"))
        << bad;
  }
  EXPECT_TRUE(client().Roundtrip("lru_crawler sleep 1000000\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru_crawler tocrawl 4294967301\r\n", "OK\r\n"));  // mod 2^32
  settings = client().Stats("settings");
  EXPECT_EQ(settings["lru_crawler_sleep"], "1000000");
  EXPECT_EQ(settings["lru_crawler_tocrawl"], "5");
  EXPECT_TRUE(client().Roundtrip("lru_crawler sleep 0\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru_crawler tocrawl 0\r\n", "OK\r\n"));
  settings = client().Stats("settings");
  EXPECT_EQ(settings["lru_crawler_sleep"], "0");
  EXPECT_EQ(settings["lru_crawler_tocrawl"], "0");
}

TEST_P(CrawlerTest, DisableStopsTheCommandsUntilEnabled) {
  EXPECT_TRUE(
      client().Roundtrip("lru_crawler enable\r\n", "ERROR failed to start lru crawler thread\r\n"));
  EXPECT_EQ(client().Stats().count("lru_crawler_running"), 1u);
  EXPECT_TRUE(client().Roundtrip("lru_crawler disable\r\n", "OK\r\n"));
  EXPECT_TRUE(SettingBecomes("lru_crawler", "no"));
  EXPECT_TRUE(client().Roundtrip("lru_crawler disable\r\n", "OK\r\n"));
  const auto stats = client().Stats();
  EXPECT_EQ(stats.count("lru_crawler_running"), 0u);
  EXPECT_EQ(stats.count("lru_crawler_starts"), 0u);
  EXPECT_TRUE(
      client().Roundtrip("lru_crawler crawl 1\r\n", "CLIENT_ERROR lru crawler disabled\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("lru_crawler metadump all\r\n", "CLIENT_ERROR lru crawler disabled\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("lru_crawler crawl 0\r\n", "CLIENT_ERROR lru crawler disabled\r\n"));
  // The settings still change.
  EXPECT_TRUE(client().Roundtrip("lru_crawler tocrawl 9\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru_crawler enable\r\n", "OK\r\n"));
  EXPECT_TRUE(SettingBecomes("lru_crawler", "yes"));
  EXPECT_EQ(client().Stats("settings")["lru_crawler_tocrawl"], "9");
  EXPECT_EQ(Crawler("lru_crawler crawl 1\r\n"), "OK\r\n");
  EXPECT_EQ(Metadump(client()), "END\r\n");
}

TEST_P(CrawlerTest, NoLruCrawlerStartsDisabled) {
  SKIP_IF_ATTACHED();
  std::vector<std::string> flags = DefaultFlags();
  flags.insert(flags.end(), {"-o", "no_lru_crawler"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Stats("settings")["lru_crawler"], "no");
  EXPECT_TRUE(c->Roundtrip("lru_crawler crawl all\r\n", "CLIENT_ERROR lru crawler disabled\r\n"));
  EXPECT_TRUE(c->Roundtrip("lru_crawler metadump 1\r\n", "CLIENT_ERROR lru crawler disabled\r\n"));
  EXPECT_TRUE(c->Roundtrip("lru_crawler enable\r\n", "OK\r\n"));
  EXPECT_EQ(Crawler(*c, "lru_crawler crawl all\r\n"), "OK\r\n");
}

TEST_P(CrawlerClockTest, CrawlReclaimsExpiredItems) {
  const uint64_t starts = std::stoull(client().Stats()["lru_crawler_starts"]);
  std::string batch;
  for (int i = 0; i < 50; ++i) {
    batch += StorageCommand("set", "ttl" + std::to_string(i), "v", 0, 1, true);
  }
  for (int i = 0; i < 5; ++i) batch += StorageCommand("set", "keep" + std::to_string(i), "v");
  ASSERT_TRUE(client().Send(batch));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client().ReadLine(), "STORED\r\n");
  ASSERT_TRUE(AdvanceClock(2));  // exptime 1 is gone after 2 clock ticks
  EXPECT_EQ(Crawler("lru_crawler crawl all\r\n"), "OK\r\n");
  std::map<std::string, std::string> stats = client().Stats();
  for (const auto deadline = Clock::now() + milliseconds(5000);
       stats["curr_items"] != "5" && Clock::now() < deadline; stats = client().Stats()) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(stats["curr_items"], "5");
  EXPECT_GT(std::stoull(stats["lru_crawler_starts"]), starts);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(client().Roundtrip("get keep" + std::to_string(i) + "\r\n",
                                   ValueReply("keep" + std::to_string(i), "v") + "END\r\n"));
  }
}

// ------------------------------------------------------------- metadump ---

TEST_P(CrawlerTest, MetadumpListsLiveItemsAndEndsWithEnd) {
  EXPECT_EQ(Metadump(client()), "END\r\n");  // empty cache
  const int64_t now = std::stoll(client().Stats()["time"]);
  const int64_t exptime = now + 1000;  // absolute, so it comes back as sent
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "foo", "bar", 5), "STORED\r\n"));
  ASSERT_TRUE(
      client().Roundtrip(StorageCommand("set", "a%b\x01~_.-Z", "hi", 0, exptime), "STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "gone", "x", 0, -1), "STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip("get foo\r\n", ValueReply("foo", "bar", 5) + "END\r\n"));
  ASSERT_TRUE(client().Send("gets foo\r\n"));
  const std::string value_line = client().ReadLine();  // VALUE foo 5 3 <cas>
  const uint64_t cas = std::stoull(value_line.substr(value_line.rfind(' ') + 1));
  client().ReadUntilEnd();
  ASSERT_EQ(WaitForHotToDrain(ClassOf("foo")), "0");

  std::string reply = Metadump(client());
  // Even then memcached's maintainer can be moving "foo" (fetched, so active) out of COLD while
  // the dump walks it; slabcached's dump does not race its maintainer and gets one try.
  for (int i = 0; IsReference() && i < 20 && ParseMetadump(reply).size() != 2; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    reply = Metadump(client());
  }
  const auto lines = ByKey(ParseMetadump(reply));
  ASSERT_EQ(lines.size(), 2u) << Escape(reply);  // the expired item is left out
  ASSERT_EQ(lines.count("foo"), 1u);
  ASSERT_EQ(lines.count("a%25b%01~_.-Z"), 1u);
  const DumpLine& foo = lines.at("foo");
  EXPECT_EQ(foo.exp, -1);
  EXPECT_GE(foo.la, static_cast<uint64_t>(now - 1));
  EXPECT_LE(foo.la, static_cast<uint64_t>(now + 5));
  EXPECT_EQ(foo.cas, cas);
  EXPECT_TRUE(foo.fetched);
  const DumpLine& other = lines.at("a%25b%01~_.-Z");
  EXPECT_EQ(other.exp, exptime);
  EXPECT_FALSE(other.fetched);
  // memcached 1.6.45 adds the client flags (1.6.18 does not); slabcached follows 1.6.45.
  if (!IsReference()) {
    EXPECT_EQ(foo.flags, 5u);
    EXPECT_EQ(other.flags, 0u);
  }
  // Class and size as "me" reports them.
  ASSERT_TRUE(client().Send("me foo\r\n"));
  const std::string me = client().ReadLine();
  EXPECT_EQ(std::to_string(foo.cls), MeField(me, "cls"));
  EXPECT_EQ(std::to_string(foo.size), MeField(me, "size"));

  // A class list picks classes; other classes give an empty dump. (Both keys
  // share memcached's first class; slabcached's finer default classes may
  // put them in two.)
  const size_t in_foo_class = other.cls == foo.cls ? 2 : 1;
  EXPECT_EQ(ParseMetadump(Metadump(client(), std::to_string(foo.cls))).size(), in_foo_class);
  const uint32_t past_both = std::max(foo.cls, other.cls) + 1;
  EXPECT_EQ(Metadump(client(), std::to_string(past_both) + ",63"), "END\r\n");
}

TEST_P(CrawlerTest, MetadumpClassErrors) {
  EXPECT_EQ(Crawler("lru_crawler metadump 0\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_EQ(Crawler("lru_crawler metadump 64\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_EQ(Crawler("lru_crawler metadump 1,64\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_EQ(Crawler("lru_crawler metadump x\r\n"), "BADCLASS invalid class id\r\n");
}

TEST_P(CrawlerTest, MetadumpOfNoClassOrTheHashTable) {
  // memcached 1.6.18 answers NOTSTARTED too, but keeps the connection as the crawler's client
  // and hands it back when its next crawl ends; its hash walk can hang its crawler.
  if (IsReference()) GTEST_SKIP() << "1.6.18's crawler mishandles these";
  EXPECT_EQ(Crawler("lru_crawler metadump ,\r\n"), "NOTSTARTED no items to crawl\r\n");
  EXPECT_EQ(Metadump(client(), "hash"), "END\r\n");
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "k1", "v"), "STORED\r\n"));
  ASSERT_TRUE(
      client().Roundtrip(StorageCommand("set", "k2", std::string(5000, 'v')), "STORED\r\n"));
  const auto lines = ByKey(ParseMetadump(Metadump(client(), "hash")));
  EXPECT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines.count("k1") + lines.count("k2"), 2u);
}

TEST_P(CrawlerTest, DumpingDisabledByX) {
  SKIP_IF_ATTACHED();
  std::vector<std::string> flags = DefaultFlags();
  flags.push_back("-X");
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Stats("settings")["dump_enabled"], "no");
  EXPECT_TRUE(c->Roundtrip("lru_crawler metadump all\r\n", "ERROR metadump not allowed\r\n"));
  EXPECT_TRUE(
      c->Roundtrip("stats cachedump 1 0\r\n", "CLIENT_ERROR stats cachedump not allowed\r\n"));
  EXPECT_TRUE(c->Roundtrip("stats cachedump\r\n", "CLIENT_ERROR stats cachedump not allowed\r\n"));
  EXPECT_EQ(Crawler(*c, "lru_crawler crawl all\r\n"), "OK\r\n");  // crawls are not dumps
  if (!IsReference()) {                                           // 1.6.18 has no mgdump
    EXPECT_TRUE(c->Roundtrip("lru_crawler mgdump all\r\n", "ERROR key dump not allowed\r\n"));
  }
}

// A dump the client does not read keeps the crawler busy; it goes on when the client reads,
// every item exactly once, and later requests on that connection wait for its end.
TEST_P(CrawlerTest, AnUnreadDumpKeepsTheCrawlerBusy) {
  // ~10 MB of dump: twice what the socket buffers of a client that does not read take in
  // (Linux: its 128 KB receive buffer plus the server's send buffer, at most 4 MB).
  constexpr int kItems = 40000;
  Fill("dumpkey", kItems, 200, "0123456789");
  ASSERT_EQ(WaitForHotToDrain(ClassOf(std::string("dumpkey0").append(192, 'k'))), "0");
  auto reader = Connect();
  ASSERT_NE(reader, nullptr);
  // Wait out a background crawl of memcached's (it would make the dump BUSY).
  std::string idle;
  for (int i = 0; i < 200 && (idle = client().Stats()["lru_crawler_running"]) != "0"; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_EQ(idle, "0");
  ASSERT_TRUE(reader->Send("lru_crawler metadump all\r\nversion\r\n"));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(client().Stats()["lru_crawler_running"], "1");
  // memcached 1.6.18's crawler thread holds the crawler lock while it waits for the client, so
  // there the next crawler command waits for the dump to end (it says BUSY only while the thread
  // sleeps between items).
  if (!IsReference()) {
    EXPECT_TRUE(client().Roundtrip("lru_crawler crawl 1\r\n", kBusy));
    EXPECT_TRUE(client().Roundtrip("lru_crawler metadump 1\r\n", kBusy));
  }

  std::string dump = ReadRawUntil(*reader, "END\r\n");
  const size_t end = dump.find("END\r\n");
  ASSERT_NE(end, std::string::npos) << dump.size() << " bytes";
  std::string after = dump.substr(end + 5);
  dump.resize(end + 5);
  // The pipelined "version" is answered after the dump (memcached 1.6.18 gets to it only when
  // more input arrives: "mn" brings it).
  ASSERT_TRUE(reader->Send("mn\r\n"));
  after += ReadRawUntil(*reader, "MN\r\n");
  EXPECT_EQ(after, "VERSION " + MemcachedVersion() + "\r\nMN\r\n");
  const auto lines = ParseMetadump(dump);
  EXPECT_EQ(lines.size(), static_cast<size_t>(kItems));
  std::set<std::string> keys;
  for (const auto& l : lines) keys.insert(l.key);
  EXPECT_EQ(keys.size(), static_cast<size_t>(kItems));
  EXPECT_EQ(Crawler("lru_crawler crawl 1\r\n"), "OK\r\n");
}

// --------------------------------------------------------------- mgdump ---

TEST_P(CrawlerTest, MgdumpListsKeysAsMetaGets) {
  if (IsReference()) GTEST_SKIP() << "mgdump is memcached 1.6.19; 1.6.18 answers ERROR";
  auto mgdump = [&](std::string_view classes) {
    EXPECT_TRUE(client().Send("lru_crawler mgdump " + std::string(classes) + "\r\n"));
    std::vector<std::string> lines;
    for (std::string line = client().ReadLine(); !line.empty(); line = client().ReadLine()) {
      if (line == "EN\r\n") return lines;
      lines.push_back(line);
    }
    ADD_FAILURE() << "no EN";
    return lines;
  };
  EXPECT_TRUE(mgdump("all").empty());
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "plain", "p"), "STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip("ms 44OG44K544OI 1 b\r\nb\r\n", "HD\r\n"));  // "テスト"
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "gone", "x", 0, -1), "STORED\r\n"));
  std::vector<std::string> lines = mgdump("all");
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"mg 44OG44K544OI b\r\n", "mg plain\r\n"}));
  // Each line is a meta get the client can send back with the flags it wants.
  EXPECT_TRUE(client().Roundtrip("mg 44OG44K544OI b v\r\n", "VA 1\r\nb\r\n"));
  EXPECT_EQ(mgdump("hash").size(), 2u);
  EXPECT_EQ(Crawler("lru_crawler mgdump 0\r\n"), "BADCLASS invalid class id\r\n");
}

// ------------------------------------------------------------ cachedump ---

TEST_P(CrawlerTest, CachedumpListsTheColdItemsOfAClass) {
  const int64_t exptime = std::stoll(client().Stats()["time"]) + 1000;
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "k1", "one", 0, exptime), "STORED\r\n"));
  // The empty value's key is long enough that all three items share a class
  // in slabcached's finer default classes too (memcached's first class is 96
  // bytes, slabcached's are 8 bytes apart): "k2" alone would sit one lower.
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "k2-empty", ""), "STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "k3", "three"), "STORED\r\n"));
  const std::string cls = ClassOf("k1");
  ASSERT_EQ(cls, ClassOf("k3"));
  ASSERT_EQ(cls, ClassOf("k2-empty"));
  // New items start on HOT; both servers move them to COLD within a few seconds.
  const std::string all = "ITEM k3 [5 b; 0 s]\r\nITEM k2-empty [0 b; 0 s]\r\nITEM k1 [3 b; " +
                          std::to_string(exptime) + " s]\r\nEND\r\n";
  std::string reply;
  const auto deadline = Clock::now() + milliseconds(10000);
  while (true) {
    ASSERT_TRUE(client().Send("stats cachedump " + cls + " 0\r\n"));
    reply = client().ReadUntilEnd();
    if (reply == all || Clock::now() > deadline) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(reply, all);
  EXPECT_TRUE(client().Roundtrip("stats cachedump " + cls + " 2\r\n",
                                 "ITEM k3 [5 b; 0 s]\r\nITEM k2-empty [0 b; 0 s]\r\nEND\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats cachedump " + cls + " 0 extra\r\n", all));
  EXPECT_TRUE(client().Roundtrip("stats cachedump 0 0\r\n", "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats cachedump 63 0\r\n", "END\r\n"));
}

TEST_P(CrawlerTest, CachedumpArgumentErrors) {
  EXPECT_TRUE(client().Roundtrip("stats cachedump\r\n", "CLIENT_ERROR bad command line\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats cachedump 1\r\n", "CLIENT_ERROR bad command line\r\n"));
  for (const char* args : {"x 1", "1 x", "-1 1", "1 -1"}) {
    EXPECT_TRUE(client().Roundtrip("stats cachedump " + std::string(args) + "\r\n",
                                   "CLIENT_ERROR bad command line format\r\n"))
        << args;
  }
  EXPECT_TRUE(client().Roundtrip("stats cachedump 64 0\r\n", "CLIENT_ERROR Illegal slab id\r\n"));
  // Ids are read modulo 2^32, as memcached's 32-bit variable does.
  EXPECT_TRUE(client().Roundtrip("stats cachedump 4294967296 0\r\n", "END\r\n"));
}

// Class ids are the server's: memcached's 1..63; slabcached's default layout
// has 127 classes from -m 1016 on, but memcached's 63 under -f.
TEST_P(CrawlerTest, ClassIdsFollowTheClassLayout) {
  SKIP_IF_ATTACHED();
  std::vector<std::string> flags = DefaultFlags();
  flags.insert(flags.end(), {"-m", "1024"});
  const std::unique_ptr<Daemon> fine = StartDaemon(flags);
  ASSERT_NE(fine, nullptr);
  const std::unique_ptr<Client> c = Connect(fine.get());
  ASSERT_NE(c, nullptr);
  const std::string last = IsReference() ? "63" : "127";
  const std::string past = IsReference() ? "64" : "128";
  EXPECT_EQ(Crawler(*c, "lru_crawler crawl " + last + "\r\n"), "OK\r\n");
  EXPECT_EQ(Crawler(*c, "lru_crawler crawl " + past + "\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_EQ(Crawler(*c, "lru_crawler metadump 1," + past + "\r\n"),
            "BADCLASS invalid class id\r\n");
  EXPECT_TRUE(c->Roundtrip("stats cachedump " + last + " 0\r\n", "END\r\n"));
  EXPECT_TRUE(
      c->Roundtrip("stats cachedump " + past + " 0\r\n", "CLIENT_ERROR Illegal slab id\r\n"));

  flags.insert(flags.end(), {"-f", "1.25"});
  const std::unique_ptr<Daemon> growth = StartDaemon(flags);
  ASSERT_NE(growth, nullptr);
  const std::unique_ptr<Client> g = Connect(growth.get());
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(Crawler(*g, "lru_crawler crawl 63\r\n"), "OK\r\n");
  EXPECT_EQ(Crawler(*g, "lru_crawler crawl 64\r\n"), "BADCLASS invalid class id\r\n");
  EXPECT_TRUE(g->Roundtrip("stats cachedump 64 0\r\n", "CLIENT_ERROR Illegal slab id\r\n"));
}

// item_cachedump() fills one 2 MB buffer: lines stop where the next would not fit.
TEST_P(CrawlerTest, CachedumpStopsAtTwoMegabytes) {
  constexpr int kItems = 15000;
  Fill("cap", kItems, 200, "0123456789");
  std::string key0 = "cap0";
  key0.append(200 - key0.size(), 'k');
  const std::string cls = ClassOf(key0);
  // Each line is "ITEM <200-byte key> [10 b; 0 s]\r\n", 219 bytes: 9576 fit.
  constexpr size_t kLine = 219;
  constexpr size_t kFit = 9576;
  std::string reply;
  const auto deadline = Clock::now() + milliseconds(15000);
  while (true) {
    ASSERT_TRUE(client().Send("stats cachedump " + cls + " 0\r\n"));
    reply = ReadRawUntil(client(), "END\r\n");
    if (reply.size() == kFit * kLine + 5 || Clock::now() > deadline) break;
    std::this_thread::sleep_for(milliseconds(200));  // until enough are on COLD
  }
  EXPECT_EQ(reply.size(), kFit * kLine + 5);
  EXPECT_TRUE(reply.starts_with("ITEM cap"));
  EXPECT_TRUE(reply.ends_with("kkk [10 b; 0 s]\r\nEND\r\n"));
  // A limit below the cap counts lines.
  ASSERT_TRUE(client().Send("stats cachedump " + cls + " 100\r\n"));
  EXPECT_EQ(ReadRawUntil(client(), "END\r\n").size(), 100 * kLine + 5);
}

INSTANTIATE_TEST_SUITE_P(Crawler, CrawlerTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);
INSTANTIATE_TEST_SUITE_P(Crawler, CrawlerClockTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
