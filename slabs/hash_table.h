// HashTable: chained hash of linked items, power-of-two buckets, incremental
// expansion (memcached's assoc.c).
//
// Locking: every lookup/insert/remove is made holding the item lock
// (ItemLocks stripe) of the key's hash. Expansion:
//   1. StartExpand() takes every stripe (in order), makes the new table the
//      primary one and keeps the old one; only then is expanding() true.
//   2. MigrateBuckets() moves old buckets one at a time, each under its own
//      stripe, and advances expand_bucket_ while still holding it. Old bucket
//      b and new buckets b and b + old_size map to the same stripe.
//   3. A reader holding stripe S(h) looks in the old table when its old
//      bucket (h & old_mask) >= expand_bucket_: that bucket cannot be
//      migrated while the reader holds S(h), and a migrated one was released
//      before the reader locked S(h).
//   4. When all are moved, FinishExpand() takes every stripe once more, drops
//      the old table and leaves expanding mode.
// With `background` the steps run on a thread of this object, woken when the
// item count passes 1.5 x buckets; otherwise Step() runs them from
// Store::RunMaintenance().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <thread>

#include "slabs/item.h"
#include "slabs/item_locks.h"
#include "slabs/slab_allocator.h"

namespace slabcached::slabs {

class HashTable {
 public:
  static constexpr uint32_t kMaxPower = 32;

  struct Config {
    uint32_t hashpower_init = 16;
    bool expand = true;
    bool background = true;
  };

  // `locks` must have no more stripes than the table has buckets.
  HashTable(const Config& config, ItemLocks* locks, const SlabAllocator* slabs);
  ~HashTable();  // stops the expansion thread
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;

  // All three require the item lock of `hv`.
  Item* Find(std::string_view key, uint64_t hv) const;
  void Insert(Item* it, uint64_t hv);
  // Removes exactly `it` (which must be in the table).
  void Remove(Item* it, uint64_t hv);

  // One synchronous expansion step: starts an expansion when one is due and
  // migrates up to `max_buckets` buckets. Requires that the caller holds no
  // item lock. Returns true if it did anything.
  bool Step(size_t max_buckets);
  // Forces an expansion to start (tests); caller holds no item lock.
  void StartExpand();

  uint32_t hash_power() const { return hashpower_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return sizeof(ItemRef) * (uint64_t{1} << hash_power()); }
  bool expanding() const { return expanding_.load(std::memory_order_relaxed); }
  uint64_t items() const { return items_.load(std::memory_order_relaxed); }

 private:
  bool ExpandDue() const;
  // Migrates old bucket `expand_bucket_`; false when all are done.
  bool MigrateOne();
  void FinishExpand();
  ItemRef* BucketFor(uint64_t hv) const;  // requires the item lock of hv
  void Run(std::stop_token stop);

  ItemLocks* const locks_;
  const SlabAllocator* const slabs_;
  const bool expand_enabled_;

  // Swapped only while holding every stripe; read under any one stripe.
  std::unique_ptr<ItemRef[]> primary_;
  std::unique_ptr<ItemRef[]> old_;
  std::atomic<uint32_t> hashpower_;
  std::atomic<bool> expanding_{false};
  // Next old bucket to migrate; advanced holding that bucket's stripe.
  std::atomic<uint64_t> expand_bucket_{0};
  std::atomic<uint64_t> items_{0};

  std::mutex wake_mu_;
  std::condition_variable_any wake_cv_;
  bool wake_ = false;  // guarded by wake_mu_
  std::jthread thread_;
};

}  // namespace slabcached::slabs
