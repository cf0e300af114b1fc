// ClientConfig::connections_per_server: several connections per server,
// used round-robin, against one real slabcached.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = testing::SlabcachedBinary();
    if (binary.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    std::string error;
    ASSERT_TRUE(testing::StartFleet(binary, 1, &fleet_, &error)) << error;
  }

  ClientConfig Config(uint32_t connections) const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    config.connections_per_server = connections;
    return config;
  }

  // The server's total_connections, read over a connection of its own.
  uint64_t TotalConnections(Client& observer) {
    std::vector<std::pair<std::string, std::string>> stats;
    EXPECT_EQ(observer.Stats(0, "", &stats), Status::kOk);
    for (const auto& [name, value] : stats) {
      if (name == "total_connections") return std::stoull(value);
    }
    ADD_FAILURE() << "no total_connections";
    return 0;
  }

  testing::Fleet fleet_;
};

TEST_F(PoolTest, OperationsTakeTheConnectionsInTurn) {
  Client observer(Config(1));
  const uint64_t before = TotalConnections(observer);
  Client pooled(Config(3));
  for (int i = 0; i < 12; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_EQ(pooled.Set(key, "v"), Status::kOk);
    Item item;
    ASSERT_EQ(pooled.Get(key, &item), Status::kOk);
    EXPECT_EQ(item.value, "v");
  }
  EXPECT_EQ(TotalConnections(observer) - before, 3u) << "three connections, each reused";
  Client single(Config(0));  // 0 counts as 1
  const uint64_t mid = TotalConnections(observer);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(single.Set("x", "y"), Status::kOk);
  EXPECT_EQ(TotalConnections(observer) - mid, 1u);
}

TEST_F(PoolTest, ALargeMultiGetSpreadsOverTheConnections) {
  ClientConfig config = Config(4);
  config.max_keys_per_get = 50;
  Client observer(Config(1));
  const uint64_t before = TotalConnections(observer);
  Client pooled(config);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back("mk" + std::to_string(i));
    if (i % 2 == 0) {
      ASSERT_EQ(observer.Set(keys.back(), std::to_string(i)), Status::kOk);
    }
  }
  const uint64_t after_sets = TotalConnections(observer);
  std::map<std::string, Item> found;
  ASSERT_EQ(pooled.MultiGet(keys, &found), Status::kOk);
  EXPECT_EQ(found.size(), 500u);
  EXPECT_EQ(found["mk998"].value, "998");
  EXPECT_EQ(TotalConnections(observer) - after_sets, 4u) << "one multi-get, four connections";
  EXPECT_EQ(after_sets, before);
}

TEST_F(PoolTest, AFailedOperationCountsOnceAgainstTheServer) {
  ClientConfig config = Config(4);
  config.max_keys_per_get = 1;
  config.failure_limit = 2;
  config.timeout = milliseconds(300);
  Client pooled(config);
  Item item;
  ASSERT_EQ(pooled.Set("a", "1"), Status::kOk);
  fleet_.daemons[0]->Kill(SIGKILL);
  std::map<std::string, Item> found;
  EXPECT_EQ(pooled.MultiGet({"a", "b", "c", "d"}, &found), Status::kSomeErrors);
  EXPECT_FALSE(pooled.IsEjected(0)) << "four failed connections, one failed operation";
  EXPECT_NE(pooled.Get("a", &item), Status::kOk);
  EXPECT_TRUE(pooled.IsEjected(0));
}

}  // namespace
}  // namespace slabcached::client
