// PlanMultiGet: keys grouped per server, asked once each, split into get
// lines and spread over a server's connections; the binary form.
#include "client/multi_get.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace slabcached::client {
namespace {

// Keys starting with 'a' live on server 0, 'b' on 1, anything else nowhere.
uint32_t PickByFirstLetter(std::string_view key) {
  if (key[0] == 'a') return 0;
  if (key[0] == 'b') return 1;
  return 99;
}

TEST(MultiGetPlanTest, GroupsKeysPerServerSortedAndAsksEachOnce) {
  const std::vector<std::string_view> keys = {"b2", "a2", "a1", "b1", "a2", "b2"};
  MultiGetPlan plan;
  PlanMultiGet(keys, 2, PickByFirstLetter, {}, &plan);
  ASSERT_EQ(plan.size, 2u);
  EXPECT_EQ(plan.batches[0].server, 0u);
  EXPECT_EQ(plan.batches[0].request, "get a1 a2\r\n");
  EXPECT_EQ(plan.batches[0].commands, 1u);
  EXPECT_EQ(plan.batches[1].server, 1u);
  EXPECT_EQ(plan.batches[1].request, "get b1 b2\r\n");
  EXPECT_FALSE(plan.unplaced);
}

TEST(MultiGetPlanTest, KeysWithoutAServerAreLeftOutAndReported) {
  const std::vector<std::string_view> keys = {"a1", "zz"};
  MultiGetPlan plan;
  PlanMultiGet(keys, 2, PickByFirstLetter, {.with_cas = true}, &plan);
  ASSERT_EQ(plan.size, 1u);
  EXPECT_EQ(plan.batches[0].request, "gets a1\r\n");
  EXPECT_TRUE(plan.unplaced);
}

TEST(MultiGetPlanTest, LongKeyListsAreSplitIntoLinesDealtOverTheConnections) {
  const std::vector<std::string_view> keys = {"a1", "a2", "a3", "a4", "a5"};
  MultiGetPlan plan;
  PlanMultiGet(keys, 2, PickByFirstLetter, {.max_keys_per_get = 2, .connections_per_server = 2},
               &plan);
  ASSERT_EQ(plan.size, 2u);
  EXPECT_EQ(plan.batches[0].request, "get a1 a2\r\nget a5\r\n");
  EXPECT_EQ(plan.batches[0].commands, 2u);
  EXPECT_EQ(plan.batches[1].request, "get a3 a4\r\n");
  EXPECT_EQ(plan.batches[1].commands, 1u);
}

TEST(MultiGetPlanTest, BinaryIsOneGetkqPerKeyEndedByANoop) {
  const std::vector<std::string_view> keys = {"a1", "a2", "a1"};
  MultiGetPlan plan;
  PlanMultiGet(keys, 2, PickByFirstLetter, {.binary = true}, &plan);
  ASSERT_EQ(plan.size, 1u);
  EXPECT_EQ(plan.batches[0].commands, 1u);
  // Three 24-byte headers: getkq a1, getkq a2, noop.
  const std::string& r = plan.batches[0].request;
  ASSERT_EQ(r.size(), 3 * 24 + 2 + 2);
  EXPECT_EQ(static_cast<uint8_t>(r[1]), 0x0d);  // getkq
  EXPECT_EQ(r.substr(24, 2), "a1");
  EXPECT_EQ(r.substr(24 + 2 + 24, 2), "a2");
  EXPECT_EQ(static_cast<uint8_t>(r[2 * (24 + 2) + 1]), 0x0a);  // noop
}

TEST(MultiGetPlanTest, AReusedPlanHoldsOnlyTheNewBatches) {
  MultiGetPlan plan;
  const std::vector<std::string_view> first = {"a1", "b1"};
  PlanMultiGet(first, 2, PickByFirstLetter, {}, &plan);
  const std::vector<std::string_view> second = {"b9"};
  PlanMultiGet(second, 2, PickByFirstLetter, {}, &plan);
  ASSERT_EQ(plan.size, 1u);
  EXPECT_EQ(plan.batches[0].server, 1u);
  EXPECT_EQ(plan.batches[0].request, "get b9\r\n");
}

}  // namespace
}  // namespace slabcached::client
