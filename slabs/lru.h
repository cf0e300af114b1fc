// Segmented LRU lists, one set per slab class (memcached's HOT/WARM/COLD,
// doc/new_lru.txt): intrusive doubly linked lists through Item::prev/next,
// all lists of a class behind one mutex (the "LRU lock").
//
//   new items -> HOT head. The maintainer (or an allocation that needs room)
//   pulls HOT tails to COLD (ACTIVE ones to WARM), WARM tails over their share
//   to COLD, and ACTIVE COLD tails back to WARM. Eviction takes COLD tails.
//   With -o temporary_ttl, items with a short TTL go to TEMP instead, which
//   nothing moves or evicts: the maintainer only reaps its expired tails.
//
// This file holds the list mechanics and per-class counters only; the policy
// (which tail goes where, expiry, eviction) is in lru.cc on Store::Impl,
// because it needs the hash table and the item locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "slabs/item.h"
#include "slabs/slab_allocator.h"

namespace slabcached::slabs {

struct LruClass {
  std::mutex mu;  // the LRU lock of this class; guards everything below but `hits`

  ItemRef head[kNumLrus] = {};
  ItemRef tail[kNumLrus] = {};
  uint64_t count[kNumLrus] = {};
  uint64_t bytes[kNumLrus] = {};  // sum of total_size() per list

  // memcached's itemstats_t, per class.
  uint64_t evicted = 0, evicted_nonzero = 0, evicted_unfetched = 0, evicted_active = 0;
  RelTime evicted_time = 0;  // age of the last evicted item
  uint64_t outofmemory = 0, reclaimed = 0, expired_unfetched = 0, lrutail_reflocked = 0;
  uint64_t moves_to_cold = 0, moves_to_warm = 0, moves_within_lru = 0, direct_reclaims = 0;
  uint64_t total_items = 0;
  uint64_t crawler_reclaimed = 0, crawler_items_checked = 0;

  // -o track_sizes: linked items by total size, rounded up to 32 bytes
  // (memcached's "stats sizes" buckets), from bucket sizes_base on.
  std::vector<uint64_t> sizes;
  size_t sizes_base = 0;
};

class SegmentedLru {
 public:
  SegmentedLru(const SlabAllocator* slabs, bool track_sizes)
      : slabs_(slabs), track_sizes_(track_sizes) {}

  // memcached's "stats sizes" bucket of an item of `total_size` bytes.
  static size_t SizeBucket(size_t total_size) { return (total_size + 31) / 32; }
  bool track_sizes() const { return track_sizes_; }

  LruClass& cls(uint8_t id) { return classes_[id]; }
  const LruClass& cls(uint8_t id) const { return classes_[id]; }

  // All of these require lc.mu. LinkHead also records `lru` in the item's flags.
  void LinkHead(LruClass& lc, Item* it, LruId lru);
  void Unlink(LruClass& lc, Item* it);
  void MoveToHead(LruClass& lc, Item* it, LruId lru) {
    Unlink(lc, it);
    LinkHead(lc, it, lru);
  }
  // Puts `to` where `from` is (same list, same position); `to`'s flags must
  // already name that list and its total_size() must equal `from`'s.
  void Replace(LruClass& lc, Item* from, Item* to);
  // Whether `it`, a chunk of this class that is not on a slab free list, is
  // on one of the class's lists.
  bool Contains(const LruClass& lc, const Item* it) const {
    return it->prev != 0 || lc.head[static_cast<int>(it->lru())] == slabs_->ToRef(it);
  }
  Item* Tail(const LruClass& lc, LruId lru) const {
    return slabs_->ToItem(lc.tail[static_cast<int>(lru)]);
  }
  Item* Head(const LruClass& lc, LruId lru) const {
    return slabs_->ToItem(lc.head[static_cast<int>(lru)]);
  }
  Item* Prev(const Item* it) const { return slabs_->ToItem(it->prev); }
  Item* Next(const Item* it) const { return slabs_->ToItem(it->next); }

 private:
  void CountSize(LruClass& lc, const Item* it, int delta);

  const SlabAllocator* const slabs_;
  const bool track_sizes_;
  LruClass classes_[SlabAllocator::kMaxClasses + 1];
};

}  // namespace slabcached::slabs
