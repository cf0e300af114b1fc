// Striped item locks (memcached's item_locks[hv & hashmask(item_lock_hashpower)]).
//
// An item's lock is the stripe of its key's hash; the same stripe guards the
// hash bucket chain the item lives on (the stripe table is never larger than
// the hash table, so a bucket maps to exactly one stripe, also while the
// table expands).
//
// Threads that hold an item lock may allocate (append/prepend, incr/decr),
// and allocation may evict, which try-locks other items' stripes. A thread
// never try-locks the stripe it already holds: ItemLockGuard records it in a
// thread-local and TryLockItem() refuses it (std::mutex::try_lock on a mutex
// the caller owns is undefined behaviour).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace slabcached::slabs {

class ItemLocks {
 public:
  static constexpr uint32_t kMaxPower = 12;

  explicit ItemLocks(uint32_t power)
      : count_(size_t{1} << power), locks_(std::make_unique<std::mutex[]>(count_)) {}

  std::mutex& For(uint64_t hv) { return locks_[hv & (count_ - 1)]; }
  uint64_t mask() const { return count_ - 1; }
  size_t count() const { return count_; }

 private:
  const size_t count_;
  std::unique_ptr<std::mutex[]> locks_;
};

// The stripe this thread holds through an ItemLockGuard (at most one).
inline thread_local const std::mutex* tls_held_item_lock = nullptr;

// RAII item lock that records itself in tls_held_item_lock.
class ItemLockGuard {
 public:
  explicit ItemLockGuard(std::mutex& m) : m_(m) {
    m_.lock();
    previous_ = tls_held_item_lock;
    tls_held_item_lock = &m_;
  }
  ~ItemLockGuard() {
    tls_held_item_lock = previous_;
    m_.unlock();
  }
  ItemLockGuard(const ItemLockGuard&) = delete;
  ItemLockGuard& operator=(const ItemLockGuard&) = delete;

 private:
  std::mutex& m_;
  const std::mutex* previous_ = nullptr;
};

// For paths that hold an LRU lock (eviction, maintenance): never blocks, and
// fails on the stripe this thread already holds.
inline bool TryLockItem(std::mutex& m) {
  if (&m == tls_held_item_lock) return false;
  return m.try_lock();
}

}  // namespace slabcached::slabs
