// The item store: slab memory under a hard limit, a lock-striped hash table
// that grows in the background, a segmented LRU per size class, TTL expiry
// and CAS. Every public method is thread-safe.
//
// CONTRACT (the daemon's executor is written against exactly this API; the
// implementation may add members but must keep these signatures):
//
//   Writes are two-phase, as in memcached (item_alloc -> read value ->
//   item_link) and CacheLib (allocate -> insert): Allocate() returns an
//   unlinked item owned by an ItemHandle; the caller fills its value (the
//   connection reads socket bytes straight into it) and passes it to Link().
//   A handle that is dropped without being stored frees its chunk.
//
//   Reads return an ItemHandle holding a reference: the item's memory stays
//   valid (even if it is deleted or replaced meanwhile) until the handle is
//   dropped, so the connection can send the value with writev without a copy.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slabs/clock.h"
#include "slabs/item_handle.h"
#include "slabs/meta_state.h"

namespace slabcached::slabs {

struct StoreConfig {
  size_t max_bytes = 64 * 1024 * 1024;  // -m: hard limit on slab page memory
  size_t item_size_max = 1024 * 1024;   // -I: header + key + value + 2 must fit
  // -o slab_chunk_max: the largest slab chunk; larger items are chained from
  // several chunks. 0: half a page (512 KB), or -I when that is smaller.
  size_t slab_chunk_max = 0;
  uint32_t chunk_size_min = 48;  // -n: minimum key + value + flags space
  double growth_factor = 1.25;   // -f
  // -f or -n given: memcached's classes, growing from chunk_size_min by
  // growth_factor. Otherwise slabcached's finer default classes
  // (SlabAllocator::ChunkSizes), unless slab_sizes lists them.
  bool growth_classes = false;
  std::vector<uint32_t> slab_sizes;  // -o slab_sizes: these chunk sizes, then slab_chunk_max
  bool cas_enabled = true;           // false with -C (saves 8 bytes per item)
  bool evict_to_free = true;         // false with -M: fail writes instead of evicting
  uint32_t hashpower_init = 16;      // -o hashpower=N
  bool hash_expand = true;           // false with -o no_hashexpand
  bool lru_maintainer = true;        // background HOT/WARM/COLD juggling + reaping
  bool lru_crawler = true;           // the maintainer also reaps expired items away from the tails
  // -o lru_crawler_sleep (µs; reported only) and -o lru_crawler_tocrawl (items
  // per class an "lru_crawler crawl" looks at, 0: all); both change at run time.
  uint32_t lru_crawler_sleep = 100;
  uint32_t lru_crawler_tocrawl = 0;
  uint32_t hot_lru_pct = 20;
  uint32_t warm_lru_pct = 40;
  double hot_max_factor = 0.2;
  double warm_max_factor = 2.0;
  // false: memcached's flat ("compat") LRU: new items go to COLD, a hit
  // relinks its item at COLD's head (at most once a minute), no HOT/WARM.
  bool lru_segmented = true;
  // -o temporary_ttl=N (memcached's temp_lru): items stored with a TTL of at
  // most N seconds go to the TEMP LRU, which is never bumped nor evicted and
  // is reaped first. Needs the maintainer. "lru temp_ttl" changes both.
  bool temp_lru = false;
  uint32_t temporary_ttl = 61;  // memcached's default, shown while off too
  // -o track_sizes: count linked items by total size, in 32-byte steps
  // ("stats sizes"), under the LRU locks the links take anyway.
  bool track_sizes = false;
  // -L: ask for transparent huge pages on the slab memory (MADV_HUGEPAGE).
  bool large_pages = false;
  bool slab_reassign = true;
  uint32_t slab_automove = 1;  // 0, 1 or 2 (page_mover.cc)
  // Automove: a source's oldest memory must be this much older than the
  // destination's (memcached's slab_automove_ratio).
  double slab_automove_ratio = 0.8;
  // Automove: memcached's slab_automove_window (3..1800 samples, default 10).
  // Our policy wants a destination to evict in each of the last window/5
  // samples (AutomoveSamples(): 2 at the default, at most 32).
  uint32_t slab_automove_window = 10;
  bool background_threads = true;  // tests set false and call RunMaintenance()
  // Items with meta state (a handed-out win, stale, a binary key) at most:
  // their side table lives outside max_bytes (slabs/meta_state.h).
  size_t meta_state_max_entries = 64 * 1024;
  // The key hash's seed; unset (the daemon): a random one per store.
  std::optional<uint64_t> hash_seed;
  // -e: item memory lives in this file and survives a graceful stop
  // (SaveForRestart); empty: anonymous memory.
  std::string memory_file;
};

// How a store with a memory file started (slabs/store_restart.cc).
struct RestartReport {
  bool restored = false;  // the file's items are served again
  std::string why_cold;   // when not restored: why (for the log); "" for a new file
  uint64_t items_restored = 0;
  uint64_t items_dropped = 0;  // expired or flushed meanwhile, or not intact
  uint64_t downtime_seconds = 0;
  uint64_t restore_micros = 0;  // reading the file and rebuilding the indexes
};

enum class StoreMode : uint8_t { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };

enum class StoreStatus : uint8_t {
  kStored,
  kNotStored,  // add on existing key; replace/append/prepend on missing key
  kExists,     // cas mismatch
  kNotFound,   // cas on missing key
  kNoMemory,   // append/prepend could not allocate the combined item
  kTooLarge,   // append/prepend result exceeds item_size_max
};

enum class AllocStatus : uint8_t { kOk, kTooLarge, kNoMemory };

struct AllocResult {
  AllocStatus status = AllocStatus::kNoMemory;
  ItemHandle item;  // set when status == kOk
};

// Why a Get missed (for the get_expired / get_flushed counters).
enum class GetOutcome : uint8_t { kHit, kMiss, kExpired, kFlushed };

// --- One operation per verb. Each takes one options struct whose defaults
// are the classic (text and binary) command; the meta commands pass their
// flags. Times are absolute RelTimes (Clock::ToRelTime). ---

// Get: get, gets, gat, gats, touch, binary GET/GAT/TOUCH, mg, me.
struct GetOptions {
  bool bump = true;   // false with mg u and me: no LRU bump, not marked fetched
  bool peek = false;  // me: counts no hit ("stats items" hits_to_*), takes no win
  // mg, me: read the item's stampede state (W/X/Z, b) and apply T, N and R
  // in the order sent (vivify and recache need it). Classic gat only touches.
  bool meta = false;
  TtlFlags ttl = {};     // T, N, R (ttl.touch alone: gat)
  uint64_t new_cas = 0;  // E: the CAS of an item N creates (0: the next CAS)
};

struct GetResult {
  ItemHandle item;  // empty on a miss (last_access()/fetched() are pre-access)
  GetOutcome outcome = GetOutcome::kMiss;
  // With GetOptions::meta only:
  RelTime exptime_before = 0;  // before T/N
  bool created = false;        // N created the item
  bool token_sent = false;     // Z: somebody had already won
  bool stale = false;          // X
  bool won = false;            // W
  bool key_binary = false;     // the item was stored by ms with b (k answers in base64)
};

// Link (phase two of a write): set, add, replace, append, prepend, cas, ms.
struct LinkOptions {
  StoreMode mode = StoreMode::kSet;
  // kCas: stores when equal to the item's CAS (0 never matches, unless
  // has_cas). Append/prepend: a non-zero value must match.
  uint64_t cas_compare = 0;
  bool has_cas = false;     // ms C: set/replace become cas, and C0 is compared too
  bool invalidate = false;  // ms I: a C lower than the item's CAS stores, marked stale
  uint64_t new_cas = 0;     // ms E
  bool vivify = false;      // ms N with append/prepend: store on a miss
  RelTime vivify_exptime = 0;
  bool key_binary = false;  // ms b: the stored item remembers its key is binary
                            // (not an append/prepend result, as in memcached)
};

struct LinkResult {
  StoreStatus status = StoreStatus::kNotStored;
  uint64_t cas = 0;  // the stored item's CAS (0 when not stored)
};

// Delete: delete, binary DELETE, md.
struct DeleteOptions {
  uint64_t cas_compare = 0;  // non-zero (or has_cas): fail with kExists on mismatch
  bool has_cas = false;      // md C: C0 is compared too
  bool invalidate = false;   // md I: mark stale, clear the win, new CAS; T applies
  bool touch = false;
  RelTime exptime = 0;
  bool remove_value = false;  // md x: replace the value with an empty one
  uint32_t client_flags = 0;  // md x: the emptied item's flags
  uint64_t new_cas = 0;       // md E
};

enum class DeleteStatus : uint8_t {
  kDeleted,
  kNotFound,
  kExists,       // CAS mismatch
  kInvalidated,  // md I: kept, marked stale
  kNotStored,    // md I or x: the replacement item could not be allocated
};

// Delta: incr, decr, binary INCREMENT/DECREMENT, ma.
struct DeltaOptions {
  bool incr = true;  // incr wraps modulo 2^64; decr floors at 0
  uint64_t delta = 1;
  uint64_t cas_compare = 0;  // non-zero: fail with kExists on mismatch
  // ttl.vivify: store `initial` on a miss (binary incr with an initial value,
  // ma N); T and N apply in ttl.order (R does not apply).
  TtlFlags ttl = {.order = {'T', 'N', '\0'}};
  uint64_t initial = 0;
  uint64_t new_cas = 0;  // ma E
};

enum class DeltaStatus : uint8_t { kOk, kNotFound, kNonNumeric, kNoMemory, kExists };

struct DeltaResult {
  DeltaStatus status = DeltaStatus::kNotFound;
  uint64_t value = 0;          // the new value when kOk
  uint64_t cas = 0;            // the item's new CAS when kOk
  RelTime exptime_before = 0;  // before T/N
  RelTime exptime = 0;         // after
  bool created = false;        // ttl.vivify created the item
};

// Per size class figures for "stats slabs" and "stats items".
struct SlabClassStats {
  uint32_t id = 0;
  uint32_t chunk_size = 0;
  uint32_t chunks_per_page = 0;
  uint64_t total_pages = 0;
  uint64_t total_chunks = 0;
  uint64_t used_chunks = 0;
  uint64_t free_chunks = 0;
  uint64_t free_chunks_end = 0;
  uint64_t mem_requested = 0;
  uint64_t number = 0;  // linked items
  uint64_t number_hot = 0, number_warm = 0, number_cold = 0, number_temp = 0;
  uint64_t age_hot = 0, age_warm = 0, age = 0;  // seconds since last access at the tails
  uint64_t evicted = 0, evicted_nonzero = 0, evicted_time = 0, evicted_unfetched = 0,
           evicted_active = 0;
  uint64_t outofmemory = 0, reclaimed = 0, expired_unfetched = 0;
  uint64_t moves_to_cold = 0, moves_to_warm = 0, moves_within_lru = 0, direct_reclaims = 0;
  uint64_t hits_to_hot = 0, hits_to_warm = 0, hits_to_cold = 0, hits_to_temp = 0;
  uint64_t crawler_reclaimed = 0, crawler_items_checked = 0, lrutail_reflocked = 0;
  // memcached's per-class slab_stats (slabs/class_counters.h).
  uint64_t get_hits = 0, cmd_set = 0, delete_hits = 0, incr_hits = 0, decr_hits = 0, cas_hits = 0,
           cas_badval = 0, touch_hits = 0;
};

// Store-wide figures for "stats" (memcached's names).
struct StoreStats {
  uint64_t curr_items = 0;
  uint64_t total_items = 0;
  uint64_t bytes = 0;  // sum of linked items' total sizes
  uint64_t evictions = 0;
  uint64_t reclaimed = 0;
  uint64_t expired_unfetched = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t evicted_active = 0;
  uint64_t limit_maxbytes = 0;
  uint64_t total_malloced = 0;  // page memory taken so far
  uint32_t hash_power_level = 0;
  uint64_t hash_bytes = 0;
  bool hash_is_expanding = false;
  uint64_t slabs_moved = 0;
  uint64_t slab_reassign_running = 0;
  uint64_t slab_reassign_rescues = 0;          // items copied out of moving pages
  uint64_t slab_reassign_evictions_nomem = 0;  // items evicted from moving pages
  uint64_t slab_reassign_busy_items = 0;       // item stripes busy during a page walk
  // Continuation chunks of chunked items copied out of moving pages.
  uint64_t slab_reassign_chunk_rescues = 0;
  // Free chunks of moving pages taken off their class's free list as the move
  // began (memcached finds them one by one while allocating rescue room).
  uint64_t slab_reassign_inline_reclaim = 0;
  // memcached's busy_deletes and busy_nomem: always 0 here, since our mover
  // never deletes an item for being busy (a stuck move is abandoned after a
  // minute) and evicts rather than waits when it has no room
  // (slab_reassign_evictions_nomem).
  uint64_t slab_reassign_busy_deletes = 0;
  uint64_t slab_reassign_busy_nomem = 0;
  // Why the last busy chunk was skipped: "none", "locked" (its item lock was
  // taken) or "busy" (a reader held the chunked item).
  std::string_view slab_reassign_last_busy_status = "none";
  uint64_t slab_global_page_pool = 0;          // pages in the pool (class 0)
  uint64_t lru_maintainer_juggles = 0;
  uint64_t malloc_fails = 0;           // pages the system would not give (mprotect failed)
  uint64_t crawler_reclaimed = 0;      // expired/flushed items the crawler unlinked
  uint64_t crawler_items_checked = 0;  // linked items it looked at
  // Sums of the per-class LRU counters (memcached's "stats" lines of the same names).
  uint64_t lrutail_reflocked = 0, moves_to_cold = 0, moves_to_warm = 0, moves_within_lru = 0,
           direct_reclaims = 0;
  bool lru_crawler_running = false;           // a crawl or a dump is running
  uint64_t lru_crawler_starts = 0;            // crawls and dumps started
  uint64_t lru_crawler_dumps_taken_over = 0;  // stalled dumps another job took over
};

// --- The LRU crawler's commands (memcached's "lru_crawler", "stats
// cachedump"; slabs/store_crawl.cc) ---

// Slab class ids: bit i is class i (1..Store::NumSlabClasses(), at most
// SlabAllocator::kMaxClasses = 127).
using ClassSet = std::bitset<128>;

// Like memcached's crawler, ours runs one job at a time: a crawl (a reclaim
// pass over some classes) or a dump that a connection streams.
enum class CrawlerStatus : uint8_t {
  kOk,
  kBusy,      // a crawl or a dump is running
  kDisabled,  // "lru_crawler disable" or -o no_lru_crawler
};

// The crawler's run-time settings ("lru_crawler enable|disable|sleep|tocrawl").
struct CrawlerSettings {
  bool enabled = true;
  uint32_t sleep_us = 100;
  uint32_t tocrawl = 0;
};

// The LRU's run-time settings ("lru tune", "lru mode", "lru temp_ttl";
// memcached's settings.hot_lru_pct ... temporary_ttl). StoreConfig gives the
// first ones.
struct LruTuning {
  uint32_t hot_lru_pct = 20;
  uint32_t warm_lru_pct = 40;
  double hot_max_factor = 0.2;
  double warm_max_factor = 2.0;
  bool segmented = true;  // StoreConfig::lru_segmented
  bool temp_lru = false;  // StoreConfig::temp_lru
  uint32_t temporary_ttl = 61;
};

// What a dump shows of a linked item. `key` points into the item and is
// valid only during the callback that receives it.
struct ItemSummary {
  std::string_view key;
  RelTime exptime = 0;      // absolute, 0 = never
  RelTime last_access = 0;  // Item::time
  uint64_t cas = 0;
  bool fetched = false;
  bool key_binary = false;  // stored by "ms <base64> b"
  bool flushed = false;     // invisible since a flush_all (not yet reclaimed)
  uint8_t slab_class = 0;
  uint32_t value_length = 0;  // without the "\r\n"
  size_t total_size = 0;      // memcached's ITEM_ntotal
  uint32_t client_flags = 0;
};

// What `watch evictions` shows of an evicted item (memcached's logentry_eviction).
struct EvictionInfo {
  std::string_view key;
  bool fetched = false;
  int64_t ttl = -1;         // seconds it had left; -1: it had no expiry
  int32_t last_access = 0;  // seconds since it was last stored or bumped
  uint8_t clsid = 0;
  uint32_t value_bytes = 0;
};

// Told of each eviction (the daemon's logger). Called with the item's lock
// and its LRU lock held: must not block nor call back into the store.
class EvictionObserver {
 public:
  virtual ~EvictionObserver() = default;
  virtual bool WantsEvictions() const = 0;
  virtual void Evicted(const EvictionInfo& info) = 0;
};

class Store {
 public:
  Store(const StoreConfig& config, const Clock* clock);
  ~Store();  // stops and joins the background threads
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Phase one of a write: an unlinked item for `key` with room for
  // `value_len` value bytes plus the trailing "\r\n" (the caller writes both).
  // kTooLarge when the item can never fit (-I); kNoMemory when no chunk can be
  // had (with -M, or when eviction found nothing evictable).
  AllocResult Allocate(std::string_view key, uint32_t client_flags, RelTime exptime,
                       uint32_t value_len);

  // Phase two: links `item` (whose value the caller has filled) according to
  // `options.mode`. On success the item gets a fresh CAS (or E's). Append and
  // prepend keep the old item's flags and exptime.
  LinkResult Link(ItemHandle item, const LinkOptions& options = {});

  // A live item, or an empty handle. Lazily unlinks expired and flushed items.
  // Marks the item fetched and bumps it in its LRU (rate-limited), unless
  // options say otherwise; sets its exptime with ttl.touch. Meta options:
  // one step under the item lock, stampede decisions (N, R -> W/X/Z) included.
  GetResult Get(std::string_view key, const GetOptions& options = {});

  DeleteStatus Delete(std::string_view key, const DeleteOptions& options = {});

  // incr or decr of a decimal value. The new digits are written in place
  // (space padded) when they fit and nobody else holds the item, else into a
  // new item.
  DeltaResult Delta(std::string_view key, const DeltaOptions& options);

  // Items last updated at or before `when` become invisible once the clock
  // reaches `when`. 0 means now.
  void FlushAll(RelTime when);

  // Changes the memory limit at run time (cache_memlimit). false if the new
  // limit is below what the store needs to run.
  bool SetMemoryLimit(size_t max_bytes);

  // Moves one page from class `src` (-1 = any class with spare pages) to
  // class `dst` (memcached's "slabs reassign").
  enum class ReassignStatus : uint8_t { kOk, kBusy, kBadClass, kNoSpare, kSame };
  ReassignStatus Reassign(int src, int dst);
  void SetAutomove(uint32_t mode);
  // Who hears of evictions (null: nobody); outlives the store's use of it.
  void SetEvictionObserver(EvictionObserver* observer);
  uint32_t automove() const;  // the current mode ("stats settings")

  StoreStats GetStats() const;
  std::vector<SlabClassStats> GetSlabClassStats() const;  // classes with pages only
  // Class ids are 1..NumSlabClasses(): up to 63 with memcached's -f / -n /
  // slab_sizes layouts, up to 127 with slabcached's default one.
  int NumSlabClasses() const;
  // "stats reset": the per-class operation counters of GetSlabClassStats
  // (get_hits .. touch_hits, hits_to_*) count from zero again.
  void ResetClassCounters();
  const StoreConfig& config() const;

  // One round of LRU maintenance, expired-item reaping, hash expansion steps
  // and automove, for tests that run without background threads.
  void RunMaintenance();

  // --- warm restart (-e; slabs/store_restart.cc) ---
  // What the constructor found in the memory file (all zero without one).
  const RestartReport& restart_report() const;
  // The graceful stop: stops the background threads and writes the restart
  // record, so that the next store on the same file and geometry serves the
  // items again. Call it once no other thread uses the store; afterwards the
  // store may only be destroyed. false with `*why` set when there is no
  // memory file or it cannot be written.
  bool SaveForRestart(std::string* why);

  size_t meta_state_entries_for_tests() const;
  // Heap bytes of the meta side table (outside max_bytes), an estimate.
  size_t SideTableBytes() const;

  // --- LRU settings (slabs/lru.cc) ---
  LruTuning lru_tuning() const;
  void SetLruTuning(const LruTuning& tuning);
  // "stats sizes": (size, linked items of total size in (size - 32, size]),
  // ascending, sizes with items only; nullopt without -o track_sizes.
  std::optional<std::vector<std::pair<uint32_t, uint64_t>>> ItemSizes() const;

  // --- LRU crawler (slabs/store_crawl.cc) ---
  CrawlerSettings crawler_settings() const;
  // false when the crawler was already enabled (memcached: "ERROR failed to
  // start lru crawler thread"). A running crawl or dump finishes either way.
  bool EnableCrawler();
  void DisableCrawler();
  void SetCrawlerSleep(uint32_t sleep_us);
  void SetCrawlerToCrawl(uint32_t tocrawl);
  // "lru_crawler crawl": reclaims the expired and flushed items of `classes`,
  // looking at up to crawler_settings().tocrawl items per class (0: all).
  // Runs its first steps before returning and, if there is more, goes on in
  // the background (or in RunMaintenance()).
  CrawlerStatus StartCrawl(const ClassSet& classes);

  // "lru_crawler metadump|mgdump": a walk over the linked items of some
  // classes, batch by batch, in class, page and chunk order. While it exists
  // the crawler is busy. Items linked or moved by a page move during the walk
  // may be missed. Must be destroyed before its Store.
  class ItemDump {
   public:
    // Made by StartDump() only.
    class Token {
      friend class Store;
      Token() = default;
    };
    ItemDump(Token, Store* store, const ClassSet& classes, uint64_t ticket);
    ~ItemDump();
    ItemDump(const ItemDump&) = delete;
    ItemDump& operator=(const ItemDump&) = delete;
    // Calls f for each linked item among the next `budget` chunks; false once
    // the walk is over, or once another job took the crawler over.
    bool Next(uint32_t budget, const std::function<void(const ItemSummary&)>& f);
    // The walk ended because it stalled and another job took the crawler.
    bool taken_over() const { return taken_over_; }

   private:
    Store* store_;
    ClassSet classes_;
    uint64_t ticket_;
    bool taken_over_ = false;
    uint8_t cls_ = 0;  // 0: not started; past the last class: done
    size_t page_ = 0;
    uint32_t chunk_ = 0;
  };
  // A dump that has not advanced for this long (its client does not read)
  // gives the crawler to the next job that asks for it.
  static constexpr RelTime kDumpStallSeconds = 30;
  // nullptr with `*status` set when the crawler is disabled or busy.
  std::unique_ptr<ItemDump> StartDump(const ClassSet& classes, CrawlerStatus* status);

  // "stats cachedump": the items on class `cls`'s COLD list from its head
  // (memcached shows that list only), while f returns true.
  void VisitColdItems(uint8_t cls, const std::function<bool(const ItemSummary&)>& f);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slabcached::slabs
