// The meta protocol's stampede state (memcached's ITEM_TOKEN_SENT, ITEM_STALE
// and ITEM_KEY_BINARY bits) and the decisions made from it: who wins a recache
// (W), which item is stale (X), who learns that somebody won already (Z).
//
// The bits live in a side table (MetaStateTable) rather than in Item::flags,
// whose eight bits are all taken: an entry is keyed by the key and remembers
// the item (chunk pointer) it belongs to. Every unlink (delete, replace,
// eviction, expiry, flush) drops the item's entry, so an entry always belongs
// to the item linked now: a later item in the same chunk, with or without CAS
// (-C), never inherits it, and operations that change an item in place
// (incr/decr, touch, gat, a new CAS) keep it, as in memcached. The table is
// sharded like the item locks, and a shard is only touched under the item lock
// of its keys.
//
// The table lives outside -m, so its entries are capped
// (StoreConfig::meta_state_max_entries). When it is full, what would need a
// new entry falls back to what needs none: mg hands out no win (N misses
// without creating the item, R does not win), md I deletes instead of
// marking stale, ms I answers EX as without I, and ms b answers "out of
// memory" (storing a binary key without its mark would echo it raw).
//
// The decisions (ApplyTtlFlags, StaleStoreBits, InvalidatedBits) are pure
// functions of an item's bits and times; the store applies them under the
// item lock (slabs/store.cc).
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

namespace slabcached::slabs {

struct Item;

// The TTL flags of mg and ma (and gat's touch, and binary incr's initial
// value): T sets the TTL, N creates a missing item with its TTL, R asks to
// win a recache once the TTL is below a horizon. Times are absolute RelTimes.
struct TtlFlags {
  bool touch = false;  // T (gat, gats, touch, binary GAT)
  RelTime exptime = 0;
  bool vivify = false;  // N: create the item on a miss
  RelTime vivify_exptime = 0;
  bool recache = false;  // R: win when the TTL is set and below recache_time
  RelTime recache_time = 0;
  // The order the request sent T, N and R in ('\0' pads): memcached 1.6.18
  // applies them walking its tokens, so "N30 T60" leaves a created item with
  // TTL 60 and "T60 N30" with 30, and R compares with the TTL as of its
  // position ("T100 R30" does not win where "R30 T100" does).
  std::array<char, 3> order = {'T', 'N', 'R'};
};

struct TtlOutcome {
  RelTime exptime = 0;  // the item's TTL after T and N
  bool won = false;     // this request wins the recache (W)
};

// T, N and R in the order sent, for an item whose TTL is `exptime` and whose
// bits are `bits`; `created`: N created it just now (and so wins). The first
// reader of a stale item that nobody won yet wins too.
TtlOutcome ApplyTtlFlags(const TtlFlags& flags, RelTime exptime, bool created, uint8_t bits);

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

// ms I with a CAS older than the item's: the new item is stale and keeps the
// win of the item it replaces (`old_bits`).
inline uint8_t StaleStoreBits(uint8_t old_bits) {
  return MetaStateTable::kStale | (old_bits & MetaStateTable::kTokenSent);
}

// md I: the item becomes stale with its win cleared (one client can win
// again); a binary key stays binary.
inline uint8_t InvalidatedBits(uint8_t bits) {
  return MetaStateTable::kStale | (bits & MetaStateTable::kKeyBinary);
}

}  // namespace slabcached::slabs
