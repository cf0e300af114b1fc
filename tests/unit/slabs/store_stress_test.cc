// Concurrency stress: 8 threads mix every operation on overlapping keys with
// background threads on and a small memory limit, so the hash table expands
// and the LRU evicts while they run. Run under ThreadSanitizer by
// `make check-tsan`.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <latch>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "slabs/store.h"

namespace slabcached::slabs {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int kOpsPerThread = 80000;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int kOpsPerThread = 80000;
#else
constexpr int kOpsPerThread = 200000;
#endif
#else
constexpr int kOpsPerThread = 200000;
#endif
constexpr int kThreads = 8;
constexpr int kStringKeys = 10000;
constexpr int kNumberKeys = 200;

// A value is a concatenation of segments "{<key>:zzz...}" (append/prepend
// concatenate them), so every hit can be checked against its key.
std::string Segment(const std::string& key, size_t filler) {
  return "{" + key + ":" + std::string(filler, 'z') + "}";
}

bool ValidStringValue(std::string_view key, std::string_view value) {
  if (value.empty()) return false;
  size_t pos = 0;
  while (pos < value.size()) {
    if (value.substr(pos, 1) != "{" || value.substr(pos + 1, key.size()) != key ||
        value.substr(pos + 1 + key.size(), 1) != ":") {
      return false;
    }
    pos += key.size() + 2;
    while (pos < value.size() && value[pos] == 'z') ++pos;
    if (pos >= value.size() || value[pos] != '}') return false;
    ++pos;
  }
  return true;
}

bool ValidNumber(std::string_view value) {
  size_t i = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
  if (i == 0 || i > 20) return false;
  while (i < value.size() && value[i] == ' ') ++i;
  return i == value.size();
}

class Worker {
 public:
  Worker(Store* store, const Clock* clock, int id)
      : store_(store), clock_(clock), rng_(static_cast<unsigned>(id) * 7919 + 1) {}

  void Run(int ops) {
    for (int i = 0; i < ops; ++i) Step();
  }
  int errors() const { return errors_; }

 private:
  StoreStatus Put(const std::string& key, const std::string& value, StoreMode mode,
                  uint64_t cas = 0) {
    AllocResult r = store_->Allocate(key, 0, 0, static_cast<uint32_t>(value.size()));
    if (r.status != AllocStatus::kOk) return StoreStatus::kNoMemory;
    r.item.WriteValue(0, value);
    r.item.WriteValue(value.size(), "\r\n");
    return store_->Link(std::move(r.item), {.mode = mode, .cas_compare = cas}).status;
  }
  ItemHandle Touch(const std::string& key, RelTime exptime) {
    GetOptions options;
    options.ttl.touch = true;
    options.ttl.exptime = exptime;
    return store_->Get(key, options).item;
  }
  void Check(const ItemHandle& h, const std::string& key, bool number) {
    if (!h) return;
    if (h.key() != key) ++errors_;
    if (!h.EndsWithCrlf()) ++errors_;
    if (number ? !ValidNumber(h.CopyValue()) : !ValidStringValue(key, h.CopyValue())) {
      ++errors_;
      ADD_FAILURE() << "bad value for " << key << ": " << h.CopyValue().substr(0, 80);
    }
  }

  void Step() {
    const int op = static_cast<int>(rng_() % 100);
    if (op < 15) {  // number keys: set / incr / decr / get
      const std::string key = "n" + std::to_string(rng_() % kNumberKeys);
      const int sub = static_cast<int>(rng_() % 4);
      if (sub == 0) {
        Put(key, std::to_string(rng_() % 1000), StoreMode::kSet);
      } else if (sub == 3) {
        Check(store_->Get(key).item, key, true);
      } else {
        DeltaOptions options{.incr = sub == 1, .delta = rng_() % 100};
        options.ttl.vivify = (rng_() % 2) == 0;
        const DeltaResult r = store_->Delta(key, options);
        if (r.status == DeltaStatus::kNonNumeric || r.status == DeltaStatus::kExists) ++errors_;
      }
      return;
    }
    const std::string key = "s" + std::to_string(rng_() % kStringKeys);
    const std::string seg = Segment(key, rng_() % 1500);
    if (op < 35) {
      Put(key, seg, StoreMode::kSet);
    } else if (op < 40) {
      Put(key, seg, StoreMode::kAdd);
    } else if (op < 44) {
      Put(key, seg, StoreMode::kReplace);
    } else if (op < 48) {
      Put(key, seg, (rng_() % 2) ? StoreMode::kAppend : StoreMode::kPrepend);
    } else if (op < 53) {
      ItemHandle h = store_->Get(key).item;
      if (h) Put(key, seg, StoreMode::kCas, h.cas());
    } else if (op < 85) {
      ItemHandle h = store_->Get(key).item;
      Check(h, key, false);
      held_ = std::move(h);  // keep one reference alive across operations
      if (held_) Check(held_, key, false);
    } else if (op < 89) {
      Check(Touch(key, clock_->Now() + 3600), key, false);
    } else if (op < 92) {
      Touch(key, 0);
    } else if (op < 99) {
      store_->Delete(key);
    } else if (rng_() % 2000 == 0) {
      store_->FlushAll(0);
    } else {
      (void)store_->GetStats();
      (void)store_->GetSlabClassStats();
    }
  }

  Store* store_;
  const Clock* clock_;
  std::mt19937 rng_;
  ItemHandle held_;
  int errors_ = 0;
};

StoreConfig StressConfig() {
  StoreConfig config;
  config.max_bytes = 24 << 20;  // some classes get several pages: page moves happen
  // memcached's 1.25 classes: the default layout's 63 classes would spread
  // 24 MB too thinly for page moves to be needed.
  config.growth_classes = true;
  config.hashpower_init = 8;
  config.background_threads = true;
  config.slab_automove = 2;  // the maintainer also moves pages on its own
  return config;
}

void RunStress(const StoreConfig& config) {
  Clock clock(1'700'000'000);
  Store store(config, &clock);

  std::atomic<bool> done{false};
  std::thread ticker([&] {
    while (!done.load()) {
      clock.Advance(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  // "slabs reassign -1 <n>" while everything else runs.
  std::thread mover([&] {
    std::mt19937 rng(42);
    while (!done.load()) {
      // Destination 0 is the page pool; source 0 takes pages back out of it.
      const int cls = static_cast<int>(rng() % 21);
      (void)store.Reassign(rng() % 4 == 0 ? 0 : -1, cls);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < kThreads; ++i) workers.push_back(std::make_unique<Worker>(&store, &clock, i));
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(kOpsPerThread); });
  for (auto& t : threads) t.join();
  done = true;
  ticker.join();
  mover.join();
  int errors = 0;
  for (auto& w : workers) errors += w->errors();
  workers.clear();  // drops the held handles
  EXPECT_EQ(errors, 0);

  // Lazily unlink what a flush hid, then the counts must agree.
  uint64_t hits = 0, pieces = 0;
  auto count = [&](const std::string& key) {
    if (ItemHandle h = store.Get(key).item) {
      ++hits;
      h.ForEachPiece(true, [&](std::string_view) { ++pieces; });  // a chunk each
    }
  };
  for (int i = 0; i < kStringKeys; ++i) count("s" + std::to_string(i));
  for (int i = 0; i < kNumberKeys; ++i) count("n" + std::to_string(i));
  const StoreStats stats = store.GetStats();
  std::printf(
      "items %lu (chunks %lu) evictions %lu reclaimed %lu (crawler %lu) hash_power %u juggles %lu "
      "malloced %lu "
      "moved %lu\n",
      static_cast<unsigned long>(stats.curr_items), static_cast<unsigned long>(pieces),
      static_cast<unsigned long>(stats.evictions), static_cast<unsigned long>(stats.reclaimed),
      static_cast<unsigned long>(stats.crawler_reclaimed), stats.hash_power_level,
      static_cast<unsigned long>(stats.lru_maintainer_juggles),
      static_cast<unsigned long>(stats.total_malloced),
      static_cast<unsigned long>(stats.slabs_moved));
  EXPECT_EQ(stats.curr_items, hits);
  EXPECT_GT(stats.hash_power_level, 8u);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_GT(stats.slabs_moved, 0u);
  uint64_t used = 0, number = 0;
  for (const auto& c : store.GetSlabClassStats()) {
    used += c.used_chunks;
    number += c.number;
    EXPECT_EQ(c.used_chunks + c.free_chunks, c.total_chunks);
  }
  EXPECT_EQ(number, stats.curr_items);
  EXPECT_EQ(used, pieces);  // no handle is held any more: nothing leaked
  EXPECT_LE(stats.total_malloced, stats.limit_maxbytes + 64 * (1u << 20));
}

TEST(StoreStressTest, MixedOperationsKeepInvariants) { RunStress(StressConfig()); }

// The same with 1 KB chunks (-o slab_chunk_max=1): most values are chained
// across chunks, and page moves rescue heads and continuations under load.
TEST(StoreStressTest, MixedOperationsOnChunkedItemsKeepInvariants) {
  StoreConfig config = StressConfig();
  config.slab_chunk_max = 1024;
  RunStress(config);
}

// CREATING A MISSING KEY (store.cc): threads racing to create the same
// missing key, binary incr with an initial value and mg N alike, end with one
// item and the right value. Memory is full, so creating (under the item lock)
// evicts, which must only try-lock other stripes.
TEST(StoreStressTest, RacingCreatorsOfAMissingKeyMakeOneItem) {
  constexpr int kCreators = 4;
  constexpr int kRounds = 40;
  constexpr int kIncrs = 100;
  Clock clock(1'700'000'000);
  StoreConfig config;
  config.max_bytes = 4 << 20;
  config.background_threads = false;
  config.slab_automove = 0;
  Store store(config, &clock);
  auto put = [&](const std::string& key, const std::string& value) {
    AllocResult r = store.Allocate(key, 0, 0, static_cast<uint32_t>(value.size()));
    ASSERT_EQ(r.status, AllocStatus::kOk);
    r.item.WriteValue(0, value + "\r\n");
    ASSERT_EQ(store.Link(std::move(r.item)).status, StoreStatus::kStored);
  };
  for (int i = 0; store.GetStats().evictions == 0; ++i) put("fill" + std::to_string(i), "1");
  const uint64_t evictions_before = store.GetStats().evictions;

  for (int round = 0; round < kRounds; ++round) {
    const std::string counter = "counter" + std::to_string(round);
    const std::string placeholder = "placeholder" + std::to_string(round);
    std::latch start(kCreators);
    std::atomic<int> counters_created{0}, placeholders_created{0}, wins{0}, failures{0};
    std::vector<std::thread> creators;
    for (int t = 0; t < kCreators; ++t) {
      creators.emplace_back([&] {
        DeltaOptions incr{.incr = true, .delta = 1, .initial = 0};
        incr.ttl.vivify = true;
        GetOptions vivify;
        vivify.meta = true;
        vivify.ttl.vivify = true;
        start.arrive_and_wait();
        const GetResult got = store.Get(placeholder, vivify);
        if (!got.item) ++failures;
        if (got.created) ++placeholders_created;
        if (got.won) ++wins;
        for (int i = 0; i < kIncrs; ++i) {
          const DeltaResult r = store.Delta(counter, incr);
          if (r.status != DeltaStatus::kOk) ++failures;
          if (r.created) ++counters_created;
        }
      });
    }
    for (std::thread& t : creators) t.join();
    EXPECT_EQ(failures.load(), 0) << round;
    EXPECT_EQ(counters_created.load(), 1) << round;
    EXPECT_EQ(placeholders_created.load(), 1) << round;
    EXPECT_EQ(wins.load(), 1) << round;
    // The creating call stored 0; every other one added 1.
    const GetResult value = store.Get(counter);
    ASSERT_TRUE(value.item) << round;
    EXPECT_EQ(std::stoull(value.item.CopyValue()), uint64_t{kCreators * kIncrs - 1}) << round;
    // One item each: once deleted, no second copy answers.
    EXPECT_EQ(store.Delete(counter), DeleteStatus::kDeleted);
    EXPECT_EQ(store.Delete(placeholder), DeleteStatus::kDeleted);
    EXPECT_FALSE(store.Get(counter).item) << round;
    EXPECT_FALSE(store.Get(placeholder).item) << round;
  }
  EXPECT_GT(store.GetStats().evictions, evictions_before);  // creating evicted
}

}  // namespace
}  // namespace slabcached::slabs
