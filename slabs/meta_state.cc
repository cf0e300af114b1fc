// The meta stampede state (slabs/meta_state.h). MetaStateTable shards need no
// lock of their own: a shard is only touched under the item lock of its
// stripe (the store's caller holds it).
#include "slabs/meta_state.h"

#include <utility>

namespace slabcached::slabs {

// ------------------------------------------------------- MetaStateTable ---

MetaStateTable::MetaStateTable(size_t max_entries)
    : max_entries_(max_entries), shards_(std::make_unique<Shard[]>(kShards)) {}
MetaStateTable::~MetaStateTable() = default;

uint8_t MetaStateTable::Get(uint64_t hv, std::string_view key, const Item* it) {
  Shard& shard = ShardFor(hv);
  if (shard.entries.empty()) return 0;
  const auto found = shard.entries.find(key);
  if (found == shard.entries.end()) return 0;
  // Unlinking drops an item's entry, so the entry is the linked item's; the
  // pointer check only guards against a caller passing another item.
  return found->second.item == it ? found->second.bits : 0;
}

bool MetaStateTable::Set(uint64_t hv, std::string_view key, const Item* it, uint8_t bits) {
  Shard& shard = ShardFor(hv);
  if (bits == 0) {
    if (shard.entries.empty()) return true;
    if (const auto found = shard.entries.find(key); found != shard.entries.end()) {
      shard.entries.erase(found);
      entries_.fetch_sub(1, std::memory_order_relaxed);
      entry_bytes_.fetch_sub(EntryBytes(key), std::memory_order_relaxed);
    }
    return true;
  }
  if (const auto found = shard.entries.find(key); found != shard.entries.end()) {
    found->second = Entry{it, bits};
    return true;
  }
  if (!Reserve()) return false;
  SetReserved(hv, key, it, bits);
  return true;
}

bool MetaStateTable::Reserve() {
  size_t n = entries_.load(std::memory_order_relaxed);
  do {
    if (n >= max_entries_) return false;
  } while (!entries_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void MetaStateTable::SetReserved(uint64_t hv, std::string_view key, const Item* it, uint8_t bits) {
  Shard& shard = ShardFor(hv);
  if (const auto found = shard.entries.find(key); found != shard.entries.end()) {
    Unreserve();
    if (bits == 0) {
      Set(hv, key, it, 0);
    } else {
      found->second = Entry{it, bits};
    }
    return;
  }
  if (bits == 0) {
    Unreserve();
    return;
  }
  shard.entries.emplace(std::string(key), Entry{it, bits});
  entry_bytes_.fetch_add(EntryBytes(key), std::memory_order_relaxed);
}

void MetaStateTable::Move(uint64_t hv, std::string_view key, const Item* from, const Item* to) {
  Shard& shard = ShardFor(hv);
  if (shard.entries.empty()) return;
  const auto found = shard.entries.find(key);
  if (found != shard.entries.end() && found->second.item == from) found->second.item = to;
}

void MetaStateTable::Erase(Shard& shard, std::string_view key, const Item* it) {
  const auto found = shard.entries.find(key);
  if (found != shard.entries.end() && found->second.item == it) {
    shard.entries.erase(found);
    entries_.fetch_sub(1, std::memory_order_relaxed);
    entry_bytes_.fetch_sub(EntryBytes(key), std::memory_order_relaxed);
  }
}

size_t MetaStateTable::bytes() const {
  return sizeof(Shard) * kShards + entry_bytes_.load(std::memory_order_relaxed);
}

// ------------------------------------------------------------ decisions ---

TtlOutcome ApplyTtlFlags(const TtlFlags& flags, RelTime exptime, bool created, uint8_t bits) {
  const bool token_sent = (bits & MetaStateTable::kTokenSent) != 0;
  TtlOutcome out{.exptime = exptime, .won = false};
  for (const char step : flags.order) {  // as sent (memcached's process_mget_command)
    switch (step) {
      case 'T':
        if (flags.touch) out.exptime = flags.exptime;
        break;
      case 'N':
        if (created) {
          out.exptime = flags.vivify_exptime;
          out.won = true;
        }
        break;
      case 'R':
        if (flags.recache && !token_sent && !created && out.exptime != 0 &&
            out.exptime < flags.recache_time) {
          out.won = true;
        }
        break;
      default:
        break;
    }
  }
  // The first reader of a stale item recomputes.
  if ((bits & MetaStateTable::kStale) != 0 && !token_sent) out.won = true;
  return out;
}

}  // namespace slabcached::slabs
