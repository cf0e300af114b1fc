// Namespaces with O(1) invalidation by version: every key of namespace
// <name> is stored as "<name>:<generation>:<key>", and the generation is a
// number kept in the cache itself under "ns:<name>". Invalidate() increments
// it, so every key of the namespace becomes unreachable at once (the old
// items are never touched; they age out by TTL or LRU).
//
//   Namespace users("users");
//   std::string k;
//   if (users.Key(cache, "42", &k) == Status::kOk) cache.Set(k, profile, 0, 300);
//   users.Invalidate(cache);  // every "users" key is now a miss, everywhere
//
// The generation key lives on the server the ring picks for "ns:<name>".
// When it is missing (never created, evicted, or that server restarted or
// was ejected) it is created with `add` from the wall clock in microseconds,
// which is larger than any generation an earlier incarnation reached unless
// that one was invalidated more than once per microsecond on average: old
// keys never come back.
//
// Staleness bound: a Namespace reuses the generation it read for
// `generation_cache_for` (default 1 s) before reading it again, so an
// Invalidate() made by another process (or another Namespace object) is seen
// here at most that long after it happened. This object's own Invalidate()
// is seen at once. generation_cache_for = 0 reads the generation on every call
// (one extra round trip per key).
//
// Thread safety: a Namespace is thread-safe (one mutex around its cached
// generation) and may be shared by threads that each use their own Client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "client.h"

namespace slabcached::client {

struct NamespaceConfig {
  // How long a generation read from the cache is reused (the staleness bound
  // for other processes' invalidations). 0: read it every time.
  std::chrono::milliseconds generation_cache_for{1000};
  // exptime of the "ns:<name>" key; 0 never expires (it can still be evicted).
  int64_t generation_exptime = 0;
  // Monotonic clock for generation_cache_for; tests inject one. Default: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
  // The generation given to a namespace whose key is missing. Default: the
  // wall clock in microseconds since the epoch (see above).
  std::function<uint64_t()> initial_generation;
};

class Namespace {
 public:
  // `name`: 1..100 bytes of key characters, without ':' (so "<name>:<gen>:"
  // can never be read two ways).
  explicit Namespace(std::string name, NamespaceConfig config = {});
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  const std::string& name() const { return name_; }
  // "ns:<name>", where the generation is stored.
  std::string GenerationKey() const { return "ns:" + name_; }

  // *out = "<name>:<generation>:<key>". kInvalidArgument for a bad name or
  // when the result is not a valid memcached key; otherwise the status of
  // reading (or creating) the generation.
  Status Key(Client& client, std::string_view key, std::string* out);
  // The current generation (cached for generation_cache_for).
  Status Generation(Client& client, uint64_t* generation);
  // Makes every key of the namespace a miss: incr "ns:<name>" (or add it
  // from the clock when missing). The new generation is used here at once.
  Status Invalidate(Client& client, uint64_t* new_generation = nullptr);
  // Drops the cached generation; the next call reads it from the cache.
  void Forget();

 private:
  std::chrono::steady_clock::time_point Now() const;
  uint64_t Initial() const;
  Status Fetch(Client& client, uint64_t* generation);
  void Remember(uint64_t generation);

  const std::string name_;
  const NamespaceConfig config_;
  const bool valid_name_;
  std::mutex mu_;
  bool have_ = false;                                 // guarded by mu_
  uint64_t generation_ = 0;                           // guarded by mu_
  std::chrono::steady_clock::time_point fetched_at_;  // guarded by mu_
};

}  // namespace slabcached::client
