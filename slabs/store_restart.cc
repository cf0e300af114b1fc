// Warm restart (-e): the graceful stop writes the restart record; the next
// start adopts the pages and links every live item again. The item memory
// itself is used as it is (ItemRefs are offsets); what is rebuilt from it are
// the structures outside the file: the hash table, the LRU lists, the free
// lists and the allocator's accounting.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "slabs/restart.h"
#include "slabs/store_impl.h"

namespace slabcached::slabs {

bool Store::Impl::SaveForRestart(std::string* why) {
  if (!memory_file_) {
    *why = "no memory file (-e)";
    return false;
  }
  maintainer_.reset();  // no page move, juggling or crawl from here on
  const RestartRecord record{
      .geometry = slabs_.geometry(),
      .stopped_at = Now(),
      .stopped_unix = clock_->UnixNow(),
      .cas_id = cas_id_.load(std::memory_order_relaxed),
      .flush_horizon = oldest_live_.load(std::memory_order_relaxed),
      .page_class = slabs_.PageClasses(),
  };
  return memory_file_->WriteRecord(record, slabs_.region(), slabs_.region_bytes(), why);
}

void Store::Impl::RestoreOrClear() {
  const auto started = std::chrono::steady_clock::now();
  std::string why;
  std::optional<RestartRecord> record = memory_file_->ReadRecord(&why);
  if (record) why = DescribeGeometryChange(record->geometry, slabs_.geometry());
  if (record && why.empty() && !slabs_.AdoptPages(record->page_class)) {
    why = "the restart record's page table does not fit this memory";
  }
  if (record && why.empty()) {
    Restore(*record);
  } else {
    restart_report_.why_cold = why;
    memory_file_->Clear(slabs_.region_bytes());  // nothing of it may be served
  }
  // Until the next graceful stop, the file's items are not to be trusted.
  memory_file_->MarkDirty();
  restart_report_.restore_micros =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count());
}

bool Store::Impl::CollectChain(Item* head, std::vector<Item*>* chain) const {
  const ItemRef head_ref = slabs_.ToRef(head);
  size_t left = size_t{head->nbytes} + 2 - slabs_.FirstPiece(head).second;
  Item* c = slabs_.NextChunk(head);
  while (left > 0) {
    if (c == nullptr || !slabs_.IsChunkStart(slabs_.ToRef(c)) || !IsContinuation(c) ||
        c->h_next != head_ref || c->nbytes == 0 || c->nbytes > left) {
      return false;
    }
    left -= c->nbytes;
    chain->push_back(c);
    c = slabs_.ToItem(c->next);
  }
  return c == nullptr;
}

bool Store::Impl::IntactForRestore(Item* it, uint8_t cls, std::vector<Item*>* chain) const {
  chain->clear();
  if (!it->linked() || it->nkey == 0 || it->nkey > kKeyMaxLength) return false;
  if (it->total_size() > slabs_.chunk_max()) {  // chunked: its head is in the last class
    return cls == slabs_.num_classes() && CollectChain(it, chain);
  }
  return it->total_size() <= slabs_.info(cls).chunk_size &&
         std::memcmp(it->value_ptr() + it->nbytes, "\r\n", 2) == 0;
}

void Store::Impl::LinkRestored(Item* it, LruId lru, const RestartTimeMap& time) {
  it->time.store(time.Map(it->time.load(std::memory_order_relaxed)), std::memory_order_relaxed);
  it->exptime.store(time.Map(it->exptime.load(std::memory_order_relaxed)),
                    std::memory_order_relaxed);
  it->refcount.store(1, std::memory_order_relaxed);  // the link's
  const uint64_t hv = HashKey(it->key());
  slabs_.AccountRestored(it, slabs_.ChunkBytes(it));
  if (slabs_.IsChunked(it)) {
    for (Item* c = slabs_.NextChunk(it); c != nullptr; c = slabs_.ToItem(c->next)) {
      SetContinuationHash(c, hv);  // the key hash's seed is new
      slabs_.AccountRestored(c, sizeof(Item) + c->nbytes);
    }
  }
  {
    ItemLockGuard item_lock(locks_.For(hv));
    table_.Insert(it, hv);
  }
  LruClass& lc = lru_.cls(slabs_.ClassOf(it));
  std::lock_guard lru_lock(lc.mu);
  lru_.LinkHead(lc, it, lru);
}

void Store::Impl::Restore(const RestartRecord& record) {
  const int64_t unix_now = clock_->UnixNow();
  const RestartTimeMap time(record, Now(), unix_now);
  const RelTime old_now = time.old_now();
  restart_report_.downtime_seconds =
      static_cast<uint64_t>(std::max<int64_t>(0, unix_now - record.stopped_unix));
  // A flush_all whose horizon has passed (while up or down) hides the items
  // stored before it: they are dropped now. A pending one carries over.
  const int64_t horizon = record.flush_horizon;
  const bool flush_passed = horizon >= 0 && horizon <= int64_t{old_now};
  auto live = [&](const Item* it) {
    const RelTime exptime = it->exptime.load(std::memory_order_relaxed);
    const RelTime last = it->time.load(std::memory_order_relaxed);
    return (exptime == 0 || exptime > old_now) && !(flush_passed && int64_t{last} <= horizon);
  };

  // 1. Which items stay: linked, intact, neither expired nor flushed.
  std::vector<Item*> kept[SlabAllocator::kMaxClasses + 1][kNumLrus];
  std::unordered_set<const Item*> kept_chunks;  // continuations of kept chunked items
  std::vector<Item*> chain;
  for (int id = 1; id <= slabs_.num_classes(); ++id) {
    const auto cls = static_cast<uint8_t>(id);
    auto sort_out = [&](Item* it) {
      if (!IntactForRestore(it, cls, &chain) || !live(it)) {
        it->flags.store(kItemSlabbed, std::memory_order_relaxed);  // freed in step 2
        ++restart_report_.items_dropped;
        return;
      }
      kept_chunks.insert(chain.begin(), chain.end());
      kept[id][static_cast<int>(it->lru())].push_back(it);
    };
    const uint32_t perslab = slabs_.info(id).perslab;
    for (size_t page = 0; slabs_.VisitChunks(cls, page, 0, perslab, sort_out) > 0; ++page) {
    }
  }

  // 2. Everything else is free.
  slabs_.RebuildFreeLists([&](uint8_t, Item* it) {
    const uint8_t flags = it->flags.load(std::memory_order_relaxed);
    if (IsContinuationFlags(flags)) return kept_chunks.contains(it);
    return (flags & kItemSlabbed) == 0;
  });

  // 3. Link the kept items, oldest first so that LRU heads are the newest.
  for (auto& lists : kept) {
    for (int l = 0; l < kNumLrus; ++l) {
      std::sort(lists[l].begin(), lists[l].end(), [](const Item* a, const Item* b) {
        return a->time.load(std::memory_order_relaxed) < b->time.load(std::memory_order_relaxed);
      });
      for (Item* it : lists[l]) LinkRestored(it, static_cast<LruId>(l), time);
      restart_report_.items_restored += lists[l].size();
    }
  }
  cas_id_.store(record.cas_id, std::memory_order_relaxed);
  if (horizon >= 0 && !flush_passed) {
    oldest_live_.store(time.Map(static_cast<RelTime>(horizon)), std::memory_order_relaxed);
  }
  restart_report_.restored = true;
}

}  // namespace slabcached::slabs
