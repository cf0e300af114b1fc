// Segmented LRU behaviour, observed through the store's "stats items" view.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "slabs/store.h"

namespace slabcached::slabs {
namespace {

class LruTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreConfig config;
    config.background_threads = false;
    config.hash_seed = 1;  // fixed stripes: the flush test's keys must not share one
    // memcached's classes (76 bytes first): every small item of these tests
    // shares one class and LRU; the default classes are 8 bytes apart.
    config.growth_classes = true;
    store_ = std::make_unique<Store>(config, &clock_);
  }
  void Put(const std::string& key, const std::string& value, RelTime exptime = 0) {
    AllocResult r = store_->Allocate(key, 0, exptime, static_cast<uint32_t>(value.size()));
    ASSERT_EQ(r.status, AllocStatus::kOk);
    r.item.WriteValue(0, value);
    r.item.WriteValue(value.size(), "\r\n");
    ASSERT_EQ(store_->Link(std::move(r.item), {.mode = StoreMode::kSet}).status,
              StoreStatus::kStored);
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
  EXPECT_TRUE(store_->Get("a").item);  // first hit: FETCHED
  EXPECT_EQ(Class().number_cold, 1u);
  EXPECT_TRUE(store_->Get("a").item);  // second hit: ACTIVE, bumped to WARM
  const SlabClassStats s = Class();
  EXPECT_EQ(s.number_warm, 1u);
  EXPECT_EQ(s.number_cold, 0u);
  EXPECT_EQ(s.hits_to_cold, 2u);
}

TEST_F(LruTest, ActiveHotTailMovesToWarm) {
  Put("a", "1");
  EXPECT_TRUE(store_->Get("a").item);
  EXPECT_TRUE(store_->Get("a").item);  // ACTIVE while in HOT
  clock_.Advance(2);
  store_->RunMaintenance();
  // (With COLD empty, WARM's age limit is 0, so the same juggle may push it
  // on to COLD: memcached does the same.)
  EXPECT_EQ(Class().moves_to_warm, 1u);
  EXPECT_TRUE(store_->Get("a").item);
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

// flush_all takes a reference on an item whose stripe is busy (to unlink it
// after dropping the LRU lock). That reference must respect the cap Retain
// uses: two flushes while a client holds the item near the cap wrapped the
// 16-bit refcount to 0 (a later get + release would then free a live chunk).
TEST_F(LruTest, FlushNeverWrapsRefcountOfBusyItem) {
  Put("y1", "1");
  clock_.Advance(1);
  Put("y2", "2");
  clock_.Advance(1);
  Put("x", "3");  // HOT head: both flush walks meet it before y2 and y1
  const RelTime t1 = clock_.Now() - 2;
  const RelTime t2 = clock_.Now() - 1;
  // A non-reading client holding the item: the link, these handles and the
  // dump's reference make 65534, Retain's cap.
  std::vector<ItemHandle> held;
  for (int i = 0; i < std::numeric_limits<uint16_t>::max() - 3; ++i) {
    held.push_back(store_->Get("x").item);
    ASSERT_TRUE(held.back());
  }
  const std::atomic<uint16_t>& refcount = held.front().get()->refcount;
  // Waits (without sleeping) until a flush walk has unlinked an item.
  auto wait_for_items = [&](uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (store_->GetStats().curr_items != n) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "flush walk did not progress";
      std::this_thread::yield();
    }
  };
  std::vector<uint16_t> seen;
  std::jthread flush_new, flush_all;
  CrawlerStatus status;
  std::unique_ptr<Store::ItemDump> dump = store_->StartDump(ClassSet().set().reset(0), &status);
  ASSERT_TRUE(dump);
  while (dump->Next(1000, [&](const ItemSummary& s) {
    if (s.key != "x") return;
    // We hold x's item lock: both flushes find its stripe busy. The first
    // unlinks y2 (stored at t2) and the second y1 after passing x.
    seen.push_back(refcount.load());
    flush_new = std::jthread([&] { store_->FlushAll(t2 + 1); });
    wait_for_items(2);
    seen.push_back(refcount.load());
    flush_all = std::jthread([&] { store_->FlushAll(t1 + 1); });
    wait_for_items(1);
    seen.push_back(refcount.load());
  })) {
  }
  dump.reset();
  flush_new.join();
  flush_all.join();
  ASSERT_EQ(seen.size(), 3u);
  for (const uint16_t refs : seen) {
    EXPECT_GE(refs, std::numeric_limits<uint16_t>::max() - 1u);
    EXPECT_LE(refs, std::numeric_limits<uint16_t>::max() - 1u);
  }
  // The flushes still unlinked it, and the held references stay counted.
  EXPECT_EQ(store_->GetStats().curr_items, 0u);
  EXPECT_FALSE(store_->Get("x").item);
  EXPECT_EQ(refcount.load(), held.size());
  EXPECT_EQ(held.back().CopyValue(), "3");
  held.clear();
  EXPECT_EQ(Class().used_chunks, 0u);
}

// "lru mode flat": memcached's compat mode, one list per class.
TEST_F(LruTest, FlatModeLinksToColdAndRelinksAHitOnceAMinute) {
  LruTuning tuning = store_->lru_tuning();
  tuning.segmented = false;
  store_->SetLruTuning(tuning);
  Put("a", "1");
  Put("b", "2");
  SlabClassStats s = Class();
  EXPECT_EQ(s.number_cold, 2u);
  EXPECT_EQ(s.number_hot + s.number_warm, 0u);
  auto cold_order = [&] {
    std::string keys;
    store_->VisitColdItems(static_cast<uint8_t>(Class().id), [&](const ItemSummary& item) {
      keys += std::string(item.key);
      return true;
    });
    return keys;
  };
  EXPECT_EQ(cold_order(), "ba");
  ASSERT_TRUE(store_->Get("a").item);  // accessed a moment ago: stays where it is
  EXPECT_EQ(cold_order(), "ba");
  clock_.Advance(61);
  ASSERT_TRUE(store_->Get("a").item);  // a minute later the hit relinks it at the head
  EXPECT_EQ(cold_order(), "ab");
  store_->RunMaintenance();  // the juggle leaves COLD alone in flat mode
  s = Class();
  EXPECT_EQ(s.number_cold, 2u);
  EXPECT_EQ(s.moves_to_cold + s.moves_to_warm, 0u);
}

TEST_F(LruTest, TuneIsWhatTheStoreReports) {
  store_->SetLruTuning(
      {.hot_lru_pct = 5, .warm_lru_pct = 6, .hot_max_factor = 0.5, .warm_max_factor = 1.5});
  const LruTuning t = store_->lru_tuning();
  EXPECT_EQ(t.hot_lru_pct, 5u);
  EXPECT_EQ(t.warm_lru_pct, 6u);
  EXPECT_EQ(t.hot_max_factor, 0.5);
  EXPECT_EQ(t.warm_max_factor, 1.5);
  EXPECT_TRUE(t.segmented);
}

// Every thread counts in its own block; "stats slabs" sums them.
TEST_F(LruTest, PerClassCountersSumEveryThread) {
  Put("a", "1");
  constexpr int kThreads = 4;
  constexpr int kGets = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kGets; ++i) store_->Get("a");
      store_->Get("a", {.ttl = {.touch = true}});
    });
  }
  for (auto& thread : threads) thread.join();
  const SlabClassStats s = Class();
  EXPECT_EQ(s.get_hits, uint64_t{kThreads} * kGets);
  EXPECT_EQ(s.hits_to_hot + s.hits_to_warm + s.hits_to_cold, s.get_hits);
  EXPECT_EQ(s.touch_hits, uint64_t{kThreads});
  EXPECT_EQ(s.cmd_set, 1u);
}

// "stats reset" (memcached's threadlocal_stats_reset): the per-class
// operation counters start over, in every thread's block; items stay.
TEST_F(LruTest, ResetClassCountersStartsEveryThreadsCountsOver) {
  Put("a", "1");
  std::thread other([&] {
    store_->Get("a");
    store_->Get("a", {.ttl = {.touch = true}});
  });
  other.join();
  store_->Get("a");
  ASSERT_EQ(Class().get_hits, 2u);
  store_->ResetClassCounters();
  SlabClassStats s = Class();
  EXPECT_EQ(s.get_hits, 0u);
  EXPECT_EQ(s.hits_to_hot + s.hits_to_warm + s.hits_to_cold, 0u);
  EXPECT_EQ(s.touch_hits, 0u);
  EXPECT_EQ(s.cmd_set, 0u);
  EXPECT_EQ(s.number, 1u);
  // Counting goes on from zero.
  store_->Get("a");
  Put("b", "2");
  s = Class();
  EXPECT_EQ(s.get_hits, 1u);
  EXPECT_EQ(s.cmd_set, 1u);
}

TEST(LruSizesTest, TrackSizesCountsLinkedItemsIn32ByteSteps) {
  Clock clock{1'700'000'000};
  StoreConfig config;
  config.background_threads = false;
  EXPECT_FALSE(Store(config, &clock).ItemSizes().has_value());
  config.track_sizes = true;
  Store store(config, &clock);
  auto put = [&](const std::string& key, size_t bytes) {
    AllocResult r = store.Allocate(key, 0, 0, static_cast<uint32_t>(bytes));
    ASSERT_EQ(r.status, AllocStatus::kOk);
    r.item.WriteValue(0, std::string(bytes, 'x'));
    r.item.WriteValue(bytes, "\r\n");
    ASSERT_EQ(store.Link(std::move(r.item), {.mode = StoreMode::kSet}).status,
              StoreStatus::kStored);
  };
  put("a", 10);
  put("b", 10);
  put("c", 500);
  auto step = [&](const std::string& key) {
    const GetResult r = store.Get(key, {.bump = false, .peek = true});
    return static_cast<uint32_t>((r.item.get()->total_size() + 31) / 32 * 32);
  };
  using Sizes = std::vector<std::pair<uint32_t, uint64_t>>;
  EXPECT_EQ(store.ItemSizes(), (Sizes{{step("a"), 2}, {step("c"), 1}}));
  EXPECT_EQ(store.Delete("a"), DeleteStatus::kDeleted);
  EXPECT_EQ(store.ItemSizes(), (Sizes{{step("b"), 1}, {step("c"), 1}}));
}

}  // namespace
}  // namespace slabcached::slabs
