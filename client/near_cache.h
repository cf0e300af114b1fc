// An optional in-process "near cache" for hot keys: a small LRU of recent
// Get results kept in the application for a short TTL, to take load off a
// single overloaded shard. Shared by any number of Clients
// (ClientConfig::near_cache):
//
//   auto near = std::make_shared<NearCache>(NearCacheConfig{.max_entries = 10000});
//   ClientConfig config;  ...
//   config.near_cache = near;  // same pointer in every thread's Client
//
// What goes through it: Client::Get looks here first and stores what the
// server returned (hits only). Gets/Gat/MultiGet bypass it. Every write made
// through a Client that shares it (set/add/replace/append/prepend/cas/delete/
// incr/decr) invalidates the key here before and after the command, and a Put
// of a value fetched while the key was being invalidated is dropped (stripe
// epochs below), so this process never reads its own write's old value.
//
// Consistency: writes made by other processes (or by Clients without this
// near cache) are NOT seen until the entry's TTL passes: `ttl` is the
// staleness bound. Keep it short (default 1 s), and use a near cache only for
// keys that tolerate that.
//
// Bounds: at most max_entries entries and max_bytes bytes (key + value +
// kEntryOverhead per entry); the least recently used entries are evicted
// first. A value larger than max_bytes / 8 is never stored.
//
// Thread safety: thread-safe (one mutex); the clock function, if injected,
// must be thread-safe too.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "client.h"

namespace slabcached::client {

struct NearCacheConfig {
  size_t max_entries = 1024;
  size_t max_bytes = size_t{4} << 20;
  std::chrono::milliseconds ttl{1000};  // staleness bound for other writers
  // Monotonic clock; tests inject one. Default: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct NearCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;     // includes expired entries
  uint64_t puts = 0;       // entries stored
  uint64_t dropped = 0;    // puts refused: too big, or raced an invalidation
  uint64_t evictions = 0;  // removed to respect the bounds
  uint64_t invalidations = 0;
  size_t entries = 0;
  size_t bytes = 0;
};

class NearCache {
 public:
  // Accounting per entry on top of key and value bytes.
  static constexpr size_t kEntryOverhead = 64;

  explicit NearCache(NearCacheConfig config = {});
  NearCache(const NearCache&) = delete;
  NearCache& operator=(const NearCache&) = delete;

  // Read before fetching a key from the server; pass it to Put().
  uint64_t Epoch() const;
  // A fresh entry: copies it into *item (cas 0) and counts a hit.
  bool Get(std::string_view key, Item* item);
  // Stores `item` unless `key` may have been invalidated since `epoch`, or it
  // is too big. Evicts least recently used entries to stay in bounds.
  void Put(std::string_view key, const Item& item, uint64_t epoch);
  void Invalidate(std::string_view key);
  void Clear();
  NearCacheStats stats() const;

 private:
  struct Entry {
    std::string key;
    std::string value;
    uint32_t flags = 0;
    std::chrono::steady_clock::time_point expires;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Lru = std::list<Entry>;  // most recently used first

  static constexpr size_t kStripes = 256;

  std::chrono::steady_clock::time_point Now() const;
  size_t Stripe(std::string_view key) const { return Hash{}(key) % kStripes; }
  void Erase(Lru::iterator it);  // mu_ held

  const NearCacheConfig config_;
  mutable std::mutex mu_;
  Lru lru_;                                                                      // guarded by mu_
  std::unordered_map<std::string, Lru::iterator, Hash, std::equal_to<>> index_;  // guarded by mu_
  // The epoch of the last invalidation of any key hashing to each stripe: a
  // Put whose epoch is older may carry a value from before that write.
  std::array<uint64_t, kStripes> stripe_epoch_{};  // guarded by mu_
  uint64_t epoch_ = 0;                             // guarded by mu_
  NearCacheStats stats_;                           // guarded by mu_ (entries/bytes live)
};

}  // namespace slabcached::client
