// A Bloom filter of keys, and the penetration guard built on it: a set of
// the keys that exist in the source of truth, so that a request for a key
// that cannot exist costs neither a cache round trip nor a database query.
//
// BloomFilter: for n expected keys and a target false-positive rate p,
//   m = ceil(-n ln p / (ln 2)^2) bits and k = round(m / n * ln 2) hashes
// (n = 100,000 and p = 1% give m = 958,506 bits, 117 KiB, and k = 7). The k
// bit positions come from one 128-bit hash (XXH3-128, fixed seed) split into
// two 64-bit halves h1, h2: position i = (h1 + i * h2) mod m (double
// hashing, Kirsch and Mitzenmacher). A key that was added always answers
// "maybe"; an absent one answers "maybe" with probability about p once n
// keys are in. Add and MightContain are lock-free and may run concurrently.
//
// PenetrationGuard: owns the current filter and rebuilds it from a
// KeySource, the application's stream of every key that exists:
//
//   PenetrationGuardConfig cfg{.expected_keys = 2'000'000, .false_positive_rate = 0.01,
//                              .rebuild_interval = std::chrono::minutes(10)};
//   auto guard = std::make_shared<PenetrationGuard>(cfg, [&](const KeySink& emit) {
//     for (const auto& row : db.ScanIds()) emit("user:" + row);  // every existing key
//     return true;                                                // false: scan failed
//   });
//   guard->Rebuild();                 // the first build (or let the thread do it)
//   CacheAsideConfig aside;  aside.guard = guard;
//   db_insert(...); guard->Add(key);  // a row created since the last build
//
// A rebuild builds a new filter while the old one keeps answering, then
// swaps it in atomically (a shared_ptr swapped under a mutex: checks copy
// the pointer and test bits outside it, so a rebuild never blocks them for
// longer than the swap); keys Added during
// the build are added to the new filter too, so none is lost. A failed
// KeySource keeps the old filter (counted). Until the first build the guard
// answers "maybe" for every key (fail open). Keys created in the source
// without an Add are rejected until the next rebuild: call Add where rows
// are inserted, or keep rebuild_interval short. Rebuilds run on the thread
// that calls Rebuild()/RebuildIfDue(), or on the guard's own thread when
// rebuild_interval > 0 and start_thread is set.
//
// Size the filter for growth: with more keys than expected_keys the false-
// positive rate rises (2n keys in a filter for n at 1% give about 8%).
//
// Thread safety: both classes are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace slabcached::client {

class BloomFilter {
 public:
  // The m and k above; at least 64 bits and 1 hash.
  static uint64_t BitsFor(uint64_t expected_keys, double false_positive_rate);
  static uint32_t HashesFor(uint64_t bits, uint64_t expected_keys);

  BloomFilter(uint64_t expected_keys, double false_positive_rate);
  BloomFilter(const BloomFilter&) = delete;
  BloomFilter& operator=(const BloomFilter&) = delete;

  void Add(std::string_view key);
  bool MightContain(std::string_view key) const;

  uint64_t bits() const { return bits_; }
  uint32_t hashes() const { return hashes_; }
  uint64_t added() const { return added_.load(std::memory_order_relaxed); }

 private:
  uint64_t bits_;
  uint32_t hashes_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::atomic<uint64_t> added_{0};
};

// Receives one existing key.
using KeySink = std::function<void(std::string_view key)>;
// Streams every key that exists in the source of truth into the sink;
// returns false when the stream failed (the old filter is kept).
using KeySource = std::function<bool(const KeySink& emit)>;

struct PenetrationGuardConfig {
  uint64_t expected_keys = 1'000'000;
  double false_positive_rate = 0.01;
  // How often the filter is rebuilt (0: only on demand).
  std::chrono::milliseconds rebuild_interval{0};
  // Rebuild on the guard's own thread every rebuild_interval (the first
  // build at once); otherwise call Rebuild()/RebuildIfDue() yourself.
  bool start_thread = false;
  // Monotonic clock for RebuildIfDue; tests inject one. Default: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct PenetrationGuardStats {
  uint64_t checks = 0;           // MightExist calls
  uint64_t rejected = 0;         // answered "cannot exist"
  uint64_t rebuilds = 0;         // filters swapped in
  uint64_t failed_rebuilds = 0;  // KeySource returned false
  uint64_t keys = 0;             // keys in the current filter
  uint64_t bits = 0;             // its size (0: no filter yet)
  uint32_t hashes = 0;
};

class PenetrationGuard {
 public:
  PenetrationGuard(PenetrationGuardConfig config, KeySource source);
  PenetrationGuard(const PenetrationGuard&) = delete;
  PenetrationGuard& operator=(const PenetrationGuard&) = delete;
  ~PenetrationGuard();  // stops and joins the rebuild thread

  // False only when a filter exists and `key` is not in it (counted).
  bool MightExist(std::string_view key) const;
  // A key created in the source since the last build.
  void Add(std::string_view key);
  // Builds a new filter from the source and swaps it in; false (and the old
  // filter kept) when the source failed. Rebuilds do not overlap.
  bool Rebuild();
  // Rebuild() when rebuild_interval has passed since the last attempt (or
  // none was made); false when not due or when it failed.
  bool RebuildIfDue();

  PenetrationGuardStats stats() const;

 private:
  std::chrono::steady_clock::time_point Now() const;
  std::shared_ptr<BloomFilter> Current() const;
  void RebuildLoop(std::stop_token stop);

  const PenetrationGuardConfig config_;
  const KeySource source_;
  // libstdc++ 12's std::atomic<std::shared_ptr> works but is opaque to
  // TSAN (its lock bit is not annotated), so the pointer sits behind a mutex.
  mutable std::mutex filter_mu_;
  std::shared_ptr<BloomFilter> filter_;  // guarded by filter_mu_
  mutable std::atomic<uint64_t> checks_{0};
  mutable std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> rebuilds_{0};
  std::atomic<uint64_t> failed_rebuilds_{0};

  std::mutex rebuild_mu_;  // one rebuild at a time; guards last_attempt_
  bool attempted_ = false;
  std::chrono::steady_clock::time_point last_attempt_;

  std::mutex pending_mu_;  // keys Added while a rebuild runs
  bool building_ = false;
  std::vector<std::string> pending_;

  std::mutex wake_mu_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: stopped before the members it uses go
};

}  // namespace slabcached::client
