// The store's meta-protocol operations (mg ms md ma me, memcached 1.6's
// proto_text.c process_m*_command): each runs as ONE step under the item
// lock, so reading an item's state, applying T/N/E, deciding who wins a
// recache (W) and recording the win happen atomically.
//
// Per-item meta state (memcached's ITEM_TOKEN_SENT, ITEM_STALE and
// ITEM_KEY_BINARY bits) lives in a side table (MetaStateTable) rather than in
// Item::flags, whose eight bits are all taken: an entry is keyed by the key
// and remembers the item (chunk pointer) it belongs to. Every unlink (delete,
// replace, eviction, expiry, flush) drops the item's entry, so an entry always
// belongs to the item linked now: a later item in the same chunk, with or
// without CAS (-C), never inherits it, and operations that change an item in
// place (incr/decr, touch, gat, a new CAS) keep it, as in memcached. The table
// is sharded like the item locks, and a shard is only touched under the item
// lock of its keys.
//
// The table lives outside -m, so its entries are capped
// (StoreConfig::meta_state_max_entries). When it is full, what would need a
// new entry falls back to what needs none: mg hands out no win (N misses
// without creating the item, R does not win), md I deletes instead of
// marking stale, ms I answers EX as without I, and ms b answers "out of
// memory" (storing a binary key without its mark would echo it raw).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "slabs/clock.h"
#include "slabs/item_handle.h"
#include "slabs/store.h"

namespace slabcached::slabs {

struct Item;

// mg: what to do besides the lookup. Times are absolute RelTimes (realtime()).
struct MetaGetOptions {
  bool bump = true;    // false with u: no LRU bump, not marked fetched
  bool touch = false;  // T: set the exptime
  RelTime exptime = 0;
  bool vivify = false;  // N: create an empty item on a miss
  RelTime vivify_exptime = 0;
  bool recache = false;  // R: win when exptime != 0 and exptime < recache_time
  RelTime recache_time = 0;
  uint64_t new_cas = 0;  // E: the CAS of an item N creates (0: the next CAS)
  // The order the request sent T, N and R in ('\0' pads): memcached 1.6.18
  // applies them walking its tokens, so "N30 T60" leaves a created item with
  // TTL 60 and "T60 N30" with 30, and R compares with the TTL as of its
  // position ("T100 R30" does not win where "R30 T100" does).
  std::array<char, 3> order = {'T', 'N', 'R'};
};

struct MetaGetResult {
  ItemHandle item;  // empty on a miss (last_access()/fetched() are pre-access)
  GetOutcome outcome = GetOutcome::kMiss;
  RelTime exptime_before = 0;  // before T/N
  bool created = false;        // N created the item
  bool token_sent = false;     // Z: somebody had already won
  bool stale = false;          // X
  bool won = false;            // W
  bool key_binary = false;     // the item was stored by ms with b (k answers in base64)
};

// ms: meta-specific parts of a store (the mode comes separately).
struct MetaStoreOptions {
  bool has_cas = false;  // C given: set/replace become cas; append/prepend check it
  uint64_t cas_compare = 0;
  bool invalidate = false;  // I: a C lower than the item's CAS stores, marked stale
  uint64_t new_cas = 0;     // E
  bool vivify = false;      // N with append/prepend: store on a miss
  RelTime vivify_exptime = 0;
  bool key_binary = false;  // b: the stored item remembers its key is binary
                            // (not an append/prepend result, as in memcached)
};

struct MetaStoreResult {
  StoreStatus status = StoreStatus::kNotStored;
  uint64_t cas = 0;  // the stored item's CAS (0 when not stored)
};

// md.
struct MetaDeleteOptions {
  bool has_cas = false;
  uint64_t cas_compare = 0;
  bool invalidate = false;  // I: mark stale, clear the win, new CAS; T applies
  bool touch = false;
  RelTime exptime = 0;
  bool remove_value = false;  // x: replace the value with an empty one
  uint32_t client_flags = 0;  // x: the emptied item's flags
  uint64_t new_cas = 0;       // E
};

enum class MetaDeleteStatus : uint8_t { kDeleted, kInvalidated, kNotFound, kExists, kNotStored };

// ma.
struct MetaDeltaOptions {
  bool incr = true;
  uint64_t delta = 1;
  bool has_cas = false;
  uint64_t cas_compare = 0;
  bool vivify = false;  // N: store `initial` on a miss
  uint64_t initial = 0;
  RelTime vivify_exptime = 0;
  bool touch = false;  // T on success
  RelTime exptime = 0;
  uint64_t new_cas = 0;  // E
  // The order the request sent T and N in ('\0' pads), applied in it.
  std::array<char, 2> order = {'T', 'N'};
};

struct MetaDeltaResult {
  DeltaStatus status = DeltaStatus::kNotFound;
  uint64_t value = 0;
  uint64_t cas = 0;
  RelTime exptime_before = 0;  // before T/N
  RelTime exptime = 0;         // after
  bool created = false;
};

// me.
struct MetaDebugResult {
  bool found = false;
  RelTime exptime = 0;
  RelTime last_access = 0;
  uint64_t cas = 0;
  bool fetched = false;
  uint8_t slab_class = 0;
  size_t total_size = 0;
  bool key_binary = false;  // stored by ms with b: me prints the key in base64
};

// Meta bits of items, sharded by item-lock stripe: shard i may only be used
// while holding the item lock of stripe (i & ItemLocks::mask()).
class MetaStateTable {
 public:
  static constexpr uint8_t kTokenSent = 1 << 0;  // W was handed out (Z for later readers)
  static constexpr uint8_t kStale = 1 << 1;      // X
  static constexpr uint8_t kKeyBinary = 1 << 2;  // stored by ms with b
  static constexpr size_t kShards = 4096;        // 1 << ItemLocks::kMaxPower

  explicit MetaStateTable(size_t max_entries);
  ~MetaStateTable();

  // The bits of linked item `it` (0 when it has none).
  uint8_t Get(uint64_t hv, std::string_view key, const Item* it);
  // Sets the bits of linked item `it` (0 erases the key's entry). false, and
  // nothing changed, when that needs a new entry and the table is full.
  bool Set(uint64_t hv, std::string_view key, const Item* it, uint8_t bits);
  // Room for one new entry, taken before an operation that must not fail
  // half way (its first step unlinks the item whose entry it replaces). Each
  // successful Reserve() is followed by one SetReserved() or Unreserve().
  bool Reserve();
  void Unreserve() { entries_.fetch_sub(1, std::memory_order_relaxed); }
  void SetReserved(uint64_t hv, std::string_view key, const Item* it, uint8_t bits);
  // The entry of `from` now belongs to `to` (a page move copied the item).
  void Move(uint64_t hv, std::string_view key, const Item* from, const Item* to);
  // Drops the entry of `it`, which is being unlinked (Store's UnlinkLocked).
  void Forget(uint64_t hv, std::string_view key, const Item* it) {
    Shard& shard = ShardFor(hv);
    if (!shard.entries.empty()) Erase(shard, key, it);
  }
  // Entries (with reservations) and an estimate of the heap bytes they and
  // the shards take.
  size_t size() const { return entries_.load(std::memory_order_relaxed); }
  size_t bytes() const;

 private:
  struct Entry {
    const Item* item = nullptr;
    uint8_t bits = 0;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Shard {
    std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> entries;
  };
  Shard& ShardFor(uint64_t hv) { return shards_[hv & (kShards - 1)]; }
  void Erase(Shard& shard, std::string_view key, const Item* it);
  // Heap bytes of one entry: the map node (key string, Entry, next pointer,
  // cached hash), its bucket slot and a key too long for the string's SSO.
  static size_t EntryBytes(std::string_view key) {
    return sizeof(std::pair<const std::string, Entry>) + 3 * sizeof(void*) +
           (key.size() >= sizeof(std::string) ? key.size() + 1 : 0);
  }

  const size_t max_entries_;
  std::unique_ptr<Shard[]> shards_;
  // Across shards, which different item locks guard: atomics.
  std::atomic<size_t> entries_{0};
  std::atomic<size_t> entry_bytes_{0};
};

}  // namespace slabcached::slabs
