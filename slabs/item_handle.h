// ItemHandle: a move-only RAII reference on one item (CacheLib's Handle,
// memcached's refcount_incr/item_remove pair).
//
// While a handle exists the item's chunk is never reused: the item may be
// deleted, replaced or evicted meanwhile (it is then unlinked and invisible to
// new lookups), but the bytes seen through this handle stay unchanged. When
// the last reference to an unlinked item is dropped its chunk returns to the
// slab allocator. Every handle must be dropped before its Store is destroyed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
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
  // Calls f(std::string_view) for each contiguous piece of the value (and,
  // with_crlf, its "\r\n"), in order: one piece, or several for an item
  // larger than the largest slab chunk. The views live as long as the handle.
  template <typename F>
  void ForEachPiece(bool with_crlf, F&& f) const {
    size_t left = item_->nbytes + (with_crlf ? 2u : 0u);
    slabs_->ForEachPiece(item_, [&](const char* bytes, size_t n) {
      const size_t take = std::min(n, left);
      if (take > 0) f(std::string_view(bytes, take));
      left -= take;
      return left > 0;
    });
  }
  // A copy of the value (tests and diagnostics; replies use ForEachPiece).
  std::string CopyValue() const {
    std::string out;
    out.reserve(item_->nbytes);
    ForEachPiece(false, [&](std::string_view piece) { out.append(piece); });
    return out;
  }
  // Whether the value bytes end in "\r\n" (a text data block's terminator).
  bool EndsWithCrlf() const {
    char last[2] = {0, 0};
    ForEachPiece(true, [&](std::string_view piece) {
      for (const char c : piece.substr(piece.size() - std::min<size_t>(piece.size(), 2))) {
        last[0] = last[1];
        last[1] = c;
      }
    });
    return last[0] == '\r' && last[1] == '\n';
  }
  // Only for unlinked items from Store::Allocate(): writes value bytes (the
  // value_length() bytes and the final "\r\n") from `offset` on.
  void WriteValue(size_t offset, std::string_view bytes) {
    slabs_->WriteValue(item_, offset, bytes);
  }
  // The same items: where value byte `offset` goes, and how many bytes after
  // it are contiguous (to receive straight into item memory).
  std::pair<char*, size_t> WritableAt(size_t offset) { return slabs_->PieceAt(item_, offset); }
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
