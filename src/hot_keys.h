// Hot keys: a bounded heavy-hitter sketch per worker (Space-Saving, Metwally
// et al. 2005) over a sample of the keys requested, merged on demand for
// "stats hotkeys" and the metrics endpoint.
//
// Memory is fixed: kHotKeySlots entries of at most kHotKeyMaxBytes key
// bytes each (256 x 280 B with counts, 72 KiB a worker with its index),
// whatever the clients send. Space-Saving keeps the K most counted keys
// seen; a key not in the table takes the place of the least counted one and
// inherits its count (recorded as the entry's error), so a count
// overestimates by at most `error`, and any key with more than 1/K of the
// samples is in the table (K = 256: 0.4%). Below that a key is kept while
// its count stays above the table's least one.
//
// Sampling: one keyed request in `sample_every` (a per-worker countdown, no
// random number) has its keys counted, so estimates are counts x sample_every.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace slabcached {

inline constexpr size_t kHotKeySlots = 256;
inline constexpr size_t kHotKeyMaxBytes = 250;  // memcached's key length limit

struct HotKeyCount {
  std::string key;
  uint64_t count = 0;  // samples, overestimated by at most `error`
  uint64_t error = 0;
};

// The Space-Saving table itself: not thread-safe, no allocation after
// construction. Keys longer than kHotKeyMaxBytes are counted by their first
// kHotKeyMaxBytes bytes.
class SpaceSaving {
 public:
  SpaceSaving();
  void Add(std::string_view key);
  // The entries, most counted first.
  std::vector<HotKeyCount> Top() const;
  void Clear();

 private:
  struct Entry {
    uint64_t count = 0;
    uint64_t error = 0;
    uint64_t hash = 0;
    uint8_t length = 0;
    std::array<char, kHotKeyMaxBytes> bytes;
    std::string_view key() const { return {bytes.data(), length}; }
  };
  static constexpr size_t kTableSlots = kHotKeySlots * 2;  // open addressing, half full at most
  static constexpr uint16_t kEmpty = 0xffff;

  size_t Find(std::string_view key, uint64_t hash) const;  // slot, or kTableSlots
  void Unindex(size_t entry);
  void Index(size_t entry, uint64_t hash);
  void SiftUp(size_t position);
  void SiftDown(size_t position);
  void Place(size_t position, uint16_t entry);  // heap_[position] = entry, and back

  std::array<Entry, kHotKeySlots> entries_;
  size_t used_ = 0;
  // A min-heap of entry numbers by count (heap_[0] is the least counted),
  // and where each entry sits in it.
  std::array<uint16_t, kHotKeySlots> heap_;
  std::array<uint16_t, kHotKeySlots> heap_position_;
  // Hash table: slot -> entry number (kEmpty when free), linear probing.
  std::array<uint16_t, kTableSlots> table_;
};

// A lock its holder keeps for microseconds: the worker takes it for one
// sampled key, a reader (stats, a scrape) to copy one table. Uncontended it
// is one exchange and one store, where a mutex costs a hundred instructions
// on every sampled request.
class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// One worker's sketch. The worker samples and counts under a lock no other
// worker takes; readers (stats, the metrics endpoint) take it to copy.
class alignas(64) WorkerHotKeys {
 public:
  // 0 turns sampling off.
  void set_sample_every(uint32_t every) { sample_every_.store(every, std::memory_order_relaxed); }
  uint32_t sample_every() const { return sample_every_.load(std::memory_order_relaxed); }

  // True for one call in sample_every(): the caller then Add()s the
  // request's keys.
  bool Sample() {
    const uint32_t every = sample_every();
    if (every == 0) return false;
    if (++countdown_ < every) return false;
    countdown_ = 0;
    return true;
  }
  void Add(std::string_view key) {
    std::lock_guard guard(lock_);
    sketch_.Add(key);
  }
  std::vector<HotKeyCount> Top() const {
    std::lock_guard guard(lock_);
    return sketch_.Top();
  }
  void Clear() {
    std::lock_guard guard(lock_);
    sketch_.Clear();
  }

 private:
  std::atomic<uint32_t> sample_every_{8};
  uint32_t countdown_ = 0;  // the worker's own
  mutable SpinLock lock_;
  SpaceSaving sketch_;  // guarded by lock_
};

// A key's estimate over every worker.
struct HotKey {
  std::string key;        // raw bytes, at most kHotKeyMaxBytes
  uint64_t requests = 0;  // estimated: summed counts x sample_every
  uint64_t error = 0;     // the estimate may be this much too high
};

// The `limit` keys with the highest merged estimates, highest first (ties
// by key). A key missing from a worker's table counts 0 there.
std::vector<HotKey> MergeHotKeys(std::span<const WorkerHotKeys* const> workers, size_t limit);

// One change of the top list between two reports ("watch hotkeys"): `key`
// is now at `rank` (1 is the hottest), or left the list (rank 0).
struct HotKeyChange {
  uint32_t rank = 0;
  const HotKey* key = nullptr;  // into `now`, or into `sent` for a key that left
};

// What changed from the list last sent to the one now, ranks first (in rank
// order), then the keys that left (in their old order). A key whose rank
// stays is no change, whatever its count: watchers see the list move, not
// every count tick.
std::vector<HotKeyChange> DiffHotKeys(std::span<const HotKey> sent, std::span<const HotKey> now);

// "stats hotkeys [N]": the arguments after "stats" ("hotkeys" and N) give
// how many keys to list: 10 without N, N for 1..kMaxHotKeysListed; nothing
// (a bad command line) for anything else.
inline constexpr size_t kDefaultHotKeysListed = 10;
inline constexpr size_t kMaxHotKeysListed = 100;
std::optional<size_t> ParseHotKeysLimit(std::string_view args);

// A key as printable ASCII: bytes outside '!'..'~', and '%', as %XX.
std::string EscapeHotKey(std::string_view key);

}  // namespace slabcached
