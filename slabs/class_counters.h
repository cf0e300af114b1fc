// Per-class operation counters: "stats slabs" get_hits, cmd_set, delete_hits,
// incr_hits, decr_hits, cas_hits, cas_badval, touch_hits, and "stats items"
// hits_to_hot/warm/cold/temp (memcached's per-thread slab_stats and
// lru_hits). Each thread that uses a store writes its own block, so a request
// pays one plain store to a line no other thread writes, never a locked
// instruction; a stats request sums the blocks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "slabs/item.h"
#include "slabs/slab_allocator.h"

namespace slabcached::slabs {

enum class ClassOp : uint8_t {
  kGetHits,
  kCmdSet,
  kDeleteHits,
  kIncrHits,
  kDecrHits,
  kCasHits,
  kCasBadval,
  kTouchHits,
  kHitsToHot,  // + LruId: kHitsToWarm, kHitsToCold, kHitsToTemp
  kHitsToWarm,
  kHitsToCold,
  kHitsToTemp,
  kCount,
};
inline constexpr size_t kClassOps = static_cast<size_t>(ClassOp::kCount);

class ClassCounters {
 public:
  using Totals = std::array<uint64_t, kClassOps>;

  ClassCounters();
  ClassCounters(const ClassCounters&) = delete;
  ClassCounters& operator=(const ClassCounters&) = delete;

  // Counts one `op` on class `cls` in the calling thread's block.
  void Add(uint8_t cls, ClassOp op) {
    std::atomic<uint64_t>& n = Mine().n[cls][static_cast<size_t>(op)];
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // A hit on an item in list `lru`: get_hits is their sum, as memcached's.
  void AddHit(uint8_t cls, LruId lru) {
    Add(cls,
        static_cast<ClassOp>(static_cast<size_t>(ClassOp::kHitsToHot) + static_cast<size_t>(lru)));
  }

  // Every thread's counts of class `cls` since the last Reset().
  Totals Sum(uint8_t cls) const;
  // "stats reset" (memcached's threadlocal_stats_reset): counting starts
  // over. The blocks stay untouched (only their threads write them): the sums
  // now become the baseline Sum() subtracts.
  void Reset();

 private:
  struct Block {
    std::atomic<uint64_t> n[SlabAllocator::kMaxClasses + 1][kClassOps] = {};
  };
  Block& Mine();
  Block& Register();

  // Never reused: a thread's cache of blocks is keyed by it, so a block of a
  // destroyed instance is never looked up again.
  const uint64_t id_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Block>> blocks_;  // guarded by mu_
  // Each class's sums at the last Reset(); guarded by mu_.
  std::vector<Totals> baseline_ = std::vector<Totals>(SlabAllocator::kMaxClasses + 1);

  Totals RawSumLocked(uint8_t cls) const;
};

}  // namespace slabcached::slabs
