// The Client with config.protocol = kBinary against three slabcached
// daemons: every command gives the same results as over the text protocol,
// multi-get fans out as getkq + noop, and both protocols see the same items.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "client/cache_aside.h"
#include "client/client.h"
#include "tests/integration/client/client_checks.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class BinaryClientTest : public testing::FleetTest<> {
 protected:
  ClientConfig Config(Protocol protocol) const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    config.protocol = protocol;
    return config;
  }
};

TEST_F(BinaryClientTest, EveryCommandAnswersAsOverText) {
  Client c(Config(Protocol::kBinary));
  testing::ExpectEveryCommandAnswers(c);
  Item item;

  EXPECT_EQ(c.Set("big", std::string(2 << 20, 'b')), Status::kServerError);
  EXPECT_EQ(c.Set("empty", ""), Status::kOk);
  EXPECT_EQ(c.Get("empty", &item), Status::kOk);
  EXPECT_EQ(item.value, "");
  const std::string binary("a\r\nEND\r\n\0b", 11);
  EXPECT_EQ(c.Set("bin", binary, 0xffffffffu), Status::kOk);
  EXPECT_EQ(c.Get("bin", &item), Status::kOk);
  EXPECT_EQ(item.value, binary);
  EXPECT_EQ(item.flags, 0xffffffffu);

  std::vector<std::pair<std::string, std::string>> stats;
  ASSERT_EQ(c.Stats(0, "", &stats), Status::kOk);
  EXPECT_FALSE(stats.empty());
  bool has_pid = false;
  for (const auto& [name, value] : stats) has_pid = has_pid || name == "pid";
  EXPECT_TRUE(has_pid);
}

TEST_F(BinaryClientTest, MultiGetFansOutWithQuietGets) {
  Client bin(Config(Protocol::kBinary));
  Client text(Config(Protocol::kText));
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("mg-" + std::to_string(i));
    if (i % 3 != 0) {
      ASSERT_EQ(text.Set(keys.back(), "v" + std::to_string(i), static_cast<uint32_t>(i)),
                Status::kOk);
    }
  }
  std::map<std::string, Item> found;
  ASSERT_EQ(bin.MultiGet(keys, &found, /*with_cas=*/true), Status::kOk);
  EXPECT_EQ(found.size(), 200u);
  for (int i = 0; i < 300; ++i) {
    auto it = found.find("mg-" + std::to_string(i));
    if (i % 3 == 0) {
      EXPECT_EQ(it, found.end());
      continue;
    }
    ASSERT_NE(it, found.end());
    EXPECT_EQ(it->second.value, "v" + std::to_string(i));
    EXPECT_EQ(it->second.flags, static_cast<uint32_t>(i));
    EXPECT_NE(it->second.cas, 0u);
  }
}

TEST_F(BinaryClientTest, BothProtocolsSeeTheSameItems) {
  Client bin(Config(Protocol::kBinary));
  Client text(Config(Protocol::kText));
  Item item;
  ASSERT_EQ(bin.Set("shared", "from-binary", 77), Status::kOk);
  ASSERT_EQ(text.Gets("shared", &item), Status::kOk);
  EXPECT_EQ(item.value, "from-binary");
  EXPECT_EQ(item.flags, 77u);
  EXPECT_EQ(bin.Cas("shared", "cas-binary", item.cas), Status::kOk);
  ASSERT_EQ(text.Get("shared", &item), Status::kOk);
  EXPECT_EQ(item.value, "cas-binary");
}

TEST_F(BinaryClientTest, CachePatternsWorkOverBinary) {
  Client c(Config(Protocol::kBinary));
  int loads = 0;
  Loader loader = [&loads](std::string_view, std::string* v) {
    ++loads;
    *v = "loaded";
    return LoadResult::kFound;
  };
  CacheAside patterns;
  std::string value;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(patterns.GetOrLoad(c, "pattern", loader, 60, &value), Status::kOk);
    EXPECT_EQ(value, "loaded");
  }
  EXPECT_EQ(loads, 1);
  Item item;
  EXPECT_EQ(c.Get("pattern:lock", &item), Status::kNotFound);
}

}  // namespace
}  // namespace slabcached::client
