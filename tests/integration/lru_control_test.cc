// issue #12 items 4-6, on both servers: "lru tune|mode|temp_ttl", the per-class counters of
// "stats slabs" and "stats items" (and "stats reset" of them), the LRU and page mover counters
// of "stats", "stats sizes" (-o track_sizes), and "version"; and the names of "stats" against
// memcached 1.6.45's, when that binary is at hand. Where memcached 1.6.45 (the behaviour
// slabcached follows) differs from Debian's 1.6.18, the test says so and expects 1.6.45's answer
// from slabcached.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

class LruControlTest : public ServerTest {
 protected:
  // The slab class of `key`, as "me" reports it.
  std::string ClassOf(const std::string& key) {
    EXPECT_TRUE(client().Send("me " + key + "\r\n"));
    return Field(client().ReadLine(), "cls");
  }
  // The value of `name=` in a line of "name=value" words.
  static std::string Field(const std::string& line, const std::string& name) {
    const size_t at = line.find(" " + name + "=");
    if (at == std::string::npos) return "<no " + name + " in " + line + ">";
    const size_t start = at + name.size() + 2;
    return line.substr(start, line.find_first_of(" \r\n", start) - start);
  }
};

TEST_P(LruControlTest, TuneSetsTheFourSettingsAndChecksThem) {
  EXPECT_TRUE(client().Roundtrip("lru tune 10 20 0.1 3\r\n", "OK\r\n"));
  auto settings = client().Stats("settings");
  EXPECT_EQ(settings["hot_lru_pct"], "10");
  EXPECT_EQ(settings["warm_lru_pct"], "20");
  EXPECT_EQ(settings["hot_max_factor"], "0.10");
  EXPECT_EQ(settings["warm_max_factor"], "3.00");
  EXPECT_TRUE(client().Roundtrip("lru tune 50 40 0.1 2\r\n",
                                 "ERROR hot and warm pcts must not exceed 80\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru tune 10 20 0 2\r\n",
                                 "ERROR hot/warm age factors must be greater than 0\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru tune 10 20 x 2\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru tune -1 20 0.1 2\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru tune 10 20 0.1\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru bogus\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru\r\n", "ERROR\r\n"));
  // A failed tune changes nothing.
  EXPECT_EQ(client().Stats("settings")["hot_lru_pct"], "10");
  // noreply silences the OK (and the errors).
  ASSERT_TRUE(client().Send("lru tune 15 25 0.2 2 noreply\r\nlru tune 90 0 1 1 noreply\r\n"));
  EXPECT_TRUE(client().ExpectSilence(milliseconds(200)));
  settings = client().Stats("settings");
  EXPECT_EQ(settings["hot_lru_pct"], "15");
  EXPECT_EQ(settings["warm_lru_pct"], "25");
  // memcached 1.6.45 takes the subcommand as a prefix; 1.6.18 does not. slabcached follows 1.6.45.
  EXPECT_TRUE(client().Roundtrip("lru t 12 20 0.1 2\r\n", IsReference() ? "ERROR\r\n" : "OK\r\n"));
}

TEST_P(LruControlTest, ModeSwitchesBetweenFlatAndSegmented) {
  EXPECT_EQ(client().Stats("settings")["lru_segmented"], "yes");
  EXPECT_TRUE(client().Roundtrip("lru mode flat\r\n", "OK\r\n"));
  EXPECT_EQ(client().Stats("settings")["lru_segmented"], "no");
  // Flat: new items go straight to COLD, the only list.
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "flat", "v"), "STORED\r\n"));
  const std::string cls = ClassOf("flat");
  auto items = client().Stats("items");
  EXPECT_EQ(items["items:" + cls + ":number_hot"], "0");
  EXPECT_EQ(items["items:" + cls + ":number_cold"], "1");
  // (Segmented, a new item starts in HOT, but the maintainer may move it on at once.)
  EXPECT_TRUE(client().Roundtrip("lru mode segmented\r\n", "OK\r\n"));
  EXPECT_EQ(client().Stats("settings")["lru_segmented"], "yes");
  EXPECT_TRUE(client().Roundtrip("lru mode bogus\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru mode\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru mode flat extra\r\n", "OK\r\n"));  // extra words ignored
}

TEST_P(LruControlTest, ModeNeedsTheMaintainer) {
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-o", "no_lru_maintainer"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip("lru mode flat\r\n", "ERROR\r\n"));
  EXPECT_TRUE(c->Roundtrip("lru temp_ttl -1\r\n", "ERROR\r\n"));
  EXPECT_TRUE(c->Roundtrip("lru tune 10 20 0.1 2\r\n", "OK\r\n"));  // tune does not
}

TEST_P(LruControlTest, TempTtl) {
  EXPECT_EQ(client().Stats("settings")["temp_lru"], "no");
  EXPECT_EQ(client().Stats("settings")["temporary_ttl"], "61");      // memcached's default
  EXPECT_TRUE(client().Roundtrip("lru temp_ttl -1\r\n", "OK\r\n"));  // TEMP off
  EXPECT_TRUE(client().Roundtrip("lru temp_ttl x\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("lru temp_ttl 30\r\n", "OK\r\n"));
  auto settings = client().Stats("settings");
  EXPECT_EQ(settings["temp_lru"], "yes");
  EXPECT_EQ(settings["temporary_ttl"], "30");
  // A TTL up to 30 s goes to TEMP, and hits there never move it.
  ASSERT_TRUE(client().Roundtrip("set short 0 20 1\r\nv\r\n", "STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip("set long 0 100 1\r\nv\r\n", "STORED\r\n"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client().Roundtrip("get short\r\n", "VALUE short 0 1\r\nv\r\nEND\r\n"));
  }
  const std::string p = "items:" + ClassOf("short") + ":";
  ASSERT_EQ(ClassOf("long"), ClassOf("short"));
  auto items = client().Stats("items");
  EXPECT_EQ(items[p + "number"], "2");
  EXPECT_EQ(items[p + "number_temp"], "1");
  EXPECT_EQ(items[p + "hits_to_temp"], "3");
  EXPECT_EQ(items[p + "moves_to_warm"], "0");
  // Off again: number_temp leaves "stats items", as in memcached.
  EXPECT_TRUE(client().Roundtrip("lru temp_ttl -5\r\n", "OK\r\n"));
  EXPECT_EQ(client().Stats("settings")["temp_lru"], "no");
  items = client().Stats("items");
  EXPECT_EQ(items.count(p + "number_temp"), 0u);
  EXPECT_EQ(items[p + "hits_to_temp"], "3");
}

// -o temporary_ttl turns the TEMP LRU on at start; it needs the maintainer.
TEST_P(LruControlTest, TemporaryTtlOption) {
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-o", "temporary_ttl=20"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  auto settings = c->Stats("settings");
  EXPECT_EQ(settings["temp_lru"], "yes");
  EXPECT_EQ(settings["temporary_ttl"], "20");
  ASSERT_TRUE(c->Roundtrip("set t 0 20 1\r\nv\r\n", "STORED\r\n"));
  ASSERT_TRUE(c->Roundtrip("set h 0 0 1\r\nv\r\n", "STORED\r\n"));
  ASSERT_TRUE(c->Send("me t\r\n"));
  const std::string p = "items:" + Field(c->ReadLine(), "cls") + ":";
  auto items = c->Stats("items");
  EXPECT_EQ(items[p + "number"], "2");
  EXPECT_EQ(items[p + "number_temp"], "1");
  EXPECT_EQ(items[p + "hits_to_temp"], "0");

  const ExitResult bad = RunToExit(binary(), {"-o", "temporary_ttl=20,no_lru_maintainer"});
  EXPECT_TRUE(bad.exited && WIFEXITED(bad.wait_status) && WEXITSTATUS(bad.wait_status) == 64)
      << bad.Describe();
  EXPECT_NE(bad.output.find("temporary_ttl requires lru_maintainer to be enabled"),
            std::string::npos)
      << bad.output;
}

// The per-class counters of "stats slabs" follow the item's class, as memcached's do.
TEST_P(LruControlTest, SlabsCountEachClassesHits) {
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "n", "10"), "STORED\r\n"));
  const std::string p = ClassOf("n") + ":";
  ASSERT_TRUE(client().Roundtrip("get n\r\n", ValueReply("n", "10") + "END\r\n"));
  ASSERT_TRUE(client().Roundtrip("get n nope\r\n", ValueReply("n", "10") + "END\r\n"));
  ASSERT_TRUE(client().Roundtrip("incr n 5\r\n", "15\r\n"));
  ASSERT_TRUE(client().Roundtrip("decr n 1\r\n", "14\r\n"));
  ASSERT_TRUE(client().Roundtrip("touch n 0\r\n", "TOUCHED\r\n"));
  ASSERT_TRUE(client().Send("gets n\r\n"));
  const std::string value_line = client().ReadLine();
  const std::string cas = value_line.substr(value_line.rfind(' ') + 1, std::string::npos);
  client().ReadUntilEnd();
  ASSERT_TRUE(client().Roundtrip("cas n 0 0 2 999999\r\nxx\r\n", "EXISTS\r\n"));
  ASSERT_TRUE(client().Roundtrip("cas n 0 0 2 " + cas.substr(0, cas.size() - 2) + "\r\n12\r\n",
                                 "STORED\r\n"));
  // The same hits by the list the item was on (the maintainer may have moved it meanwhile);
  // "stats items" shows classes that hold items only, so before the delete.
  auto items = client().Stats("items");
  uint64_t hits = 0;
  for (const char* lru : {"hits_to_hot", "hits_to_warm", "hits_to_cold", "hits_to_temp"}) {
    ASSERT_EQ(items.count("items:" + p + lru), 1u) << lru;
    hits += std::stoull(items["items:" + p + lru]);
  }
  EXPECT_EQ(hits, 3u);
  for (const char* key : {"crawler_reclaimed", "crawler_items_checked", "lrutail_reflocked"}) {
    EXPECT_EQ(items.count("items:" + p + key), 1u) << key;
  }
  ASSERT_TRUE(client().Roundtrip("delete n\r\n", "DELETED\r\n"));
  ASSERT_TRUE(client().Roundtrip("delete n\r\n", "NOT_FOUND\r\n"));

  auto slabs = client().Stats("slabs");
  EXPECT_EQ(slabs[p + "get_hits"], "3");  // get, get, gets
  EXPECT_EQ(slabs[p + "cmd_set"], "3");   // set and both cas
  EXPECT_EQ(slabs[p + "incr_hits"], "1");
  EXPECT_EQ(slabs[p + "decr_hits"], "1");
  EXPECT_EQ(slabs[p + "touch_hits"], "1");
  EXPECT_EQ(slabs[p + "cas_hits"], "1");
  EXPECT_EQ(slabs[p + "cas_badval"], "1");
  EXPECT_EQ(slabs[p + "delete_hits"], "1");
}

// "stats reset" zeroes the per-class counters of "stats slabs" and "stats items" too
// (memcached's threadlocal_stats_reset); the items stay.
TEST_P(LruControlTest, ResetClearsEachClassesCounters) {
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "r", "1"), "STORED\r\n"));
  const std::string p = ClassOf("r") + ":";
  ASSERT_TRUE(client().Roundtrip("get r\r\n", ValueReply("r", "1") + "END\r\n"));
  ASSERT_TRUE(client().Roundtrip("incr r 1\r\n", "2\r\n"));
  ASSERT_EQ(client().Stats("slabs")[p + "get_hits"], "1");
  ASSERT_TRUE(client().Roundtrip("stats reset\r\n", "RESET\r\n"));
  auto slabs = client().Stats("slabs");
  EXPECT_EQ(slabs[p + "get_hits"], "0");
  EXPECT_EQ(slabs[p + "cmd_set"], "0");
  EXPECT_EQ(slabs[p + "incr_hits"], "0");
  EXPECT_EQ(slabs[p + "used_chunks"], "1");
  auto items = client().Stats("items");
  for (const char* lru : {"hits_to_hot", "hits_to_warm", "hits_to_cold", "hits_to_temp"}) {
    EXPECT_EQ(items["items:" + p + lru], "0") << lru;
  }
  EXPECT_EQ(items["items:" + p + "number"], "1");
  // Counting starts again from zero.
  ASSERT_TRUE(client().Roundtrip("get r\r\n", ValueReply("r", "2") + "END\r\n"));
  EXPECT_EQ(client().Stats("slabs")[p + "get_hits"], "1");
}

// memcached reserves five descriptors a worker (its event base and notify pipe); slabcached's
// workers hold four each (the event base and a wake-up eventfd).
TEST_P(LruControlTest, ReservedFdsCountTheWorkersDescriptors) {
  if (IsReference()) GTEST_SKIP() << "memcached 1.6.18 has no reserved_fds";
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-t", "3"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  auto stats = c->Stats();
  EXPECT_EQ(stats["threads"], "3");
  EXPECT_EQ(stats["reserved_fds"], "12");
}

// The page mover's figures before any move: all zero, and no busy chunk seen yet.
TEST_P(LruControlTest, StatsHasThePageMoverCounters) {
  if (IsReference()) GTEST_SKIP() << "memcached 1.6.18 has the older set of slab_reassign_*";
  auto stats = client().Stats();
  for (const char* key :
       {"slab_reassign_rescues", "slab_reassign_chunk_rescues", "slab_reassign_inline_reclaim",
        "slab_reassign_busy_items", "slab_reassign_busy_deletes", "slab_reassign_busy_nomem"}) {
    EXPECT_EQ(stats[key], "0") << key;
  }
  EXPECT_EQ(stats["slab_reassign_last_busy_status"], "none");
}

TEST_P(LruControlTest, StatsHasTheLruCounters) {
  auto stats = client().Stats();
  for (const char* key :
       {"lrutail_reflocked", "moves_to_cold", "moves_to_warm", "moves_within_lru",
        "direct_reclaims", "lru_bumps_dropped", "malloc_fails", "response_obj_oom",
        "read_buf_bytes_free", "crawler_reclaimed", "crawler_items_checked"}) {
    EXPECT_EQ(stats.count(key), 1u) << key;
  }
  EXPECT_EQ(stats["lru_bumps_dropped"], "0");
  EXPECT_EQ(stats["version"], MemcachedVersion());
  // slabcached's own release, next to the memcached version it follows.
  if (!IsReference()) EXPECT_FALSE(stats["slabcached_version"].empty());
  EXPECT_TRUE(client().Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
}

TEST_P(LruControlTest, SizesNeedTrackSizes) {
  ASSERT_TRUE(client().Send("stats sizes\r\n"));
  EXPECT_EQ(client().ReadUntilEnd(), "STAT sizes_status disabled\r\nEND\r\n");
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-o", "track_sizes"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send("stats sizes\r\n"));
  EXPECT_EQ(c->ReadUntilEnd(), "END\r\n");
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "a", "v"), "STORED\r\n"));
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "b", "w"), "STORED\r\n"));
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "big", std::string(1000, 'x')), "STORED\r\n"));
  // Items count in the 32-byte step their total size ("me"'s size=) rounds up to.
  auto step = [&](const std::string& key) {
    EXPECT_TRUE(c->Send("me " + key + "\r\n"));
    const uint64_t size = std::stoull(Field(c->ReadLine(), "size"));
    return std::to_string((size + 31) / 32 * 32);
  };
  const std::string small = step("a");
  const std::string large = step("big");
  EXPECT_EQ(c->Stats("sizes"), (std::map<std::string, std::string>{{small, "2"}, {large, "1"}}));
  ASSERT_TRUE(c->Roundtrip("delete a\r\n", "DELETED\r\n"));
  EXPECT_EQ(c->Stats("sizes")[small], "1");
  EXPECT_EQ(c->Stats("settings")["track_sizes"], "yes");
}

// What slabcached cannot honour stops it, with the reason (memcached accepts these).
TEST_P(LruControlTest, RefusedOptionsSayWhy) {
  if (IsReference()) GTEST_SKIP() << "memcached accepts them";
  for (const std::string option : {"tail_repair_time=30", "drop_privileges"}) {
    const ExitResult bad = RunToExit(binary(), {"-o", option});
    EXPECT_TRUE(bad.exited && WIFEXITED(bad.wait_status) && WEXITSTATUS(bad.wait_status) == 64)
        << bad.Describe();
    EXPECT_NE(bad.output.find("is refused: "), std::string::npos) << bad.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Lru, LruControlTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

// The newer memcached whose "stats" slabcached follows: MEMCACHED_1_6_45_BIN, else the bench's
// build; CI has neither, and the test is skipped there.
std::optional<std::string> Memcached1645Binary() {
  const char* env = std::getenv("MEMCACHED_1_6_45_BIN");
  const std::string path = env != nullptr && *env != '\0' ? env : "/tmp/bench/memcached";
  if (access(path.c_str(), X_OK) != 0) return std::nullopt;
  return path;
}

std::set<std::string> StatKeys(const Daemon& d) {
  std::string error;
  auto c = Client::Connect(d.host(), d.port(), &error);
  EXPECT_NE(c, nullptr) << error;
  std::set<std::string> keys;
  if (c == nullptr) return keys;
  for (const auto& [key, value] : c->Stats()) keys.insert(key);
  return keys;
}

// The names of "stats" are memcached 1.6.45's, less the ones below, plus slabcached's own.
TEST(StatsKeysTest, GeneralStatsAreMemcached1645s) {
  const std::optional<std::string> reference = Memcached1645Binary();
  if (!reference) GTEST_SKIP() << "no memcached 1.6.45 (MEMCACHED_1_6_45_BIN)";
  std::string why;
  const std::optional<std::string> ours = OwnSlabcachedBinary(&why);
  if (!ours) GTEST_SKIP() << why;
  std::string error;
  auto theirs_daemon = Daemon::Start(*reference, DefaultFlags(), &error);
  ASSERT_NE(theirs_daemon, nullptr) << error;
  auto ours_daemon = Daemon::Start(*ours, DefaultFlags(), &error);
  ASSERT_NE(ours_daemon, nullptr) << error;

  // What memcached 1.6.45 has and slabcached does not: nothing since -N.
  const std::set<std::string> not_ours = {};
  // What slabcached adds.
  const std::set<std::string> only_ours = {
      "slabcached_version",             // its own release; "version" is memcached's
      "detail_untracked_ops",           // stats detail: operations on prefixes past the limit
      "lru_crawler_dumps_taken_over",   // crawler dumps ended for another job
      "meta_state_bytes",               // the meta protocol's stampede state, outside -m
      "slab_reassign_evictions_nomem",  // memcached 1.6.18's; the mover evicts rather than waits
  };
  std::set<std::string> expected;
  for (const std::string& key : StatKeys(*theirs_daemon)) {
    if (!not_ours.contains(key)) expected.insert(key);
  }
  expected.insert(only_ours.begin(), only_ours.end());
  const std::set<std::string> actual = StatKeys(*ours_daemon);
  std::vector<std::string> missing, extra;
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      std::back_inserter(missing));
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << "missing: " << ::testing::PrintToString(missing);
  EXPECT_TRUE(extra.empty()) << "not in memcached 1.6.45: " << ::testing::PrintToString(extra);
}

}  // namespace
}  // namespace slabcached::testing
