// The streaming multi-get against three slabcached daemons, over both
// protocols: every distinct key found is delivered once, with its flags and
// CAS, while the call runs; a dead server's keys are missing and the rest
// are delivered.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class StreamingMultiGetTest : public testing::FleetTest<::testing::TestWithParam<Protocol>> {
 protected:
  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    config.protocol = GetParam();
    return config;
  }
};

TEST_P(StreamingMultiGetTest, DeliversEachFoundKeyOnceWithItsFlagsAndCas) {
  Client c(Config());
  std::vector<std::string> names;
  std::vector<std::string_view> keys;
  for (int i = 0; i < 300; ++i) names.push_back("stream:" + std::to_string(i));
  for (int i = 0; i < 300; i += 2) {
    ASSERT_EQ(c.Set(names[i], "v" + std::to_string(i), /*flags=*/i), Status::kOk);
  }
  for (const std::string& n : names) keys.push_back(n);
  keys.push_back(names[0]);  // a duplicate: fetched and delivered once
  keys.push_back(names[1]);  // a duplicate miss

  std::map<std::string, int> deliveries;
  std::map<std::string, std::pair<uint32_t, uint64_t>> flags_and_cas;
  std::map<std::string, std::string> values;
  const Status s = c.MultiGet(
      keys,
      [&](const ItemView& item) {
        const std::string key(item.key);
        ++deliveries[key];
        values[key] = std::string(item.value);
        flags_and_cas[key] = {item.flags, item.cas};
      },
      /*with_cas=*/true);
  ASSERT_EQ(s, Status::kOk);
  ASSERT_EQ(deliveries.size(), 150u);
  for (int i = 0; i < 300; i += 2) {
    EXPECT_EQ(deliveries[names[i]], 1) << names[i];
    EXPECT_EQ(values[names[i]], "v" + std::to_string(i));
    EXPECT_EQ(flags_and_cas[names[i]].first, static_cast<uint32_t>(i));
    EXPECT_NE(flags_and_cas[names[i]].second, 0u);
  }
  // The collected form agrees, one entry per distinct key.
  std::vector<std::string> with_duplicates(names.begin(), names.end());
  with_duplicates.push_back(names[0]);
  std::map<std::string, Item> found;
  ASSERT_EQ(c.MultiGet(with_duplicates, &found), Status::kOk);
  EXPECT_EQ(found.size(), 150u);
  EXPECT_EQ(found[names[4]].value, "v4");
}

TEST_P(StreamingMultiGetTest, ADeadServersKeysAreMissingAndTheOthersDelivered) {
  ClientConfig config = Config();
  config.failure_limit = 100;  // keep the dead server in the ring
  Client c(config);
  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) names.push_back("dead:" + std::to_string(i));
  for (const std::string& n : names) ASSERT_EQ(c.Set(n, "x"), Status::kOk);
  const uint32_t victim = c.ServerFor(names[0]);
  fleet_.daemons[victim]->Kill(SIGKILL);

  std::map<std::string, bool> on_victim;
  for (const std::string& n : names) on_victim[n] = c.ServerFor(n) == victim;

  std::vector<std::string_view> keys(names.begin(), names.end());
  size_t delivered = 0;
  const Status s = c.MultiGet(keys, [&](const ItemView& item) {
    EXPECT_FALSE(on_victim[std::string(item.key)]) << item.key;
    ++delivered;
  });
  EXPECT_EQ(s, Status::kSomeErrors);
  size_t expected = 0;
  for (const auto& [name, victims] : on_victim) expected += victims ? 0 : 1;
  EXPECT_EQ(delivered, expected);
  EXPECT_GT(delivered, 0u);
}

TEST_P(StreamingMultiGetTest, AnInvalidKeySendsNothing) {
  Client c(Config());
  const std::vector<std::string_view> keys = {"fine", "not fine"};
  bool called = false;
  EXPECT_EQ(c.MultiGet(keys, [&](const ItemView&) { called = true; }), Status::kInvalidArgument);
  EXPECT_FALSE(called);
}

INSTANTIATE_TEST_SUITE_P(Protocols, StreamingMultiGetTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary),
                         [](const auto& info) {
                           return info.param == Protocol::kText ? "Text" : "Binary";
                         });

}  // namespace
}  // namespace slabcached::client
