// Slab page reassignment ("slabs reassign", slab_automove): moves one page
// from a source class to a destination class (memcached's slab_rebalance_*).
//
// The move is driven by the maintainer (or RunMaintenance): the allocator
// withdraws the page's free chunks, then each round unlinks (evicts) the
// page's linked items from the source class's LRU, and once every chunk of
// the page is free again (items still held by handles come back when the last
// handle drops) the page is carved for the destination class. A move that
// cannot drain within kMoveTimeout seconds is abandoned.
//
// Lock order: the reassign lock comes before the item locks; from the LRU
// lock the walk only try-locks item stripes.
#include <mutex>

#include "slabs/hash.h"
#include "slabs/store_impl.h"

namespace slabcached::slabs {
namespace {

constexpr RelTime kMoveTimeout = 60;
constexpr RelTime kAutomoveInterval = 10;

}  // namespace

Store::ReassignStatus Store::Impl::Reassign(int src, int dst) {
  if (!config_.slab_reassign) return ReassignStatus::kBusy;
  std::lock_guard lock(reassign_mu_);
  if (reassign_pending_) return ReassignStatus::kBusy;
  if (src == dst) return ReassignStatus::kSame;
  const int num = slabs_.num_classes();
  if (dst < 1 || dst > num) return ReassignStatus::kBadClass;
  if (src == -1) {
    uint64_t best_pages = 0;
    for (int cls = 1; cls <= num; ++cls) {
      if (cls == dst || slabs_.info(cls).page_bytes != SlabAllocator::kPageSize) continue;
      const uint64_t pages = slabs_.GetClassStats(cls).total_pages;
      if (pages >= 2 && pages > best_pages) best_pages = pages, src = cls;
    }
    if (src == -1) return ReassignStatus::kBadClass;  // memcached: no candidate is a bad class
  }
  if (src < 1 || src > num) return ReassignStatus::kBadClass;
  // Oversized pages (-I above 1 MiB) are not movable.
  if (slabs_.info(src).page_bytes != SlabAllocator::kPageSize ||
      slabs_.info(dst).page_bytes != SlabAllocator::kPageSize) {
    return ReassignStatus::kBadClass;
  }
  if (slabs_.GetClassStats(src).total_pages < 2) return ReassignStatus::kNoSpare;
  reassign_pending_ = true;
  reassign_src_ = static_cast<uint8_t>(src);
  reassign_dst_ = static_cast<uint8_t>(dst);
  reassign_started_ = Now();
  if (maintainer_ != nullptr) maintainer_->Wake();
  return ReassignStatus::kOk;
}

bool Store::Impl::Housekeeping() {
  AutomoveCheck();
  return PageMoveStep();
}

bool Store::Impl::PageMoveStep() {
  std::lock_guard lock(reassign_mu_);
  if (!reassign_pending_) return false;
  if (!slabs_.page_move_running()) {
    if (!slabs_.BeginPageMove(reassign_src_)) {
      reassign_pending_ = false;
      return false;
    }
    reassign_started_ = Now();
  }
  // Unlink every linked item that lives in the moving page.
  LruClass& lc = lru_.cls(reassign_src_);
  {
    std::lock_guard lru_lock(lc.mu);
    for (int l = 0; l < kNumLrus; ++l) {
      Item* next = nullptr;
      for (Item* it = lru_.Tail(lc, static_cast<LruId>(l)); it != nullptr; it = next) {
        next = lru_.Prev(it);
        if (!slabs_.InMovingPage(it)) continue;
        const uint64_t hv = HashKey(it->key());
        std::mutex& stripe = locks_.For(hv);
        if (!TryLockItem(stripe)) continue;  // next round
        std::unique_lock item_lock(stripe, std::adopt_lock);
        UnlinkLocked(lc, it, hv);
      }
    }
  }
  if (slabs_.PageMoveDrained()) {
    slabs_.FinishPageMove(reassign_dst_);
    slabs_moved_.fetch_add(1, std::memory_order_relaxed);
    reassign_pending_ = false;
    return false;
  }
  if (Now() - reassign_started_ > kMoveTimeout) {
    slabs_.AbortPageMove();
    reassign_pending_ = false;
    return false;
  }
  return true;
}

void Store::Impl::AutomoveCheck() {
  const uint32_t mode = automove_.load(std::memory_order_relaxed);
  if (mode == 0 || !config_.slab_reassign) return;
  std::unique_lock lock(reassign_mu_);
  const RelTime now = Now();
  if (reassign_pending_ || now - automove_last_ < kAutomoveInterval) return;
  automove_last_ = now;
  // The destination is the class that evicted most since the last check;
  // the source a class with 2.5 pages' worth of free chunks (mode 2: else
  // the class whose COLD tail is oldest).
  const int num = slabs_.num_classes();
  int dst = 0, src = 0;
  uint64_t most_evicted = 0, most_free = 0;
  RelTime oldest_age = 0;
  for (int cls = 1; cls <= num; ++cls) {
    LruClass& lc = lru_.cls(static_cast<uint8_t>(cls));
    uint64_t evicted;
    RelTime age = 0;
    {
      std::lock_guard lru_lock(lc.mu);
      evicted = lc.evicted;
      const Item* tail = lru_.Tail(lc, LruId::kCold);
      if (tail != nullptr) age = now - tail->time.load(std::memory_order_relaxed);
    }
    const uint64_t delta = evicted - automove_evicted_[cls];
    automove_evicted_[cls] = evicted;
    if (delta > most_evicted) most_evicted = delta, dst = cls;
    const SlabAllocator::ClassInfo& info = slabs_.info(cls);
    if (info.page_bytes != SlabAllocator::kPageSize) continue;
    const SlabAllocator::ClassStats ss = slabs_.GetClassStats(cls);
    if (ss.total_pages < 2) continue;
    if (ss.free_chunks * 2 >= uint64_t{info.perslab} * 5 && ss.free_chunks > most_free) {
      most_free = ss.free_chunks;
      src = cls;
    } else if (mode == 2 && most_free == 0 && age > oldest_age) {
      oldest_age = age;
      src = cls;
    }
  }
  if (dst == 0 || src == 0 || src == dst ||
      slabs_.info(dst).page_bytes != SlabAllocator::kPageSize) {
    return;
  }
  reassign_pending_ = true;
  reassign_src_ = static_cast<uint8_t>(src);
  reassign_dst_ = static_cast<uint8_t>(dst);
  reassign_started_ = now;
}

}  // namespace slabcached::slabs
