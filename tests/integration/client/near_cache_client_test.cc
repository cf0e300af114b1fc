// A NearCache shared by Clients (ClientConfig::near_cache) against a real
// daemon: Get reads through it, local writes invalidate it, other writers are
// seen after its TTL.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "client/client.h"
#include "client/near_cache.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class NearCacheClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = testing::SlabcachedBinary();
    if (binary.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    std::string error;
    ASSERT_TRUE(testing::StartFleet(binary, 2, &fleet_, &error)) << error;
    NearCacheConfig near_config;
    near_config.ttl = milliseconds(300);
    near_ = std::make_shared<NearCache>(near_config);
  }

  ClientConfig Config(bool with_near) const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    if (with_near) config.near_cache = near_;
    return config;
  }

  testing::Fleet fleet_;
  std::shared_ptr<NearCache> near_;
};

TEST_F(NearCacheClientTest, RepeatedGetsAreServedInProcess) {
  Client cache(Config(true));
  ASSERT_EQ(cache.Set("hot", "v1", 5), Status::kOk);
  Item item;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(cache.Get("hot", &item), Status::kOk);
    EXPECT_EQ(item.value, "v1");
    EXPECT_EQ(item.flags, 5u);
  }
  EXPECT_EQ(near_->stats().hits, 9u);
  EXPECT_EQ(near_->stats().misses, 1u);
  // Misses are not cached.
  EXPECT_EQ(cache.Get("cold", &item), Status::kNotFound);
  EXPECT_EQ(cache.Get("cold", &item), Status::kNotFound);
  EXPECT_EQ(near_->stats().entries, 1u);
}

TEST_F(NearCacheClientTest, LocalWritesInvalidateEveryClientSharingIt) {
  Client a(Config(true));
  Client b(Config(true));  // another thread's Client, same near cache
  Item item;
  ASSERT_EQ(a.Set("k", "1"), Status::kOk);
  ASSERT_EQ(b.Get("k", &item), Status::kOk);
  ASSERT_EQ(a.Set("k", "2"), Status::kOk);
  ASSERT_EQ(b.Get("k", &item), Status::kOk);
  EXPECT_EQ(item.value, "2");
  ASSERT_EQ(a.Append("k", "x"), Status::kOk);
  ASSERT_EQ(b.Get("k", &item), Status::kOk);
  EXPECT_EQ(item.value, "2x");
  ASSERT_EQ(a.Set("n", "10"), Status::kOk);
  ASSERT_EQ(b.Get("n", &item), Status::kOk);
  ASSERT_EQ(a.Incr("n", 5), Status::kOk);
  ASSERT_EQ(b.Get("n", &item), Status::kOk);
  EXPECT_EQ(item.value, "15");
  ASSERT_EQ(a.Delete("k"), Status::kOk);
  EXPECT_EQ(b.Get("k", &item), Status::kNotFound);
}

TEST_F(NearCacheClientTest, OtherWritersAreSeenAfterTheTtl) {
  Client near_client(Config(true));
  Client elsewhere(Config(false));  // another process
  Item item;
  ASSERT_EQ(elsewhere.Set("shared", "old"), Status::kOk);
  ASSERT_EQ(near_client.Get("shared", &item), Status::kOk);
  ASSERT_EQ(elsewhere.Set("shared", "new"), Status::kOk);
  ASSERT_EQ(near_client.Get("shared", &item), Status::kOk);
  EXPECT_EQ(item.value, "old") << "stale within the near cache's TTL, as documented";
  std::this_thread::sleep_for(milliseconds(350));
  ASSERT_EQ(near_client.Get("shared", &item), Status::kOk);
  EXPECT_EQ(item.value, "new");
}

}  // namespace
}  // namespace slabcached::client
