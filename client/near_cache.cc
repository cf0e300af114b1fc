#include "client/near_cache.h"

namespace slabcached::client {

NearCache::NearCache(NearCacheConfig config) : config_(std::move(config)) {}

std::chrono::steady_clock::time_point NearCache::Now() const {
  return config_.now ? config_.now() : std::chrono::steady_clock::now();
}

uint64_t NearCache::Epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

void NearCache::Erase(Lru::iterator it) {
  stats_.bytes -= it->key.size() + it->value.size() + kEntryOverhead;
  --stats_.entries;
  index_.erase(it->key);
  lru_.erase(it);
}

bool NearCache::Get(std::string_view key, Item* item) {
  const auto now = Now();
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    ++stats_.misses;
    return false;
  }
  const Lru::iterator it = found->second;
  if (now >= it->expires) {
    Erase(it);
    ++stats_.misses;
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it);
  item->value = it->value;
  item->flags = it->flags;
  item->cas = 0;
  ++stats_.hits;
  return true;
}

void NearCache::Put(std::string_view key, const Item& item, uint64_t epoch) {
  const size_t size = key.size() + item.value.size() + kEntryOverhead;
  const auto expires = Now() + config_.ttl;
  std::lock_guard lock(mu_);
  if (config_.max_entries == 0 || size > config_.max_bytes / 8 ||
      stripe_epoch_[Stripe(key)] > epoch) {
    ++stats_.dropped;
    return;
  }
  if (auto found = index_.find(key); found != index_.end()) Erase(found->second);
  while (!lru_.empty() &&
         (stats_.entries + 1 > config_.max_entries || stats_.bytes + size > config_.max_bytes)) {
    Erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  lru_.push_front(Entry{std::string(key), item.value, item.flags, expires});
  index_.emplace(lru_.front().key, lru_.begin());
  stats_.bytes += size;
  ++stats_.entries;
  ++stats_.puts;
}

void NearCache::Invalidate(std::string_view key) {
  std::lock_guard lock(mu_);
  stripe_epoch_[Stripe(key)] = ++epoch_;
  ++stats_.invalidations;
  if (auto found = index_.find(key); found != index_.end()) Erase(found->second);
}

void NearCache::Clear() {
  std::lock_guard lock(mu_);
  ++epoch_;
  stripe_epoch_.fill(epoch_);
  lru_.clear();
  index_.clear();
  stats_.entries = 0;
  stats_.bytes = 0;
}

NearCacheStats NearCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace slabcached::client
