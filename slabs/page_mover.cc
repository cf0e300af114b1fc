// Slab page reassignment ("slabs reassign", slab_automove): moves pages from a
// source class to a destination class (memcached's slab_rebalance_* and
// slab_automove.c, redesigned).
//
// MOVING ONE PAGE (PageMoveStep, driven by the maintainer every 1 ms while a
// move is pending, or by RunMaintenance):
//   1. The allocator picks the source page with the most free chunks and
//      withdraws them from the free list: nothing new is allocated there.
//   2. Each round walks the page's chunks (not the class's LRU: a page has a
//      few thousand chunks, a class may have millions of items) holding the
//      source class's LRU lock and try-locking item stripes. A linked item is
//      copied into a free chunk of its class when there is one (a rescue:
//      nothing is lost when the source has spare chunks), else evicted;
//      expired/flushed items are reclaimed. A busy stripe is retried next
//      round. Items held by handles return their chunk when released.
//      Chunked items (item.h): a head on the page is copied like any item,
//      its chain re-pointed at the copy; a continuation chunk is copied into
//      a free chunk of its class and spliced into its chain in place, under
//      the head's item lock (found by the key hash the chunk carries). Both
//      wait while a reader holds the item (it walks the chain); with no free
//      chunk the whole item is evicted.
//   3. Once every chunk is free the page is carved for the destination (or
//      goes to the page pool when the destination is 0). A
//      move that cannot drain within kMoveTimeout seconds is abandoned.
//   Why the walk may read a chunk it does not own: chunks of the moving page
//   are never handed out again, so a chunk is either free (kItemSlabbed), or
//   allocated before the move began (the allocator's lock orders that before
//   our walk), and its LRU links (prev/next) are only written under the LRU
//   lock we hold; a chunk on a list has its immutable key published by that
//   same lock.
//
// AUTOMOVE (AutomoveCheck, once a second): reads each class's eviction
// counter, tail age, pages and free chunks (SampleClasses: one class's LRU
// lock at a time, no other lock held), asks AutomovePolicy
// (slabs/automove_policy.h: the rules and why) and commits its decision
// under the reassign lock, like a "slabs reassign" of that many pages.
//
// Figures: slabs_moved, slab_reassign_running, slab_reassign_rescues,
// slab_reassign_chunk_rescues, slab_reassign_inline_reclaim,
// slab_reassign_evictions_nomem, slab_reassign_busy_items,
// slab_reassign_last_busy_status, slab_global_page_pool (memcached's names;
// StoreStats says what each means here).
//
// Locks: slabs/lock_order.h.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "slabs/store_impl.h"

namespace slabcached::slabs {
namespace {

constexpr RelTime kMoveTimeout = 60;
constexpr RelTime kAutomoveInterval = 1;

}  // namespace

Store::ReassignStatus Store::Impl::Reassign(int src, int dst) {
  if (!config_.slab_reassign) return ReassignStatus::kBusy;
  std::lock_guard lock(reassign_mu_);
  if (reassign_pending_) return ReassignStatus::kBusy;
  if (src == dst) return ReassignStatus::kSame;
  const int num = slabs_.num_classes();
  // Class 0 is the page pool: a destination, or (as memcached has it) a source
  // once it holds two pages.
  if (dst < 0 || dst > num) return ReassignStatus::kBadClass;
  if (src == 0) {
    if (dst == 0 || slabs_.pool_pages() < 2 || !slabs_.TakePoolPage(static_cast<uint8_t>(dst))) {
      return ReassignStatus::kNoSpare;
    }
    slabs_moved_.fetch_add(1, std::memory_order_relaxed);
    return ReassignStatus::kOk;
  }
  if (src == -1) {
    uint64_t best_pages = 0;
    for (int cls = 1; cls <= num; ++cls) {
      if (cls == dst) continue;
      const uint64_t pages = slabs_.GetClassStats(cls).total_pages;
      if (pages >= 2 && pages > best_pages) best_pages = pages, src = cls;
    }
    if (src == -1) return ReassignStatus::kBadClass;  // memcached: no candidate is a bad class
  }
  if (src < 1 || src > num) return ReassignStatus::kBadClass;
  if (slabs_.GetClassStats(src).total_pages < 2) return ReassignStatus::kNoSpare;
  reassign_pending_ = true;
  reassign_src_ = static_cast<uint8_t>(src);
  reassign_dst_ = static_cast<uint8_t>(dst);
  reassign_pages_left_ = 1;
  reassign_started_ = Now();
  if (maintainer_ != nullptr) maintainer_->Wake();
  return ReassignStatus::kOk;
}

bool Store::Impl::Housekeeping() {
  AutomoveCheck();
  const bool moving = PageMoveStep();
  const bool crawling = crawler_.Housekeeping(std::chrono::steady_clock::now());
  return moving || crawling;
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
    reassign_inline_reclaim_.fetch_add(CountFreeChunks(slabs_.moving_page()),
                                       std::memory_order_relaxed);
  }
  ClearMovingPage();
  if (slabs_.PageMoveDrained()) {
    slabs_.FinishPageMove(reassign_dst_);
    slabs_moved_.fetch_add(1, std::memory_order_relaxed);
    // More pages of the same decision: start the next one right away.
    reassign_pending_ = --reassign_pages_left_ > 0;
    return reassign_pending_;
  }
  if (Now() - reassign_started_ > kMoveTimeout) {
    slabs_.AbortPageMove();
    reassign_pending_ = false;
    return false;
  }
  return true;
}

void Store::Impl::ClearMovingPage() {
  const SlabAllocator::MovingPage page = slabs_.moving_page();
  if (page.cls == 0) return;
  std::vector<Item*> continuations;  // on no LRU: done below, without the LRU lock
  {
    LruClass& lc = lru_.cls(page.cls);
    const RelTime now = Now();
    std::lock_guard lru_lock(lc.mu);
    for (uint32_t i = 0; i < page.chunks; ++i) {
      Item* it = page.Chunk(i);
      const uint8_t flags = it->flags.load(std::memory_order_relaxed);
      if ((flags & kItemSlabbed) != 0) continue;
      if (IsContinuationFlags(flags)) {
        continuations.push_back(it);
        continue;
      }
      // Allocated but not linked (yet), or unlinked and still held: its owner
      // links it (we see it next round) or releases it (the page gets it back).
      if (!lru_.Contains(lc, it)) continue;
      const uint64_t hv = HashKey(it->key());
      std::mutex& stripe = locks_.For(hv);
      if (!TryLockItem(stripe)) {
        NoteBusy(BusyStatus::kLocked);
        continue;
      }
      std::unique_lock item_lock(stripe, std::adopt_lock);
      if (IsExpired(it, now) || IsFlushed(it, now)) {
        ++lc.reclaimed;
        if ((it->flags.load(std::memory_order_relaxed) & kItemFetched) == 0) {
          ++lc.expired_unfetched;
        }
        UnlinkLocked(lc, it, hv);
        continue;
      }
      // Readers of a chunked item walk its chain from this head: it can move
      // only while nobody holds it. The acquire pairs with their release.
      if (slabs_.IsChunked(it) && it->refcount.load(std::memory_order_acquire) > 1) {
        NoteBusy(BusyStatus::kBusy);
        continue;
      }
      if (Item* copy = slabs_.Alloc(page.cls, slabs_.ChunkBytes(it), /*may_grow=*/false)) {
        RescueLocked(lc, it, copy, hv);
        reassign_rescues_.fetch_add(1, std::memory_order_relaxed);
      } else {
        reassign_evictions_nomem_.fetch_add(1, std::memory_order_relaxed);
        UnlinkLocked(lc, it, hv);
      }
    }
  }
  for (Item* chunk : continuations) MoveContinuation(chunk, page.cls);
}

void Store::Impl::MoveContinuation(Item* chunk, uint8_t cls) {
  // Only this thread rewrites a continuation's head link (rescues); its
  // hash was set when it was allocated, before the move began.
  const uint64_t hv = ContinuationHash(chunk);
  Item* head = slabs_.ToItem(chunk->h_next);
  std::mutex& stripe = locks_.For(hv);
  if (!TryLockItem(stripe)) {
    NoteBusy(BusyStatus::kLocked);
    return;
  }
  std::unique_lock item_lock(stripe, std::adopt_lock);
  // Freed meanwhile (chunks of the moving page are not handed out again), or
  // its head is unlinked and its last reference will free it.
  if (!IsContinuation(chunk) || !table_.Contains(head, hv)) return;
  if (head->refcount.load(std::memory_order_acquire) > 1) {  // a reader walks the chain
    NoteBusy(BusyStatus::kBusy);
    return;
  }
  if (Item* copy = slabs_.Alloc(cls, sizeof(Item) + chunk->nbytes, /*may_grow=*/false)) {
    slabs_.ReplaceChunk(chunk, copy);
    slabs_.Release(chunk);
    reassign_chunk_rescues_.fetch_add(1, std::memory_order_relaxed);
  } else {
    reassign_evictions_nomem_.fetch_add(1, std::memory_order_relaxed);
    UnlinkItem(head, hv);
  }
}

uint64_t Store::Impl::CountFreeChunks(const SlabAllocator::MovingPage& page) {
  uint64_t free = 0;
  for (uint32_t i = 0; i < page.chunks; ++i) {
    if ((page.Chunk(i)->flags.load(std::memory_order_relaxed) & kItemSlabbed) != 0) ++free;
  }
  return free;
}

void Store::Impl::RescueLocked(LruClass& lc, Item* from, Item* to, uint64_t hv) {
  to->nkey = from->nkey;
  to->nbytes = from->nbytes;
  to->time.store(from->time.load(std::memory_order_relaxed), std::memory_order_relaxed);
  to->exptime.store(from->exptime.load(std::memory_order_relaxed), std::memory_order_relaxed);
  to->flags.store(from->flags.load(std::memory_order_relaxed), std::memory_order_relaxed);
  std::memcpy(to->data(), from->data(), slabs_.ChunkBytes(from) - sizeof(Item));
  if (slabs_.IsChunked(from)) slabs_.MoveChain(from, to);
  // `to` keeps the allocation's reference as the link's; `from` loses its.
  table_.Remove(from, hv);
  table_.Insert(to, hv);
  lru_.Replace(lc, from, to);
  // The meta protocol's stampede bits (W/X/Z) follow the item to its new chunk.
  const std::string_view key = to->key();
  meta_state_.Move(hv, key, from, to);
  from->flags.fetch_and(static_cast<uint8_t>(~kItemLinked), std::memory_order_relaxed);
  slabs_.Release(from);
}

void Store::Impl::AutomoveCheck() {
  const AutomoveSettings settings = {.mode = automove_.load(std::memory_order_relaxed),
                                     .window = AutomoveSamples(config_.slab_automove_window),
                                     .ratio = config_.slab_automove_ratio};
  if (settings.mode == 0 || !config_.slab_reassign) return;
  const RelTime now = Now();
  {
    std::lock_guard lock(reassign_mu_);
    if (now - automove_last_ < kAutomoveInterval) return;
    automove_last_ = now;
  }
  const std::vector<AutomoveSample> samples = SampleClasses(now);
  std::lock_guard lock(reassign_mu_);
  const AutomoveDecision decision = automove_policy_.Decide(settings, samples, reassign_pending_);
  if (!decision.move()) return;
  reassign_pending_ = true;
  reassign_src_ = decision.src;
  reassign_dst_ = decision.dst;
  reassign_pages_left_ = decision.pages;
  reassign_started_ = now;
}

std::vector<AutomoveSample> Store::Impl::SampleClasses(RelTime now) {
  std::vector<AutomoveSample> samples(static_cast<size_t>(slabs_.num_classes()));
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto cls = static_cast<uint8_t>(i + 1);
    AutomoveSample& s = samples[i];
    {
      LruClass& lc = lru_.cls(cls);
      std::lock_guard lru_lock(lc.mu);
      s.evicted = lc.evicted;
      for (LruId l : {LruId::kCold, LruId::kWarm, LruId::kHot}) {
        if (const Item* tail = lru_.Tail(lc, l); tail != nullptr) {
          s.tail_age = now - std::min(now, tail->time.load(std::memory_order_relaxed));
          s.has_items = true;
          break;
        }
      }
    }
    const SlabAllocator::ClassStats ss = slabs_.GetClassStats(cls);
    s.total_pages = ss.total_pages;
    s.free_chunks = ss.free_chunks;
    s.perslab = slabs_.info(cls).perslab;
  }
  return samples;
}

}  // namespace slabcached::slabs
