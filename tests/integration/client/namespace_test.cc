// Namespace (client/key_namespace.h) against three real slabcached daemons:
// keys carry the generation stored in the cache, Invalidate() makes the old
// keys unreachable at once here and within the staleness bound elsewhere.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "client/client.h"
#include "client/key_namespace.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class NamespaceTest : public testing::FleetTest<> {
 protected:
  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    return config;
  }

  // A steady clock the test moves by hand.
  NamespaceConfig ManualClock() {
    NamespaceConfig config;
    config.now = [this] { return now_; };
    return config;
  }

  std::chrono::steady_clock::time_point now_{};
};

TEST_F(NamespaceTest, KeysCarryTheGenerationStoredInTheCache) {
  Client cache(Config());
  Namespace users("users");
  std::string key;
  ASSERT_EQ(users.Key(cache, "42", &key), Status::kOk);
  uint64_t generation = 0;
  ASSERT_EQ(users.Generation(cache, &generation), Status::kOk);
  EXPECT_EQ(key, "users:" + std::to_string(generation) + ":42");
  Item item;
  ASSERT_EQ(cache.Get("ns:users", &item), Status::kOk);
  EXPECT_EQ(item.value, std::to_string(generation));
  // Created from the wall clock in microseconds: far above small counters.
  EXPECT_GT(generation, uint64_t{1'600'000'000'000'000});
}

TEST_F(NamespaceTest, InvalidateMakesEveryKeyAMissAtOnce) {
  Client cache(Config());
  Namespace users("users");
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    std::string k;
    ASSERT_EQ(users.Key(cache, "u" + std::to_string(i), &k), Status::kOk);
    ASSERT_EQ(cache.Set(k, "v" + std::to_string(i)), Status::kOk);
    keys.push_back(k);
  }
  uint64_t before = 0;
  uint64_t after = 0;
  ASSERT_EQ(users.Generation(cache, &before), Status::kOk);
  ASSERT_EQ(users.Invalidate(cache, &after), Status::kOk);
  EXPECT_EQ(after, before + 1);
  for (int i = 0; i < 50; ++i) {
    std::string k;
    ASSERT_EQ(users.Key(cache, "u" + std::to_string(i), &k), Status::kOk);
    EXPECT_NE(k, keys[static_cast<size_t>(i)]);
    Item item;
    EXPECT_EQ(cache.Get(k, &item), Status::kNotFound) << k;
  }
  // The old items are untouched (they age out by TTL or LRU).
  Item item;
  EXPECT_EQ(cache.Get(keys[0], &item), Status::kOk);
  // Other namespaces are not affected.
  Namespace posts("posts");
  std::string pk;
  ASSERT_EQ(posts.Key(cache, "1", &pk), Status::kOk);
  ASSERT_EQ(cache.Set(pk, "p"), Status::kOk);
  ASSERT_EQ(users.Invalidate(cache), Status::kOk);
  std::string pk2;
  ASSERT_EQ(posts.Key(cache, "1", &pk2), Status::kOk);
  EXPECT_EQ(pk, pk2);
}

TEST_F(NamespaceTest, OtherProcessesSeeAnInvalidationWithinTheStalenessBound) {
  Client app1(Config());
  Client app2(Config());
  NamespaceConfig config = ManualClock();
  config.generation_cache_for = milliseconds(1000);
  Namespace here("feed", config);
  Namespace there("feed", config);  // another process's view
  std::string k1;
  std::string k2;
  ASSERT_EQ(here.Key(app1, "x", &k1), Status::kOk);
  ASSERT_EQ(there.Key(app2, "x", &k2), Status::kOk);
  EXPECT_EQ(k1, k2);

  ASSERT_EQ(here.Invalidate(app1), Status::kOk);
  std::string now_here;
  ASSERT_EQ(here.Key(app1, "x", &now_here), Status::kOk);
  EXPECT_NE(now_here, k1) << "our own invalidation is seen at once";

  now_ += milliseconds(999);
  ASSERT_EQ(there.Key(app2, "x", &k2), Status::kOk);
  EXPECT_EQ(k2, k1) << "within the bound the other process may still use the old generation";
  now_ += milliseconds(1);
  ASSERT_EQ(there.Key(app2, "x", &k2), Status::kOk);
  EXPECT_EQ(k2, now_here) << "after the bound it must see the new one";
}

TEST_F(NamespaceTest, ZeroCacheTimeReadsTheGenerationEveryTime) {
  Client app1(Config());
  Client app2(Config());
  NamespaceConfig config;
  config.generation_cache_for = milliseconds(0);
  Namespace here("t", config);
  Namespace there("t", config);
  std::string a;
  std::string b;
  ASSERT_EQ(there.Key(app2, "k", &a), Status::kOk);
  ASSERT_EQ(here.Invalidate(app1), Status::kOk);
  ASSERT_EQ(there.Key(app2, "k", &b), Status::kOk);
  EXPECT_NE(a, b);
}

TEST_F(NamespaceTest, ALostGenerationKeyNeverBringsOldKeysBack) {
  Client cache(Config());
  uint64_t clock_us = 1000;
  NamespaceConfig config;
  config.generation_cache_for = milliseconds(0);
  config.initial_generation = [&clock_us] { return clock_us; };
  Namespace ns("lost", config);
  std::string old_key;
  ASSERT_EQ(ns.Key(cache, "k", &old_key), Status::kOk);
  EXPECT_EQ(old_key, "lost:1000:k");
  ASSERT_EQ(cache.Set(old_key, "old"), Status::kOk);
  // The generation key is evicted (here: deleted); time has moved on.
  ASSERT_EQ(cache.Delete("ns:lost"), Status::kOk);
  clock_us = 5000;
  std::string new_key;
  ASSERT_EQ(ns.Key(cache, "k", &new_key), Status::kOk);
  EXPECT_EQ(new_key, "lost:5000:k");
  // Invalidate of a missing generation key also starts from the clock.
  ASSERT_EQ(cache.Delete("ns:lost"), Status::kOk);
  clock_us = 9000;
  uint64_t generation = 0;
  ASSERT_EQ(ns.Invalidate(cache, &generation), Status::kOk);
  EXPECT_EQ(generation, 9000u);
}

TEST_F(NamespaceTest, ConcurrentFirstUseAgreesOnOneGeneration) {
  // Two processes create the missing generation key at once: add lets one
  // win, the other reads the winner's value.
  Client app1(Config());
  Client app2(Config());
  NamespaceConfig c1;
  c1.initial_generation = [] { return uint64_t{111}; };
  NamespaceConfig c2;
  c2.initial_generation = [] { return uint64_t{222}; };
  Namespace a("race", c1);
  Namespace b("race", c2);
  uint64_t ga = 0;
  uint64_t gb = 0;
  ASSERT_EQ(a.Generation(app1, &ga), Status::kOk);
  ASSERT_EQ(b.Generation(app2, &gb), Status::kOk);
  EXPECT_EQ(ga, 111u);
  EXPECT_EQ(gb, 111u);
}

TEST_F(NamespaceTest, BadNamesAndKeysAreRejectedWithoutTraffic) {
  Client cache(Config());
  std::string k;
  EXPECT_EQ(Namespace("").Key(cache, "k", &k), Status::kInvalidArgument);
  EXPECT_EQ(Namespace("a:b").Key(cache, "k", &k), Status::kInvalidArgument);
  EXPECT_EQ(Namespace("a b").Invalidate(cache), Status::kInvalidArgument);
  Namespace ok("ok");
  EXPECT_EQ(ok.Key(cache, "", &k), Status::kInvalidArgument);
  EXPECT_EQ(ok.Key(cache, "has space", &k), Status::kInvalidArgument);
  EXPECT_EQ(ok.Key(cache, std::string(240, 'k'), &k), Status::kInvalidArgument);
  EXPECT_EQ(ok.Key(cache, std::string(200, 'k'), &k), Status::kOk);
}

TEST_F(NamespaceTest, AGarbledGenerationIsAnError) {
  Client cache(Config());
  ASSERT_EQ(cache.Set("ns:bad", "not a number"), Status::kOk);
  std::string k;
  EXPECT_EQ(Namespace("bad").Key(cache, "k", &k), Status::kProtocolError);
  ASSERT_EQ(cache.Set("ns:pad", "12   "), Status::kOk);  // as a decr leaves it
  ASSERT_EQ(Namespace("pad").Key(cache, "k", &k), Status::kOk);
  EXPECT_EQ(k, "pad:12:k");
}

TEST_F(NamespaceTest, UnreachableCacheIsReportedNotHidden) {
  ClientConfig config;
  config.servers = {ServerSpec{"127.0.0.1", static_cast<uint16_t>(testing::FreePort()), 1, ""}};
  config.timeout = milliseconds(300);
  Client cache(config);
  std::string k;
  const Status s = Namespace("down").Key(cache, "k", &k);
  EXPECT_TRUE(s == Status::kConnectionFailure || s == Status::kNoServer) << StatusName(s);
}

}  // namespace
}  // namespace slabcached::client
