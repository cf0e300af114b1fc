// The TEMP LRU (memcached's -o temporary_ttl / "lru temp_ttl"): items stored
// with a TTL at or below the threshold go there, are never bumped nor
// evicted, and the maintainer reaps them first. Time moves by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "slabs/item.h"
#include "slabs/store.h"
#include "tests/unit/slabs/store_fixture.h"

namespace slabcached::slabs {
namespace {

class TempLruTest : public StoreTest {
 protected:
  static StoreConfig TempConfig(uint32_t ttl = 10) {
    StoreConfig config = TestConfig();
    config.temp_lru = true;
    config.temporary_ttl = ttl;
    config.growth_classes = true;  // small items of these tests share one class
    return config;
  }
  void SetUp() override { Make(TempConfig()); }
  RelTime In(RelTime seconds) const { return clock_.Now() + seconds; }
  SlabClassStats ClassOf(const std::string& key) {
    const ItemHandle item = store_->Get(key, {.bump = false, .peek = true}).item;
    if (!item) {
      ADD_FAILURE() << key << " is not stored";
      return {};
    }
    const uint8_t cls = item.slab_class();
    for (const SlabClassStats& s : store_->GetSlabClassStats()) {
      if (s.id == cls) return s;
    }
    ADD_FAILURE() << "no class for " << key;
    return {};
  }
  // The keys a metadump (a walk over the class pages) sees.
  std::vector<std::string> DumpedKeys() {
    CrawlerStatus status;
    std::unique_ptr<Store::ItemDump> dump = store_->StartDump(ClassSet().set().reset(0), &status);
    EXPECT_EQ(status, CrawlerStatus::kOk);
    std::vector<std::string> keys;
    while (dump && dump->Next(1000, [&](const ItemSummary& s) { keys.emplace_back(s.key); })) {
    }
    return keys;
  }
};

TEST_F(TempLruTest, ItemsWithATtlUpToTheThresholdEnterTemp) {
  ASSERT_EQ(Put("short", "v", StoreMode::kSet, 0, In(5)), StoreStatus::kStored);
  ASSERT_EQ(Put("edge", "v", StoreMode::kSet, 0, In(10)), StoreStatus::kStored);
  ASSERT_EQ(Put("long", "v", StoreMode::kSet, 0, In(11)), StoreStatus::kStored);
  ASSERT_EQ(Put("forever", "v"), StoreStatus::kStored);
  const SlabClassStats s = ClassOf("short");
  EXPECT_EQ(s.number_temp, 2u);
  EXPECT_EQ(s.number_hot, 2u);
  EXPECT_EQ(s.number, 4u);
}

TEST_F(TempLruTest, TempItemsAreNeverBumped) {
  ASSERT_EQ(Put("t", "v", StoreMode::kSet, 0, In(8)), StoreStatus::kStored);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Value("t"), "v");  // ACTIVE on any other list
  clock_.Advance(2);
  store_->RunMaintenance();
  const SlabClassStats s = ClassOf("t");
  EXPECT_EQ(s.number_temp, 1u);
  EXPECT_EQ(s.number_hot + s.number_warm + s.number_cold, 0u);
  EXPECT_EQ(s.moves_to_warm + s.moves_to_cold + s.moves_within_lru, 0u);
  EXPECT_EQ(s.hits_to_temp, 3u);
  EXPECT_EQ(s.hits_to_hot, 0u);
}

TEST_F(TempLruTest, TheMaintainerReapsExpiredTempItems) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Put("t" + std::to_string(i), "v", StoreMode::kSet, 0, In(5)), StoreStatus::kStored);
  }
  ASSERT_EQ(Put("keep", "v"), StoreStatus::kStored);
  clock_.Advance(6);
  store_->RunMaintenance();
  const SlabClassStats s = ClassOf("keep");
  EXPECT_EQ(s.number_temp, 0u);
  EXPECT_EQ(s.reclaimed, 50u);
  EXPECT_EQ(s.expired_unfetched, 50u);
  EXPECT_EQ(store_->GetStats().curr_items, 1u);
}

TEST_F(TempLruTest, TempItemsAreNotEvicted) {
  StoreConfig config = TempConfig();
  config.max_bytes = 2 << 20;
  Make(config);
  const std::string value(1000, 'v');
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Put("t" + std::to_string(i), value, StoreMode::kSet, 0, In(10)),
              StoreStatus::kStored);
  }
  for (int i = 0; i < 10000; ++i) {  // ~10 MiB into 2 MiB: evictions from COLD
    ASSERT_EQ(Put("k" + std::to_string(i), value), StoreStatus::kStored) << i;
  }
  EXPECT_GT(store_->GetStats().evictions, 0u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Value("t" + std::to_string(i)), value) << i;
  EXPECT_EQ(ClassOf("t0").number_temp, 100u);
}

TEST_F(TempLruTest, TempTtlChangesAtRunTime) {
  LruTuning tuning = store_->lru_tuning();
  EXPECT_TRUE(tuning.temp_lru);
  EXPECT_EQ(tuning.temporary_ttl, 10u);
  tuning.temp_lru = false;  // "lru temp_ttl -1"
  store_->SetLruTuning(tuning);
  ASSERT_EQ(Put("hot", "v", StoreMode::kSet, 0, In(5)), StoreStatus::kStored);
  EXPECT_EQ(ClassOf("hot").number_temp, 0u);
  tuning.temp_lru = true;  // "lru temp_ttl 100"
  tuning.temporary_ttl = 100;
  store_->SetLruTuning(tuning);
  ASSERT_EQ(Put("temp", "v", StoreMode::kSet, 0, In(50)), StoreStatus::kStored);
  EXPECT_EQ(ClassOf("temp").number_temp, 1u);
  // Turned off again, TEMP keeps its items; they are still reaped first.
  tuning.temp_lru = false;
  store_->SetLruTuning(tuning);
  ASSERT_EQ(Put("keep", "v"), StoreStatus::kStored);
  EXPECT_EQ(ClassOf("keep").number_temp, 1u);
  clock_.Advance(51);
  store_->RunMaintenance();
  const SlabClassStats s = ClassOf("keep");
  EXPECT_EQ(s.number_temp, 0u);
  EXPECT_EQ(s.reclaimed, 2u);  // "hot" from HOT, "temp" from TEMP
}

// Continuation chunks carry TEMP's LRU bits plus ACTIVE; a TEMP item must
// never look like one, or page walks (metadump, crawler, page mover) skip it.
TEST(TempLruFlagsTest, NoItemOnTempLooksLikeAContinuation) {
  const uint8_t temp = static_cast<uint8_t>(static_cast<int>(LruId::kTemp) << kItemLruShift);
  EXPECT_TRUE(IsContinuationFlags(kItemContinuation));
  EXPECT_FALSE(IsContinuationFlags(kItemContinuation | kItemSlabbed));
  EXPECT_FALSE(IsContinuationFlags(temp | kItemLinked | kItemFetched | kItemCas));
  EXPECT_FALSE(IsContinuationFlags(temp));
}

// An ACTIVE item relinked by a copy (md I on a held item) onto TEMP loses
// ACTIVE there, so metadump still lists it.
TEST_F(TempLruTest, AnActiveItemCopiedOntoTempStaysAnItem) {
  LruTuning tuning = store_->lru_tuning();
  tuning.temp_lru = false;
  store_->SetLruTuning(tuning);
  ASSERT_EQ(Put("a", "v", StoreMode::kSet, 0, In(5)), StoreStatus::kStored);
  EXPECT_EQ(Value("a"), "v");
  EXPECT_EQ(Value("a"), "v");  // ACTIVE in HOT
  tuning.temp_lru = true;
  store_->SetLruTuning(tuning);
  ItemHandle held = store_->Get("a").item;  // forces a copy
  ASSERT_EQ(store_->Delete("a", {.invalidate = true}), DeleteStatus::kInvalidated);
  EXPECT_EQ(ClassOf("a").number_temp, 1u);
  EXPECT_EQ(DumpedKeys(), std::vector<std::string>{"a"});
}

TEST_F(TempLruTest, AChunkedItemOnTempReadsBackWhole) {
  StoreConfig config = TempConfig();
  config.item_size_max = 2 << 20;
  config.max_bytes = 64 << 20;
  Make(config);
  std::string value(1 << 20, 'x');
  for (size_t i = 0; i < value.size(); i += 4096) value[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(Put("big", value, StoreMode::kSet, 0, In(5)), StoreStatus::kStored);
  ASSERT_EQ(Put("small", "v", StoreMode::kSet, 0, In(5)), StoreStatus::kStored);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Value("big"), value);
  EXPECT_EQ(ClassOf("big").number_temp, 1u);
  std::vector<std::string> keys = DumpedKeys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"big", "small"}));
  clock_.Advance(6);
  store_->RunMaintenance();
  EXPECT_EQ(store_->GetStats().curr_items, 0u);
}

}  // namespace
}  // namespace slabcached::slabs
