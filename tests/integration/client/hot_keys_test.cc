// Hot-key replication against three real daemons: a Zipf load's hottest
// server sheds its hot keys' reads to the replicas, and a delete leaves no
// replica serving the old value (with every daemon up, with one killed, and
// with one unreachable while the delete ran).
#include "client/hot_keys.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client/cache_aside.h"
#include "client/client.h"
#include "client/near_cache.h"
#include "tests/integration/client/client_checks.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

// Ranks 0..n-1 with P(rank r) proportional to 1 / (r + 1)^s, from a seeded
// generator (inverse CDF over the precomputed weights).
class Zipf {
 public:
  Zipf(size_t n, double s, uint64_t seed) : rng_(seed), cdf_(n) {
    double sum = 0;
    for (size_t r = 0; r < n; ++r) cdf_[r] = sum += 1.0 / std::pow(static_cast<double>(r + 1), s);
    for (double& c : cdf_) c /= sum;
  }
  size_t Next() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return std::min<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(),
                            cdf_.size() - 1);
  }

 private:
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
};

class HotKeysTest : public testing::FleetTest<> {
 protected:
  ClientConfig Config(std::shared_ptr<HotKeys> hot) const {
    ClientConfig config;
    config.servers = fleet_.servers;
    // Named, the ring does not move with the daemons' random ports: which
    // server owns which hot key is the same in every run.
    for (size_t i = 0; i < config.servers.size(); ++i) {
      config.servers[i].name = "cache-" + std::to_string(i);
    }
    config.timeout = milliseconds(2000);
    config.hot_keys = std::move(hot);
    return config;
  }

  // A client of one daemon only: what that server holds.
  Status ReadFrom(uint32_t server, std::string_view key, Item* item) {
    ClientConfig config;
    config.servers = {fleet_.servers[server]};
    Client one(config);
    return one.Get(key, item);
  }

  uint64_t Stat(Client& client, uint32_t server, std::string_view name) {
    std::vector<std::pair<std::string, std::string>> stats;
    EXPECT_EQ(client.Stats(server, "", &stats), Status::kOk);
    for (const auto& [n, v] : stats) {
      if (n == name) return std::stoull(v);
    }
    ADD_FAILURE() << "no stat " << name;
    return 0;
  }

  // Per-server cmd_get deltas of `gets` Zipf-distributed Gets; *cold gets,
  // per server, the reads of keys not in `hot` (they go to their owner).
  std::vector<uint64_t> ZipfGets(Client& client, const std::vector<std::string>& keys, size_t hot,
                                 std::vector<uint64_t>* cold) {
    std::vector<uint64_t> before(fleet_.servers.size()), delta(fleet_.servers.size());
    cold->assign(fleet_.servers.size(), 0);
    for (uint32_t s = 0; s < before.size(); ++s) before[s] = Stat(client, s, "cmd_get");
    Zipf zipf(keys.size(), 1.1, /*seed=*/42);
    Item item;
    for (int i = 0; i < kGets; ++i) {
      const size_t rank = zipf.Next();
      EXPECT_EQ(client.Get(keys[rank], &item), Status::kOk);
      if (rank >= hot) ++(*cold)[client.ServerFor(keys[rank])];
    }
    for (uint32_t s = 0; s < delta.size(); ++s) delta[s] = Stat(client, s, "cmd_get") - before[s];
    return delta;
  }

  static constexpr int kGets = 30000;
};

double MaxShare(const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return static_cast<double>(*std::max_element(counts.begin(), counts.end())) /
         static_cast<double>(total);
}

std::string Counts(const std::vector<uint64_t>& counts) {
  std::string out;
  for (uint64_t c : counts) out += (out.empty() ? "" : "/") + std::to_string(c);
  return out;
}

// Zipf (s = 1.1) over 5,000 keys, 30,000 gets: the 20 hottest keys (what
// "stats hotkeys 20" reports) take half of the reads. Their reads per server
// are measured as cmd_get minus the cold keys' reads (which go to their
// owner, counted here): with R replicas the busiest server carries about
// 1/R of the hot reads, and the hottest server's share of all reads drops.
TEST_F(HotKeysTest, ZipfLoadHottestServerShareDropsWithReplicas) {
  constexpr int kKeys = 5000;
  constexpr size_t kHot = 20;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("zipf:" + std::to_string(i));
  const std::vector<std::string> hot_keys(keys.begin(), keys.begin() + kHot);

  Client plain(Config(nullptr));
  for (const std::string& k : keys) ASSERT_EQ(plain.Set(k, "v" + k), Status::kOk);
  std::vector<uint64_t> cold;
  const std::vector<uint64_t> base = ZipfGets(plain, keys, kHot, &cold);
  std::vector<uint64_t> base_hot(base.size());
  for (size_t s = 0; s < base.size(); ++s) base_hot[s] = base[s] - cold[s];
  const uint64_t hot_total = base_hot[0] + base_hot[1] + base_hot[2];
  std::printf("R=1: cmd_get %s (hottest %.1f%%), hot-key reads %s of %llu\n", Counts(base).c_str(),
              100 * MaxShare(base), Counts(base_hot).c_str(),
              static_cast<unsigned long long>(hot_total));

  for (const uint32_t r : {2u, 3u}) {
    auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = r});
    hot->SetLearned(hot_keys);
    Client spread(Config(hot));
    for (const std::string& k : hot_keys) ASSERT_EQ(spread.Set(k, "v" + k), Status::kOk);
    std::vector<uint64_t> after_cold;
    const std::vector<uint64_t> after = ZipfGets(spread, keys, kHot, &after_cold);
    ASSERT_EQ(after_cold, cold) << "cold keys stay on their owner";
    std::vector<uint64_t> after_hot(after.size());
    for (size_t s = 0; s < after.size(); ++s) after_hot[s] = after[s] - cold[s];
    const uint64_t max_before = *std::max_element(base_hot.begin(), base_hot.end());
    const uint64_t max_after = *std::max_element(after_hot.begin(), after_hot.end());
    std::printf(
        "R=%u: cmd_get %s (hottest %.1f%%), hot-key reads %s: busiest server %llu -> "
        "%llu (%.2fx)\n",
        r, Counts(after).c_str(), 100 * MaxShare(after), Counts(after_hot).c_str(),
        static_cast<unsigned long long>(max_before), static_cast<unsigned long long>(max_after),
        static_cast<double>(max_after) / static_cast<double>(max_before));
    // Each hot read goes to one of R servers at random; read repair adds at
    // most one primary read per hot key and secondary.
    EXPECT_LE(max_after, hot_total / r + hot_total / 20 + kHot * r);
    EXPECT_LT(MaxShare(after), MaxShare(base));
  }
}

// One viral key: its owner serves every read; marked hot with R replicas,
// each replica serves about 1/R of them (a random choice per read).
TEST_F(HotKeysTest, AViralKeysReadsSplitEvenlyOverItsReplicas) {
  constexpr uint64_t kReads = 3000;
  for (const uint32_t r : {1u, 2u, 3u}) {
    auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = r});
    const std::string key = "viral:" + std::to_string(r);
    hot->Mark(key);
    Client client(Config(hot));
    ASSERT_EQ(client.Set(key, "v"), Status::kOk);
    std::vector<uint64_t> before(3);
    for (uint32_t s = 0; s < 3; ++s) before[s] = Stat(client, s, "cmd_get");
    Item item;
    for (uint64_t i = 0; i < kReads; ++i) ASSERT_EQ(client.Get(key, &item), Status::kOk);
    std::vector<uint32_t> replicas;
    client.ServersFor(key, &replicas);
    ASSERT_EQ(replicas.size(), r);
    std::vector<uint64_t> reads(3);
    for (uint32_t s = 0; s < 3; ++s) reads[s] = Stat(client, s, "cmd_get") - before[s];
    std::printf("R=%u: the viral key's reads per server %s\n", r, Counts(reads).c_str());
    for (uint32_t s = 0; s < 3; ++s) {
      const bool replica = std::find(replicas.begin(), replicas.end(), s) != replicas.end();
      if (!replica) {
        EXPECT_EQ(reads[s], 0u);
      }
    }
    // Random choice: within 10% of an even split (more than 5 standard
    // deviations of the binomial).
    for (uint32_t server : replicas) {
      EXPECT_LE(reads[server], kReads / r + kReads / r / 10);
      EXPECT_GE(reads[server], kReads / r - kReads / r / 10);
    }
  }
}

TEST_F(HotKeysTest, EveryCommandAnswersTheSameForHotKeys) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
  for (const char* key : {"missing", "k", "nope", "n", "s"}) hot->Mark(key);
  Client client(Config(hot));
  testing::ExpectEveryCommandAnswers(client);
}

TEST_F(HotKeysTest, SetReachesEveryReplicaAndDeleteClearsThemAll) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3, .replica_ttl = 300});
  hot->Mark("banner");
  Client client(Config(hot));
  std::vector<uint32_t> replicas;
  client.ServersFor("banner", &replicas);
  ASSERT_EQ(replicas.size(), 3u);
  ASSERT_EQ(replicas[0], client.ServerFor("banner"));
  ASSERT_EQ(client.Set("banner", "v1", 7, 0), Status::kOk);
  Item item;
  for (uint32_t server : replicas) {
    ASSERT_EQ(ReadFrom(server, "banner", &item), Status::kOk) << server;
    EXPECT_EQ(item.value, "v1");
    EXPECT_EQ(item.flags, 7u);
  }
  ASSERT_EQ(client.Set("banner", "v2"), Status::kOk);
  for (int i = 0; i < 30; ++i) {  // every replica, almost surely
    ASSERT_EQ(client.Get("banner", &item), Status::kOk);
    EXPECT_EQ(item.value, "v2");
  }
  ASSERT_EQ(client.Delete("banner"), Status::kOk);
  for (uint32_t server : replicas) EXPECT_EQ(ReadFrom(server, "banner", &item), Status::kNotFound);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(client.Get("banner", &item), Status::kNotFound);
}

TEST_F(HotKeysTest, DeleteFromClearsOneServerOnly) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
  hot->Mark("banner");
  Client client(Config(hot));
  ASSERT_EQ(client.Set("banner", "v"), Status::kOk);
  std::vector<uint32_t> replicas;
  client.ServersFor("banner", &replicas);
  ASSERT_EQ(replicas.size(), 3u);
  EXPECT_EQ(client.DeleteFrom(replicas[1], "banner"), Status::kOk);
  EXPECT_EQ(client.DeleteFrom(replicas[1], "banner"), Status::kNotFound);
  EXPECT_EQ(client.DeleteFrom(7, "banner"), Status::kInvalidArgument);
  Item item;
  EXPECT_EQ(ReadFrom(replicas[0], "banner", &item), Status::kOk);
  EXPECT_EQ(ReadFrom(replicas[1], "banner", &item), Status::kNotFound);
  EXPECT_EQ(ReadFrom(replicas[2], "banner", &item), Status::kOk);
}

TEST_F(HotKeysTest, WritesTheSecondariesCannotApplyDropTheirCopies) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
  hot->Mark("counter");
  Client client(Config(hot));
  ASSERT_EQ(client.Set("counter", "10", 5), Status::kOk);
  uint64_t n = 0;
  ASSERT_EQ(client.Incr("counter", 5, &n), Status::kOk);
  EXPECT_EQ(n, 15u);
  Item item;
  for (int i = 0; i < 30; ++i) {  // secondaries repair from the primary
    ASSERT_EQ(client.Get("counter", &item), Status::kOk);
    EXPECT_EQ(item.value, "15");
    EXPECT_EQ(item.flags, 5u);
  }
  ASSERT_EQ(client.Append("counter", "0"), Status::kOk);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(client.Get("counter", &item), Status::kOk);
    EXPECT_EQ(item.value, "150");
  }
}

TEST_F(HotKeysTest, DeleteWithAReplicaKilledReportsItAndNoReadIsStale) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
  hot->Mark("banner");
  ClientConfig config = Config(hot);
  config.timeout = milliseconds(500);
  config.failure_limit = 100;  // keep the dead server in the ring: the worst case
  Client client(config);
  std::vector<uint32_t> replicas;
  client.ServersFor("banner", &replicas);
  ASSERT_EQ(replicas.size(), 3u);
  ASSERT_EQ(client.Set("banner", "old"), Status::kOk);
  const uint32_t dead = replicas[1];
  const int dead_port = fleet_.servers[dead].port;
  fleet_.daemons[dead]->Kill(SIGKILL);

  // The delete reached the live replicas and says one was not reached.
  EXPECT_EQ(client.Delete("banner"), Status::kConnectionFailure);
  Item item;
  EXPECT_EQ(ReadFrom(replicas[0], "banner", &item), Status::kNotFound);
  EXPECT_EQ(ReadFrom(replicas[2], "banner", &item), Status::kNotFound);
  // Reads that pick the dead replica fall back to the primary.
  for (int i = 0; i < 30; ++i) EXPECT_EQ(client.Get("banner", &item), Status::kNotFound);

  // A restarted daemon comes back empty: still no stale read.
  std::string error;
  fleet_.daemons[dead] = testing::StartSlabcached(testing::SlabcachedBinary(), dead_port, &error);
  ASSERT_NE(fleet_.daemons[dead], nullptr) << error;
  for (int i = 0; i < 30; ++i) EXPECT_EQ(client.Get("banner", &item), Status::kNotFound);
}

// A replica that stalls (here SIGSTOP) while the delete is sent: Delete
// times out and says so; the request sits in the server's socket and is
// applied when it resumes. (A real partition can lose the request: that
// replica then keeps its copy until replica_ttl unless the delete is
// retried, which is why Delete reports the failure.)
TEST_F(HotKeysTest, ReplicaStalledDuringDeleteReportsItAndAppliesItLater) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
  hot->Mark("banner");
  ClientConfig config = Config(hot);
  config.timeout = milliseconds(300);
  config.failure_limit = 100;
  Client client(config);
  std::vector<uint32_t> replicas;
  client.ServersFor("banner", &replicas);
  ASSERT_EQ(replicas.size(), 3u);
  ASSERT_EQ(client.Set("banner", "old"), Status::kOk);
  const uint32_t stalled = replicas[2];
  ASSERT_EQ(::kill(fleet_.daemons[stalled]->pid(), SIGSTOP), 0);
  EXPECT_EQ(client.Delete("banner"), Status::kTimeout);
  ASSERT_EQ(::kill(fleet_.daemons[stalled]->pid(), SIGCONT), 0);
  Item item;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  Status s = Status::kOk;
  while ((s = ReadFrom(stalled, "banner", &item)) == Status::kOk &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(s, Status::kNotFound);
  // The retry a caller makes on kTimeout is harmless.
  EXPECT_EQ(client.Delete("banner"), Status::kNotFound);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(client.Get("banner", &item), Status::kNotFound);
}

TEST_F(HotKeysTest, CacheAsideOnAHotKeyLoadsOnceAndFillsEveryReplica) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
  hot->Mark("user:7");
  Client client(Config(hot));
  CacheAside patterns;  // kAuto: meta where spoken, but add-lock for hot keys
  testing::CountingLoader db;
  std::string value;
  LoadInfo info;
  ASSERT_EQ(patterns.GetOrLoad(client, "user:7", db.AsLoader(), 300, &value, &info), Status::kOk);
  EXPECT_EQ(info.strategy, StampedeProtection::kAddLock);
  EXPECT_EQ(patterns.ProtectionFor(client, "user:8"), StampedeProtection::kMeta);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(patterns.GetOrLoad(client, "user:7", db.AsLoader(), 300, &value), Status::kOk);
    EXPECT_EQ(value, "from-db");
  }
  EXPECT_EQ(db.calls, 1);
  Item item;
  for (uint32_t server = 0; server < 3; ++server) {
    EXPECT_EQ(ReadFrom(server, "user:7", &item), Status::kOk) << server;
  }
}

TEST_F(HotKeysTest, NearCacheIsTheFirstTierForHotKeysOnly) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 2, .near_cache_hot_only = true});
  hot->Mark("hot");
  ClientConfig config = Config(hot);
  config.near_cache =
      std::make_shared<NearCache>(NearCacheConfig{.ttl = milliseconds(60000), .now = {}});
  Client client(config);
  ASSERT_EQ(client.Set("hot", "h"), Status::kOk);
  ASSERT_EQ(client.Set("cold", "c"), Status::kOk);
  Item item;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(client.Get("hot", &item), Status::kOk);
    ASSERT_EQ(client.Get("cold", &item), Status::kOk);
  }
  EXPECT_EQ(config.near_cache->stats().entries, 1u);
  EXPECT_EQ(config.near_cache->stats().hits, 4u);
}

TEST_F(HotKeysTest, LearnsTheServersHottestKeyAndKeepsMarkedKeys) {
  // The daemons' "stats hotkeys" (a sampled top-K per server) names the key
  // that takes most of the gets; LearnHotKeys makes it hot on this client.
  auto hot = std::make_shared<HotKeys>();
  hot->Mark("marked");
  Client client(Config(hot));
  ASSERT_EQ(client.Set("viral", "v"), Status::kOk);
  Item item;
  for (int i = 0; i < 50; ++i) {
    const std::string cold = "cold:" + std::to_string(i);
    ASSERT_EQ(client.Set(cold, "c"), Status::kOk);
    ASSERT_EQ(client.Get(cold, &item), Status::kOk);
  }
  for (int i = 0; i < 800; ++i) ASSERT_EQ(client.Get("viral", &item), Status::kOk);
  EXPECT_FALSE(hot->IsHot("viral"));
  ASSERT_EQ(LearnHotKeys(client, 3, hot.get()), Status::kOk);
  EXPECT_TRUE(hot->IsHot("viral"));
  EXPECT_TRUE(hot->IsHot("marked"));
  EXPECT_LE(hot->size(), 1u + 3 * 3) << "at most the top 3 of each server, and the marked key";
  for (uint32_t server = 0; server < 3; ++server) EXPECT_FALSE(client.IsEjected(server));
  // Now replicated: the next set reaches a second server, and reads spread.
  ASSERT_EQ(client.Set("viral", "v2"), Status::kOk);
  std::vector<uint32_t> servers;
  client.ServersFor("viral", &servers);
  EXPECT_EQ(servers.size(), 2u);
}

}  // namespace
}  // namespace slabcached::client
