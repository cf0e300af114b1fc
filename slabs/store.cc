// The item store: storage semantics of memcached 1.6 (do_store_item,
// do_add_delta, do_item_get, flush_all) over the slab allocator, the hash
// table and the segmented LRU.
//
// Locks and references: slabs/lock_order.h.
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
          .chunk_size_min = c.chunk_size_min,
          .growth_factor = c.growth_factor};
}

uint32_t LockPower(const StoreConfig& c) {
  return std::min<uint32_t>(ItemLocks::kMaxPower, std::max<uint32_t>(c.hashpower_init, 1));
}

}  // namespace

// ------------------------------------------------------------------ Impl ---

Store::Impl::Impl(const StoreConfig& config, const Clock* clock)
    : config_(config),
      clock_(clock),
      slabs_(SlabConfigFrom(config)),
      locks_(LockPower(config)),
      table_({.hashpower_init = std::max(config.hashpower_init, LockPower(config)),
              .expand = config.hash_expand,
              .background = config.background_threads},
             KeyHasher(config.hash_seed.value_or(KeyHasher::RandomSeed())), &locks_, &slabs_),
      lru_(&slabs_),
      automove_(config.slab_automove) {
  automove_last_ = clock_->Now();
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
  it->time.store(Now(), std::memory_order_relaxed);
  it->set_cas(NextCas());
  it->refcount.fetch_add(1, std::memory_order_relaxed);
  it->flags.fetch_or(kItemLinked, std::memory_order_relaxed);
  table_.Insert(it, hv);
  LruClass& lc = lru_.cls(slabs_.ClassOf(it));
  std::lock_guard lock(lc.mu);
  lru_.LinkHead(lc, it, LruId::kHot);
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

StoreStatus Store::Impl::Link(ItemHandle handle, StoreMode mode, uint64_t cas_compare,
                              uint64_t* cas_out) {
  Item* it = handle.get();
  if (it == nullptr || it->linked()) return StoreStatus::kNotStored;
  const std::string_view key = it->key();
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* old = FindLive(key, hv, nullptr);
  Item* to_link = it;
  Item* combined = nullptr;  // append/prepend result; we hold its allocation reference
  StoreStatus status = StoreStatus::kNotStored;
  bool store = false;
  if (old != nullptr) {
    const uint64_t old_cas = old->cas();
    switch (mode) {
      case StoreMode::kAdd:
        Update(old);  // add only adds, but promotes the existing item
        break;
      case StoreMode::kCas:
        if (cas_compare != 0 && cas_compare == old_cas) {
          store = true;
        } else {
          status = StoreStatus::kExists;
        }
        break;
      case StoreMode::kAppend:
      case StoreMode::kPrepend: {
        if (cas_compare != 0 && cas_compare != old_cas) {
          status = StoreStatus::kExists;
          break;
        }
        combined = Concatenate(key, old, it, mode, &status);
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
    if (store) UnlinkItem(old, hv);
  } else {
    switch (mode) {
      case StoreMode::kSet:
      case StoreMode::kAdd:
        store = true;
        break;
      case StoreMode::kCas:
        status = StoreStatus::kNotFound;
        break;
      case StoreMode::kReplace:
      case StoreMode::kAppend:
      case StoreMode::kPrepend:
        break;
    }
  }
  if (store) {
    LinkItem(to_link, hv);
    status = StoreStatus::kStored;
    if (cas_out != nullptr) *cas_out = to_link->cas();
  }
  if (combined != nullptr) slabs_.Release(combined);
  return status;
}

ItemHandle Store::Impl::Get(std::string_view key, GetOutcome* outcome) {
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* it = FindLive(key, hv, outcome);
  if (it == nullptr) return {};
  lru_.cls(slabs_.ClassOf(it))
      .hits[static_cast<int>(it->lru())]
      .fetch_add(1, std::memory_order_relaxed);
  ItemHandle handle = Retain(it);  // snapshots fetched/last access before the bump
  if (!handle && outcome != nullptr) *outcome = GetOutcome::kMiss;
  if (handle) Bump(it);
  return handle;
}

ItemHandle Store::Impl::GetAndTouch(std::string_view key, RelTime exptime, GetOutcome* outcome) {
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* it = FindLive(key, hv, outcome);
  if (it == nullptr) return {};
  lru_.cls(slabs_.ClassOf(it))
      .hits[static_cast<int>(it->lru())]
      .fetch_add(1, std::memory_order_relaxed);
  ItemHandle handle = Retain(it);
  if (!handle) {
    if (outcome != nullptr) *outcome = GetOutcome::kMiss;
    return handle;
  }
  Bump(it);
  it->exptime.store(exptime, std::memory_order_relaxed);
  return handle;
}

bool Store::Impl::Touch(std::string_view key, RelTime exptime) {
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* it = FindLive(key, hv, nullptr);
  if (it == nullptr) return false;
  Bump(it);
  it->exptime.store(exptime, std::memory_order_relaxed);
  return true;
}

DeleteStatus Store::Impl::Delete(std::string_view key, uint64_t cas_compare) {
  const uint64_t hv = HashKey(key);
  ItemLockGuard item_lock(locks_.For(hv));
  Item* it = FindLive(key, hv, nullptr);
  if (it == nullptr) return DeleteStatus::kNotFound;
  if (cas_compare != 0 && cas_compare != it->cas()) return DeleteStatus::kExists;
  UnlinkItem(it, hv);
  return DeleteStatus::kDeleted;
}

DeltaResult Store::Impl::Delta(std::string_view key, bool incr, uint64_t delta,
                               const DeltaOptions& options) {
  const uint64_t hv = HashKey(key);
  // Create-on-miss races with other creators: retry the whole operation.
  for (int attempt = 0; attempt < 3; ++attempt) {
    {
      ItemLockGuard item_lock(locks_.For(hv));
      Item* it = FindLive(key, hv, nullptr);
      if (it != nullptr) {
        if (options.cas_compare != 0 && options.cas_compare != it->cas()) {
          return {.status = DeltaStatus::kExists};
        }
        uint64_t value = 0;
        if (!ParseItemDecimal(it, &value)) return {.status = DeltaStatus::kNonNumeric};
        if (incr) {
          value += delta;  // wraps modulo 2^64
        } else {
          value = delta > value ? 0 : value - delta;
        }
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
        const auto len = static_cast<uint32_t>(end - digits);
        // The link's reference is the only one: nobody can be reading the
        // bytes (new references need this item lock), so write in place. The
        // acquire pairs with the last reader's releasing decrement.
        if (len <= it->nbytes && it->refcount.load(std::memory_order_acquire) == 1) {
          it->set_cas(NextCas());
          std::memcpy(it->value_ptr(), digits, len);
          std::memset(it->value_ptr() + len, ' ', it->nbytes - len);
          Update(it);
          return {.status = DeltaStatus::kOk, .value = value, .cas = it->cas()};
        }
        AllocStatus alloc;
        Item* fresh = NewItem(key, it->client_flags(), it->exptime.load(std::memory_order_relaxed),
                              len, &alloc);
        if (fresh == nullptr) return {.status = DeltaStatus::kNoMemory};
        std::memcpy(fresh->value_ptr(), digits, len);
        UnlinkItem(it, hv);
        LinkItem(fresh, hv);
        const uint64_t cas = fresh->cas();
        slabs_.Release(fresh);
        return {.status = DeltaStatus::kOk, .value = value, .cas = cas};
      }
      if (!options.create_on_miss) return {.status = DeltaStatus::kNotFound};
    }
    // Miss with create_on_miss: store the initial value like an add.
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), options.initial);
    const auto len = static_cast<uint32_t>(end - digits);
    AllocResult alloc = Allocate(key, 0, options.create_exptime, len);
    if (alloc.status != AllocStatus::kOk) return {.status = DeltaStatus::kNoMemory};
    alloc.item.WriteValue(0, {digits, len});
    uint64_t cas = 0;
    if (Link(std::move(alloc.item), StoreMode::kAdd, 0, &cas) == StoreStatus::kStored) {
      return {.status = DeltaStatus::kOk, .value = options.initial, .cas = cas};
    }
  }
  return {.status = DeltaStatus::kNotFound};
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
  s.slab_global_page_pool = slabs_.pool_pages();
  s.lru_maintainer_juggles = juggles_.load(std::memory_order_relaxed);
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
    s.number = s.number_hot + s.number_warm + s.number_cold;
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
    s.hits_to_hot = lc.hits[0].load(std::memory_order_relaxed);
    s.hits_to_warm = lc.hits[1].load(std::memory_order_relaxed);
    s.hits_to_cold = lc.hits[2].load(std::memory_order_relaxed);
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
StoreStatus Store::Link(ItemHandle item, StoreMode mode, uint64_t cas_compare, uint64_t* cas_out) {
  return impl_->Link(std::move(item), mode, cas_compare, cas_out);
}
ItemHandle Store::Get(std::string_view key, GetOutcome* outcome) {
  return impl_->Get(key, outcome);
}
ItemHandle Store::GetAndTouch(std::string_view key, RelTime exptime, GetOutcome* outcome) {
  return impl_->GetAndTouch(key, exptime, outcome);
}
bool Store::Touch(std::string_view key, RelTime exptime) { return impl_->Touch(key, exptime); }
DeleteStatus Store::Delete(std::string_view key, uint64_t cas_compare) {
  return impl_->Delete(key, cas_compare);
}
DeltaResult Store::Delta(std::string_view key, bool incr, uint64_t delta,
                         const DeltaOptions& options) {
  return impl_->Delta(key, incr, delta, options);
}
void Store::FlushAll(RelTime when) { impl_->FlushAll(when); }
bool Store::SetMemoryLimit(size_t max_bytes) { return impl_->SetMemoryLimit(max_bytes); }
Store::ReassignStatus Store::Reassign(int src, int dst) { return impl_->Reassign(src, dst); }
void Store::SetAutomove(uint32_t mode) { impl_->SetAutomove(mode); }
uint32_t Store::automove() const { return impl_->automove(); }
StoreStats Store::GetStats() const { return impl_->GetStats(); }
std::vector<SlabClassStats> Store::GetSlabClassStats() const { return impl_->GetSlabClassStats(); }
const StoreConfig& Store::config() const { return impl_->config(); }
void Store::RunMaintenance() { impl_->RunMaintenance(); }

}  // namespace slabcached::slabs
