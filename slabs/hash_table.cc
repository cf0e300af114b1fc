#include "slabs/hash_table.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace slabcached::slabs {

void UnmapBuckets::operator()(ItemRef* buckets) const { munmap(buckets, bytes); }

HashTable::Buckets HashTable::MapBuckets(size_t count) {
  const size_t bytes = count * sizeof(ItemRef);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return Buckets(static_cast<ItemRef*>(p), UnmapBuckets{bytes});  // zeroed by the kernel
}

HashTable::HashTable(const Config& config, const KeyHasher& hasher, ItemLocks* locks,
                     const SlabAllocator* slabs)
    : hasher_(hasher), locks_(locks), slabs_(slabs), expand_enabled_(config.expand) {
  uint32_t power = config.hashpower_init;
  if (power > kMaxPower) power = kMaxPower;
  while ((uint64_t{1} << power) < locks_->count()) ++power;
  primary_ = MapBuckets(size_t{1} << power);
  auto view = std::make_unique<View>();
  view->primary = primary_.get();
  view->power = power;
  Publish(std::move(view));
  if (config.background && config.expand) {
    thread_ = std::jthread([this](std::stop_token stop) { Run(std::move(stop)); });
  }
}

HashTable::~HashTable() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_cv_.notify_all();
    thread_.join();
  }
}

void HashTable::Publish(std::unique_ptr<View> view) {
  view_.store(view.get(), std::memory_order_release);
  views_.push_back(std::move(view));
}

ItemRef* HashTable::BucketFor(uint64_t hv) const {
  const View* v = view();
  if (v->expanding) {
    const uint64_t old_bucket = hv & ((uint64_t{1} << (v->power - 1)) - 1);
    if (old_bucket >= v->expand_bucket.load(std::memory_order_acquire)) {
      return &v->old[old_bucket];
    }
  }
  return &v->primary[hv & ((uint64_t{1} << v->power) - 1)];
}

Item* HashTable::Find(std::string_view key, uint64_t hv) const {
  for (ItemRef r = *BucketFor(hv); r != 0;) {
    Item* it = slabs_->ToItem(r);
    if (it->nkey == key.size() && std::memcmp(it->key_ptr(), key.data(), key.size()) == 0) {
      return it;
    }
    r = it->h_next;
  }
  return nullptr;
}

void HashTable::Insert(Item* it, uint64_t hv) {
  ItemRef* bucket = BucketFor(hv);
  it->h_next = *bucket;
  *bucket = slabs_->ToRef(it);
  items_.fetch_add(1, std::memory_order_relaxed);
  if (thread_.joinable() && ExpandDue()) {
    std::lock_guard lock(wake_mu_);
    if (!wake_) {
      wake_ = true;
      wake_cv_.notify_one();
    }
  }
}

void HashTable::Remove(Item* it, uint64_t hv) {
  const ItemRef target = slabs_->ToRef(it);
  for (ItemRef* link = BucketFor(hv); *link != 0;) {
    if (*link == target) {
      *link = it->h_next;
      it->h_next = 0;
      items_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    link = &slabs_->ToItem(*link)->h_next;
  }
}

bool HashTable::Contains(const Item* it, uint64_t hv) const {
  const ItemRef target = slabs_->ToRef(it);
  for (ItemRef r = *BucketFor(hv); r != 0; r = slabs_->ToItem(r)->h_next) {
    if (r == target) return true;
  }
  return false;
}

bool HashTable::ExpandDue() const {
  const View* v = view();
  if (!expand_enabled_ || v->expanding) return false;
  const uint32_t power = v->power;
  if (power >= kMaxPower) return false;
  return items_.load(std::memory_order_relaxed) > ((uint64_t{1} << power) * 3) / 2;
}

void HashTable::StartExpand() {
  const View* current = view();
  if (current->expanding || current->power >= kMaxPower) return;
  Buckets bigger;
  try {
    bigger = MapBuckets(size_t{1} << (current->power + 1));
  } catch (const std::bad_alloc&) {
    return;  // memcached: "Hash table expansion failed"; keep serving
  }
  old_ = std::move(primary_);
  primary_ = std::move(bigger);
  auto next = std::make_unique<View>();
  next->primary = primary_.get();
  next->old = old_.get();
  next->power = current->power + 1;
  next->expanding = true;
  Publish(std::move(next));
}

bool HashTable::MigrateOne() {
  View* v = views_.back().get();
  const uint64_t old_size = uint64_t{1} << (v->power - 1);
  const uint64_t bucket = v->expand_bucket.load(std::memory_order_relaxed);
  if (bucket >= old_size) return false;
  const uint64_t mask = (uint64_t{1} << v->power) - 1;
  std::lock_guard lock(locks_->For(bucket));
  for (ItemRef r = v->old[bucket]; r != 0;) {
    Item* it = slabs_->ToItem(r);
    const ItemRef next = it->h_next;
    ItemRef* dest = &v->primary[HashKey(it->key()) & mask];
    it->h_next = *dest;
    *dest = r;
    r = next;
  }
  v->old[bucket] = 0;
  v->expand_bucket.store(bucket + 1, std::memory_order_release);
  return true;
}

void HashTable::FinishExpand() {
  auto next = std::make_unique<View>();
  next->primary = primary_.get();
  next->power = view()->power;
  Publish(std::move(next));
  old_.reset();
}

bool HashTable::Step(size_t max_buckets) {
  bool did = false;
  if (!view()->expanding) {
    if (!ExpandDue()) return false;
    StartExpand();
    did = true;
  }
  for (size_t i = 0; i < max_buckets; ++i) {
    if (!MigrateOne()) {
      FinishExpand();
      return true;
    }
    did = true;
  }
  return did;
}

void HashTable::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wake_mu_);
      wake_cv_.wait(lock, stop, [this] { return wake_; });
      wake_ = false;
    }
    if (stop.stop_requested()) return;
    if (!ExpandDue()) continue;
    StartExpand();
    // One bucket per stripe acquisition; yield now and then so workers that
    // contend on the same stripes get through.
    for (uint64_t n = 1; MigrateOne(); ++n) {
      if (stop.stop_requested()) return;
      if (n % 1024 == 0) std::this_thread::yield();
    }
    FinishExpand();
    // Items may have kept arriving during the migration.
    if (ExpandDue()) {
      std::lock_guard lock(wake_mu_);
      wake_ = true;
    }
  }
}

}  // namespace slabcached::slabs
