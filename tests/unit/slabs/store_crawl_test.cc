// The LRU crawler's commands on the store (slabs/store_crawl.cc): crawler
// settings, "lru_crawler crawl" (StartCrawl), the item walk behind
// metadump/mgdump (ItemDump) and the COLD list walk behind "stats cachedump".
// The crawler's own logic (job slot, stall takeover, cursors, pace) is tested
// alone in crawler_test.cc.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "slabs/store.h"
#include "tests/unit/slabs/store_fixture.h"

namespace slabcached::slabs {
namespace {

class StoreCrawlTest : public StoreTest {
 protected:
  // Starts "lru_crawler crawl" over 100,000 expired items, more chunks than StartCrawl looks at
  // before it returns, with no maintainer to go on with it: the crawl stays running.
  void StartLargeCrawl() {
    StoreConfig config = TestConfig();
    config.lru_maintainer = false;
    config.lru_crawler = true;
    Make(config);
    for (int i = 0; i < 100000; ++i) {
      ASSERT_EQ(Put("k" + std::to_string(i), "v", StoreMode::kSet, 0, clock_.Now() + 1),
                StoreStatus::kStored);
    }
    clock_.Advance(5);
    ASSERT_EQ(store_->StartCrawl(All()), CrawlerStatus::kOk);
  }
  // The class items of `value_len` value bytes under a short key land in.
  uint8_t ClassOfValue(size_t value_len) {
    EXPECT_EQ(Put("probe", std::string(value_len, 'p')), StoreStatus::kStored);
    const uint8_t cls = store_->Get("probe").item.slab_class();
    EXPECT_EQ(store_->Delete("probe"), DeleteStatus::kDeleted);
    return cls;
  }
  // Every summary a full dump of `classes` gives, walking `budget` chunks per Next().
  std::vector<ItemSummary> Dump(const ClassSet& classes, uint32_t budget,
                                std::vector<std::string>* keys) {
    CrawlerStatus status;
    std::unique_ptr<Store::ItemDump> dump = store_->StartDump(classes, &status);
    EXPECT_EQ(status, CrawlerStatus::kOk);
    std::vector<ItemSummary> out;
    if (!dump) return out;
    int calls = 0;
    while (dump->Next(budget, [&](const ItemSummary& s) {
      out.push_back(s);
      keys->emplace_back(s.key);  // the view dies with the callback
    })) {
      EXPECT_LT(++calls, 100000) << "the walk does not end";
      if (calls >= 100000) break;
    }
    for (size_t i = 0; i < out.size(); ++i) out[i].key = (*keys)[i];
    return out;
  }
  static ClassSet Classes(std::initializer_list<int> ids) {
    ClassSet set;
    for (int id : ids) set.set(static_cast<size_t>(id));
    return set;
  }
  static ClassSet All() { return ClassSet().set().reset(0); }
  // The keys "stats cachedump" would see, head first.
  std::vector<std::string> ColdKeys(uint8_t cls, size_t stop_after = SIZE_MAX) {
    std::vector<std::string> keys;
    store_->VisitColdItems(cls, [&](const ItemSummary& s) {
      keys.emplace_back(s.key);
      return keys.size() < stop_after;
    });
    return keys;
  }
};

TEST_F(StoreCrawlTest, SettingsFollowTheConfigAndChangeAtRunTime) {
  StoreConfig config = TestConfig();
  config.lru_crawler_sleep = 250;
  config.lru_crawler_tocrawl = 7;
  Make(config);
  CrawlerSettings s = store_->crawler_settings();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.sleep_us, 250u);
  EXPECT_EQ(s.tocrawl, 7u);
  EXPECT_FALSE(store_->EnableCrawler());  // already on: memcached's "failed to start"
  store_->DisableCrawler();
  store_->DisableCrawler();  // disabling twice is fine
  EXPECT_FALSE(store_->crawler_settings().enabled);
  EXPECT_TRUE(store_->EnableCrawler());
  store_->SetCrawlerSleep(1000000);
  store_->SetCrawlerToCrawl(0);
  s = store_->crawler_settings();
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.sleep_us, 1000000u);
  EXPECT_EQ(s.tocrawl, 0u);

  config.lru_crawler = false;  // -o no_lru_crawler
  Make(config);
  EXPECT_FALSE(store_->crawler_settings().enabled);
  EXPECT_EQ(store_->StartCrawl(All()), CrawlerStatus::kDisabled);
  CrawlerStatus status = CrawlerStatus::kOk;
  EXPECT_EQ(store_->StartDump(All(), &status), nullptr);
  EXPECT_EQ(status, CrawlerStatus::kDisabled);
  EXPECT_EQ(store_->GetStats().lru_crawler_starts, 0u);
}

TEST_F(StoreCrawlTest, CrawlReclaimsExpiredItemsOfTheListedClassesOnly) {
  StoreConfig config = TestConfig();
  config.lru_maintainer = false;  // nothing but the crawl looks for expired items
  Make(config);
  const uint8_t small = ClassOfValue(10);
  const uint8_t large = ClassOfValue(2000);
  ASSERT_NE(small, large);
  const RelTime soon = clock_.Now() + 5;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Put("s" + std::to_string(i), std::string(10, 's'), StoreMode::kSet, 0, soon),
              StoreStatus::kStored);
    ASSERT_EQ(Put("l" + std::to_string(i), std::string(2000, 'l'), StoreMode::kSet, 0, soon),
              StoreStatus::kStored);
  }
  ASSERT_EQ(Put("keep", std::string(10, 'k')), StoreStatus::kStored);
  clock_.Advance(10);

  EXPECT_EQ(store_->StartCrawl(Classes({small})), CrawlerStatus::kOk);
  // A crawl this small is over before StartCrawl returns.
  StoreStats stats = store_->GetStats();
  EXPECT_FALSE(stats.lru_crawler_running);
  EXPECT_EQ(stats.lru_crawler_starts, 1u);
  EXPECT_EQ(stats.crawler_reclaimed, 100u);
  EXPECT_EQ(stats.crawler_items_checked, 101u);
  EXPECT_EQ(stats.curr_items, 101u);  // the large class's expired items are still linked
  EXPECT_EQ(Value("keep"), std::string(10, 'k'));

  EXPECT_EQ(store_->StartCrawl(Classes({large, 63})), CrawlerStatus::kOk);
  stats = store_->GetStats();
  EXPECT_EQ(stats.crawler_reclaimed, 200u);
  EXPECT_EQ(stats.curr_items, 1u);
  EXPECT_EQ(stats.lru_crawler_starts, 2u);
}

TEST_F(StoreCrawlTest, CrawlLooksAtNoMoreThanToCrawlItemsPerClass) {
  StoreConfig config = TestConfig();
  config.lru_maintainer = false;
  config.lru_crawler_tocrawl = 50;
  Make(config);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(Put("k" + std::to_string(i), "v", StoreMode::kSet, 0, clock_.Now() + 1),
              StoreStatus::kStored);
  }
  clock_.Advance(5);
  ASSERT_EQ(store_->StartCrawl(All()), CrawlerStatus::kOk);
  EXPECT_EQ(store_->GetStats().crawler_items_checked, 50u);
  EXPECT_EQ(store_->GetStats().crawler_reclaimed, 50u);
  store_->SetCrawlerToCrawl(0);  // all of them
  ASSERT_EQ(store_->StartCrawl(All()), CrawlerStatus::kOk);
  EXPECT_EQ(store_->GetStats().crawler_reclaimed, 300u);
  EXPECT_EQ(store_->GetStats().curr_items, 0u);
}

TEST_F(StoreCrawlTest, ALargeCrawlGoesOnInMaintenanceAndKeepsTheCrawlerBusy) {
  StartLargeCrawl();
  if (HasFatalFailure()) return;
  StoreStats stats = store_->GetStats();
  EXPECT_TRUE(stats.lru_crawler_running);
  EXPECT_GT(stats.crawler_reclaimed, 0u);
  EXPECT_LT(stats.crawler_reclaimed, 100000u);
  EXPECT_EQ(store_->StartCrawl(All()), CrawlerStatus::kBusy);
  CrawlerStatus status;
  EXPECT_EQ(store_->StartDump(All(), &status), nullptr);
  EXPECT_EQ(status, CrawlerStatus::kBusy);
  // A started crawl finishes even when the crawler is disabled meanwhile
  // (which also keeps RunMaintenance's background pass out of the count).
  store_->DisableCrawler();
  store_->RunMaintenance();
  stats = store_->GetStats();
  EXPECT_FALSE(stats.lru_crawler_running);
  EXPECT_EQ(stats.crawler_reclaimed, 100000u);
  EXPECT_EQ(stats.curr_items, 0u);
}

TEST_F(StoreCrawlTest, ADumpHoldsTheCrawlerUntilItIsDestroyed) {
  CrawlerStatus status;
  std::unique_ptr<Store::ItemDump> dump = store_->StartDump(All(), &status);
  ASSERT_NE(dump, nullptr);
  EXPECT_TRUE(store_->GetStats().lru_crawler_running);
  EXPECT_EQ(store_->StartCrawl(All()), CrawlerStatus::kBusy);
  EXPECT_EQ(store_->StartDump(All(), &status), nullptr);
  EXPECT_EQ(status, CrawlerStatus::kBusy);
  dump.reset();  // abandoned half way (the client went away): the crawler is free
  EXPECT_FALSE(store_->GetStats().lru_crawler_running);
  EXPECT_EQ(store_->StartCrawl(All()), CrawlerStatus::kOk);
  EXPECT_EQ(store_->GetStats().lru_crawler_starts, 2u);
}

TEST_F(StoreCrawlTest, DumpShowsEveryLinkedItemOnceWithItsFields) {
  StoreConfig config = TestConfig();
  config.lru_maintainer = false;
  Make(config);
  const RelTime exptime = clock_.Now() + 100;
  std::set<std::string> stored;
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "key" + std::to_string(i);
    ASSERT_EQ(Put(key, std::string(static_cast<size_t>(i % 7) * 300, 'v'), StoreMode::kSet, 0,
                  i % 2 == 0 ? exptime : 0),
              StoreStatus::kStored);
    stored.insert(key);
  }
  ASSERT_EQ(Put("fetched", "hello", StoreMode::kSet, 5, exptime), StoreStatus::kStored);
  ASSERT_TRUE(Value("fetched"));
  ItemHandle held = store_->Get("fetched").item;  // in use: still dumped
  stored.insert("fetched");
  ASSERT_EQ(store_->Delete("key7"), DeleteStatus::kDeleted);
  stored.erase("key7");
  AllocResult unlinked = store_->Allocate("unlinked", 0, 0, 0);  // allocated, never linked
  ASSERT_EQ(unlinked.status, AllocStatus::kOk);

  std::vector<std::string> keys;
  const std::vector<ItemSummary> items = Dump(All(), 100, &keys);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()), stored);
  EXPECT_EQ(keys.size(), stored.size());  // none twice

  const uint64_t checked = store_->GetStats().crawler_items_checked;
  EXPECT_EQ(checked, stored.size());
  for (const ItemSummary& s : items) {
    if (s.key != "fetched") continue;
    EXPECT_EQ(s.exptime, exptime);
    EXPECT_EQ(s.last_access, held.last_access());
    EXPECT_EQ(s.cas, held.cas());
    EXPECT_TRUE(s.fetched);
    EXPECT_FALSE(s.key_binary);
    EXPECT_FALSE(s.flushed);
    EXPECT_EQ(s.slab_class, held.slab_class());
    EXPECT_EQ(s.value_length, 5u);
    EXPECT_EQ(s.total_size, held.total_size());
  }
  EXPECT_FALSE(store_->GetStats().lru_crawler_running);
}

TEST_F(StoreCrawlTest, DumpWalksOnlyTheListedClassesAndMarksFlushedItems) {
  const uint8_t small = ClassOfValue(10);
  const uint8_t large = ClassOfValue(2000);
  ASSERT_EQ(Put("small", std::string(10, 's')), StoreStatus::kStored);
  ASSERT_EQ(Put("large", std::string(2000, 'l')), StoreStatus::kStored);
  std::vector<std::string> keys;
  Dump(Classes({large}), 4096, &keys);
  EXPECT_EQ(keys, std::vector<std::string>{"large"});
  keys.clear();
  Dump(Classes({small, 40}), 4096, &keys);
  EXPECT_EQ(keys, std::vector<std::string>{"small"});

  // flush_all with a delay: stored items become invisible once it passes,
  // while still linked; the dump says so (metadump leaves them out).
  store_->FlushAll(clock_.Now() + 2);
  clock_.Advance(3);
  keys.clear();
  const std::vector<ItemSummary> items = Dump(All(), 4096, &keys);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_TRUE(items[0].flushed);
  EXPECT_TRUE(items[1].flushed);
}

TEST_F(StoreCrawlTest, DumpShowsAChunkedItemOnce) {
  const std::string big(700 * 1024, 'b');  // above the largest chunk (512 KB)
  ASSERT_EQ(Put("big", big), StoreStatus::kStored);
  ASSERT_EQ(Put("small", "s"), StoreStatus::kStored);
  std::vector<std::string> keys;
  const std::vector<ItemSummary> items = Dump(All(), 64, &keys);
  ASSERT_EQ(items.size(), 2u);
  const ItemHandle h = store_->Get("big").item;
  for (const ItemSummary& s : items) {
    if (s.key != "big") continue;
    EXPECT_EQ(s.value_length, big.size());
    EXPECT_EQ(s.total_size, h.total_size());
    EXPECT_EQ(s.slab_class, h.slab_class());
  }
}

TEST_F(StoreCrawlTest, DumpMarksBinaryKeys) {
  AllocResult r = store_->Allocate("\x01\x02 bin", 0, 0, 0);
  ASSERT_EQ(r.status, AllocStatus::kOk);
  r.item.WriteValue(0, "\r\n");
  ASSERT_EQ(store_->Link(std::move(r.item), {.key_binary = true}).status, StoreStatus::kStored);
  ASSERT_EQ(Put("text", "t"), StoreStatus::kStored);
  std::vector<std::string> keys;
  std::map<std::string, bool> binary;
  for (const ItemSummary& s : Dump(All(), 4096, &keys)) binary[std::string(s.key)] = s.key_binary;
  EXPECT_EQ(binary, (std::map<std::string, bool>{{"\x01\x02 bin", true}, {"text", false}}));
}

TEST_F(StoreCrawlTest, ColdItemsComeNewestFirstAcrossBatches) {
  const uint8_t cls = ClassOfValue(1);
  // Nothing is on COLD before the maintainer moves HOT tails down.
  ASSERT_EQ(Put("early", "v"), StoreStatus::kStored);
  EXPECT_TRUE(ColdKeys(cls).empty());
  constexpr int kItems = 2500;  // more than one batch of references
  for (int i = 0; i < kItems; ++i)
    ASSERT_EQ(Put("k" + std::to_string(i), "v"), StoreStatus::kStored);
  clock_.Advance(2);
  // The COLD list is empty, so every HOT item is old enough to go down; a
  // juggle moves up to 500.
  for (int i = 0; i < 20 && store_->GetSlabClassStats()[0].number_cold < kItems + 1; ++i) {
    store_->RunMaintenance();
  }
  std::vector<std::string> expected;
  for (int i = kItems - 1; i >= 0; --i) expected.push_back("k" + std::to_string(i));
  expected.push_back("early");
  const std::vector<std::string> cold = ColdKeys(cls);
  EXPECT_EQ(cold, expected);
  EXPECT_EQ(ColdKeys(cls, 3), (std::vector<std::string>{"k2499", "k2498", "k2497"}));
  // Classes without items, and ids the store does not have, show nothing.
  EXPECT_TRUE(ColdKeys(0).empty());
  EXPECT_TRUE(ColdKeys(63).empty());
  // The walk leaves no reference behind: every item can still be evicted or freed.
  for (const std::string& key : expected) ASSERT_EQ(store_->Delete(key), DeleteStatus::kDeleted);
  EXPECT_EQ(store_->GetSlabClassStats()[0].used_chunks, 0u);
}

TEST_F(StoreCrawlTest, DumpReferencesAreAllDropped) {
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(Put("k" + std::to_string(i), "v"), StoreStatus::kStored);
  std::vector<std::string> keys;
  Dump(All(), 37, &keys);
  ASSERT_EQ(keys.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(store_->Delete("k" + std::to_string(i)), DeleteStatus::kDeleted);
  }
  EXPECT_EQ(store_->GetSlabClassStats()[0].used_chunks, 0u);
}

// A dump whose client stopped reading stops advancing; after kDumpStallSeconds the next job
// that asks takes the crawler over, the stalled dump ends (taken_over), and destroying it
// later does not free its successor's slot. Until then, and for a dump that keeps
// advancing, the crawler stays busy.
TEST_F(StoreCrawlTest, AStalledDumpGivesTheCrawlerToTheNextJob) {
  ASSERT_EQ(Put("k", "v"), StoreStatus::kStored);
  CrawlerStatus status;
  std::unique_ptr<Store::ItemDump> stalled = store_->StartDump(All(), &status);
  ASSERT_NE(stalled, nullptr);
  clock_.Advance(Store::kDumpStallSeconds - 1);
  EXPECT_EQ(store_->StartCrawl(All()), CrawlerStatus::kBusy);
  // Advancing resets the stall.
  EXPECT_TRUE(stalled->Next(1, [](const ItemSummary&) {}));
  clock_.Advance(Store::kDumpStallSeconds - 1);
  EXPECT_EQ(store_->StartDump(All(), &status), nullptr);
  EXPECT_EQ(status, CrawlerStatus::kBusy);

  clock_.Advance(1);
  std::unique_ptr<Store::ItemDump> next = store_->StartDump(All(), &status);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(store_->GetStats().lru_crawler_dumps_taken_over, 1u);
  EXPECT_FALSE(stalled->Next(1000, [](const ItemSummary&) { ADD_FAILURE(); }));
  EXPECT_TRUE(stalled->taken_over());
  stalled.reset();
  EXPECT_TRUE(store_->GetStats().lru_crawler_running);
  EXPECT_EQ(store_->StartCrawl(All()), CrawlerStatus::kBusy);

  int seen = 0;
  while (next->Next(1000, [&](const ItemSummary&) { ++seen; })) {
  }
  EXPECT_EQ(seen, 1);
  EXPECT_FALSE(next->taken_over());
  next.reset();
  EXPECT_FALSE(store_->GetStats().lru_crawler_running);
}

// A running crawl is not a dump: it is never taken over, however long it runs.
TEST_F(StoreCrawlTest, ACrawlIsNeverTakenOver) {
  StartLargeCrawl();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(store_->GetStats().lru_crawler_running);
  clock_.Advance(10 * Store::kDumpStallSeconds);
  CrawlerStatus status;
  EXPECT_EQ(store_->StartDump(All(), &status), nullptr);
  EXPECT_EQ(status, CrawlerStatus::kBusy);
}

}  // namespace
}  // namespace slabcached::slabs
