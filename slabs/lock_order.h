// THE STORE'S LOCKS, in the order they may be taken (memcached's
// doc/threads.txt "item_lock -> lru_lock -> slabs_lock", plus ours). Every
// other file of slabs/ points here instead of restating it. A thread holding
// a lock may block on a lock further down the list only; going up (or
// sideways, to a second lock of the same level) it may only TRY-lock.
//
//   1. The reassign lock, Store::Impl::reassign_mu_ (page_mover.cc): the
//      pending page move and automove's decision and policy state. Held for a
//      whole round of a page move.
//      The crawler's cursors (crawler.h): Crawler::manual_mu_ (the running
//      "lru_crawler crawl") and Crawler::background_mu_ (the background
//      crawler; only try-locked). Held over a crawl step. Never held with the
//      reassign lock nor with each other.
//   2. An item lock: one stripe of ItemLocks (item_locks.h), keyed by the key
//      hash. The same stripe guards the key's hash table bucket
//      (hash_table.h, which migrates a bucket under its stripe while it
//      expands) and the key's shard of the meta side table (meta_state.h:
//      MetaStateTable has no mutex of its own).
//   3. An LRU lock: LruClass::mu of one slab class (lru.h).
//   4. The slab lock: SlabAllocator's mutex (slab_allocator.h).
//
// Leaves (nothing else is taken while one is held): the slab lock; the
// crawler's job slot, Crawler::slot_mu_ (taken under manual_mu_ when a crawl
// ends); the hash table's expansion wake-up, HashTable::wake_mu_; the LRU
// maintainer's wake-up, LruMaintainer::mu_ (lru_maintainer.h).
//
// The rules that keep this deadlock free:
//   * Commands take one item lock (ItemLockGuard), then possibly the LRU lock
//     of the item's class (link/unlink/bump), then possibly the slab lock
//     (allocation, or the last reference dropping).
//   * Paths that start from an LRU lock (eviction, the maintainer's juggles,
//     flush_all's walk, page moves, crawler batches) only ever TRY-lock item
//     stripes, and never the stripe the thread already holds (TryLockItem):
//     a thread blocks on at most one item lock. Nothing ever takes all of
//     them: the hash table switches into and out of expanding mode by
//     publishing an immutable view (hash_table.h).
//   * Dumps ("lru_crawler metadump", "stats cachedump") reference items under
//     the LRU lock, drop it, and only then lock each item's stripe.
//   * Automove samples each class under its LRU lock, then the slab lock,
//     holding no other; it takes the reassign lock only to check its pace and
//     to commit a decision.
//
// References: a linked item holds one reference; every ItemHandle one more.
// References are taken only under the item lock (or, for a linked item, the
// LRU lock), so whoever holds both sees a stable count.
#pragma once
