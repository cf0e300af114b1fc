#include "slabs/hash_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "slabs/hash.h"

namespace slabcached::slabs {
namespace {

class HashTableTest : public ::testing::Test {
 protected:
  Item* NewItem(const std::string& key) {
    Item* it = slabs_.Alloc(slabs_.ClassFor(Item::TotalSize(false, false, key.size(), 0)), 0);
    it->nkey = static_cast<uint8_t>(key.size());
    std::memcpy(it->key_ptr(), key.data(), key.size());
    items_.push_back(it);
    return it;
  }
  void Insert(HashTable& table, Item* it) {
    const uint64_t hv = hasher_.Hash(it->key());
    std::lock_guard lock(locks_.For(hv));
    table.Insert(it, hv);
  }
  Item* Find(HashTable& table, const std::string& key) {
    const uint64_t hv = hasher_.Hash(key);
    std::lock_guard lock(locks_.For(hv));
    return table.Find(key, hv);
  }
  void TearDown() override {
    for (Item* it : items_) slabs_.Release(it);
  }

  KeyHasher hasher_{42};
  SlabAllocator slabs_{{}};
  ItemLocks locks_{4};
  std::vector<Item*> items_;
};

TEST_F(HashTableTest, FindInsertRemove) {
  HashTable table({.hashpower_init = 4, .expand = false, .background = false}, hasher_, &locks_,
                  &slabs_);
  Item* a = NewItem("alpha");
  Item* b = NewItem("beta");
  Insert(table, a);
  Insert(table, b);
  EXPECT_EQ(Find(table, "alpha"), a);
  EXPECT_EQ(Find(table, "beta"), b);
  EXPECT_EQ(Find(table, "gamma"), nullptr);
  EXPECT_EQ(table.items(), 2u);
  {
    const uint64_t hv = hasher_.Hash("alpha");
    std::lock_guard lock(locks_.For(hv));
    table.Remove(a, hv);
  }
  EXPECT_EQ(Find(table, "alpha"), nullptr);
  EXPECT_EQ(Find(table, "beta"), b);
  EXPECT_EQ(table.items(), 1u);
}

TEST_F(HashTableTest, LookupsSucceedAtEveryStepOfAnExpansion) {
  HashTable table({.hashpower_init = 4, .expand = true, .background = false}, hasher_, &locks_,
                  &slabs_);
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("key" + std::to_string(i));
  for (const auto& k : keys) Insert(table, NewItem(k));
  EXPECT_EQ(table.hash_power(), 4u);
  table.StartExpand();
  EXPECT_TRUE(table.expanding());
  EXPECT_EQ(table.hash_power(), 5u);
  int steps = 0;
  while (table.expanding()) {
    for (const auto& k : keys) ASSERT_NE(Find(table, k), nullptr) << k << " step " << steps;
    table.Step(1);  // one bucket at a time
    ++steps;
  }
  EXPECT_EQ(steps, 16 + 1);
  for (const auto& k : keys) EXPECT_NE(Find(table, k), nullptr) << k;
  // 100 items > 1.5 * 32: the synchronous step expands again.
  while (table.Step(1 << 20)) {
  }
  EXPECT_EQ(table.hash_power(), 7u);
  EXPECT_EQ(table.bytes(), sizeof(ItemRef) << 7);
  for (const auto& k : keys) EXPECT_NE(Find(table, k), nullptr) << k;
}

TEST_F(HashTableTest, BackgroundExpansionWhileReadersRun) {
  HashTable table({.hashpower_init = 4, .expand = true, .background = true}, hasher_, &locks_,
                  &slabs_);
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<Item*> made;
  for (const auto& k : keys) made.push_back(NewItem(k));
  std::atomic<int> inserted{0};
  std::atomic<bool> failed{false};
  std::thread reader([&] {
    while (inserted.load() < static_cast<int>(keys.size())) {
      const int n = inserted.load();
      for (int i = 0; i < n; ++i) {
        if (Find(table, keys[i]) == nullptr) failed = true;
      }
    }
  });
  for (size_t i = 0; i < keys.size(); ++i) {
    Insert(table, made[i]);
    inserted.store(static_cast<int>(i + 1));
  }
  reader.join();
  EXPECT_FALSE(failed.load());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((table.hash_power() < 11 || table.expanding()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(table.hash_power(), 11u);  // 3000 > 1.5 * 2^10, but not > 1.5 * 2^11
  for (const auto& k : keys) EXPECT_NE(Find(table, k), nullptr) << k;
}

// Bucket (and stripe) of each key under a seed, for a power-of-two table.
std::vector<uint64_t> Buckets(const KeyHasher& hasher, int keys, uint32_t power) {
  std::vector<uint64_t> out;
  for (int i = 0; i < keys; ++i) {
    out.push_back(hasher.Hash("key:" + std::to_string(i)) & ((uint64_t{1} << power) - 1));
  }
  return out;
}

// Keys that collide in one process's table must not collide in another's:
// the placement depends on a per-store seed, not on the key alone.
TEST(KeyHasherTest, SeedDecidesBucketPlacement) {
  const std::vector<uint64_t> a = Buckets(KeyHasher(1), 1000, 16);
  EXPECT_EQ(Buckets(KeyHasher(1), 1000, 16), a);
  const std::vector<uint64_t> b = Buckets(KeyHasher(2), 1000, 16);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  EXPECT_LT(same, 10);  // chance alone: 1000 / 65536
}

TEST(KeyHasherTest, RandomSeedsDiffer) {
  EXPECT_NE(KeyHasher::RandomSeed(), KeyHasher::RandomSeed());
}

}  // namespace
}  // namespace slabcached::slabs
