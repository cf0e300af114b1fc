// Per-prefix counters for `stats detail on|off|dump` (memcached's
// stats_prefix.c): the prefix of a key is what comes before the first -D
// delimiter (default ':'); keys without one are not counted. Gets (and
// their hits), sets and deletes are counted while detail is on.
//
// Bounded as memcached 1.6.45 bounds it: at most kMaxPrefixes prefixes are
// tracked. Once the table is full, operations on a new prefix are not
// counted under any prefix; they are counted in untracked() instead
// ("stats" detail_untracked_ops), so a client sending a million distinct
// prefixes costs at most the table.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace slabcached {

class PrefixStats {
 public:
  // memcached's MAX_PREFIX_COUNT.
  static constexpr size_t kMaxPrefixes = 1 << 16;

  PrefixStats(char delimiter, bool enabled, size_t max_prefixes = kMaxPrefixes)
      : delimiter_(delimiter), max_prefixes_(max_prefixes), enabled_(enabled) {}

  // One relaxed load: the hooks call the Record* functions only when true.
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  void SetEnabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }

  void RecordGet(std::string_view key, bool hit);
  void RecordSet(std::string_view key);
  void RecordDelete(std::string_view key);

  // "PREFIX <p> get <n> hit <n> set <n> del <n>\r\n" for each prefix, in
  // byte order (memcached's order is its hash table's); no "END".
  std::string Dump() const;

  size_t prefixes() const;
  uint64_t untracked() const { return untracked_.load(std::memory_order_relaxed); }

 private:
  struct Counts {
    uint64_t gets = 0;
    uint64_t hits = 0;
    uint64_t sets = 0;
    uint64_t deletes = 0;
  };
  // The counts of `key`'s prefix, created if there is room; null when the
  // key has no prefix or the table is full. Called with mutex_ held.
  Counts* Find(std::string_view key);

  const char delimiter_;
  const size_t max_prefixes_;
  std::atomic<bool> enabled_;
  std::atomic<uint64_t> untracked_{0};
  mutable std::mutex mutex_;
  std::map<std::string, Counts, std::less<>> counts_;  // guarded by mutex_
};

}  // namespace slabcached
