// The store's operations with meta options (slabs/store.h, slabs/meta_state.h): one locked
// step per request, the stampede bits (won / stale) and their side table, and races between
// threads (run under TSAN by make check-tsan).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "slabs/store.h"

namespace slabcached::slabs {
namespace {

constexpr time_t kUnixNow = 1'700'000'000;

class StoreMetaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreConfig config;
    config.background_threads = false;
    store_ = std::make_unique<Store>(config, &clock_);
  }
  LinkResult Put(const std::string& key, const std::string& value, RelTime exptime = 0,
                 StoreMode mode = StoreMode::kSet, LinkOptions options = {}) {
    AllocResult r = store_->Allocate(key, 0, exptime, static_cast<uint32_t>(value.size()));
    EXPECT_EQ(r.status, AllocStatus::kOk);
    r.item.WriteValue(0, value);
    r.item.WriteValue(value.size(), "\r\n");
    options.mode = mode;
    return store_->Link(std::move(r.item), options);
  }
  // mg with `options` (their T/N/R in options.ttl).
  GetResult Get(const std::string& key, GetOptions options = {}) {
    options.meta = true;
    return store_->Get(key, options);
  }
  // me: looks without a bump, a hit or a win.
  GetResult Peek(const std::string& key) {
    GetOptions peek;
    peek.bump = false;
    peek.peek = true;
    peek.meta = true;
    return store_->Get(key, peek);
  }
  ItemHandle GetAndTouch(const std::string& key, RelTime exptime) {
    GetOptions options;
    options.ttl.touch = true;
    options.ttl.exptime = exptime;
    return store_->Get(key, options).item;
  }
  DeltaResult Delta(const std::string& key, bool incr, uint64_t delta) {
    return store_->Delta(key, {.incr = incr, .delta = delta});
  }

  Clock clock_{kUnixNow};
  std::unique_ptr<Store> store_;
};

TEST_F(StoreMetaTest, VivifyCreatesAnEmptyItemAndWinsOnce) {
  GetOptions viv;
  viv.ttl.vivify = true;
  viv.ttl.vivify_exptime = clock_.Now() + 30;
  GetResult first = Get("k", viv);
  ASSERT_TRUE(first.item);
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(first.won);
  EXPECT_FALSE(first.token_sent);
  EXPECT_EQ(first.item.value_length(), 0u);
  EXPECT_EQ(first.item.exptime(), clock_.Now() + 30);
  GetResult second = Get("k", viv);
  EXPECT_FALSE(second.created);
  EXPECT_FALSE(second.won);
  EXPECT_TRUE(second.token_sent);
  // The winner's value replaces the placeholder and clears the state.
  EXPECT_EQ(Put("k", "v").status, StoreStatus::kStored);
  GetResult third = Get("k", viv);
  EXPECT_FALSE(third.won || third.token_sent || third.stale);
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 0u);
}

TEST_F(StoreMetaTest, RecacheWinsOnlyBelowTheTokenAndOnce) {
  Put("k", "v", clock_.Now() + 100);
  GetOptions r;
  r.ttl.recache = true;
  r.ttl.recache_time = clock_.Now() + 30;
  EXPECT_FALSE(Get("k", r).won);  // 100 s left, token 30 s
  clock_.Advance(80);
  r.ttl.recache_time = clock_.Now() + 30;
  EXPECT_TRUE(Get("k", r).won);  // 20 s left
  const GetResult again = Get("k", r);
  EXPECT_FALSE(again.won);
  EXPECT_TRUE(again.token_sent);
  Put("k", "never", 0);
  EXPECT_FALSE(Get("k", r).won);  // exptime 0 never recaches
}

TEST_F(StoreMetaTest, InvalidateMarksStaleWithNewCasAndOneWinner) {
  const uint64_t cas = Put("k", "old").cas;
  DeleteOptions inv;
  inv.invalidate = true;
  inv.touch = true;
  inv.exptime = clock_.Now() + 30;
  EXPECT_EQ(store_->Delete("k", inv), DeleteStatus::kInvalidated);
  GetResult a = Get("k");
  ASSERT_TRUE(a.item);
  EXPECT_EQ(a.item.CopyValue(), "old");
  EXPECT_GT(a.item.cas(), cas);
  EXPECT_EQ(a.item.exptime(), clock_.Now() + 30);
  EXPECT_TRUE(a.stale);
  EXPECT_TRUE(a.won);
  GetResult b = Get("k");
  EXPECT_TRUE(b.stale);
  EXPECT_TRUE(b.token_sent);
  EXPECT_FALSE(b.won);
  // A held handle forces the copy path; the state follows the new item.
  EXPECT_EQ(store_->Delete("k", inv), DeleteStatus::kInvalidated);
  GetResult c = Get("k");
  EXPECT_TRUE(c.won);
  EXPECT_EQ(c.item.CopyValue(), "old");
  EXPECT_EQ(a.item.CopyValue(), "old");  // the old handle still reads its bytes
}

TEST_F(StoreMetaTest, SetWithOlderCasAndInvalidateStoresStale) {
  const uint64_t cas = Put("k", "a").cas;
  Put("k", "b");
  LinkOptions o;
  o.has_cas = true;
  o.cas_compare = cas;
  EXPECT_EQ(Put("k", "c", 0, StoreMode::kSet, o).status, StoreStatus::kExists);
  o.invalidate = true;
  const LinkResult stored = Put("k", "c", 0, StoreMode::kSet, o);
  EXPECT_EQ(stored.status, StoreStatus::kStored);
  EXPECT_NE(stored.cas, 0u);
  GetResult g = Get("k");
  EXPECT_EQ(g.item.CopyValue(), "c");
  EXPECT_TRUE(g.stale);
  EXPECT_TRUE(g.won);
  o.cas_compare = stored.cas + 100;  // newer than the item: refused
  EXPECT_EQ(Put("k", "d", 0, StoreMode::kSet, o).status, StoreStatus::kExists);
}

TEST_F(StoreMetaTest, AppendVivifiesOnlyWithN) {
  EXPECT_EQ(Put("k", "x", 0, StoreMode::kAppend).status, StoreStatus::kNotStored);
  LinkOptions o;
  o.vivify = true;
  o.vivify_exptime = clock_.Now() + 9;
  EXPECT_EQ(Put("k", "x", 0, StoreMode::kAppend, o).status, StoreStatus::kStored);
  EXPECT_EQ(Put("k", "y", 0, StoreMode::kAppend, o).status, StoreStatus::kStored);
  GetResult g = Get("k");
  EXPECT_EQ(g.item.CopyValue(), "xy");
  EXPECT_EQ(g.item.exptime(), clock_.Now() + 9);
}

TEST_F(StoreMetaTest, DeltaVivifiesAndTouches) {
  DeltaOptions o;
  EXPECT_EQ(store_->Delta("n", o).status, DeltaStatus::kNotFound);
  o.ttl.vivify = true;
  o.initial = 7;
  o.ttl.vivify_exptime = clock_.Now() + 5;
  DeltaResult r = store_->Delta("n", o);
  EXPECT_EQ(r.status, DeltaStatus::kOk);
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.value, 7u);
  EXPECT_EQ(r.exptime, clock_.Now() + 5);
  o.ttl.touch = true;
  o.ttl.exptime = clock_.Now() + 50;
  o.delta = 3;
  r = store_->Delta("n", o);
  EXPECT_FALSE(r.created);
  EXPECT_EQ(r.value, 10u);
  EXPECT_EQ(r.exptime_before, clock_.Now() + 5);
  EXPECT_EQ(r.exptime, clock_.Now() + 50);
  o.cas_compare = r.cas + 1;
  EXPECT_EQ(store_->Delta("n", o).status, DeltaStatus::kExists);
}

TEST_F(StoreMetaTest, RemoveValueKeepsTheItemEmpty) {
  Put("k", "value", clock_.Now() + 40);
  DeleteOptions x;
  x.remove_value = true;
  EXPECT_EQ(store_->Delete("k", x), DeleteStatus::kDeleted);
  GetResult g = Get("k");
  ASSERT_TRUE(g.item);
  EXPECT_EQ(g.item.value_length(), 0u);
  EXPECT_EQ(g.item.exptime(), clock_.Now() + 40);
  EXPECT_EQ(store_->Delete("nokey", x), DeleteStatus::kNotFound);
}

// T, N and R apply in the order the request sent them.
TEST_F(StoreMetaTest, TtlFlagsApplyInOrder) {
  GetOptions o;
  o.ttl.vivify = o.ttl.touch = true;
  o.ttl.vivify_exptime = clock_.Now() + 30;
  o.ttl.exptime = clock_.Now() + 60;
  o.ttl.order = {'N', 'T', '\0'};
  EXPECT_EQ(Get("a", o).item.exptime(), clock_.Now() + 60);
  o.ttl.order = {'T', 'N', '\0'};
  EXPECT_EQ(Get("b", o).item.exptime(), clock_.Now() + 30);
  Put("r", "v", clock_.Now() + 10);
  GetOptions r;
  r.ttl.touch = r.ttl.recache = true;
  r.ttl.exptime = clock_.Now() + 100;
  r.ttl.recache_time = clock_.Now() + 30;
  r.ttl.order = {'T', 'R', '\0'};
  EXPECT_FALSE(Get("r", r).won);  // R sees the new TTL
  Put("r", "v", clock_.Now() + 10);
  r.ttl.order = {'R', 'T', '\0'};
  EXPECT_TRUE(Get("r", r).won);
  DeltaOptions d;
  d.ttl.vivify = d.ttl.touch = true;
  d.ttl.vivify_exptime = clock_.Now() + 30;
  d.ttl.exptime = clock_.Now() + 60;
  d.ttl.order = {'N', 'T', '\0'};
  EXPECT_EQ(store_->Delta("n1", d).exptime, clock_.Now() + 60);
  d.ttl.order = {'T', 'N', '\0'};
  EXPECT_EQ(store_->Delta("n2", d).exptime, clock_.Now() + 30);
}

TEST_F(StoreMetaTest, StateLeavesWithTheItem) {
  GetOptions viv;
  viv.ttl.vivify = true;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(Get(key, viv).won);
    store_->Delete(key);  // a classic delete drops the entry
  }
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 0u);
  EXPECT_TRUE(Get("k1", viv).won);  // a new item starts clean
}

TEST_F(StoreMetaTest, KeyBinaryIsKeptUntilTheItemIsReplaced) {
  LinkOptions b;
  b.key_binary = true;
  Put("k", "1", 0, StoreMode::kSet, b);
  EXPECT_TRUE(Get("k").key_binary);
  EXPECT_TRUE(Peek("k").key_binary);
  // md I, in place or (with a handle held) by copy, keeps it.
  DeleteOptions inv;
  inv.invalidate = true;
  ASSERT_EQ(store_->Delete("k", inv), DeleteStatus::kInvalidated);
  GetResult held = Get("k");
  EXPECT_TRUE(held.key_binary && held.stale && held.won);
  ASSERT_EQ(store_->Delete("k", inv), DeleteStatus::kInvalidated);
  held = {};
  EXPECT_TRUE(Get("k").key_binary);
  // Classic incr in place keeps every bit; one that needs a new item drops them.
  EXPECT_EQ(Delta("k", true, 1).status, DeltaStatus::kOk);
  GetResult g = Get("k");
  EXPECT_TRUE(g.key_binary && g.stale && g.token_sent);
  EXPECT_EQ(Delta("k", true, 100).status, DeltaStatus::kOk);
  g = Get("k");
  EXPECT_FALSE(g.key_binary || g.stale || g.token_sent);
  // Append builds a new item: not binary.
  Put("k", "1", 0, StoreMode::kSet, b);
  Put("k", "2", 0, StoreMode::kAppend, b);
  EXPECT_FALSE(Get("k").key_binary);
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 0u);
}

TEST_F(StoreMetaTest, InPlaceChangesKeepTheStampedeState) {
  Put("k", "1");
  DeleteOptions inv;
  inv.invalidate = true;
  ASSERT_EQ(store_->Delete("k", inv), DeleteStatus::kInvalidated);
  EXPECT_TRUE(Get("k").won);
  // touch, gat and incr/decr in place (a new CAS) keep stale + won.
  EXPECT_TRUE(GetAndTouch("k", clock_.Now() + 100));
  EXPECT_TRUE(GetAndTouch("k", clock_.Now() + 200));
  EXPECT_EQ(Delta("k", true, 1).status, DeltaStatus::kOk);
  EXPECT_EQ(Delta("k", false, 1).status, DeltaStatus::kOk);
  GetResult g = Get("k");
  EXPECT_TRUE(g.stale);
  EXPECT_TRUE(g.token_sent);
  EXPECT_FALSE(g.won);
}

// Without CAS (-C) an entry cannot tell a later item in the same chunk from
// the one it was made for: unlinking must drop it.
TEST_F(StoreMetaTest, ReusedChunkWithoutCasStartsClean) {
  StoreConfig config;
  config.background_threads = false;
  config.cas_enabled = false;
  store_ = std::make_unique<Store>(config, &clock_);
  DeleteOptions inv;
  inv.invalidate = true;
  LinkOptions b;
  b.key_binary = true;
  for (const bool classic_delete : {true, false}) {
    Put("k", "v", 0, StoreMode::kSet, b);
    ASSERT_EQ(store_->Delete("k", inv), DeleteStatus::kInvalidated);
    const Item* chunk = nullptr;
    {
      GetResult g = Get("k");
      EXPECT_TRUE(g.stale && g.won && g.key_binary);
      EXPECT_EQ(g.item.cas(), 0u);
      chunk = g.item.get();
    }
    if (classic_delete) {
      EXPECT_EQ(store_->Delete("k"), DeleteStatus::kDeleted);
    } else {
      clock_.Advance(1);
      GetAndTouch("k", clock_.Now());  // expires now: the next lookup unlinks it
      EXPECT_FALSE(Get("k").item);
    }
    EXPECT_EQ(store_->meta_state_entries_for_tests(), 0u);
    Put("k", "v");
    GetResult g = Get("k");
    ASSERT_TRUE(g.item);
    EXPECT_EQ(g.item.get(), chunk) << "the allocator did not reuse the chunk";
    EXPECT_FALSE(g.stale || g.won || g.token_sent || g.key_binary);
    store_->Delete("k");
  }
}

// Threads race vivify / invalidate on one key: exactly one winner per cycle.
TEST_F(StoreMetaTest, ConcurrentReadersHaveOneWinnerPerCycle) {
  constexpr int kThreads = 8;
  constexpr int kCycles = 50;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    if (cycle % 2 == 0) {
      store_->Delete("hot");
    } else {
      DeleteOptions inv;
      inv.invalidate = true;
      store_->Delete("hot", inv);
    }
    std::atomic<int> wins{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        GetOptions o;
        o.ttl.vivify = true;
        o.ttl.vivify_exptime = 0;
        GetResult r = Get("hot", o);
        if (r.won) wins.fetch_add(1);
        ASSERT_TRUE(r.item);
        EXPECT_LE(r.item.value_length(), 5u);
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << "cycle " << cycle;
    Put("hot", "value");
  }
}

// An attacker who vivifies (mg N) many keys must not grow the side table,
// which lives outside -m, past its bound: once full, N misses as without N.
TEST_F(StoreMetaTest, SideTableStaysBoundedUnderManyKeys) {
  const size_t cap = StoreConfig().meta_state_max_entries;
  GetOptions viv;
  viv.ttl.vivify = true;
  viv.ttl.vivify_exptime = clock_.Now() + 30;
  size_t won = 0;
  for (size_t i = 0; i < cap + 5000; ++i) {
    const GetResult r = Get("flood:" + std::to_string(i), viv);
    if (r.won) {
      ++won;
      EXPECT_TRUE(r.created);
    } else {
      EXPECT_FALSE(r.item);  // no placeholder that nobody won
    }
  }
  EXPECT_EQ(won, cap);
  EXPECT_EQ(store_->meta_state_entries_for_tests(), cap);
  EXPECT_EQ(store_->GetStats().curr_items, cap);
}

TEST_F(StoreMetaTest, FullSideTableFallsBackToNoEntry) {
  StoreConfig config;
  config.background_threads = false;
  config.meta_state_max_entries = 2;
  store_ = std::make_unique<Store>(config, &clock_);
  const size_t empty_bytes = store_->SideTableBytes();
  GetOptions viv;
  viv.ttl.vivify = true;
  viv.ttl.vivify_exptime = clock_.Now() + 30;
  ASSERT_TRUE(Get("a", viv).won);
  LinkOptions binary;
  binary.key_binary = true;
  ASSERT_EQ(Put("b", "v", 0, StoreMode::kSet, binary).status, StoreStatus::kStored);
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 2u);
  const size_t full_bytes = store_->SideTableBytes();
  EXPECT_GT(full_bytes, empty_bytes);

  // Full: nothing that needs a new entry gets one.
  EXPECT_FALSE(Get("c", viv).item);  // N misses
  Put("r", "v", clock_.Now() + 10);
  GetOptions recache;
  recache.ttl.recache = true;
  recache.ttl.recache_time = clock_.Now() + 30;
  const GetResult r = Get("r", recache);
  EXPECT_TRUE(r.item);
  EXPECT_FALSE(r.won);
  EXPECT_EQ(Put("b2", "v", 0, StoreMode::kSet, binary).status, StoreStatus::kNoMemory);
  LinkOptions stale;
  stale.has_cas = true;
  stale.cas_compare = 1;
  stale.invalidate = true;
  EXPECT_EQ(Put("r", "old", 0, StoreMode::kSet, stale).status, StoreStatus::kExists);
  DeleteOptions invalidate;
  invalidate.invalidate = true;
  EXPECT_EQ(store_->Delete("r", invalidate), DeleteStatus::kDeleted);
  EXPECT_FALSE(Get("r").item);  // deleted rather than marked stale
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 2u);
  EXPECT_EQ(store_->SideTableBytes(), full_bytes);

  // Items that have an entry keep using it: invalidating a binary key keeps
  // its mark (also when a reader holds it, so that a copy is linked), and
  // the first reader of the stale item wins.
  EXPECT_EQ(Put("b", "v", 0, StoreMode::kSet, {}).status, StoreStatus::kStored);  // frees one
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 1u);
  EXPECT_EQ(Put("b2", "v", 0, StoreMode::kSet, binary).status, StoreStatus::kStored);
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 2u);
  {
    const GetResult reader = Get("b2");
    EXPECT_EQ(store_->Delete("b2", invalidate), DeleteStatus::kInvalidated);
  }
  // ms I over it also reuses the entry (stale, still binary).
  EXPECT_EQ(Put("b2", "older", 0, StoreMode::kSet,
                [&] {
                  LinkOptions o = stale;
                  o.key_binary = true;
                  return o;
                }())
                .status,
            StoreStatus::kStored);
  const GetResult b2 = Get("b2");
  EXPECT_TRUE(b2.stale);
  EXPECT_TRUE(b2.won);
  EXPECT_TRUE(b2.key_binary);
  // Unlinking frees the entries and their bytes.
  store_->FlushAll(0);
  clock_.Advance(1);
  EXPECT_FALSE(Get("a").item);
  EXPECT_FALSE(Get("b2").item);
  EXPECT_EQ(store_->meta_state_entries_for_tests(), 0u);
  EXPECT_EQ(store_->SideTableBytes(), empty_bytes);
}

}  // namespace
}  // namespace slabcached::slabs
