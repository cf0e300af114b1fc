#include "src/hot_keys.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <utility>

#include "proto/tokenizer.h"

namespace slabcached {

SpaceSaving::SpaceSaving() { Clear(); }

void SpaceSaving::Clear() {
  used_ = 0;
  table_.fill(kEmpty);
}

size_t SpaceSaving::Find(std::string_view key, uint64_t hash) const {
  for (size_t probe = 0; probe < kTableSlots; ++probe) {
    const size_t slot = (hash + probe) % kTableSlots;
    const uint16_t entry = table_[slot];
    if (entry == kEmpty) return kTableSlots;
    if (entries_[entry].hash == hash && entries_[entry].key() == key) return slot;
  }
  return kTableSlots;
}

void SpaceSaving::Index(size_t entry, uint64_t hash) {
  entries_[entry].hash = hash;
  size_t slot = hash % kTableSlots;
  while (table_[slot] != kEmpty) slot = (slot + 1) % kTableSlots;
  table_[slot] = static_cast<uint16_t>(entry);
}

void SpaceSaving::Unindex(size_t entry) {
  // The entry's own slot, found by its number: no key comparison.
  size_t hole = entries_[entry].hash % kTableSlots;
  while (table_[hole] != entry) hole = (hole + 1) % kTableSlots;
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole when their home slot does not lie between the hole and them.
  for (size_t next = (hole + 1) % kTableSlots; table_[next] != kEmpty;
       next = (next + 1) % kTableSlots) {
    const size_t home = entries_[table_[next]].hash % kTableSlots;
    const bool stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (stays) continue;
    table_[hole] = table_[next];
    hole = next;
  }
  table_[hole] = kEmpty;
}

// Both sifts move a hole rather than swapping: the moving entry's count is
// read once and it is written once, where it stops. They compare as a
// swapping sift does, so the heap comes out the same.
void SpaceSaving::SiftUp(size_t position) {
  const uint16_t moving = heap_[position];
  const uint64_t count = entries_[moving].count;
  while (position > 0) {
    const size_t parent = (position - 1) / 2;
    if (entries_[heap_[parent]].count <= count) break;
    Place(position, heap_[parent]);
    position = parent;
  }
  Place(position, moving);
}

void SpaceSaving::SiftDown(size_t position) {
  const uint16_t moving = heap_[position];
  const uint64_t count = entries_[moving].count;
  for (;;) {
    size_t least = position;
    uint64_t least_count = count;
    for (size_t child = 2 * position + 1; child <= 2 * position + 2 && child < used_; ++child) {
      const uint64_t child_count = entries_[heap_[child]].count;
      if (child_count < least_count) {
        least = child;
        least_count = child_count;
      }
    }
    if (least == position) break;
    Place(position, heap_[least]);
    position = least;
  }
  Place(position, moving);
}

void SpaceSaving::Place(size_t position, uint16_t entry) {
  heap_[position] = entry;
  heap_position_[entry] = static_cast<uint16_t>(position);
}

void SpaceSaving::Add(std::string_view key) {
  key = key.substr(0, kHotKeyMaxBytes);
  const uint64_t hash = std::hash<std::string_view>{}(key);
  if (const size_t slot = Find(key, hash); slot != kTableSlots) {
    const uint16_t entry = table_[slot];
    ++entries_[entry].count;
    SiftDown(heap_position_[entry]);
    return;
  }
  size_t entry;
  uint64_t inherited = 0;
  if (used_ < kHotKeySlots) {
    entry = used_;
    heap_[used_] = static_cast<uint16_t>(entry);
    heap_position_[entry] = static_cast<uint16_t>(used_);
    ++used_;
  } else {
    // The least counted key gives its place (and its count) to this one.
    entry = heap_[0];
    inherited = entries_[entry].count;
    Unindex(entry);
  }
  Entry& e = entries_[entry];
  e.count = inherited + 1;
  e.error = inherited;
  e.length = static_cast<uint8_t>(key.size());
  std::memcpy(e.bytes.data(), key.data(), key.size());
  Index(entry, hash);
  SiftUp(heap_position_[entry]);
  SiftDown(heap_position_[entry]);
}

std::vector<HotKeyCount> SpaceSaving::Top() const {
  std::vector<HotKeyCount> top;
  top.reserve(used_);
  for (size_t i = 0; i < used_; ++i) {
    top.push_back({std::string(entries_[i].key()), entries_[i].count, entries_[i].error});
  }
  std::sort(top.begin(), top.end(), [](const HotKeyCount& a, const HotKeyCount& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  return top;
}

std::vector<HotKey> MergeHotKeys(std::span<const WorkerHotKeys* const> workers, size_t limit) {
  std::map<std::string, HotKey, std::less<>> merged;
  for (const WorkerHotKeys* worker : workers) {
    const uint64_t scale = std::max<uint32_t>(worker->sample_every(), 1);
    for (HotKeyCount& counted : worker->Top()) {
      HotKey& key = merged[counted.key];
      key.requests += counted.count * scale;
      key.error += counted.error * scale;
    }
  }
  std::vector<HotKey> keys;
  keys.reserve(merged.size());
  for (auto& [name, key] : merged) {
    key.key = name;
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end(), [](const HotKey& a, const HotKey& b) {
    return a.requests != b.requests ? a.requests > b.requests : a.key < b.key;
  });
  if (keys.size() > limit) keys.resize(limit);
  return keys;
}

std::optional<size_t> ParseHotKeysLimit(std::string_view args) {
  proto::PopToken(&args);  // "hotkeys"
  const std::string_view count = proto::PopToken(&args);
  if (!proto::PopToken(&args).empty()) return std::nullopt;
  if (count.empty()) return kDefaultHotKeysListed;
  size_t limit = 0;
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), limit);
  if (ec != std::errc() || end != count.data() + count.size() || limit < 1 ||
      limit > kMaxHotKeysListed) {
    return std::nullopt;
  }
  return limit;
}

std::string EscapeHotKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > ' ' && byte <= '~' && byte != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

std::vector<HotKeyChange> DiffHotKeys(std::span<const HotKey> sent, std::span<const HotKey> now) {
  std::vector<HotKeyChange> changes;
  for (size_t rank = 0; rank < now.size(); ++rank) {
    if (rank < sent.size() && sent[rank].key == now[rank].key) continue;
    changes.push_back({static_cast<uint32_t>(rank + 1), &now[rank]});
  }
  for (const HotKey& old : sent) {
    const bool kept =
        std::any_of(now.begin(), now.end(), [&](const HotKey& key) { return key.key == old.key; });
    if (!kept) changes.push_back({0, &old});
  }
  return changes;
}

}  // namespace slabcached
