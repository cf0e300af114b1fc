// HashTable: chained hash of linked items, power-of-two buckets, incremental
// expansion (memcached's assoc.c, without its stop-the-world switch).
//
// Locking: every lookup/insert/remove is made holding the item lock
// (ItemLocks stripe) of the key's hash; a bucket and all its items share
// that stripe (the stripe table is never larger than the old table).
//
// The table's shape is an immutable View {primary, old, power, expanding,
// expand_bucket} published through an atomic pointer and loaded by readers
// under their stripe lock. Expansion:
//   1. Start: allocate the doubled table and publish View{primary = new,
//      old = current, expanding}, expand_bucket = 0. A reader that still
//      uses the previous View reads current[h & mask] -- the very bucket the
//      new View sends it to (old[h & old_mask], nothing is migrated yet) --
//      so no stripe needs to be taken for the switch.
//   2. Migrate old buckets one at a time, each under its own stripe, and
//      advance the View's expand_bucket while still holding it. A reader
//      holding stripe S(h) uses the old table when h & old_mask >=
//      expand_bucket: that bucket cannot be migrated while it holds S(h), and
//      a migrated one was released before it locked S(h) (so it also sees
//      the current View).
//   3. Finish: publish View{primary = new} and free the old table: every
//      bucket was migrated under its stripe, so nobody can still be reading
//      the old table. Retired View objects are kept (a few bytes each) so a
//      slow reader's View pointer stays valid.
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
#include <vector>

#include "slabs/hash.h"
#include "slabs/item.h"
#include "slabs/item_locks.h"
#include "slabs/slab_allocator.h"

namespace slabcached::slabs {

// Deleter of a HashTable's bucket array (mmap'd).
struct UnmapBuckets {
  size_t bytes = 0;
  void operator()(ItemRef* buckets) const;
};

class HashTable {
 public:
  static constexpr uint32_t kMaxPower = 32;

  struct Config {
    uint32_t hashpower_init = 16;
    bool expand = true;
    bool background = true;
  };

  // `locks` must have no more stripes than the table has buckets. Every
  // caller hashes keys with this table's HashKey().
  HashTable(const Config& config, const KeyHasher& hasher, ItemLocks* locks,
            const SlabAllocator* slabs);
  ~HashTable();  // stops the expansion thread
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;

  uint64_t HashKey(std::string_view key) const { return hasher_.Hash(key); }

  // All three require the item lock of `hv`.
  Item* Find(std::string_view key, uint64_t hv) const;
  void Insert(Item* it, uint64_t hv);
  // Removes exactly `it` (which must be in the table).
  void Remove(Item* it, uint64_t hv);
  // Whether `it` is linked in hv's bucket (compares addresses only, so `it`
  // may be stale memory). Requires the item lock of hv.
  bool Contains(const Item* it, uint64_t hv) const;

  // One synchronous expansion step: starts an expansion when one is due and
  // migrates up to `max_buckets` buckets. Requires that the caller holds no
  // item lock. Returns true if it did anything.
  bool Step(size_t max_buckets);
  // Forces an expansion to start (tests); caller holds no item lock.
  void StartExpand();

  uint32_t hash_power() const { return view()->power; }
  uint64_t bytes() const { return sizeof(ItemRef) * (uint64_t{1} << hash_power()); }
  bool expanding() const { return view()->expanding; }
  uint64_t items() const { return items_.load(std::memory_order_relaxed); }

 private:
  bool ExpandDue() const;
  // Migrates the next old bucket; false when all are done.
  bool MigrateOne();
  void FinishExpand();
  ItemRef* BucketFor(uint64_t hv) const;  // requires the item lock of hv
  void Run(std::stop_token stop);

  const KeyHasher hasher_;
  ItemLocks* const locks_;
  const SlabAllocator* const slabs_;
  const bool expand_enabled_;

  struct View {
    ItemRef* primary = nullptr;
    ItemRef* old = nullptr;  // set while expanding
    uint32_t power = 0;      // of primary
    bool expanding = false;
    // Next old bucket to migrate; advanced holding that bucket's stripe.
    std::atomic<uint64_t> expand_bucket{0};
  };
  const View* view() const { return view_.load(std::memory_order_acquire); }
  void Publish(std::unique_ptr<View> view);  // only the expanding thread

  std::atomic<const View*> view_{nullptr};
  // Bucket arrays are mapped straight from the OS: their zero pages cost
  // nothing until used, and a table retired by an expansion goes back at once
  // (malloc, jemalloc above all, would keep its pages for seconds).
  using Buckets = std::unique_ptr<ItemRef[], UnmapBuckets>;
  // @throw std::bad_alloc
  static Buckets MapBuckets(size_t count);

  // Owned by the expanding thread (or Step's caller); readers use the View.
  Buckets primary_;
  Buckets old_;
  std::vector<std::unique_ptr<View>> views_;  // current last; older ones retired
  std::atomic<uint64_t> items_{0};

  std::mutex wake_mu_;
  std::condition_variable_any wake_cv_;
  bool wake_ = false;  // guarded by wake_mu_
  std::jthread thread_;
};

}  // namespace slabcached::slabs
