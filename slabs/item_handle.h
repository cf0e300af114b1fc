// ItemHandle: a move-only RAII reference on one item (CacheLib's Handle,
// memcached's refcount_incr/item_remove pair).
//
// While a handle exists the item's chunk is never reused: the item may be
// deleted, replaced or evicted meanwhile (it is then unlinked and invisible to
// new lookups), but the bytes seen through this handle stay unchanged. When
// the last reference to an unlinked item is dropped its chunk returns to the
// slab allocator. Every handle must be dropped before its Store is destroyed.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "slabs/clock.h"
#include "slabs/item.h"
#include "slabs/slab_allocator.h"

namespace slabcached::slabs {

class ItemHandle {
 public:
  ItemHandle() = default;
  // Adopts one reference the caller already took on `item`.
  ItemHandle(Item* item, SlabAllocator* slabs) : item_(item), slabs_(slabs) {
    if (item_ != nullptr) {
      fetched_ = (item_->flags.load(std::memory_order_relaxed) & kItemFetched) != 0;
      last_access_ = item_->time.load(std::memory_order_relaxed);
    }
  }
  ~ItemHandle() { Reset(); }

  ItemHandle(ItemHandle&& other) noexcept
      : item_(std::exchange(other.item_, nullptr)),
        slabs_(std::exchange(other.slabs_, nullptr)),
        last_access_(other.last_access_),
        fetched_(other.fetched_) {}
  ItemHandle& operator=(ItemHandle&& other) noexcept {
    if (this != &other) {
      Reset();
      item_ = std::exchange(other.item_, nullptr);
      slabs_ = std::exchange(other.slabs_, nullptr);
      last_access_ = other.last_access_;
      fetched_ = other.fetched_;
    }
    return *this;
  }
  ItemHandle(const ItemHandle&) = delete;
  ItemHandle& operator=(const ItemHandle&) = delete;

  explicit operator bool() const { return item_ != nullptr; }

  std::string_view key() const { return item_->key(); }
  uint32_t client_flags() const { return item_->client_flags(); }
  // 0 when CAS is disabled (-C).
  uint64_t cas() const { return item_->cas(); }
  RelTime exptime() const { return item_->exptime.load(std::memory_order_relaxed); }
  // The item's last access time as it was when this handle was obtained
  // (before the lookup's own LRU bump: what meta "l" and "h" report).
  RelTime last_access() const { return last_access_; }
  // Whether the item had been fetched before the lookup that made this handle.
  bool fetched() const { return fetched_; }
  // Value length excluding the trailing "\r\n".
  uint32_t value_length() const { return item_->nbytes; }
  std::string_view value() const { return {item_->value_ptr(), item_->nbytes}; }
  // The value followed by "\r\n": what the connection writes to the socket.
  std::string_view value_with_crlf() const { return {item_->value_ptr(), item_->nbytes + 2u}; }
  // Only for unlinked items from Store::Allocate(): value_length() + 2 bytes
  // for the value and the final "\r\n", both written by the caller.
  char* writable_data() { return item_->value_ptr(); }
  uint8_t slab_class() const { return slabs_->ClassOf(item_); }
  size_t total_size() const { return item_->total_size(); }

  // Internal: the store's access to the item.
  Item* get() const { return item_; }
  // Drops the reference now.
  void Reset() {
    if (item_ != nullptr) {
      slabs_->Release(item_);
      item_ = nullptr;
      slabs_ = nullptr;
    }
  }

 private:
  Item* item_ = nullptr;
  SlabAllocator* slabs_ = nullptr;
  RelTime last_access_ = 0;
  bool fetched_ = false;
};

}  // namespace slabcached::slabs
