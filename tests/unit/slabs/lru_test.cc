// Segmented LRU behaviour, observed through the store's "stats items" view.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "slabs/store.h"

namespace slabcached::slabs {
namespace {

class LruTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreConfig config;
    config.background_threads = false;
    store_ = std::make_unique<Store>(config, &clock_);
  }
  void Put(const std::string& key, const std::string& value, RelTime exptime = 0) {
    AllocResult r = store_->Allocate(key, 0, exptime, static_cast<uint32_t>(value.size()));
    ASSERT_EQ(r.status, AllocStatus::kOk);
    r.item.WriteValue(0, value);
    r.item.WriteValue(value.size(), "\r\n");
    ASSERT_EQ(store_->Link(std::move(r.item), StoreMode::kSet), StoreStatus::kStored);
  }
  SlabClassStats Class() {
    auto stats = store_->GetSlabClassStats();
    EXPECT_EQ(stats.size(), 1u);
    return stats.empty() ? SlabClassStats{} : stats[0];
  }

  Clock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
};

TEST_F(LruTest, NewItemsEnterHot) {
  Put("a", "1");
  Put("b", "2");
  const SlabClassStats s = Class();
  EXPECT_EQ(s.number_hot, 2u);
  EXPECT_EQ(s.number_warm + s.number_cold, 0u);
}

TEST_F(LruTest, MaintenanceMovesOldHotItemsToCold) {
  for (int i = 0; i < 10; ++i) Put("k" + std::to_string(i), "v");
  clock_.Advance(2);
  store_->RunMaintenance();
  const SlabClassStats s = Class();
  EXPECT_EQ(s.number_cold, 10u);
  EXPECT_EQ(s.moves_to_cold, 10u);
  EXPECT_GT(store_->GetStats().lru_maintainer_juggles, 0u);
}

TEST_F(LruTest, SecondHitOnColdItemMovesItToWarm) {
  Put("a", "1");
  clock_.Advance(2);
  store_->RunMaintenance();
  ASSERT_EQ(Class().number_cold, 1u);
  EXPECT_TRUE(store_->Get("a"));  // first hit: FETCHED
  EXPECT_EQ(Class().number_cold, 1u);
  EXPECT_TRUE(store_->Get("a"));  // second hit: ACTIVE, bumped to WARM
  const SlabClassStats s = Class();
  EXPECT_EQ(s.number_warm, 1u);
  EXPECT_EQ(s.number_cold, 0u);
  EXPECT_EQ(s.hits_to_cold, 2u);
}

TEST_F(LruTest, ActiveHotTailMovesToWarm) {
  Put("a", "1");
  EXPECT_TRUE(store_->Get("a"));
  EXPECT_TRUE(store_->Get("a"));  // ACTIVE while in HOT
  clock_.Advance(2);
  store_->RunMaintenance();
  // (With COLD empty, WARM's age limit is 0, so the same juggle may push it
  // on to COLD: memcached does the same.)
  EXPECT_EQ(Class().moves_to_warm, 1u);
  EXPECT_TRUE(store_->Get("a"));
}

TEST_F(LruTest, ExpiredTailItemsAreReclaimed) {
  Put("a", "1", clock_.ToRelTime(1));
  Put("b", "2", clock_.ToRelTime(1));
  Put("c", "3");
  clock_.Advance(5);
  store_->RunMaintenance();
  const StoreStats st = store_->GetStats();
  EXPECT_EQ(st.reclaimed, 2u);
  EXPECT_EQ(st.expired_unfetched, 2u);
  EXPECT_EQ(st.curr_items, 1u);
}

TEST_F(LruTest, AgeReportsSecondsSinceTailAccess) {
  Put("a", "1");
  clock_.Advance(2);
  store_->RunMaintenance();
  clock_.Advance(30);
  EXPECT_EQ(Class().age, 32u);
}

}  // namespace
}  // namespace slabcached::slabs
