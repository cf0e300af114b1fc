#include "client/near_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class NearCacheTest : public ::testing::Test {
 protected:
  NearCacheConfig Config() {
    NearCacheConfig config;
    config.now = [this] { return now_; };
    config.ttl = milliseconds(100);
    return config;
  }
  static Item Value(std::string v, uint32_t flags = 0) { return Item{std::move(v), flags, 0}; }

  std::chrono::steady_clock::time_point now_{};
};

TEST_F(NearCacheTest, HitsUntilTheTtlThenMisses) {
  NearCache near(Config());
  Item item;
  EXPECT_FALSE(near.Get("k", &item));
  near.Put("k", Value("v", 7), near.Epoch());
  ASSERT_TRUE(near.Get("k", &item));
  EXPECT_EQ(item.value, "v");
  EXPECT_EQ(item.flags, 7u);
  now_ += milliseconds(99);
  EXPECT_TRUE(near.Get("k", &item));
  now_ += milliseconds(1);
  EXPECT_FALSE(near.Get("k", &item)) << "expired at exactly ttl";
  const NearCacheStats s = near.stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.puts, 1u);
  EXPECT_EQ(s.entries, 0u) << "an expired entry is dropped when seen";
  EXPECT_EQ(s.bytes, 0u);
}

TEST_F(NearCacheTest, EntryBoundEvictsTheLeastRecentlyUsed) {
  NearCacheConfig config = Config();
  config.max_entries = 3;
  NearCache near(config);
  for (const char* k : {"a", "b", "c"}) near.Put(k, Value(k), near.Epoch());
  Item item;
  ASSERT_TRUE(near.Get("a", &item));  // a is now the most recent; b the least
  near.Put("d", Value("d"), near.Epoch());
  EXPECT_FALSE(near.Get("b", &item));
  EXPECT_TRUE(near.Get("a", &item));
  EXPECT_TRUE(near.Get("c", &item));
  EXPECT_TRUE(near.Get("d", &item));
  EXPECT_EQ(near.stats().entries, 3u);
  EXPECT_EQ(near.stats().evictions, 1u);
}

TEST_F(NearCacheTest, ByteBoundCountsKeyValueAndOverhead) {
  NearCacheConfig config = Config();
  config.max_bytes = 8 * (NearCache::kEntryOverhead + 100);
  NearCache near(config);
  // Each entry: 1-byte key + 99-byte value + overhead = max_bytes / 8.
  for (int i = 0; i < 10; ++i) {
    near.Put(std::string(1, static_cast<char>('a' + i)), Value(std::string(99, 'x')), near.Epoch());
  }
  const NearCacheStats s = near.stats();
  EXPECT_EQ(s.entries, 8u);
  EXPECT_EQ(s.bytes, config.max_bytes);
  EXPECT_EQ(s.evictions, 2u);
  Item item;
  EXPECT_FALSE(near.Get("a", &item));
  EXPECT_FALSE(near.Get("b", &item));
  EXPECT_TRUE(near.Get("j", &item));
  // A value over an eighth of the budget is never stored.
  near.Put("big", Value(std::string(100, 'x')), near.Epoch());
  EXPECT_FALSE(near.Get("big", &item));
  EXPECT_EQ(near.stats().dropped, 1u);
}

TEST_F(NearCacheTest, ReplacingAKeyKeepsTheAccountsRight) {
  NearCache near(Config());
  near.Put("k", Value("short"), near.Epoch());
  near.Put("k", Value(std::string(50, 'x')), near.Epoch());
  EXPECT_EQ(near.stats().entries, 1u);
  EXPECT_EQ(near.stats().bytes, 1 + 50 + NearCache::kEntryOverhead);
  Item item;
  ASSERT_TRUE(near.Get("k", &item));
  EXPECT_EQ(item.value.size(), 50u);
}

TEST_F(NearCacheTest, InvalidateRemovesAndFencesOffARacingFetch) {
  NearCache near(Config());
  near.Put("k", Value("old"), near.Epoch());
  const uint64_t fetch_started = near.Epoch();  // a Get misses and goes to the server...
  near.Invalidate("k");                         // ...while a write happens
  Item item;
  EXPECT_FALSE(near.Get("k", &item));
  near.Put("k", Value("old"), fetch_started);  // the fetched (old) value arrives
  EXPECT_FALSE(near.Get("k", &item)) << "a value fetched before the write is not stored";
  EXPECT_EQ(near.stats().dropped, 1u);
  near.Put("k", Value("new"), near.Epoch());  // a fetch that began after it is fine
  ASSERT_TRUE(near.Get("k", &item));
  EXPECT_EQ(item.value, "new");
  EXPECT_EQ(near.stats().invalidations, 1u);
}

TEST_F(NearCacheTest, ClearEmptiesAndFencesEverything) {
  NearCache near(Config());
  const uint64_t before = near.Epoch();
  near.Put("a", Value("1"), before);
  near.Clear();
  Item item;
  EXPECT_FALSE(near.Get("a", &item));
  near.Put("b", Value("2"), before);
  EXPECT_FALSE(near.Get("b", &item));
  EXPECT_EQ(near.stats().entries, 0u);
}

TEST_F(NearCacheTest, ZeroEntriesDisablesIt) {
  NearCacheConfig config = Config();
  config.max_entries = 0;
  NearCache near(config);
  near.Put("k", Value("v"), near.Epoch());
  Item item;
  EXPECT_FALSE(near.Get("k", &item));
}

TEST(NearCacheThreadsTest, ManyThreadsShareOneNearCache) {
  NearCacheConfig config;
  config.max_entries = 64;
  config.max_bytes = 64 * 1024;
  NearCache near(config);
  std::atomic<uint64_t> hits{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        Item item;
        for (int i = 0; i < 20000; ++i) {
          const std::string key = "k" + std::to_string((i * 7 + t) % 100);
          if (near.Get(key, &item)) {
            ++hits;
            EXPECT_EQ(item.value, "v" + key);
          } else {
            near.Put(key, Item{"v" + key, 0, 0}, near.Epoch());
          }
          if (i % 97 == 0) near.Invalidate(key);
        }
      });
    }
  }
  const NearCacheStats s = near.stats();
  EXPECT_EQ(s.hits, hits.load());
  EXPECT_EQ(s.hits + s.misses, 8u * 20000u);
  EXPECT_LE(s.entries, 64u);
  EXPECT_LE(s.bytes, config.max_bytes);
}

}  // namespace
}  // namespace slabcached::client
