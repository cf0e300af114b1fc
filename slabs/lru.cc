// LRU list mechanics and the segmented-LRU policy (memcached items.c:
// lru_pull_tail, lru_maintainer_juggle, do_item_alloc_pull, do_item_bump),
// and the LRU crawler's batch (slabs/crawler.h walks the pages with it),
// which reaps expired items wherever they sit.
// Locks: slabs/lock_order.h (every path here that starts from an LRU lock
// only try-locks item stripes).
#include "slabs/lru.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "slabs/store_impl.h"

namespace slabcached::slabs {

// ---------------------------------------------------------------- lists ---

void SegmentedLru::LinkHead(LruClass& lc, Item* it, LruId lru) {
  const int l = static_cast<int>(lru);
  // An item on TEMP is never ACTIVE: TEMP plus ACTIVE marks a continuation
  // chunk (item.h). Cleared together with the LRU bits, so no reader of the
  // flags sees that pair on an item.
  const uint8_t clear = lru == LruId::kTemp ? kItemLruMask | kItemActive : kItemLruMask;
  it->flags.fetch_and(static_cast<uint8_t>(~clear), std::memory_order_relaxed);
  it->flags.fetch_or(static_cast<uint8_t>(l << kItemLruShift), std::memory_order_relaxed);
  const ItemRef ref = slabs_->ToRef(it);
  it->prev = 0;
  it->next = lc.head[l];
  if (it->next != 0) slabs_->ToItem(it->next)->prev = ref;
  lc.head[l] = ref;
  if (lc.tail[l] == 0) lc.tail[l] = ref;
  ++lc.count[l];
  lc.bytes[l] += it->total_size();
  if (track_sizes_) CountSize(lc, it, 1);
}

void SegmentedLru::CountSize(LruClass& lc, const Item* it, int delta) {
  const size_t bucket = SizeBucket(it->total_size());
  if (lc.sizes.empty()) lc.sizes_base = bucket;
  if (bucket < lc.sizes_base) {
    lc.sizes.insert(lc.sizes.begin(), lc.sizes_base - bucket, 0);
    lc.sizes_base = bucket;
  }
  const size_t at = bucket - lc.sizes_base;
  if (at >= lc.sizes.size()) lc.sizes.resize(at + 1, 0);
  lc.sizes[at] += static_cast<uint64_t>(delta);  // -1 wraps back: the item was counted
}

void SegmentedLru::Unlink(LruClass& lc, Item* it) {
  const int l = static_cast<int>(it->lru());
  if (it->prev != 0) {
    slabs_->ToItem(it->prev)->next = it->next;
  } else {
    lc.head[l] = it->next;
  }
  if (it->next != 0) {
    slabs_->ToItem(it->next)->prev = it->prev;
  } else {
    lc.tail[l] = it->prev;
  }
  it->prev = it->next = 0;
  --lc.count[l];
  lc.bytes[l] -= it->total_size();
  if (track_sizes_) CountSize(lc, it, -1);
}

void SegmentedLru::Replace(LruClass& lc, Item* from, Item* to) {
  const int l = static_cast<int>(from->lru());
  const ItemRef ref = slabs_->ToRef(to);
  to->prev = from->prev;
  to->next = from->next;
  if (to->prev != 0) {
    slabs_->ToItem(to->prev)->next = ref;
  } else {
    lc.head[l] = ref;
  }
  if (to->next != 0) {
    slabs_->ToItem(to->next)->prev = ref;
  } else {
    lc.tail[l] = ref;
  }
  from->prev = from->next = 0;
}

// --------------------------------------------------------------- access ---

void Store::Impl::UnlinkLocked(LruClass& lc, Item* it, uint64_t hv) {
  it->flags.fetch_and(static_cast<uint8_t>(~kItemLinked), std::memory_order_relaxed);
  table_.Remove(it, hv);
  meta_state_.Forget(hv, it->key(), it);  // a later item in this chunk starts clean
  lru_.Unlink(lc, it);
  slabs_.Release(it);  // the link's reference; frees the chunk if nobody holds it
}

void Store::Impl::Bump(Item* it) {
  if (it->lru() == LruId::kTemp) {
    // TEMP items are never bumped (memcached's TEMP_LRU); a hit marks them
    // fetched and refreshes the access time, never ACTIVE (see LinkHead).
    if ((it->flags.load(std::memory_order_relaxed) & kItemFetched) == 0) {
      it->flags.fetch_or(kItemFetched, std::memory_order_relaxed);
    } else {
      it->time.store(Now(), std::memory_order_relaxed);
    }
    return;
  }
  if (!lru_segmented_.load(std::memory_order_relaxed)) {
    // Flat mode: no ACTIVE, a hit relinks its item at the head of its list.
    if ((it->flags.load(std::memory_order_relaxed) & kItemFetched) == 0) {
      it->flags.fetch_or(kItemFetched, std::memory_order_relaxed);
    }
    Update(it);
    return;
  }
  // An item must be hit twice to become ACTIVE (FETCHED marks the first);
  // ACTIVE items are rescued when they reach a tail.
  const uint8_t f = it->flags.load(std::memory_order_relaxed);
  const RelTime now = Now();
  if ((f & kItemActive) != 0) {
    // Rate-limited refresh of the access time (ITEM_UPDATE_INTERVAL).
    if (it->time.load(std::memory_order_relaxed) + kItemUpdateInterval < now) {
      it->time.store(now, std::memory_order_relaxed);
    }
    return;
  }
  if ((f & kItemFetched) == 0) {
    it->flags.fetch_or(kItemFetched, std::memory_order_relaxed);
    return;
  }
  it->flags.fetch_or(kItemActive, std::memory_order_relaxed);
  if (it->lru() != LruId::kCold) {
    it->time.store(now, std::memory_order_relaxed);
  } else {
    Update(it);  // memcached queues this bump; we have the item lock already
  }
}

void Store::Impl::Update(Item* it) {
  if (!it->linked()) return;
  const RelTime now = Now();
  if (!lru_segmented_.load(std::memory_order_relaxed)) {
    // memcached's compat-mode do_item_update: relink, at most once a minute.
    if (it->time.load(std::memory_order_relaxed) + kItemUpdateInterval >= now) return;
    LruClass& lc = lru_.cls(slabs_.ClassOf(it));
    std::lock_guard lock(lc.mu);
    it->time.store(now, std::memory_order_relaxed);
    lru_.MoveToHead(lc, it, it->lru());
    return;
  }
  if (it->lru() == LruId::kCold && (it->flags.load(std::memory_order_relaxed) & kItemActive) != 0) {
    LruClass& lc = lru_.cls(slabs_.ClassOf(it));
    std::lock_guard lock(lc.mu);
    it->time.store(now, std::memory_order_relaxed);
    it->flags.fetch_and(static_cast<uint8_t>(~kItemActive), std::memory_order_relaxed);
    lru_.MoveToHead(lc, it, LruId::kWarm);
  } else {
    it->time.store(now, std::memory_order_relaxed);
  }
}

// ------------------------------------------------------------- eviction ---

Item* Store::Impl::AllocPull(uint8_t cls, size_t ntotal, const SlabAllocator::ChunkLink* link) {
  Item* it = nullptr;
  int tries = 0;
  for (; tries < 10; ++tries) {
    it = slabs_.Alloc(cls, ntotal, /*may_grow=*/true, link);
    if (it != nullptr) break;
    // No chunk and no page: reclaim/evict from COLD, else push HOT (then
    // WARM) tails down to COLD for the next round.
    if (PullTail(cls, LruId::kCold, 0, /*evict=*/true, 0) <= 0 &&
        PullTail(cls, LruId::kHot, 0, false, 0) <= 0) {
      PullTail(cls, LruId::kWarm, 0, false, 0);
    }
  }
  if (tries > 0) {
    LruClass& lc = lru_.cls(cls);
    std::lock_guard lock(lc.mu);
    lc.direct_reclaims += tries;
  }
  return it;
}

void Store::Impl::ReportEviction(const Item* it, uint8_t cls, RelTime now) {
  EvictionObserver* observer = eviction_observer_.load(std::memory_order_acquire);
  if (observer == nullptr || !observer->WantsEvictions()) return;
  const RelTime exptime = it->exptime.load(std::memory_order_relaxed);
  observer->Evicted(
      {.key = it->key(),
       .fetched = (it->flags.load(std::memory_order_relaxed) & kItemFetched) != 0,
       .ttl = exptime == 0 ? -1 : static_cast<int64_t>(exptime) - now,
       .last_access = static_cast<int32_t>(now - it->time.load(std::memory_order_relaxed)),
       .clsid = cls,
       .value_bytes = it->nbytes});
}

int Store::Impl::PullTail(uint8_t cls, LruId lru, uint64_t total_bytes, bool evict,
                          RelTime max_age) {
  LruClass& lc = lru_.cls(cls);
  const RelTime now = Now();
  const int l = static_cast<int>(lru);
  int removed = 0;
  std::lock_guard lru_lock(lc.mu);
  Item* next = nullptr;
  // A bounded walk up from the tail (memcached's "tries = 5"): past items
  // whose stripe is busy and past expired items, which are reclaimed.
  int tries = 5;
  for (Item* search = lru_.Tail(lc, lru); tries > 0 && search != nullptr; --tries, search = next) {
    next = lru_.Prev(search);
    const uint64_t hv = HashKey(search->key());
    std::mutex& stripe = locks_.For(hv);
    if (!TryLockItem(stripe)) continue;
    std::unique_lock item_lock(stripe, std::adopt_lock);
    // The LRU's link holds one reference; more means a reader or writer has
    // it. Such items may still be unlinked; their chunk comes back when the
    // last handle drops.
    if (search->refcount.load(std::memory_order_relaxed) > 1) ++lc.lrutail_reflocked;

    if (IsExpired(search, now) || IsFlushed(search, now)) {
      ++lc.reclaimed;
      if ((search->flags.load(std::memory_order_relaxed) & kItemFetched) == 0) {
        ++lc.expired_unfetched;
      }
      UnlinkLocked(lc, search, hv);
      ++removed;
      continue;  // all we find are expired: keep going
    }

    const uint8_t f = search->flags.load(std::memory_order_relaxed);
    switch (lru) {
      case LruId::kHot:
      case LruId::kWarm: {
        const uint64_t pct =
            (lru == LruId::kHot ? hot_lru_pct_ : warm_lru_pct_).load(std::memory_order_relaxed);
        const uint64_t limit = total_bytes * pct / 100;
        if ((f & kItemActive) != 0) {
          search->flags.fetch_and(static_cast<uint8_t>(~kItemActive), std::memory_order_relaxed);
          ++removed;
          if (lru == LruId::kWarm) {
            ++lc.moves_within_lru;
            lru_.MoveToHead(lc, search, LruId::kWarm);
            continue;  // rescued in place; look at the next tail
          }
          ++lc.moves_to_warm;
          lru_.MoveToHead(lc, search, LruId::kWarm);
        } else if (lc.bytes[l] > limit ||
                   now - search->time.load(std::memory_order_relaxed) > max_age) {
          ++lc.moves_to_cold;
          lru_.MoveToHead(lc, search, LruId::kCold);
          ++removed;
        }
        return removed;  // stop at the first non-expired, non-rescued item
      }
      case LruId::kCold:
        if (evict) {
          if (!config_.evict_to_free) return removed;  // -M: the caller reports OOM
          ++lc.evicted;
          lc.evicted_time = now - search->time.load(std::memory_order_relaxed);
          if (search->exptime.load(std::memory_order_relaxed) != 0) ++lc.evicted_nonzero;
          if ((f & kItemFetched) == 0) ++lc.evicted_unfetched;
          if ((f & kItemActive) != 0) ++lc.evicted_active;
          ReportEviction(search, cls, now);
          UnlinkLocked(lc, search, hv);
          ++removed;
        } else if ((f & kItemActive) != 0 && lru_segmented_.load(std::memory_order_relaxed)) {
          ++lc.moves_to_warm;
          search->flags.fetch_and(static_cast<uint8_t>(~kItemActive), std::memory_order_relaxed);
          lru_.MoveToHead(lc, search, LruId::kWarm);
          ++removed;
        }
        return removed;
      case LruId::kTemp:
        return removed;  // TEMP is only reaped: stop at the first live item
    }
  }
  return removed;
}

int Store::Impl::Juggle(uint8_t cls) {
  if (!config_.lru_maintainer) return 0;
  LruClass& lc = lru_.cls(cls);
  uint64_t total_bytes = 0;
  RelTime cold_age = 0;
  int did = 0;
  // TEMP first, for reclaims only (memcached's juggle), whenever it holds
  // items: also those linked before "lru temp_ttl -1" turned it off.
  for (int i = 0; i < 500 && PullTail(cls, LruId::kTemp, 0, false, 0) > 0; ++i) ++did;
  {
    std::lock_guard lock(lc.mu);
    if (lc.count[0] + lc.count[1] + lc.count[2] == 0) return did;
    const Item* cold_tail = lru_.Tail(lc, LruId::kCold);
    if (cold_tail != nullptr) cold_age = Now() - cold_tail->time.load(std::memory_order_relaxed);
    // TEMP's bytes are no part of the shares HOT and WARM are sized by.
    for (LruId l : {LruId::kHot, LruId::kWarm, LruId::kCold}) {
      total_bytes += lc.bytes[static_cast<int>(l)];
    }
  }
  RelTime hot_age =
      static_cast<RelTime>(cold_age * hot_max_factor_.load(std::memory_order_relaxed));
  RelTime warm_age =
      static_cast<RelTime>(cold_age * warm_max_factor_.load(std::memory_order_relaxed));
  // Flat mode: whatever HOT and WARM still hold drains into COLD (max age 0),
  // and COLD is left to allocations, as memcached's juggle does.
  const bool segmented = lru_segmented_.load(std::memory_order_relaxed);
  if (!segmented) hot_age = warm_age = total_bytes = 0;
  for (int i = 0; i < 500; ++i) {
    int more = 0;
    if (PullTail(cls, LruId::kHot, total_bytes, false, hot_age) > 0 ||
        PullTail(cls, LruId::kWarm, total_bytes, false, warm_age) > 0) {
      ++more;
    }
    if (segmented) more += PullTail(cls, LruId::kCold, total_bytes, false, 0);
    if (more == 0) break;
    ++did;
  }
  juggles_.fetch_add(1, std::memory_order_relaxed);
  return did;
}

// -------------------------------------------------------------- crawler ---
//
// Tails are reaped by allocations and juggles; an expired item in the middle
// of a long list would hold its chunk until it drifts down. The crawler
// (slabs/crawler.h) walks the class's PAGES with this batch. A batch of
// chunks is looked at holding the class's LRU lock and the slab lock
// (LRU -> slab, the documented order): with both held, a chunk's LRU links
// cannot change, so "on a list" (SegmentedLru::Contains) is exact, and a
// linked item's key is immutable. The slab lock is dropped before unlinking
// (the last reference frees the chunk, which takes it again); the LRU lock is
// kept, so the expired items found stay linked until we try-lock them.

uint32_t Store::Impl::CrawlBatch(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                                 std::vector<Item*>* scratch, uint64_t* checked, int* reclaimed) {
  LruClass& lc = lru_.cls(cls);
  const RelTime now = Now();
  std::lock_guard lru_lock(lc.mu);
  scratch->clear();
  const uint32_t stepped = slabs_.VisitChunks(cls, page, chunk, count, [&](Item* it) {
    if (!lru_.Contains(lc, it)) return;
    ++*checked;
    ++lc.crawler_items_checked;
    if (IsExpired(it, now) || IsFlushed(it, now)) scratch->push_back(it);
  });
  for (Item* it : *scratch) {
    const uint64_t hv = HashKey(it->key());
    std::mutex& stripe = locks_.For(hv);
    if (!TryLockItem(stripe)) continue;  // next pass
    std::unique_lock item_lock(stripe, std::adopt_lock);
    if (!IsExpired(it, now) && !IsFlushed(it, now)) continue;  // touched meanwhile
    ++lc.reclaimed;
    ++lc.crawler_reclaimed;
    if ((it->flags.load(std::memory_order_relaxed) & kItemFetched) == 0) ++lc.expired_unfetched;
    UnlinkLocked(lc, it, hv);
    ++*reclaimed;
  }
  return stepped;
}

// ---------------------------------------------------------------- flush ---

void Store::Impl::FlushClass(uint8_t cls, RelTime oldest) {
  // memcached's item_flush_expired(): items touched at or after the horizon
  // are not caught by the lazy time check, so unlink them now. The lists are
  // only roughly time ordered (bumps refresh time in place): walk them fully.
  LruClass& lc = lru_.cls(cls);
  // Items whose stripe we could not try-lock, unlinked once the LRU lock is
  // dropped: referenced ones, and (rare) ones at the refcount cap, which we
  // must not reference (the count would wrap to 0 and a later release would
  // free a live chunk): those are found again by key and CAS.
  std::vector<Item*> busy;
  struct Unheld {
    std::string key;
    uint64_t hv;
    uint64_t cas;
  };
  std::vector<Unheld> unheld;
  {
    std::lock_guard lru_lock(lc.mu);
    for (int l = 0; l < kNumLrus; ++l) {
      Item* next = nullptr;
      for (Item* it = lru_.Head(lc, static_cast<LruId>(l)); it != nullptr; it = next) {
        next = lru_.Next(it);
        if (it->time.load(std::memory_order_relaxed) < oldest) continue;
        const uint64_t hv = HashKey(it->key());
        std::mutex& stripe = locks_.For(hv);
        if (TryLockItem(stripe)) {
          std::unique_lock item_lock(stripe, std::adopt_lock);
          UnlinkLocked(lc, it, hv);
        } else if (TryAddRef(it)) {
          // Safe: linked items cannot be freed while we hold the LRU lock.
          busy.push_back(it);
        } else {
          unheld.push_back({std::string(it->key()), hv, it->cas()});
        }
      }
    }
  }
  for (Item* it : busy) {
    const uint64_t hv = HashKey(it->key());
    {
      ItemLockGuard item_lock(locks_.For(hv));
      if (it->linked() && it->time.load(std::memory_order_relaxed) >= oldest) {
        UnlinkItem(it, hv);
      }
    }
    slabs_.Release(it);
  }
  for (const Unheld& u : unheld) {
    ItemLockGuard item_lock(locks_.For(u.hv));
    // The same CAS means the same item (a page move keeps it); with CAS off
    // an item stored since could match, as it can in memcached's own race
    // between flush_all and concurrent stores.
    Item* it = table_.Find(u.key, u.hv);
    if (it != nullptr && it->cas() == u.cas && it->time.load(std::memory_order_relaxed) >= oldest) {
      UnlinkItem(it, u.hv);
    }
  }
}

// ------------------------------------------------------------- settings ---

LruTuning Store::Impl::lru_tuning() const {
  return {.hot_lru_pct = hot_lru_pct_.load(std::memory_order_relaxed),
          .warm_lru_pct = warm_lru_pct_.load(std::memory_order_relaxed),
          .hot_max_factor = hot_max_factor_.load(std::memory_order_relaxed),
          .warm_max_factor = warm_max_factor_.load(std::memory_order_relaxed),
          .segmented = lru_segmented_.load(std::memory_order_relaxed),
          .temp_lru = temp_lru_.load(std::memory_order_relaxed),
          .temporary_ttl = temporary_ttl_.load(std::memory_order_relaxed)};
}

void Store::Impl::SetLruTuning(const LruTuning& tuning) {
  hot_lru_pct_.store(tuning.hot_lru_pct, std::memory_order_relaxed);
  warm_lru_pct_.store(tuning.warm_lru_pct, std::memory_order_relaxed);
  hot_max_factor_.store(tuning.hot_max_factor, std::memory_order_relaxed);
  warm_max_factor_.store(tuning.warm_max_factor, std::memory_order_relaxed);
  lru_segmented_.store(tuning.segmented, std::memory_order_relaxed);
  temporary_ttl_.store(tuning.temporary_ttl, std::memory_order_relaxed);
  temp_lru_.store(tuning.temp_lru, std::memory_order_relaxed);
}

LruId Store::Impl::LinkTo(const Item* it, RelTime now) const {
  // memcached's do_item_alloc: "exptime - current_time <= temporary_ttl" in
  // unsigned arithmetic, so no-expiry and already-expired items stay out.
  const RelTime exptime = it->exptime.load(std::memory_order_relaxed);
  if (temp_lru_.load(std::memory_order_relaxed) && exptime != 0 && exptime >= now &&
      exptime - now <= temporary_ttl_.load(std::memory_order_relaxed)) {
    return LruId::kTemp;
  }
  // Flat mode has only COLD (memcached's compat mode).
  return lru_segmented_.load(std::memory_order_relaxed) ? LruId::kHot : LruId::kCold;
}

std::optional<std::vector<std::pair<uint32_t, uint64_t>>> Store::Impl::ItemSizes() const {
  if (!lru_.track_sizes()) return std::nullopt;
  std::vector<uint64_t> buckets;
  for (int cls = 1; cls <= slabs_.num_classes(); ++cls) {
    LruClass& lc = const_cast<SegmentedLru&>(lru_).cls(static_cast<uint8_t>(cls));
    std::lock_guard lock(lc.mu);
    if (buckets.size() < lc.sizes_base + lc.sizes.size()) {
      buckets.resize(lc.sizes_base + lc.sizes.size(), 0);
    }
    for (size_t i = 0; i < lc.sizes.size(); ++i) buckets[lc.sizes_base + i] += lc.sizes[i];
  }
  std::vector<std::pair<uint32_t, uint64_t>> sizes;
  for (size_t bucket = 0; bucket < buckets.size(); ++bucket) {
    if (buckets[bucket] != 0)
      sizes.emplace_back(static_cast<uint32_t>(bucket * 32), buckets[bucket]);
  }
  return sizes;
}

LruTuning Store::lru_tuning() const { return impl_->lru_tuning(); }
void Store::SetLruTuning(const LruTuning& tuning) { impl_->SetLruTuning(tuning); }
std::optional<std::vector<std::pair<uint32_t, uint64_t>>> Store::ItemSizes() const {
  return impl_->ItemSizes();
}

}  // namespace slabcached::slabs
