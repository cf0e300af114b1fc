// The item header and the layout of an item's chunk. No logic beyond
// accessors: allocation lives in slab_allocator, linking in store.
//
// Chunk layout (one slab chunk per item, 4-byte aligned):
//
//   +-------------+--------------+----------------+-------+---------+------+
//   | Item header | cas (8 B, iff| client flags   | key   | value   | \r\n |
//   | (28 B)      | kItemCas)    | (4 B, iff      | (nkey)| (nbytes)|      |
//   |             |              | kItemClientFlags)      |         |      |
//   +-------------+--------------+----------------+-------+---------+------+
//
// A chunked item (total size above the largest chunk, SlabAllocator) is a
// head chunk of the largest class plus continuation chunks:
//
//   head:          | Item header | cas | flags | key | first continuation  | value bytes
//                  |             |     |       |     | (ItemRef, 4 B)      | to chunk end
//   continuation:  | Item header: flags kItemContinuation, nkey 0,        | payload
//                  | nbytes = payload bytes, h_next = head, prev/next =    | (nbytes)
//                  | chain neighbours, time/exptime = hash of head's key   |
//
// The value and its "\r\n" run on from the head into the continuations. A
// continuation is on no LRU and in no hash bucket; it belongs to its head,
// whose last reference frees the whole chain.
//
// memcached's header is 48 bytes (three 8-byte pointers, the client flags
// always) plus a NUL after the key. Ours links items by 32-bit chunk
// references (ItemRef: offset from the slab region base in allocation units,
// see SlabAllocator), finds the slab class from the page table instead of
// storing it, and keeps the client flags, like the CAS, only when there are
// any: most applications never set them. Every header field is at most 4
// bytes wide, so chunks need only 4-byte alignment (the CAS is read with
// memcpy); the allocator's size classes step in 4-byte units.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "slabs/clock.h"

namespace slabcached::slabs {

// A chunk reference: (chunk address - region base) >> alloc shift. 0 is null
// (the first region page is never handed out).
using ItemRef = uint32_t;

inline constexpr size_t kKeyMaxLength = 250;  // memcached's KEY_MAX_LENGTH

// Which segment of its class's LRU an item is on (two bits of Item::flags).
// TEMP (memcached's TEMP_LRU, -o temporary_ttl) holds items stored with a TTL
// at or below the threshold: never bumped, never evicted, reclaimed first.
enum class LruId : uint8_t { kHot = 0, kWarm = 1, kCold = 2, kTemp = 3 };
inline constexpr int kNumLrus = 4;

// Bits of Item::flags.
inline constexpr uint8_t kItemLinked = 1 << 0;   // in the hash table and an LRU (holds one ref)
inline constexpr uint8_t kItemCas = 1 << 1;      // an 8-byte CAS precedes the key
inline constexpr uint8_t kItemFetched = 1 << 2;  // read at least once since stored
inline constexpr uint8_t kItemActive = 1 << 3;   // read twice+: rescued from COLD / HOT tails
inline constexpr uint8_t kItemSlabbed = 1 << 4;  // chunk is on a slab free list
inline constexpr int kItemLruShift = 5;          // bits 5..6: LruId
inline constexpr uint8_t kItemLruMask = 3 << kItemLruShift;
inline constexpr uint8_t kItemClientFlags = 1 << 7;  // 4 bytes of client flags follow the CAS
// A continuation chunk of a chunked item, not an item: LRU bits TEMP plus
// ACTIVE, a pair no item has (an item on TEMP is never made ACTIVE:
// SegmentedLru::LinkHead clears the bit, Store::Impl::Bump never sets it).
inline constexpr uint8_t kItemContinuation = kItemLruMask | kItemActive;

// Locks: "item lock" is the hash stripe of the item's key (ItemLocks), "LRU
// lock" the mutex of its class's LRU, "slab lock" the allocator mutex.
struct Item {
  // Next item in the hash bucket chain. Protected by the item lock of the
  // bucket (bucket and item share a stripe, also during table expansion).
  ItemRef h_next = 0;
  // LRU neighbours. Protected by the LRU lock. While the chunk is free,
  // `next` links the slab free list (protected by the slab lock).
  ItemRef prev = 0;
  ItemRef next = 0;
  // Last store / bumped access time. Written under the item lock (the LRU
  // maintainer writes it only holding both). Atomic so that handle holders on
  // other threads may read it without locks.
  std::atomic<RelTime> time{0};
  // Absolute expiry (0 = never). Written under the item lock (touch/gat).
  std::atomic<RelTime> exptime{0};
  // Value length without the trailing "\r\n". Immutable after allocation.
  uint32_t nbytes = 0;
  // References: one while linked plus one per ItemHandle. Incremented only
  // under the item lock (or under the LRU lock for a linked item); the last
  // decrement frees the chunk.
  std::atomic<uint16_t> refcount{0};
  // kItem* bits. Changed under the item lock; the LRU bits and kItemActive
  // clearing additionally under the LRU lock. Atomic for lock-free readers.
  std::atomic<uint8_t> flags{0};
  // Key length. Immutable after allocation.
  uint8_t nkey = 0;

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  bool has_cas() const { return (flags.load(std::memory_order_relaxed) & kItemCas) != 0; }
  size_t cas_size() const { return has_cas() ? sizeof(uint64_t) : 0; }

  uint64_t cas() const {
    if (!has_cas()) return 0;
    uint64_t v;
    std::memcpy(&v, data(), sizeof(v));
    return v;
  }
  void set_cas(uint64_t v) {
    if (has_cas()) std::memcpy(data(), &v, sizeof(v));
  }

  bool has_client_flags() const {
    return (flags.load(std::memory_order_relaxed) & kItemClientFlags) != 0;
  }
  // Client flags; immutable after allocation. Stored only when non-zero.
  uint32_t client_flags() const {
    if (!has_client_flags()) return 0;
    uint32_t v;
    std::memcpy(&v, data() + cas_size(), sizeof(v));
    return v;
  }
  // Only while allocating; kItemClientFlags must already match `v != 0`.
  void set_client_flags(uint32_t v) {
    if (has_client_flags()) std::memcpy(data() + cas_size(), &v, sizeof(v));
  }

  size_t key_offset() const { return cas_size() + (has_client_flags() ? sizeof(uint32_t) : 0); }
  char* key_ptr() { return data() + key_offset(); }
  std::string_view key() const { return {data() + key_offset(), nkey}; }
  char* value_ptr() { return data() + key_offset() + nkey; }
  const char* value_ptr() const { return data() + key_offset() + nkey; }

  // Bytes the item uses in its chunk (memcached's ITEM_ntotal).
  size_t total_size() const { return TotalSize(has_cas(), has_client_flags(), nkey, nbytes); }

  static constexpr size_t TotalSize(bool cas, bool client_flags, size_t nkey, size_t value_len) {
    return sizeof(Item) + (cas ? sizeof(uint64_t) : 0) + (client_flags ? sizeof(uint32_t) : 0) +
           nkey + value_len + 2;
  }

  LruId lru() const {
    return static_cast<LruId>((flags.load(std::memory_order_relaxed) & kItemLruMask) >>
                              kItemLruShift);
  }
  bool linked() const { return (flags.load(std::memory_order_relaxed) & kItemLinked) != 0; }
};

inline bool IsContinuationFlags(uint8_t flags) {
  return (flags & (kItemContinuation | kItemSlabbed)) == kItemContinuation;
}
inline bool IsContinuation(const Item* it) {
  return IsContinuationFlags(it->flags.load(std::memory_order_relaxed));
}
// A continuation chunk keeps the 64-bit hash of its head's key in the two
// time fields, so the page mover can lock the head without reading it.
inline void SetContinuationHash(Item* chunk, uint64_t hv) {
  chunk->time.store(static_cast<RelTime>(hv), std::memory_order_relaxed);
  chunk->exptime.store(static_cast<RelTime>(hv >> 32), std::memory_order_relaxed);
}
inline uint64_t ContinuationHash(const Item* chunk) {
  return uint64_t{chunk->time.load(std::memory_order_relaxed)} |
         uint64_t{chunk->exptime.load(std::memory_order_relaxed)} << 32;
}

// References an item may hold at most (memcached refuses a fetch at this
// count: "refcount overflow"), leaving headroom so the 16-bit count never wraps.
inline constexpr uint16_t kMaxRefcount = UINT16_MAX - 1;

// Takes one more reference unless that would pass kMaxRefcount. The caller
// must already know the chunk cannot be freed meanwhile (item or LRU lock).
inline bool TryAddRef(Item* it) {
  uint16_t refs = it->refcount.load(std::memory_order_relaxed);
  do {
    if (refs >= kMaxRefcount) return false;
  } while (!it->refcount.compare_exchange_weak(refs, refs + 1, std::memory_order_relaxed));
  return true;
}

static_assert(sizeof(Item) == 28, "the item header is part of the per-item memory budget");
static_assert(alignof(Item) == 4, "chunks are 4-byte aligned");
static_assert(std::atomic<uint16_t>::is_always_lock_free);
static_assert(std::atomic<RelTime>::is_always_lock_free);

}  // namespace slabcached::slabs
