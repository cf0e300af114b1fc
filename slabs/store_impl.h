// Store::Impl: the pieces of the item store and the item-level operations
// that tie them together. Private to slabs/ (store.cc: commands; lru.cc: LRU
// policy, eviction, flush, the crawler's batch; page_mover.cc: slab
// reassignment, with automove_policy.h deciding; store_crawl.cc: the crawler
// commands, with crawler.h holding the crawler's state).
// Locks: slabs/lock_order.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "slabs/automove_policy.h"
#include "slabs/class_counters.h"
#include "slabs/clock.h"
#include "slabs/crawler.h"
#include "slabs/hash_table.h"
#include "slabs/item.h"
#include "slabs/item_handle.h"
#include "slabs/item_locks.h"
#include "slabs/lock_order.h"
#include "slabs/lru.h"
#include "slabs/lru_maintainer.h"
#include "slabs/memory_file.h"
#include "slabs/meta_state.h"
#include "slabs/slab_allocator.h"
#include "slabs/store.h"

namespace slabcached::slabs {

// memcached's ITEM_UPDATE_INTERVAL: an item already ACTIVE gets its access
// time refreshed at most this often.
inline constexpr RelTime kItemUpdateInterval = 60;

class Store::Impl final : public MaintenanceTarget, public CrawlTarget {
 public:
  Impl(const StoreConfig& config, const Clock* clock);
  ~Impl() override;

  AllocResult Allocate(std::string_view key, uint32_t client_flags, RelTime exptime,
                       uint32_t value_len);
  LinkResult Link(ItemHandle item, const LinkOptions& options);
  GetResult Get(std::string_view key, const GetOptions& options);
  DeleteStatus Delete(std::string_view key, const DeleteOptions& options);
  DeltaResult Delta(std::string_view key, const DeltaOptions& options);
  size_t meta_state_entries() const { return meta_state_.size(); }
  size_t meta_state_bytes() const { return meta_state_.bytes(); }
  void FlushAll(RelTime when);
  bool SetMemoryLimit(size_t max_bytes);
  ReassignStatus Reassign(int src, int dst);
  void SetAutomove(uint32_t mode) { automove_.store(mode, std::memory_order_relaxed); }
  uint32_t automove() const { return automove_.load(std::memory_order_relaxed); }
  void SetEvictionObserver(EvictionObserver* observer) {
    eviction_observer_.store(observer, std::memory_order_release);
  }
  StoreStats GetStats() const;
  std::vector<SlabClassStats> GetSlabClassStats() const;
  void ResetClassCounters() { class_counters_.Reset(); }
  const StoreConfig& config() const { return config_; }
  void RunMaintenance();

  // --- warm restart (store_restart.cc) ---
  const RestartReport& restart_report() const { return restart_report_; }
  bool SaveForRestart(std::string* why);

  // --- the crawler's commands (store_crawl.cc); its state is crawler_ ---
  Crawler& crawler() { return crawler_; }
  // "lru_crawler crawl": starts it and runs its first steps here.
  CrawlerStatus StartCrawl(const ClassSet& classes);
  LruTuning lru_tuning() const;
  void SetLruTuning(const LruTuning& tuning);
  std::optional<std::vector<std::pair<uint32_t, uint64_t>>> ItemSizes() const;
  // Dumps, phase one: takes a reference on each linked item among up to
  // `count` chunks of class `cls`'s page `page` from `chunk` and appends it to
  // `out`; returns the chunks stepped over (as VisitChunks).
  uint32_t RetainLinked(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                        std::vector<Item*>* out);
  // Dumps, phase two: calls f with the summary of each item of `items` that
  // is still linked, under its item lock, until f returns false; drops every
  // reference. Returns false when f did.
  bool SummarizeAndRelease(const std::vector<Item*>& items,
                           const std::function<bool(const ItemSummary&)>& f);
  void VisitColdItems(uint8_t cls, const std::function<bool(const ItemSummary&)>& f);

  // MaintenanceTarget (the LRU maintainer thread) and CrawlTarget.
  int NumClasses() const override { return slabs_.num_classes(); }
  int Juggle(uint8_t cls) override;
  bool Housekeeping() override;
  // One crawler batch (lru.cc), as CrawlTarget says: holds the class's LRU
  // lock over the chunks (SlabAllocator::VisitChunks); busy item stripes are
  // left for the next pass.
  uint32_t CrawlBatch(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                      std::vector<Item*>* scratch, uint64_t* checked, int* reclaimed) override;

 private:
  // --- item level; all require the item lock of `hv` (store.cc) ---
  // The linked item for `key`, or nullptr; unlinks it when expired/flushed.
  Item* FindLive(std::string_view key, uint64_t hv, GetOutcome* outcome);
  // Links an unlinked item: new time and CAS, hash table, the head of
  // LinkTo's list.
  void LinkItem(Item* it, uint64_t hv);
  // The list a new item goes to: TEMP for a short TTL (-o temporary_ttl),
  // else HOT, or COLD in flat mode (lru.cc).
  LruId LinkTo(const Item* it, RelTime now) const;
  // Unlinks a linked item and drops the link's reference. Takes the LRU lock.
  void UnlinkItem(Item* it, uint64_t hv);
  // A new handle on a linked item; empty on refcount overflow.
  ItemHandle Retain(Item* it);
  // memcached's do_item_bump / do_item_update (lru.cc).
  void Bump(Item* it);
  void Update(Item* it);
  // Allocates a fresh unlinked item (may evict). Safe while holding one item lock.
  Item* NewItem(std::string_view key, uint32_t client_flags, RelTime exptime, uint32_t value_len,
                AllocStatus* status);
  // Append/prepend: a fresh unlinked item holding `old`'s value with `added`'s
  // after (kAppend) or before (kPrepend) it, with `old`'s flags and exptime.
  // nullptr with *failure set (kTooLarge / kNoMemory) when it cannot be had.
  Item* Concatenate(std::string_view key, Item* old, Item* added, StoreMode mode,
                    StoreStatus* failure);
  // Allocates `head`'s continuation chunks (may evict); false when memory
  // cannot be had (the caller releases `head`, which frees those it got).
  bool AllocContinuations(Item* head, uint64_t hv);
  void CountOutOfMemory(uint8_t cls);
  // incr/decr's reading of a value as an unsigned 64-bit number.
  bool ParseItemDecimal(const Item* it, uint64_t* out) const;
  // Link's decision (memcached's do_store_item): whether to store `it` in
  // `mode` over the live item `old` (nullptr: a miss), and which item
  // (append/prepend build a new one); else *status says why not.
  struct LinkPlan {
    bool store = false;
    Item* to_link = nullptr;   // `it`, or the append/prepend result
    Item* combined = nullptr;  // that result: Link drops its allocation reference
    uint8_t bits = 0;          // the stored item's meta state
  };
  // Inlined: it is the set path.
  [[gnu::always_inline]] inline LinkPlan PlanLink(Item* it, Item* old, uint64_t hv, StoreMode mode,
                                                  const LinkOptions& o, StoreStatus* status);
  // Creates missing `key` with `value` (see CREATING A MISSING KEY in
  // store.cc): allocates and links it under the held item lock of `hv`.
  // Returns the item with the allocation's reference still held by the
  // caller, or nullptr with *status set.
  Item* CreateLocked(std::string_view key, uint64_t hv, std::string_view value, uint64_t new_cas,
                     AllocStatus* status);
  // incr/decr of linked `it`: the item now holding the new value (`it`, or
  // a new item when the digits do not fit or a reader holds `it`), or
  // nullptr with r->status set. Sets r->value.
  Item* ApplyDelta(Item* it, uint64_t hv, const DeltaOptions& o, DeltaResult* r);
  // mg N on a miss: creates the empty placeholder, held by r->item; nullptr
  // when it cannot be allocated. Vivify and ApplyMetaGet stay out of line so
  // that a classic get does not pay for their registers.
  [[gnu::noinline]] Item* Vivify(std::string_view key, uint64_t hv, uint64_t new_cas, GetResult* r);
  // mg's meta step over linked `it` (held by r->item): reads its stampede
  // bits, applies T/N/R and records a win. false when a win could not be
  // recorded for an item N just created (the caller then misses).
  [[gnu::noinline]] bool ApplyMetaGet(Item* it, uint64_t hv, std::string_view key,
                                      const GetOptions& o, GetResult* r);
  // A new CAS for linked `it` (`new_cas`, else the next one). In place when
  // nobody else holds a reference (readers read the CAS without the lock),
  // else by linking a copy. Returns the item now linked, or nullptr when the
  // copy could not be allocated.
  Item* Recas(Item* it, uint64_t hv, uint64_t new_cas);
  // Counts a hit on `it` for "stats items" hits_to_*.
  // A get (hits_to_<lru>) or a touch of `it`, in this thread's counters.
  void CountHit(const Item* it, bool touch) {
    if (touch) {
      class_counters_.Add(slabs_.ClassOf(it), ClassOp::kTouchHits);
    } else {
      class_counters_.AddHit(slabs_.ClassOf(it), it->lru());
    }
  }
  void Count(const Item* it, ClassOp op) { class_counters_.Add(slabs_.ClassOf(it), op); }

  // --- warm restart (store_restart.cc) ---
  // Serves the memory file's items again when its record allows it, else
  // empties the file; then marks it dirty. Runs before the maintainer starts.
  void RestoreOrClear();
  // Adopts the pages of `record` and links their live items; the report's counts.
  void Restore(const RestartRecord& record);
  // Whether the head `it` of a chunked item owns an intact chain; appends
  // its continuation chunks to `chain`.
  bool CollectChain(Item* it, std::vector<Item*>* chain) const;
  // Whether `it`, a chunk of class `cls` that is not free, is a whole linked
  // item (with its chain, put in `chain`, when chunked).
  bool IntactForRestore(Item* it, uint8_t cls, std::vector<Item*>* chain) const;
  // Links a kept item again: times moved to this clock, hash table, LRU `lru`.
  void LinkRestored(Item* it, LruId lru, const RestartTimeMap& time);

  // --- LRU policy (lru.cc) ---
  // Requires the item lock and the LRU lock.
  void UnlinkLocked(LruClass& lc, Item* it, uint64_t hv);
  Item* AllocPull(uint8_t cls, size_t ntotal, const SlabAllocator::ChunkLink* link = nullptr);
  // memcached's lru_pull_tail(): returns items removed or moved.
  int PullTail(uint8_t cls, LruId lru, uint64_t total_bytes, bool evict, RelTime max_age);
  // Tells the eviction observer, if it listens, about `it` (locks held).
  void ReportEviction(const Item* it, uint8_t cls, RelTime now);
  // Unlinks items of `cls` stored at or after `oldest`; holds no item lock.
  void FlushClass(uint8_t cls, RelTime oldest);

  // --- page mover (page_mover.cc) ---
  bool PageMoveStep();
  // One walk over the moving page: rescues or evicts its linked items.
  void ClearMovingPage();
  // Moves a continuation chunk of the moving page into a free chunk of its
  // class (evicts its item when there is none). Holds no lock on entry.
  void MoveContinuation(Item* chunk, uint8_t cls);
  // Chunks of `page` that are free (kItemSlabbed): the mover's inline reclaims.
  static uint64_t CountFreeChunks(const SlabAllocator::MovingPage& page);
  // Copies linked `from` into the free chunk `to` and links the copy in its
  // place (a chunked item's chain moves with it: `from` must be unshared).
  // Requires the item lock of `hv` and the class's LRU lock.
  void RescueLocked(LruClass& lc, Item* from, Item* to, uint64_t hv);
  // Once a second: samples the classes, asks automove_policy_, commits.
  void AutomoveCheck();
  // Each class's figures for the policy, read under its LRU lock and the slab lock.
  std::vector<AutomoveSample> SampleClasses(RelTime now);

  bool IsExpired(const Item* it, RelTime now) const {
    const RelTime exp = it->exptime.load(std::memory_order_relaxed);
    return exp != 0 && exp <= now;
  }
  bool IsFlushed(const Item* it, RelTime now) const {
    const int64_t oldest = oldest_live_.load(std::memory_order_relaxed);
    return oldest >= 0 && it->time.load(std::memory_order_relaxed) <= oldest && oldest <= now;
  }
  uint64_t NextCas() {
    return config_.cas_enabled ? cas_id_.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
  }
  RelTime Now() const { return clock_->Now(); }
  uint64_t HashKey(std::string_view key) const { return table_.HashKey(key); }

  const StoreConfig config_;
  const Clock* const clock_;
  std::unique_ptr<MemoryFile> memory_file_;  // -e, or null; before slabs_, which maps it
  RestartReport restart_report_;
  std::atomic<EvictionObserver*> eviction_observer_{nullptr};  // Store::SetEvictionObserver
  SlabAllocator slabs_;
  ItemLocks locks_;
  HashTable table_;
  SegmentedLru lru_;

  std::atomic<uint64_t> cas_id_{0};
  std::atomic<int64_t> oldest_live_{-1};  // flush_all horizon; -1: never flushed
  std::atomic<uint64_t> juggles_{0};
  std::atomic<uint64_t> slabs_moved_{0};
  std::atomic<uint32_t> automove_{0};
  ClassCounters class_counters_;
  // LruTuning, changed at run time ("lru tune", "lru mode", "lru temp_ttl"): read with
  // relaxed loads; a juggle may see half of a tune, as memcached's may.
  std::atomic<uint32_t> hot_lru_pct_{config_.hot_lru_pct};
  std::atomic<uint32_t> warm_lru_pct_{config_.warm_lru_pct};
  std::atomic<double> hot_max_factor_{config_.hot_max_factor};
  std::atomic<double> warm_max_factor_{config_.warm_max_factor};
  std::atomic<bool> lru_segmented_{config_.lru_segmented};
  std::atomic<bool> temp_lru_{config_.temp_lru};
  std::atomic<uint32_t> temporary_ttl_{config_.temporary_ttl};

  std::atomic<uint64_t> reassign_rescues_{0};
  std::atomic<uint64_t> reassign_evictions_nomem_{0};
  std::atomic<uint64_t> reassign_busy_items_{0};
  std::atomic<uint64_t> reassign_chunk_rescues_{0};
  std::atomic<uint64_t> reassign_inline_reclaim_{0};
  // Why the last busy chunk was skipped (StoreStats::slab_reassign_last_busy_status).
  enum class BusyStatus : uint8_t { kNone, kLocked, kBusy };
  std::atomic<BusyStatus> reassign_last_busy_{BusyStatus::kNone};
  // Counts a chunk of the moving page skipped this round (retried next round).
  void NoteBusy(BusyStatus why) {
    reassign_busy_items_.fetch_add(1, std::memory_order_relaxed);
    reassign_last_busy_.store(why, std::memory_order_relaxed);
  }

  // Pending "slabs reassign" or automove decision: guarded by reassign_mu_.
  std::mutex reassign_mu_;
  bool reassign_pending_ = false;
  uint8_t reassign_src_ = 0, reassign_dst_ = 0;
  uint32_t reassign_pages_left_ = 0;  // pages still to move for this request
  RelTime reassign_started_ = 0;
  // Automove (page_mover.cc); guarded by reassign_mu_.
  RelTime automove_last_ = 0;  // the last sample
  AutomovePolicy automove_policy_;

  Crawler crawler_{this,
                   clock_,
                   {.enabled = config_.lru_crawler,
                    .sleep_us = config_.lru_crawler_sleep,
                    .tocrawl = config_.lru_crawler_tocrawl}};

  // Stampede bits (W/X/Z) of items; a shard is guarded by its item lock stripe.
  MetaStateTable meta_state_{config_.meta_state_max_entries};

  std::unique_ptr<LruMaintainer> maintainer_;  // stopped first in ~Impl
};

}  // namespace slabcached::slabs
