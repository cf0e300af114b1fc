// The item store: storage semantics of memcached 1.6 (do_store_item,
// do_add_delta, do_item_get, flush_all) over the slab allocator, the hash
// table and the segmented LRU.
//
// Locks and references: slabs/lock_order.h.
//
// CREATING A MISSING KEY (binary incr/decr with an initial value, ma N, mg N,
// ms N in append/prepend mode): the lookup that misses and the creation run
// under the same item lock, so of the clients racing to create a key exactly
// one creates it (and, for mg N, wins) and the others find it. The new item
// is allocated under that lock (CreateLocked(); ms N links the item it
// already holds). This cannot deadlock: allocation may evict or reclaim, and
// eviction starts from an LRU lock and only TRY-locks item stripes, never the
// one this thread holds (item_locks.h), so it never waits for an item lock.
// Append/prepend and incr/decr's new item allocate under the item lock the
// same way.
#include "slabs/store.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "slabs/hash.h"
#include "slabs/store_impl.h"

namespace slabcached::slabs {
namespace {

SlabAllocator::Config SlabConfigFrom(const StoreConfig& c) {
  return {.max_bytes = c.max_bytes,
          .item_size_max = c.item_size_max,
          .chunk_max = c.slab_chunk_max,
          .growth_classes = c.growth_classes,
          .chunk_size_min = c.chunk_size_min,
          .growth_factor = c.growth_factor,
          .chunk_sizes = c.slab_sizes,
          .large_pages = c.large_pages};
}

std::unique_ptr<MemoryFile> OpenMemoryFile(const StoreConfig& c) {
  if (c.memory_file.empty()) return nullptr;
  return std::make_unique<MemoryFile>(c.memory_file);
}

uint32_t LockPower(const StoreConfig& c) {
  return std::min<uint32_t>(ItemLocks::kMaxPower, std::max<uint32_t>(c.hashpower_init, 1));
}

}  // namespace

// ------------------------------------------------------------------ Impl ---

Store::Impl::Impl(const StoreConfig& config, const Clock* clock)
    : config_(config),
      clock_(clock),
      memory_file_(OpenMemoryFile(config)),
      slabs_(SlabConfigFrom(config), memory_file_.get()),
      locks_(LockPower(config)),
      table_({.hashpower_init = std::max(config.hashpower_init, LockPower(config)),
              .expand = config.hash_expand,
              .background = config.background_threads},
             KeyHasher(config.hash_seed.value_or(KeyHasher::RandomSeed())), &locks_, &slabs_),
      lru_(&slabs_, config.track_sizes),
      automove_(config.slab_automove) {
  automove_last_ = clock_->Now();
  if (memory_file_) RestoreOrClear();
  if (config_.background_threads) maintainer_ = std::make_unique<LruMaintainer>(this);
}

Store::Impl::~Impl() { maintainer_.reset(); }

bool Store::Impl::ParseItemDecimal(const Item* it, uint64_t* out) const {
  // memcached's safe_strtoull() over the value bytes and their "\r\n":
  // optional leading whitespace and sign, decimal digits, then whitespace
  // (the CRLF counts). Overflow, no digits or a negative result fail.
  // Chunked items are too large to be numbers (memcached's do_add_delta).
  if (it->nbytes == 0 || slabs_.IsChunked(it)) return false;
  const std::string_view value(it->value_ptr(), it->nbytes + 2);
  size_t i = 0;
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  while (i < value.size() && is_space(value[i])) ++i;
  bool negative = false;
  if (i < value.size() && (value[i] == '+' || value[i] == '-')) negative = value[i++] == '-';
  const size_t digits_start = i;
  uint64_t v = 0;
  for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) {
    const uint64_t d = static_cast<uint64_t>(value[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;  // ERANGE
    v = v * 10 + d;
  }
  if (i == digits_start) return false;
  if (i < value.size() && !is_space(value[i])) return false;
  if (negative) {
    v = ~v + 1;  // strtoull negates in unsigned arithmetic
    if (static_cast<int64_t>(v) < 0) return false;
  }
  *out = v;
  return true;
}

Item* Store::Impl::Concatenate(std::string_view key, Item* old, Item* added, StoreMode mode,
                               StoreStatus* failure) {
  AllocStatus alloc;
  Item* combined = NewItem(key, old->client_flags(), old->exptime.load(std::memory_order_relaxed),
                           old->nbytes + added->nbytes, &alloc);
  if (combined == nullptr) {
    *failure = alloc == AllocStatus::kTooLarge ? StoreStatus::kTooLarge : StoreStatus::kNoMemory;
    return nullptr;
  }
  Item* first = mode == StoreMode::kAppend ? old : added;
  Item* second = mode == StoreMode::kAppend ? added : old;
  slabs_.CopyValue(first, combined, 0);
  slabs_.CopyValue(second, combined, first->nbytes);
  return combined;
}

Item* Store::Impl::NewItem(std::string_view key, uint32_t client_flags, RelTime exptime,
                           uint32_t value_len, AllocStatus* status) {
  const size_t ntotal =
      Item::TotalSize(config_.cas_enabled, client_flags != 0, key.size(), value_len);
  const bool chunked = ntotal > slabs_.chunk_max();
  const uint8_t cls = key.size() > kKeyMaxLength || ntotal > config_.item_size_max ? 0
                      : chunked ? static_cast<uint8_t>(slabs_.num_classes())
                                : slabs_.ClassFor(ntotal);
  if (cls == 0) {
    *status = AllocStatus::kTooLarge;
    return nullptr;
  }
  Item* it = AllocPull(cls, chunked ? slabs_.chunk_max() : ntotal);
  if (it == nullptr) {
    CountOutOfMemory(cls);
    *status = AllocStatus::kNoMemory;
    return nullptr;
  }
  it->nkey = static_cast<uint8_t>(key.size());
  it->nbytes = value_len;
  it->exptime.store(exptime, std::memory_order_relaxed);
  it->flags.store(static_cast<uint8_t>((config_.cas_enabled ? kItemCas : 0) |
                                       (client_flags != 0 ? kItemClientFlags : 0)),
                  std::memory_order_relaxed);
  it->set_cas(0);
  it->set_client_flags(client_flags);
  std::memcpy(it->key_ptr(), key.data(), key.size());
  if (chunked) {
    const ItemRef no_chain = 0;  // Release() must see a valid (empty) chain
    std::memcpy(it->value_ptr(), &no_chain, sizeof(no_chain));
    if (!AllocContinuations(it, HashKey(key))) {
      slabs_.Release(it);
      CountOutOfMemory(cls);
      *status = AllocStatus::kNoMemory;
      return nullptr;
    }
  }
  slabs_.WriteValue(it, value_len, "\r\n");
  *status = AllocStatus::kOk;
  return it;
}

bool Store::Impl::AllocContinuations(Item* head, uint64_t hv) {
  // memcached's do_item_alloc_chunk(): full chunks of the largest class, then
  // a tail from the class that fits what is left.
  const auto largest = static_cast<uint8_t>(slabs_.num_classes());
  const size_t full = slabs_.chunk_max() - sizeof(Item);
  size_t left = size_t{head->nbytes} + 2 - slabs_.FirstPiece(head).second;
  Item* pred = head;
  while (left > 0) {
    const size_t payload = std::min(left, full);
    const SlabAllocator::ChunkLink link{.head = head, .pred = pred, .hv = hv};
    const uint8_t cls = slabs_.ClassFor(sizeof(Item) + payload);
    Item* chunk = AllocPull(cls, sizeof(Item) + payload, &link);
    // A tail its own class cannot hold (that class may have no items to
    // evict: other items' tails) goes into a chunk of the largest class, whose
    // LRU holds the chunked items (memcached does the same).
    if (chunk == nullptr && cls != largest)
      chunk = AllocPull(largest, sizeof(Item) + payload, &link);
    if (chunk == nullptr) return false;
    pred = chunk;
    left -= payload;
  }
  return true;
}

void Store::Impl::CountOutOfMemory(uint8_t cls) {
  LruClass& lc = lru_.cls(cls);
  std::lock_guard lock(lc.mu);
  ++lc.outofmemory;
}

AllocResult Store::Impl::Allocate(std::string_view key, uint32_t client_flags, RelTime exptime,
                                  uint32_t value_len) {
  AllocResult result;
  Item* it = NewItem(key, client_flags, exptime, value_len, &result.status);
  if (it != nullptr) result.item = ItemHandle(it, &slabs_);
  return result;
}

Item* Store::Impl::FindLive(std::string_view key, uint64_t hv, GetOutcome* outcome) {
  GetOutcome ignored;
  if (outcome == nullptr) outcome = &ignored;
  Item* it = table_.Find(key, hv);
  if (it == nullptr) {
    *outcome = GetOutcome::kMiss;
    return nullptr;
  }
  const RelTime now = Now();
  if (IsFlushed(it, now)) {
    UnlinkItem(it, hv);
    *outcome = GetOutcome::kFlushed;
    return nullptr;
  }
  if (IsExpired(it, now)) {
    UnlinkItem(it, hv);
    *outcome = GetOutcome::kExpired;
    return nullptr;
  }
  *outcome = GetOutcome::kHit;
  return it;
}

void Store::Impl::LinkItem(Item* it, uint64_t hv) {
  const RelTime now = Now();
  it->time.store(now, std::memory_order_relaxed);
  it->set_cas(NextCas());
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  it->flags.fetch_or(kItemLinked, std::memory_order_relaxed);
  table_.Insert(it, hv);
  LruClass& lc = lru_.cls(slabs_.ClassOf(it));
  std::lock_guard lock(lc.mu);
  lru_.LinkHead(lc, it, LinkTo(it, now));
  ++lc.total_items;
}

void Store::Impl::UnlinkItem(Item* it, uint64_t hv) {
  if (!it->linked()) return;
  LruClass& lc = lru_.cls(slabs_.ClassOf(it));
  std::lock_guard lock(lc.mu);
  UnlinkLocked(lc, it, hv);
}

ItemHandle Store::Impl::Retain(Item* it) {
  if (!TryAddRef(it)) return {};  // memcached: "refcount overflow during fetch"
  return ItemHandle(it, &slabs_);
}

Item* Store::Impl::CreateLocked(std::string_view key, uint64_t hv, std::string_view value,
                                uint64_t new_cas, AllocStatus* status) {
  Item* it = NewItem(key, 0, 0, static_cast<uint32_t>(value.size()), status);
  if (it == nullptr) return nullptr;
  if (!value.empty()) std::memcpy(it->value_ptr(), value.data(), value.size());
  LinkItem(it, hv);
  if (new_cas != 0) it->set_cas(new_cas);
  return it;
}

Store::Impl::LinkPlan Store::Impl::PlanLink(Item* it, Item* old, uint64_t hv, StoreMode mode,
                                            const LinkOptions& o, StoreStatus* status) {
  const std::string_view key = it->key();
  LinkPlan plan{.to_link = it};
  if (old != nullptr) {
    const uint64_t old_cas = old->cas();
    switch (mode) {
      case StoreMode::kAdd:
        Update(old);  // add only adds, but promotes the existing item
        break;
      case StoreMode::kCas:
        if (o.cas_compare == old_cas && (o.cas_compare != 0 || o.has_cas)) {
          Count(old, ClassOp::kCasHits);
          plan.store = true;
        } else if (o.invalidate && o.cas_compare < old_cas) {
          // I: an older CAS still stores, as a stale value that keeps the
          // TTL and the win of the item it replaces.
          it->exptime.store(old->exptime.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
          plan.bits = StaleStoreBits(meta_state_.Get(hv, key, old));
          plan.store = true;
        } else {
          Count(old, ClassOp::kCasBadval);
          *status = StoreStatus::kExists;
        }
        break;
      case StoreMode::kAppend:
      case StoreMode::kPrepend:
        if (o.cas_compare != 0 && o.cas_compare != old_cas) {
          *status = StoreStatus::kExists;
          break;
        }
        plan.combined = Concatenate(key, old, it, mode, status);
        if (plan.combined == nullptr) break;
        plan.to_link = plan.combined;
        plan.store = true;
        break;
      case StoreMode::kSet:
      case StoreMode::kReplace:
        plan.store = true;
        break;
    }
  } else {
    switch (mode) {
      case StoreMode::kSet:
      case StoreMode::kAdd:
        plan.store = true;
        break;
      case StoreMode::kCas:
        *status = StoreStatus::kNotFound;
        break;
      case StoreMode::kAppend:
      case StoreMode::kPrepend:
        if (o.vivify) {  // memcached HEAD: N autovivifies in append mode
          it->exptime.store(o.vivify_exptime, std::memory_order_relaxed);
          plan.store = true;
        }
        break;
      case StoreMode::kReplace:
        break;
    }
  }
  return plan;
}

LinkResult Store::Impl::Link(ItemHandle handle, const LinkOptions& o) {
  LinkResult r;
  Item* it = handle.get();
  if (it == nullptr || it->linked()) return r;
  const std::string_view key = it->key();
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Count(it, ClassOp::kCmdSet);  // memcached counts every store by its new item's class
  StoreMode mode = o.mode;
  // A CAS turns set and replace into cas (memcached's process_mset_command).
  if (o.has_cas && (mode == StoreMode::kSet || mode == StoreMode::kReplace)) mode = StoreMode::kCas;
  Item* old = FindLive(key, hv, nullptr);
  LinkPlan plan = PlanLink(it, old, hv, mode, o, &r.status);
  // b: the item remembers its binary key, unless it is an append/prepend
  // result (memcached allocates that one afresh, without ITEM_KEY_BINARY).
  if (o.key_binary && plan.to_link == it) plan.bits |= MetaStateTable::kKeyBinary;
  // An item with meta state takes over the old item's side entry, or
  // reserves one before the old item goes. Without (every classic store)
  // the unlink below drops any entry of the old item.
  bool old_entry = false;
  bool reserved = false;
  if (plan.store && plan.bits != 0) {
    old_entry = old != nullptr && meta_state_.Get(hv, key, old) != 0;
    reserved = !old_entry && meta_state_.Reserve();
    if (!old_entry && !reserved) {
      // Full side table: I stores nothing (EX, as without I); a binary key
      // cannot be stored without its mark.
      plan.store = false;
      r.status =
          (plan.bits & MetaStateTable::kStale) != 0 ? StoreStatus::kExists : StoreStatus::kNoMemory;
    }
  }
  if (plan.store) {
    if (old != nullptr) {
      if (old_entry) meta_state_.Move(hv, key, old, plan.to_link);
      UnlinkItem(old, hv);
    }
    LinkItem(plan.to_link, hv);
    if (o.new_cas != 0) plan.to_link->set_cas(o.new_cas);
    if (reserved) {
      meta_state_.SetReserved(hv, key, plan.to_link, plan.bits);
    } else if (old_entry) {
      meta_state_.Set(hv, key, plan.to_link, plan.bits);  // updates the moved entry: cannot fail
    }
    r.status = StoreStatus::kStored;
    r.cas = plan.to_link->cas();
  }
  if (plan.combined != nullptr) slabs_.Release(plan.combined);
  return r;
}

GetResult Store::Impl::Get(std::string_view key, const GetOptions& o) {
  GetResult r;
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* it = FindLive(key, hv, &r.outcome);
  if (it != nullptr) {
    if (!o.peek) CountHit(it, o.ttl.touch);
    r.item = Retain(it);  // snapshots fetched / last access before the bump
    if (!r.item) [[unlikely]] {
      r.outcome = GetOutcome::kMiss;
      return r;
    }
  } else if (!o.ttl.vivify || (it = Vivify(key, hv, o.new_cas, &r)) == nullptr) {
    return r;
  }
  if (o.meta) [[unlikely]] {
    if (!ApplyMetaGet(it, hv, key, o, &r)) {
      // N's placeholder could not record its win: miss as without N.
      UnlinkItem(it, hv);
      const GetOutcome outcome = r.outcome;
      r = GetResult{};  // drops the placeholder's handle: its chunk is freed
      r.outcome = outcome;
      return r;  // every path returns r: it is built in the caller's slot
    }
  } else if (o.ttl.touch) {
    it->exptime.store(o.ttl.exptime, std::memory_order_relaxed);
  }
  if (o.bump) Bump(it);
  return r;
}

Item* Store::Impl::Vivify(std::string_view key, uint64_t hv, uint64_t new_cas, GetResult* r) {
  // mg N: an empty placeholder (CREATING A MISSING KEY), so exactly one
  // client creates it and wins.
  AllocStatus status;
  Item* it = CreateLocked(key, hv, {}, new_cas, &status);
  if (it == nullptr) return nullptr;
  r->item = ItemHandle(it, &slabs_);  // adopts the allocation's reference
  r->created = true;
  return it;
}

bool Store::Impl::ApplyMetaGet(Item* it, uint64_t hv, std::string_view key, const GetOptions& o,
                               GetResult* r) {
  const uint8_t bits = r->created ? 0 : meta_state_.Get(hv, key, it);
  r->exptime_before = it->exptime.load(std::memory_order_relaxed);
  r->token_sent = (bits & MetaStateTable::kTokenSent) != 0;
  r->stale = (bits & MetaStateTable::kStale) != 0;
  r->key_binary = (bits & MetaStateTable::kKeyBinary) != 0;
  if (o.peek) return true;
  const TtlOutcome ttl = ApplyTtlFlags(o.ttl, r->exptime_before, r->created, bits);
  if (ttl.exptime != r->exptime_before) {
    it->exptime.store(ttl.exptime, std::memory_order_relaxed);
  }
  if (ttl.won && !meta_state_.Set(hv, key, it, bits | MetaStateTable::kTokenSent)) {
    // The side table is full: hand out no win. N then misses (a placeholder
    // nobody won would keep every reader on an empty value).
    if (r->created) return false;
  } else {
    r->won = ttl.won;
  }
  return true;
}

Item* Store::Impl::Recas(Item* it, uint64_t hv, uint64_t new_cas) {
  // The acquire pairs with the last reader's releasing decrement.
  if (it->refcount.load(std::memory_order_acquire) == 1) {
    it->set_cas(new_cas != 0 ? new_cas : NextCas());
    return it;
  }
  AllocStatus alloc;
  Item* copy = NewItem(it->key(), it->client_flags(), it->exptime.load(std::memory_order_relaxed),
                       it->nbytes, &alloc);
  if (copy == nullptr) return nullptr;
  slabs_.CopyValue(it, copy, 0);
  const RelTime time = it->time.load(std::memory_order_relaxed);
  const uint8_t keep = it->flags.load(std::memory_order_relaxed) & (kItemFetched | kItemActive);
  meta_state_.Move(hv, it->key(), it, copy);  // the copy keeps the entry (and its room)
  UnlinkItem(it, hv);
  copy->flags.fetch_or(keep, std::memory_order_relaxed);
  LinkItem(copy, hv);
  copy->time.store(time, std::memory_order_relaxed);
  if (new_cas != 0) copy->set_cas(new_cas);
  slabs_.Release(copy);  // the link holds it now
  return copy;
}

DeleteStatus Store::Impl::Delete(std::string_view key, const DeleteOptions& o) {
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* it = FindLive(key, hv, nullptr);
  if (it == nullptr) return DeleteStatus::kNotFound;
  if ((o.cas_compare != 0 || o.has_cas) && o.cas_compare != it->cas()) {
    return DeleteStatus::kExists;
  }
  if (o.invalidate) {
    // I: keep the item, mark it stale, clear the win so one client can win
    // again, new CAS; T only applies here.
    const uint8_t bits = meta_state_.Get(hv, key, it);
    const bool reserved = bits == 0 && meta_state_.Reserve();
    if (bits == 0 && !reserved) {
      // Full side table: it cannot be marked stale, so delete it (the next
      // reader misses and recomputes instead of serving the stale value).
      Count(it, ClassOp::kDeleteHits);
      UnlinkItem(it, hv);
      return DeleteStatus::kDeleted;
    }
    if (o.touch) it->exptime.store(o.exptime, std::memory_order_relaxed);
    Item* target = Recas(it, hv, o.new_cas);
    if (target == nullptr) {
      if (reserved) meta_state_.Unreserve();
      return DeleteStatus::kNotStored;
    }
    if (reserved) {
      meta_state_.SetReserved(hv, key, target, InvalidatedBits(bits));
    } else {
      meta_state_.Set(hv, key, target, InvalidatedBits(bits));  // updates its entry
    }
    return DeleteStatus::kInvalidated;
  }
  if (o.remove_value) {
    // x (memcached HEAD): the item stays, with an empty value.
    AllocStatus alloc;
    Item* empty =
        NewItem(key, o.client_flags, it->exptime.load(std::memory_order_relaxed), 0, &alloc);
    if (empty == nullptr) return DeleteStatus::kNotStored;
    Count(it, ClassOp::kDeleteHits);
    UnlinkItem(it, hv);
    LinkItem(empty, hv);
    if (o.new_cas != 0) empty->set_cas(o.new_cas);
    slabs_.Release(empty);
    return DeleteStatus::kDeleted;
  }
  Count(it, ClassOp::kDeleteHits);
  UnlinkItem(it, hv);  // drops the item's meta state
  return DeleteStatus::kDeleted;
}

Item* Store::Impl::ApplyDelta(Item* it, uint64_t hv, const DeltaOptions& o, DeltaResult* r) {
  if (o.cas_compare != 0 && o.cas_compare != it->cas()) {
    r->status = DeltaStatus::kExists;
    return nullptr;
  }
  uint64_t value = 0;
  if (!ParseItemDecimal(it, &value)) {
    r->status = DeltaStatus::kNonNumeric;
    return nullptr;
  }
  if (o.incr) {
    value += o.delta;  // wraps modulo 2^64
  } else {
    value = o.delta > value ? 0 : value - o.delta;
  }
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  const auto len = static_cast<uint32_t>(end - digits);
  r->value = value;
  // The link's reference is the only one: nobody can be reading the bytes
  // (new references need this item lock), so write in place, keeping the
  // meta bits (a new item below loses them, as in memcached's do_add_delta).
  // The acquire pairs with the last reader's releasing decrement.
  if (len <= it->nbytes && it->refcount.load(std::memory_order_acquire) == 1) {
    it->set_cas(o.new_cas != 0 ? o.new_cas : NextCas());
    std::memcpy(it->value_ptr(), digits, len);
    std::memset(it->value_ptr() + len, ' ', it->nbytes - len);
    Update(it);
    return it;
  }
  AllocStatus alloc;
  Item* fresh = NewItem(it->key(), it->client_flags(), it->exptime.load(std::memory_order_relaxed),
                        len, &alloc);
  if (fresh == nullptr) {
    r->status = DeltaStatus::kNoMemory;
    return nullptr;
  }
  std::memcpy(fresh->value_ptr(), digits, len);
  UnlinkItem(it, hv);
  LinkItem(fresh, hv);
  if (o.new_cas != 0) fresh->set_cas(o.new_cas);
  slabs_.Release(fresh);  // the link holds it now
  return fresh;
}

DeltaResult Store::Impl::Delta(std::string_view key, const DeltaOptions& o) {
  DeltaResult r;
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* target = FindLive(key, hv, nullptr);
  if (target != nullptr) {
    const uint8_t cls = slabs_.ClassOf(target);
    target = ApplyDelta(target, hv, o, &r);
    if (target != nullptr) {
      class_counters_.Add(cls, o.incr ? ClassOp::kIncrHits : ClassOp::kDecrHits);
    }
    if (target == nullptr) return r;
    r.exptime_before = target->exptime.load(std::memory_order_relaxed);
  } else {
    if (!o.ttl.vivify) {
      r.status = DeltaStatus::kNotFound;
      return r;
    }
    // Store `initial` (CREATING A MISSING KEY).
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), o.initial);
    AllocStatus alloc;
    target = CreateLocked(key, hv, std::string_view(digits, static_cast<size_t>(end - digits)),
                          o.new_cas, &alloc);
    if (target == nullptr) {
      r.status = DeltaStatus::kNoMemory;
      return r;
    }
    slabs_.Release(target);  // the link holds it now
    r.value = o.initial;
    r.created = true;
  }
  if (o.ttl.touch || r.created) {
    const RelTime exptime = ApplyTtlFlags(o.ttl, r.exptime_before, r.created, 0).exptime;
    target->exptime.store(exptime, std::memory_order_relaxed);
  }
  r.exptime = target->exptime.load(std::memory_order_relaxed);
  r.cas = target->cas();
  r.status = DeltaStatus::kOk;
  return r;
}

void Store::Impl::FlushAll(RelTime when) {
  // memcached: oldest_live = realtime(delay) - 1, or current_time - 1 for
  // "now"; an item is flushed once time <= oldest_live <= current_time.
  const RelTime now = Now();
  const int64_t oldest = when > 0 ? int64_t{when} - 1 : int64_t{now} - 1;
  oldest_live_.store(oldest, std::memory_order_relaxed);
  if (oldest > now || oldest < 0) return;
  // Items stored in the horizon's own second (or later) escape the lazy
  // check: unlink them now, like item_flush_expired().
  for (int cls = 1; cls <= slabs_.num_classes(); ++cls) {
    FlushClass(static_cast<uint8_t>(cls), static_cast<RelTime>(oldest));
  }
}

bool Store::Impl::SetMemoryLimit(size_t max_bytes) { return slabs_.SetMemoryLimit(max_bytes); }

void Store::Impl::RunMaintenance() {
  for (int cls = 1; cls <= slabs_.num_classes(); ++cls) Juggle(static_cast<uint8_t>(cls));
  if (!config_.background_threads) {
    while (table_.Step(size_t{1} << 20)) {
    }
  }
  // A page move may need several rounds (items held by handles).
  for (int i = 0; i < 3 && Housekeeping(); ++i) {
  }
  crawler_.RunToEnd();
}

StoreStats Store::Impl::GetStats() const {
  StoreStats s;
  for (int cls = 1; cls <= slabs_.num_classes(); ++cls) {
    const LruClass& lc = lru_.cls(static_cast<uint8_t>(cls));
    std::lock_guard lock(const_cast<LruClass&>(lc).mu);
    for (int l = 0; l < kNumLrus; ++l) {
      s.curr_items += lc.count[l];
      s.bytes += lc.bytes[l];
    }
    s.total_items += lc.total_items;
    s.evictions += lc.evicted;
    s.reclaimed += lc.reclaimed;
    s.expired_unfetched += lc.expired_unfetched;
    s.evicted_unfetched += lc.evicted_unfetched;
    s.evicted_active += lc.evicted_active;
    s.lrutail_reflocked += lc.lrutail_reflocked;
    s.moves_to_cold += lc.moves_to_cold;
    s.moves_to_warm += lc.moves_to_warm;
    s.moves_within_lru += lc.moves_within_lru;
    s.direct_reclaims += lc.direct_reclaims;
  }
  s.limit_maxbytes = slabs_.mem_limit();
  s.total_malloced = slabs_.mem_malloced();
  s.hash_power_level = table_.hash_power();
  s.hash_bytes = table_.bytes();
  s.hash_is_expanding = table_.expanding();
  s.slabs_moved = slabs_moved_.load(std::memory_order_relaxed);
  s.slab_reassign_running = slabs_.page_move_running() ? 1 : 0;
  s.slab_reassign_rescues = reassign_rescues_.load(std::memory_order_relaxed);
  s.slab_reassign_evictions_nomem = reassign_evictions_nomem_.load(std::memory_order_relaxed);
  s.slab_reassign_busy_items = reassign_busy_items_.load(std::memory_order_relaxed);
  s.slab_reassign_chunk_rescues = reassign_chunk_rescues_.load(std::memory_order_relaxed);
  s.slab_reassign_inline_reclaim = reassign_inline_reclaim_.load(std::memory_order_relaxed);
  switch (reassign_last_busy_.load(std::memory_order_relaxed)) {
    case BusyStatus::kNone:
      s.slab_reassign_last_busy_status = "none";
      break;
    case BusyStatus::kLocked:
      s.slab_reassign_last_busy_status = "locked";
      break;
    case BusyStatus::kBusy:
      s.slab_reassign_last_busy_status = "busy";
      break;
  }
  s.slab_global_page_pool = slabs_.pool_pages();
  s.lru_maintainer_juggles = juggles_.load(std::memory_order_relaxed);
  s.malloc_fails = slabs_.malloc_fails();
  const Crawler::Stats cs = crawler_.stats();
  s.crawler_reclaimed = cs.reclaimed;
  s.crawler_items_checked = cs.items_checked;
  s.lru_crawler_running = cs.running;
  s.lru_crawler_starts = cs.starts;
  s.lru_crawler_dumps_taken_over = cs.dumps_taken_over;
  return s;
}

std::vector<SlabClassStats> Store::Impl::GetSlabClassStats() const {
  std::vector<SlabClassStats> out;
  const RelTime now = Now();
  for (int cls = 1; cls <= slabs_.num_classes(); ++cls) {
    const SlabAllocator::ClassStats ss = slabs_.GetClassStats(cls);
    if (ss.total_pages == 0) continue;
    const SlabAllocator::ClassInfo& info = slabs_.info(cls);
    SlabClassStats s;
    s.id = static_cast<uint32_t>(cls);
    s.chunk_size = info.chunk_size;
    s.chunks_per_page = info.perslab;
    s.total_pages = ss.total_pages;
    s.total_chunks = ss.total_chunks;
    s.used_chunks = ss.used_chunks;
    s.free_chunks = ss.free_chunks;
    s.free_chunks_end = 0;  // pages are carved into the free list when taken
    s.mem_requested = ss.mem_requested;
    LruClass& lc = const_cast<SegmentedLru&>(lru_).cls(static_cast<uint8_t>(cls));
    std::lock_guard lock(lc.mu);
    auto age = [&](LruId l) -> uint64_t {
      const Item* tail = lru_.Tail(lc, l);
      return tail == nullptr ? 0 : now - tail->time.load(std::memory_order_relaxed);
    };
    s.number_hot = lc.count[0];
    s.number_warm = lc.count[1];
    s.number_cold = lc.count[2];
    s.number_temp = lc.count[3];
    s.number = s.number_hot + s.number_warm + s.number_cold + s.number_temp;
    s.age_hot = age(LruId::kHot);
    s.age_warm = age(LruId::kWarm);
    s.age = age(LruId::kCold);
    s.evicted = lc.evicted;
    s.evicted_nonzero = lc.evicted_nonzero;
    s.evicted_time = lc.evicted_time;
    s.evicted_unfetched = lc.evicted_unfetched;
    s.evicted_active = lc.evicted_active;
    s.outofmemory = lc.outofmemory;
    s.reclaimed = lc.reclaimed;
    s.expired_unfetched = lc.expired_unfetched;
    s.moves_to_cold = lc.moves_to_cold;
    s.moves_to_warm = lc.moves_to_warm;
    s.moves_within_lru = lc.moves_within_lru;
    s.direct_reclaims = lc.direct_reclaims;
    s.crawler_reclaimed = lc.crawler_reclaimed;
    s.crawler_items_checked = lc.crawler_items_checked;
    s.lrutail_reflocked = lc.lrutail_reflocked;
    const ClassCounters::Totals ops = class_counters_.Sum(static_cast<uint8_t>(cls));
    auto op = [&](ClassOp o) { return ops[static_cast<size_t>(o)]; };
    s.hits_to_hot = op(ClassOp::kHitsToHot);
    s.hits_to_warm = op(ClassOp::kHitsToWarm);
    s.hits_to_cold = op(ClassOp::kHitsToCold);
    s.hits_to_temp = op(ClassOp::kHitsToTemp);
    s.get_hits = op(ClassOp::kGetHits);
    s.cmd_set = op(ClassOp::kCmdSet);
    s.delete_hits = op(ClassOp::kDeleteHits);
    s.incr_hits = op(ClassOp::kIncrHits);
    s.decr_hits = op(ClassOp::kDecrHits);
    s.cas_hits = op(ClassOp::kCasHits);
    s.cas_badval = op(ClassOp::kCasBadval);
    s.touch_hits = op(ClassOp::kTouchHits);
    out.push_back(s);
  }
  return out;
}

// ----------------------------------------------------------------- Store ---

Store::Store(const StoreConfig& config, const Clock* clock)
    : impl_(std::make_unique<Impl>(config, clock)) {}
Store::~Store() = default;

AllocResult Store::Allocate(std::string_view key, uint32_t client_flags, RelTime exptime,
                            uint32_t value_len) {
  return impl_->Allocate(key, client_flags, exptime, value_len);
}
LinkResult Store::Link(ItemHandle item, const LinkOptions& options) {
  return impl_->Link(std::move(item), options);
}
GetResult Store::Get(std::string_view key, const GetOptions& options) {
  return impl_->Get(key, options);
}
DeleteStatus Store::Delete(std::string_view key, const DeleteOptions& options) {
  return impl_->Delete(key, options);
}
DeltaResult Store::Delta(std::string_view key, const DeltaOptions& options) {
  return impl_->Delta(key, options);
}
size_t Store::meta_state_entries_for_tests() const { return impl_->meta_state_entries(); }
size_t Store::SideTableBytes() const { return impl_->meta_state_bytes(); }
void Store::FlushAll(RelTime when) { impl_->FlushAll(when); }
bool Store::SetMemoryLimit(size_t max_bytes) { return impl_->SetMemoryLimit(max_bytes); }
Store::ReassignStatus Store::Reassign(int src, int dst) { return impl_->Reassign(src, dst); }
void Store::SetAutomove(uint32_t mode) { impl_->SetAutomove(mode); }
void Store::SetEvictionObserver(EvictionObserver* observer) {
  impl_->SetEvictionObserver(observer);
}
uint32_t Store::automove() const { return impl_->automove(); }
StoreStats Store::GetStats() const { return impl_->GetStats(); }
std::vector<SlabClassStats> Store::GetSlabClassStats() const { return impl_->GetSlabClassStats(); }
static_assert(ClassSet().size() > SlabAllocator::kMaxClasses, "a bit for every class id");
int Store::NumSlabClasses() const { return impl_->NumClasses(); }
void Store::ResetClassCounters() { impl_->ResetClassCounters(); }
const StoreConfig& Store::config() const { return impl_->config(); }
void Store::RunMaintenance() { impl_->RunMaintenance(); }
const RestartReport& Store::restart_report() const { return impl_->restart_report(); }
bool Store::SaveForRestart(std::string* why) { return impl_->SaveForRestart(why); }

}  // namespace slabcached::slabs
