#include "client/hot_keys.h"

#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/continuum.h"

namespace slabcached::client {
namespace {

std::vector<ServerSpec> Servers(int n) {
  std::vector<ServerSpec> servers;
  for (int i = 0; i < n; ++i) {
    ServerSpec s;
    s.host = "10.0.0." + std::to_string(i + 1);
    s.port = 11211;
    servers.push_back(s);
  }
  return servers;
}

TEST(ContinuumPickDistinctTest, FirstIsPickThenDistinctServers) {
  for (Distribution d : {Distribution::kKetamaWeighted, Distribution::kKetamaLibmemcached,
                         Distribution::kKetamaSpy, Distribution::kModula}) {
    const Continuum ring(Servers(5), PlacementConfig{d, std::nullopt});
    std::vector<uint32_t> replicas;
    for (int i = 0; i < 2000; ++i) {
      const std::string key = "key:" + std::to_string(i);
      const uint32_t hash = ring.HashForKey(key);
      ring.PickDistinct(hash, 3, &replicas);
      ASSERT_EQ(replicas.size(), 3u) << DistributionName(d);
      EXPECT_EQ(replicas[0], ring.PickHash(hash));
      EXPECT_EQ(std::set<uint32_t>(replicas.begin(), replicas.end()).size(), 3u);
    }
  }
}

TEST(ContinuumPickDistinctTest, FollowsTheRingAfterTheKeysPoint) {
  const Continuum ring(Servers(4), PlacementConfig{});
  const auto& points = ring.points();
  std::vector<uint32_t> replicas;
  for (size_t i = 0; i < points.size(); i += 37) {
    ring.PickDistinct(points[i].value, 2, &replicas);
    ASSERT_EQ(replicas.size(), 2u);
    EXPECT_EQ(replicas[0], points[i].server);
    // The second is the owner of the first later point held by another server.
    size_t j = (i + 1) % points.size();
    while (points[j].server == points[i].server) j = (j + 1) % points.size();
    EXPECT_EQ(replicas[1], points[j].server);
  }
}

TEST(ContinuumPickDistinctTest, NeverMoreThanTheLiveServers) {
  const Continuum ring(Servers(3), PlacementConfig{}, {true, false, true});
  std::vector<uint32_t> replicas;
  ring.PickDistinct(ring.HashForKey("k"), 3, &replicas);
  ASSERT_EQ(replicas.size(), 2u);
  EXPECT_NE(replicas[0], 1u);
  EXPECT_NE(replicas[1], 1u);
  const Continuum none(Servers(2), PlacementConfig{}, {false, false});
  none.PickDistinct(5, 2, &replicas);
  EXPECT_TRUE(replicas.empty());
  const Continuum single(Servers(1), PlacementConfig{});
  single.PickDistinct(single.HashForKey("k"), 3, &replicas);
  EXPECT_EQ(replicas, std::vector<uint32_t>{0});
}

TEST(HotKeysTest, MarkedAndLearnedKeysAreHot) {
  HotKeys hot(HotKeysConfig{.max_keys = 4});
  EXPECT_FALSE(hot.IsHot("a"));
  EXPECT_TRUE(hot.Mark("a"));
  EXPECT_TRUE(hot.IsHot("a"));
  hot.SetLearned({"b", "c"});
  EXPECT_TRUE(hot.IsHot("b"));
  EXPECT_EQ(hot.size(), 3u);
  // A new report replaces the learned keys only.
  hot.SetLearned({"d"});
  EXPECT_FALSE(hot.IsHot("b"));
  EXPECT_TRUE(hot.IsHot("a"));
  EXPECT_TRUE(hot.IsHot("d"));
  hot.Unmark("a");
  EXPECT_FALSE(hot.IsHot("a"));
}

TEST(HotKeysTest, BoundedByMaxKeysHottestFirst) {
  HotKeys hot(HotKeysConfig{.max_keys = 3});
  EXPECT_TRUE(hot.Mark("m1"));
  hot.SetLearned({"l1", "l2", "l3", "l4"});
  EXPECT_TRUE(hot.IsHot("l1"));
  EXPECT_TRUE(hot.IsHot("l2"));
  EXPECT_FALSE(hot.IsHot("l3"));
  EXPECT_EQ(hot.size(), 3u);
  EXPECT_FALSE(hot.Mark("m2"));
  EXPECT_TRUE(hot.Mark("m1"));  // already marked
}

TEST(HotKeysTest, SecondaryCopiesExpireWithinReplicaTtl) {
  const HotKeys hot(HotKeysConfig{.replica_ttl = 60});
  EXPECT_EQ(hot.SecondaryExptime(0), 60);
  EXPECT_EQ(hot.SecondaryExptime(10), 10);
  EXPECT_EQ(hot.SecondaryExptime(3600), 60);
  EXPECT_EQ(hot.SecondaryExptime(-1), -1);
  const int64_t now = std::time(nullptr);
  const int64_t absolute = hot.SecondaryExptime(now + 3600);
  EXPECT_GE(absolute, 59);
  EXPECT_LE(absolute, 60);
  EXPECT_EQ(hot.SecondaryExptime(now + 5), 5);
  const HotKeys uncapped(HotKeysConfig{.replica_ttl = 0});
  EXPECT_EQ(uncapped.SecondaryExptime(0), 0);
}

TEST(HotKeysReportTest, KeysFromTheDaemonsReportHottestFirst) {
  // What slabcached's "stats hotkeys" prints (src/stats.cc AppendHotKeyStats).
  const std::vector<std::pair<std::string, std::string>> report = {
      {"hotkeys_sample_every", "8"},  // not key lines: never keys
      {"hotkeys_seconds", "12"},       {"hotkey:1:key", "user:1"},
      {"hotkey:1:requests", "1200"},   {"hotkey:1:rate", "100.0"},
      {"hotkey:1:error", "0"},         {"hotkey:2:key", "caf%C3%A9%25"},  // escaped bytes and '%'
      {"hotkey:3:key", "bad%2"},                                          // malformed escape
      {"hotkey:4:key", "has%20space"},  // decodes to a key a client cannot send
      {"hotkey:5:key", "user:1"},       // duplicate
      {"hotkey:x:key", "user:9"},       // not a rank
      {"hotkey:6:key", "user:3"},
  };
  EXPECT_EQ(ParseHotKeysReport(report),
            (std::vector<std::string>{"user:1", "caf\xC3\xA9%", "user:3"}));
}

// Clients on many threads ask while a learner replaces the set (TSAN).
TEST(HotKeysTest, ReadersWhileTheLearnedSetIsReplaced) {
  HotKeys hot;
  hot.Mark("always");
  std::atomic<int> misses{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) misses += hot.IsHot("always") ? 0 : 1;
    });
  }
  for (int round = 0; round < 200; ++round) {
    hot.SetLearned({"l" + std::to_string(round), "l" + std::to_string(round + 1)});
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_TRUE(hot.IsHot("l200"));
}

}  // namespace
}  // namespace slabcached::client
