#include "src/prefix_stats.h"

namespace slabcached {

PrefixStats::Counts* PrefixStats::Find(std::string_view key) {
  // memcached stops at a NUL as well: the prefix is a C string.
  const size_t end = key.find('\0');
  const size_t delimiter = key.find(delimiter_);
  if (delimiter == std::string_view::npos || (end != std::string_view::npos && end < delimiter)) {
    return nullptr;
  }
  const std::string_view prefix = key.substr(0, delimiter);
  auto it = counts_.find(prefix);
  if (it != counts_.end()) return &it->second;
  if (counts_.size() >= max_prefixes_) {
    untracked_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  return &counts_.emplace(std::string(prefix), Counts{}).first->second;
}

void PrefixStats::RecordGet(std::string_view key, bool hit) {
  std::lock_guard lock(mutex_);
  if (Counts* counts = Find(key)) {
    ++counts->gets;
    if (hit) ++counts->hits;
  }
}

void PrefixStats::RecordSet(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (Counts* counts = Find(key)) ++counts->sets;
}

void PrefixStats::RecordDelete(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (Counts* counts = Find(key)) ++counts->deletes;
}

std::string PrefixStats::Dump() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [prefix, c] : counts_) {
    out += "PREFIX " + prefix + " get " + std::to_string(c.gets) + " hit " +
           std::to_string(c.hits) + " set " + std::to_string(c.sets) + " del " +
           std::to_string(c.deletes) + "\r\n";
  }
  return out;
}

size_t PrefixStats::prefixes() const {
  std::lock_guard lock(mutex_);
  return counts_.size();
}

}  // namespace slabcached
