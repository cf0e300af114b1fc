// Cache patterns over a Client: cache-aside with stampede protection
// (GetOrLoad), negative caching, and a write-through helper.
//
//   CacheAside patterns;  // defaults: negative entries 30 s, add-based lock
//   std::string profile;
//   Status s = patterns.GetOrLoad(cache, "user:42", [&](std::string_view, std::string* v) {
//     return db.Find(42, v) ? LoadResult::kFound : LoadResult::kNotFound;
//   }, /*ttl=*/300, &profile);
//   // kOk: profile holds the value; kNotFound: the database has no such row.
//
// GetOrLoad(key, loader, ttl)
//   A hit is returned. On a miss, exactly one caller across all app servers
//   runs the loader; the others wait for its result:
//   kAddLock (what kAuto uses today): the caller that wins "add <key>:lock"
//     (value "1", exptime lock_ttl) reads the key once more (another winner
//     may have filled it between our get and our add), runs the loader, sets
//     the key, then deletes the lock. Losers poll the key with exponential
//     backoff (poll_first doubling up to poll_max) and try the add again each
//     round, so a winner that failed or died hands over at once or when its
//     lock expires. After lock_wait without a value a loser either runs the
//     loader itself and stores the result with `add` (kLoad, the default:
//     availability first, at most one extra load per waiting caller) or
//     returns kBusy (kBusy: the database is protected strictly).
//   kNone: plain cache-aside; every caller that misses runs the loader.
//   The lock must outlive the loader: if the loader runs longer than lock_ttl,
//   a second caller can take the lock and load too (and the first caller's
//   delete then removes the second's lock; text-protocol delete has no
//   compare). Choose lock_ttl well above the loader's worst time.
//   kMeta (memcached 1.6's stampede flags; what kAuto picks where the
//     server speaks meta): one "mg <key> v c f t N<lock_ttl> [R<recache_ttl>]".
//     A miss vivifies an empty placeholder (TTL lock_ttl) and exactly one
//     caller gets W: it runs the loader and stores with "ms <key> T<ttl>
//     C<cas>" (the placeholder's CAS: if a writer changed or deleted the key
//     meanwhile, EX/NF, the loaded value is returned but not stored, so a
//     reader never overwrites a newer write). Callers that see Z on the
//     empty placeholder poll the same mg with backoff (as above; the mg
//     vivifies again and wins if the winner's placeholder expired or was
//     removed), then kLoad/kBusy as above. Callers that see Z (or X, stale
//     after "md <key> I") on a real value get that value at once.
//     recache_ttl > 0 turns on early refresh (stale-while-revalidate): when
//     a value has less than recache_ttl seconds left, one caller gets W with
//     the value, reloads and stores; the others keep getting the current
//     value, so no caller sees a miss. A loader error on a placeholder
//     deletes it (md C<cas>) so a waiting caller takes over; on a real value
//     the old value is kept until its TTL. A loaded value that is empty with
//     flags 0 looks like a placeholder to others during an early refresh:
//     they wait for it as for a miss.
//   kAuto picks per key from the server that owns it: kMeta when the Client
//   speaks the text protocol and Client::MetaSupportOf(server) answers kYes
//   (one "mn" probe per server: slabcached, memcached >= 1.6), else kAddLock
//   (binary protocol, "ERROR" from an older server, or a failed probe), and
//   kAddLock for a hot key (hot_keys.h): its reads then spread over its
//   replicas, which meta commands (primary only) would not do.
//   The near cache is not consulted by kMeta (mg goes to the server).
//
// Negative caching
//   A loader answer of kNotFound is stored as an empty value whose client
//   flags are exactly kNegativeEntryFlag (bit 31), for negative_ttl seconds,
//   so a missing row costs one loader call per negative_ttl, not one per
//   request. GetOrLoad answers kNotFound for it without calling the loader.
//   Bit 31 of the client flags is reserved on keys managed here: values the
//   loader returns are stored with flags 0. Other clients see an empty value
//   with flags 0x80000000 (IsNegativeEntry() tells).
//
// Penetration guard (optional, bloom_filter.h)
//   With config.guard set, GetOrLoad first asks the guard whether `key` can
//   exist in the source of truth. A key the guard rules out is answered
//   kNotFound at once: no cache request, no loader call (LoadInfo::guarded
//   and the guard's `rejected` count say so). A key that exists is never
//   ruled out (Bloom filters have no false negatives) as long as the guard
//   was built from, or told about (Add), every existing key; about p of the
//   absent keys still pass and take the normal path (negative caching then
//   covers them). WriteThrough does not consult the guard: call guard->Add
//   for keys your writer creates.
//
// When the cache fails (connection failure, timeout, no live server, server
// errors), GetOrLoad fails open by default: it runs the loader and returns
// its answer without caching it (LoadInfo::cache_status says what failed).
// load_when_cache_fails = false returns the cache's status instead.
// A loader error (LoadResult::kError) is never cached: GetOrLoad returns
// kBackendError, and the lock is released so a waiting caller retries.
//
// WriteThrough(key, write_db, mode, value, ttl)
//   Writes the backing store first (write_db returns false on failure: then
//   the cache is not touched and kBackendError is returned), then the cache:
//   kDelete (the default, preferred) deletes the key so the next reader loads
//   the new row; kSet stores `value` with `ttl` (if that set fails, the key is
//   deleted so the old value does not survive). A cache failure after the
//   database write is returned as its status: the caller may retry the
//   delete; otherwise the old value lives until its TTL.
//   Consistency caveats (memcached has no transactions with your database):
//   - kSet races between concurrent writers: A writes the row, B writes it,
//     B sets the cache, A sets it: the cache holds A's older value until its
//     TTL. kDelete has no such race between writers.
//   - Any mode races a reader: a reader that loaded the row before the write
//     can store it after the writer's delete (the add-lock does not cover
//     writers). The read TTL bounds how long such a stale value lives, so
//     always give cached values a TTL (the backstop), as short as the data
//     needs.
//   - A database write that succeeded with a failed cache write leaves the
//     old value until its TTL.
//
// Thread safety: a CacheAside is immutable after construction and may be
// shared by threads; each thread passes its own Client (a Client is not
// thread-safe). The loader runs on the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bloom_filter.h"
#include "client.h"

namespace slabcached::client {

// The client-flags value of a negative entry (see above).
inline constexpr uint32_t kNegativeEntryFlag = 0x80000000u;

inline bool IsNegativeEntry(const Item& item) {
  return item.flags == kNegativeEntryFlag && item.value.empty();
}

enum class LoadResult : uint8_t {
  kFound,     // *value holds the value
  kNotFound,  // the backing store has no such key: cached as a negative entry
  kError,     // the backing store failed: nothing is cached
};

// Loads `key` from the backing store. Runs on the caller's thread; it may be
// called again for the same key after an error.
using Loader = std::function<LoadResult(std::string_view key, std::string* value)>;

enum class StampedeProtection : uint8_t {
  kAuto,     // per server capability: kMeta when spoken, else kAddLock
  kMeta,     // mg N/R: the server hands out one W (memcached 1.6 meta protocol)
  kAddLock,  // "add <key>:lock" decides who loads
  kNone,     // every caller that misses loads
};

enum class LockTimeoutAction : uint8_t {
  kLoad,  // run the loader anyway and store with add
  kBusy,  // return Status::kBusy without loading
};

struct CacheAsideConfig {
  // Seconds a "not found" is cached; 0 disables negative caching.
  int64_t negative_ttl = 30;
  StampedeProtection protection = StampedeProtection::kAuto;
  // exptime (seconds) of "<key>:lock" (kAddLock) or of the vivified
  // placeholder (kMeta's N); must exceed the loader's worst time.
  int64_t lock_ttl = 10;
  // kMeta only: refresh a value early when it has fewer seconds left (R);
  // 0 disables early refresh.
  int64_t recache_ttl = 0;
  // How long a caller that lost the lock waits for the winner's value.
  std::chrono::milliseconds lock_wait{2000};
  std::chrono::milliseconds poll_first{5};  // first wait between polls
  std::chrono::milliseconds poll_max{100};  // backoff ceiling
  LockTimeoutAction on_lock_timeout = LockTimeoutAction::kLoad;
  bool load_when_cache_fails = true;  // fail open
  // Optional: keys that can exist (see "Penetration guard" above).
  std::shared_ptr<const PenetrationGuard> guard;
};

enum class WriteMode : uint8_t {
  kDelete,  // delete the cache key after the database write (preferred)
  kSet,     // set the cache key to the written value
};

// Writes the backing store; returns false when it failed.
using DbWriter = std::function<bool()>;

// What one GetOrLoad did (optional out-parameter; for metrics and tests).
struct LoadInfo {
  bool from_cache = false;  // answered from the cache (value or negative entry)
  bool negative = false;    // the answer is "not found"
  bool lock_won = false;    // this caller took the load lock (or meta's W)
  bool refreshed = false;   // kMeta: W on a live value (early refresh or stale)
  bool guarded = false;     // the guard ruled the key out: nothing was asked
  StampedeProtection strategy = StampedeProtection::kAuto;  // what was used (not kAuto)
  uint32_t loader_calls = 0;                                // 0 or 1
  uint32_t polls = 0;                 // gets made while another caller held the lock
  Status cache_status = Status::kOk;  // the first cache failure met, if any
};

class CacheAside {
 public:
  explicit CacheAside(CacheAsideConfig config = {});

  // Cache-aside read of `key` (see the file comment). `ttl` is the exptime
  // of a loaded value. Returns kOk (value in *value), kNotFound (negative),
  // kBackendError (loader failed), kBusy (lock wait expired under kBusy),
  // kInvalidArgument (bad key: "<key>:lock" must be a valid key too, so at
  // most 245 bytes; negative ttl), or a cache status when the cache fails
  // and load_when_cache_fails is false.
  Status GetOrLoad(Client& client, std::string_view key, const Loader& loader, int64_t ttl,
                   std::string* value, LoadInfo* info = nullptr) const;

  // Write-through (see the file comment): the database, then the cache.
  // Returns kOk, kBackendError (database write failed, cache untouched),
  // kInvalidArgument, or the cache's failure status.
  Status WriteThrough(Client& client, std::string_view key, const DbWriter& write_db,
                      WriteMode mode = WriteMode::kDelete, std::string_view value = {},
                      int64_t ttl = 0) const;

  const CacheAsideConfig& config() const { return config_; }

 private:
  Status FromCache(const Item& item, std::string* value, LoadInfo* info) const;
  Status LoadAndStore(Client& client, std::string_view key, const Loader& loader, int64_t ttl,
                      bool with_add, std::string* value, LoadInfo* info) const;
  Status CacheFailed(Status failure, std::string_view key, const Loader& loader, std::string* value,
                     LoadInfo* info) const;
  Status LoadWithAddLock(Client& client, std::string_view key, const Loader& loader, int64_t ttl,
                         std::string* value, LoadInfo* info) const;
  Status LoadWithMeta(Client& client, std::string_view key, const Loader& loader, int64_t ttl,
                      std::string* value, LoadInfo* info) const;
  Status StoreMeta(Client& client, std::string_view key, const Loader& loader, int64_t ttl,
                   const MetaItem& seen, std::string* value, LoadInfo* info) const;

 public:
  // The strategy GetOrLoad uses for `key` (never kAuto): the configured one,
  // or for kAuto the capability of the server owning `key` (probed once).
  StampedeProtection ProtectionFor(Client& client, std::string_view key) const;

 private:
  const CacheAsideConfig config_;
};

}  // namespace slabcached::client
