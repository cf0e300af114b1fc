// The store's meta-protocol operations (slabs/store_meta.h). Each public
// operation takes exactly one item lock and does all its work under it
// (lock order: slabs/lock_order.h).
// MetaStateTable shards need no lock of their own: a shard is only touched
// under the item lock of its stripe.
#include "slabs/store_meta.h"

#include <charconv>
#include <cstring>
#include <utility>

#include "slabs/item.h"
#include "slabs/store_impl.h"

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

// -------------------------------------------------------------- MetaOps ---

// Friend of Store::Impl: the meta operations over its item-level primitives.
class MetaOps {
 public:
  using Impl = Store::Impl;

  static MetaGetResult Get(Impl& s, std::string_view key, const MetaGetOptions& o);
  static MetaStoreResult Link(Impl& s, ItemHandle handle, StoreMode mode,
                              const MetaStoreOptions& o);
  static MetaDeleteStatus Delete(Impl& s, std::string_view key, const MetaDeleteOptions& o);
  static MetaDeltaResult Delta(Impl& s, std::string_view key, const MetaDeltaOptions& o);
  static MetaDebugResult Debug(Impl& s, std::string_view key);
  static size_t StateEntries(Impl& s) { return s.meta_state_.size(); }
  static size_t StateBytes(Impl& s) { return s.meta_state_.bytes(); }

 private:
  // Records `bits` for linked `it`; false when the table is full. Requires
  // the item lock of hv.
  static bool SetState(Impl& s, uint64_t hv, std::string_view key, const Item* it, uint8_t bits) {
    return s.meta_state_.Set(hv, key, it, bits);
  }
  // A new CAS for linked `it` (E's value, else the next one). In place when
  // nobody else holds a reference (readers read the CAS without the lock),
  // else by linking a copy. Returns the item now linked, or nullptr when the
  // copy could not be allocated. Requires the item lock of hv.
  static Item* Recas(Impl& s, Item* it, uint64_t hv, uint64_t new_cas);
};

MetaGetResult MetaOps::Get(Impl& s, std::string_view key, const MetaGetOptions& o) {
  MetaGetResult r;
  const uint64_t hv = s.HashKey(key);
  ItemLockGuard item_lock(s.locks_.For(hv));
  Item* it = s.FindLive(key, hv, &r.outcome);
  uint8_t bits = 0;
  if (it == nullptr) {
    if (!o.vivify) return r;
    // N: an empty placeholder, created under the lookup's lock, so exactly
    // one client creates it (and wins).
    AllocStatus status;
    it = s.NewItem(key, 0, 0, 0, &status);
    if (it == nullptr) return r;
    s.LinkItem(it, hv);
    if (o.new_cas != 0) it->set_cas(o.new_cas);
    r.item = ItemHandle(it, &s.slabs_);  // adopts the allocation's reference
    r.created = true;
  } else {
    s.lru_.cls(s.slabs_.ClassOf(it))
        .hits[static_cast<int>(it->lru())]
        .fetch_add(1, std::memory_order_relaxed);
    r.item = s.Retain(it);  // snapshots fetched / last access before the bump
    if (!r.item) {
      r.outcome = GetOutcome::kMiss;
      return r;
    }
    bits = s.meta_state_.Get(hv, key, it);
  }
  r.exptime_before = it->exptime.load(std::memory_order_relaxed);
  r.token_sent = (bits & MetaStateTable::kTokenSent) != 0;
  r.stale = (bits & MetaStateTable::kStale) != 0;
  r.key_binary = (bits & MetaStateTable::kKeyBinary) != 0;
  bool won = false;
  for (const char step : o.order) {  // as sent (memcached's process_mget_command)
    switch (step) {
      case 'T':
        if (o.touch) it->exptime.store(o.exptime, std::memory_order_relaxed);
        break;
      case 'N':
        if (r.created) {
          it->exptime.store(o.vivify_exptime, std::memory_order_relaxed);
          won = true;
        }
        break;
      case 'R':
        if (o.recache && !r.token_sent && !r.created) {
          const RelTime exp = it->exptime.load(std::memory_order_relaxed);
          if (exp != 0 && exp < o.recache_time) won = true;
        }
        break;
      default:
        break;
    }
  }
  if (r.stale && !r.token_sent) won = true;  // the first reader of a stale item recomputes
  if (won && !SetState(s, hv, key, it, bits | MetaStateTable::kTokenSent)) {
    // The side table is full: hand out no win. N then misses as without N
    // (a placeholder nobody won would keep every reader on an empty value).
    won = false;
    if (r.created) {
      s.UnlinkItem(it, hv);
      MetaGetResult miss;  // r's handle goes with r: the chunk is freed
      miss.outcome = r.outcome;
      return miss;
    }
  }
  r.won = won;
  if (o.bump) s.Bump(it);
  return r;
}

MetaStoreResult MetaOps::Link(Impl& s, ItemHandle handle, StoreMode mode,
                              const MetaStoreOptions& o) {
  MetaStoreResult r;
  Item* it = handle.get();
  if (it == nullptr || it->linked()) return r;
  const std::string_view key = it->key();
  const uint64_t hv = s.HashKey(key);
  ItemLockGuard item_lock(s.locks_.For(hv));
  // A CAS turns set and replace into cas (memcached's process_mset_command).
  if (o.has_cas && (mode == StoreMode::kSet || mode == StoreMode::kReplace)) mode = StoreMode::kCas;
  Item* old = s.FindLive(key, hv, nullptr);
  Item* to_link = it;
  Item* combined = nullptr;  // append/prepend result; we hold its allocation reference
  uint8_t bits = 0;
  bool store = false;
  r.status = StoreStatus::kNotStored;
  if (old != nullptr) {
    const uint64_t old_cas = old->cas();
    switch (mode) {
      case StoreMode::kAdd:
        s.Update(old);
        break;
      case StoreMode::kCas:
        if (o.cas_compare == old_cas) {
          store = true;
        } else if (o.invalidate && o.cas_compare < old_cas) {
          // I: an older CAS still stores, as a stale value that keeps the
          // TTL and the win of the item it replaces.
          it->exptime.store(old->exptime.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
          bits = MetaStateTable::kStale |
                 (s.meta_state_.Get(hv, key, old) & MetaStateTable::kTokenSent);
          store = true;
        } else {
          r.status = StoreStatus::kExists;
        }
        break;
      case StoreMode::kAppend:
      case StoreMode::kPrepend: {
        if (o.cas_compare != 0 && o.cas_compare != old_cas) {
          r.status = StoreStatus::kExists;
          break;
        }
        combined = s.Concatenate(key, old, it, mode, &r.status);
        if (combined == nullptr) break;
        to_link = combined;
        store = true;
        break;
      }
      case StoreMode::kSet:
      case StoreMode::kReplace:
        store = true;
        break;
    }
  } else {
    switch (mode) {
      case StoreMode::kSet:
      case StoreMode::kAdd:
        store = true;
        break;
      case StoreMode::kCas:
        r.status = StoreStatus::kNotFound;
        break;
      case StoreMode::kAppend:
      case StoreMode::kPrepend:
        if (o.vivify) {  // memcached HEAD: N autovivifies in append mode
          it->exptime.store(o.vivify_exptime, std::memory_order_relaxed);
          store = true;
        }
        break;
      case StoreMode::kReplace:
        break;
    }
  }
  // b: the item remembers its binary key, unless it is an append/prepend
  // result (memcached allocates that one afresh, without ITEM_KEY_BINARY).
  if (o.key_binary && to_link == it) bits |= MetaStateTable::kKeyBinary;
  // The new item takes over the old item's side entry, or reserves one
  // before the old item goes.
  const bool old_entry = store && old != nullptr && s.meta_state_.Get(hv, key, old) != 0;
  const bool reserved = store && bits != 0 && !old_entry && s.meta_state_.Reserve();
  if (store && bits != 0 && !old_entry && !reserved) {
    // Full side table: I stores nothing (EX, as without I); a binary key
    // cannot be stored without its mark.
    store = false;
    r.status = (bits & MetaStateTable::kStale) != 0 ? StoreStatus::kExists : StoreStatus::kNoMemory;
  }
  if (store && old != nullptr) {
    if (old_entry) s.meta_state_.Move(hv, key, old, to_link);
    s.UnlinkItem(old, hv);
  }
  if (store) {
    s.LinkItem(to_link, hv);
    if (o.new_cas != 0) to_link->set_cas(o.new_cas);
    if (reserved) {
      s.meta_state_.SetReserved(hv, key, to_link, bits);
    } else {
      SetState(s, hv, key, to_link, bits);  // updates or erases an entry: cannot fail
    }
    r.status = StoreStatus::kStored;
    r.cas = to_link->cas();
  }
  if (combined != nullptr) s.slabs_.Release(combined);
  return r;
}

Item* MetaOps::Recas(Impl& s, Item* it, uint64_t hv, uint64_t new_cas) {
  // The acquire pairs with the last reader's releasing decrement.
  if (it->refcount.load(std::memory_order_acquire) == 1) {
    it->set_cas(new_cas != 0 ? new_cas : s.NextCas());
    return it;
  }
  AllocStatus alloc;
  Item* copy = s.NewItem(it->key(), it->client_flags(), it->exptime.load(std::memory_order_relaxed),
                         it->nbytes, &alloc);
  if (copy == nullptr) return nullptr;
  s.slabs_.CopyValue(it, copy, 0);
  const RelTime time = it->time.load(std::memory_order_relaxed);
  const uint8_t keep = it->flags.load(std::memory_order_relaxed) & (kItemFetched | kItemActive);
  s.meta_state_.Move(hv, it->key(), it, copy);  // the copy keeps the entry (and its room)
  s.UnlinkItem(it, hv);
  copy->flags.fetch_or(keep, std::memory_order_relaxed);
  s.LinkItem(copy, hv);
  copy->time.store(time, std::memory_order_relaxed);
  if (new_cas != 0) copy->set_cas(new_cas);
  s.slabs_.Release(copy);  // the link holds it now
  return copy;
}

MetaDeleteStatus MetaOps::Delete(Impl& s, std::string_view key, const MetaDeleteOptions& o) {
  const uint64_t hv = s.HashKey(key);
  ItemLockGuard item_lock(s.locks_.For(hv));
  Item* it = s.FindLive(key, hv, nullptr);
  if (it == nullptr) return MetaDeleteStatus::kNotFound;
  if (o.has_cas && it->cas() != o.cas_compare) return MetaDeleteStatus::kExists;
  if (o.invalidate) {
    // I: keep the item, mark it stale, clear the win so one client can win
    // again, new CAS; T only applies here.
    // The key stays binary if it was.
    const uint8_t bits = s.meta_state_.Get(hv, key, it);
    const bool reserved = bits == 0 && s.meta_state_.Reserve();
    if (bits == 0 && !reserved) {
      // Full side table: it cannot be marked stale, so delete it (the next
      // reader misses and recomputes instead of serving the stale value).
      s.UnlinkItem(it, hv);
      return MetaDeleteStatus::kDeleted;
    }
    if (o.touch) it->exptime.store(o.exptime, std::memory_order_relaxed);
    const uint8_t keep = bits & MetaStateTable::kKeyBinary;
    Item* target = Recas(s, it, hv, o.new_cas);
    if (target == nullptr) {
      if (reserved) s.meta_state_.Unreserve();
      return MetaDeleteStatus::kNotStored;
    }
    if (reserved) {
      s.meta_state_.SetReserved(hv, key, target, MetaStateTable::kStale | keep);
    } else {
      SetState(s, hv, key, target, MetaStateTable::kStale | keep);  // updates its entry
    }
    return MetaDeleteStatus::kInvalidated;
  }
  if (o.remove_value) {
    // x (memcached HEAD): the item stays, with an empty value.
    AllocStatus alloc;
    Item* empty =
        s.NewItem(key, o.client_flags, it->exptime.load(std::memory_order_relaxed), 0, &alloc);
    if (empty == nullptr) return MetaDeleteStatus::kNotStored;
    s.UnlinkItem(it, hv);
    s.LinkItem(empty, hv);
    if (o.new_cas != 0) empty->set_cas(o.new_cas);
    s.slabs_.Release(empty);
    return MetaDeleteStatus::kDeleted;
  }
  s.UnlinkItem(it, hv);  // drops the item's meta state
  return MetaDeleteStatus::kDeleted;
}

MetaDeltaResult MetaOps::Delta(Impl& s, std::string_view key, const MetaDeltaOptions& o) {
  MetaDeltaResult r;
  const uint64_t hv = s.HashKey(key);
  ItemLockGuard item_lock(s.locks_.For(hv));
  Item* it = s.FindLive(key, hv, nullptr);
  char digits[24];
  Item* target = nullptr;
  if (it != nullptr) {
    if (o.cas_compare != 0 && o.cas_compare != it->cas()) {
      r.status = DeltaStatus::kExists;
      return r;
    }
    uint64_t value = 0;
    if (!s.ParseItemDecimal(it, &value)) {
      r.status = DeltaStatus::kNonNumeric;
      return r;
    }
    if (o.incr) {
      value += o.delta;  // wraps modulo 2^64
    } else {
      value = o.delta > value ? 0 : value - o.delta;
    }
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
    const auto len = static_cast<uint32_t>(end - digits);
    r.value = value;
    if (len <= it->nbytes && it->refcount.load(std::memory_order_acquire) == 1) {
      // Nobody else holds a reference: rewrite in place (keeps the meta
      // bits; a new item below loses them, as in memcached's do_add_delta).
      it->set_cas(o.new_cas != 0 ? o.new_cas : s.NextCas());
      std::memcpy(it->value_ptr(), digits, len);
      std::memset(it->value_ptr() + len, ' ', it->nbytes - len);
      s.Update(it);
      target = it;
    } else {
      AllocStatus alloc;
      Item* fresh = s.NewItem(key, it->client_flags(), it->exptime.load(std::memory_order_relaxed),
                              len, &alloc);
      if (fresh == nullptr) {
        r.status = DeltaStatus::kNoMemory;
        return r;
      }
      std::memcpy(fresh->value_ptr(), digits, len);
      s.UnlinkItem(it, hv);
      s.LinkItem(fresh, hv);
      if (o.new_cas != 0) fresh->set_cas(o.new_cas);
      s.slabs_.Release(fresh);
      target = fresh;
    }
    r.exptime_before = target->exptime.load(std::memory_order_relaxed);
  } else {
    if (!o.vivify) {
      r.status = DeltaStatus::kNotFound;
      return r;
    }
    // N: store J as the new value, under the same lock.
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), o.initial);
    const auto len = static_cast<uint32_t>(end - digits);
    AllocStatus alloc;
    Item* fresh = s.NewItem(key, 0, 0, len, &alloc);
    if (fresh == nullptr) {
      r.status = DeltaStatus::kNoMemory;
      return r;
    }
    std::memcpy(fresh->value_ptr(), digits, len);
    s.LinkItem(fresh, hv);
    if (o.new_cas != 0) fresh->set_cas(o.new_cas);
    s.slabs_.Release(fresh);
    target = fresh;
    r.value = o.initial;
    r.created = true;
    r.exptime_before = 0;
  }
  for (const char step : o.order) {  // as sent (memcached's process_marithmetic_command)
    if (step == 'T' && o.touch) target->exptime.store(o.exptime, std::memory_order_relaxed);
    if (step == 'N' && r.created) {
      target->exptime.store(o.vivify_exptime, std::memory_order_relaxed);
    }
  }
  r.exptime = target->exptime.load(std::memory_order_relaxed);
  r.cas = target->cas();
  r.status = DeltaStatus::kOk;
  return r;
}

MetaDebugResult MetaOps::Debug(Impl& s, std::string_view key) {
  MetaDebugResult r;
  const uint64_t hv = s.HashKey(key);
  ItemLockGuard item_lock(s.locks_.For(hv));
  const Item* it = s.FindLive(key, hv, nullptr);
  if (it == nullptr) return r;
  r.found = true;
  r.exptime = it->exptime.load(std::memory_order_relaxed);
  r.last_access = it->time.load(std::memory_order_relaxed);
  r.cas = it->cas();
  r.fetched = (it->flags.load(std::memory_order_relaxed) & kItemFetched) != 0;
  r.slab_class = s.slabs_.ClassOf(it);
  r.total_size = it->total_size();
  r.key_binary = (s.meta_state_.Get(hv, key, it) & MetaStateTable::kKeyBinary) != 0;
  return r;
}

// ----------------------------------------------------------------- Store ---

MetaGetResult Store::MetaGet(std::string_view key, const MetaGetOptions& options) {
  return MetaOps::Get(*impl_, key, options);
}
MetaStoreResult Store::MetaLink(ItemHandle item, StoreMode mode, const MetaStoreOptions& options) {
  return MetaOps::Link(*impl_, std::move(item), mode, options);
}
MetaDeleteStatus Store::MetaDelete(std::string_view key, const MetaDeleteOptions& options) {
  return MetaOps::Delete(*impl_, key, options);
}
MetaDeltaResult Store::MetaDelta(std::string_view key, const MetaDeltaOptions& options) {
  return MetaOps::Delta(*impl_, key, options);
}
MetaDebugResult Store::MetaDebug(std::string_view key) { return MetaOps::Debug(*impl_, key); }
size_t Store::meta_state_entries_for_tests() const { return MetaOps::StateEntries(*impl_); }
size_t Store::SideTableBytes() const { return MetaOps::StateBytes(*impl_); }

}  // namespace slabcached::slabs
