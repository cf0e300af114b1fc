// SlabAllocator: item memory carved from 1 MiB pages into per-class chunks
// (memcached's slabs.c; CacheLib's SlabAllocator + AllocationClass).
//
// Memory hierarchy:
//   region      one virtual reservation (mmap PROT_NONE) made at start; pages
//               are committed (mprotect) one at a time on demand, so only
//               pages actually used cost memory. Items address each other by
//               32-bit ItemRefs relative to the region base.
//   page        kPageSize (1 MiB) of the region given to one slab class; it
//               counts against max_bytes. A class whose chunk is larger than a
//               page (only with -I above 1 MiB) takes pages of
//               round_up(chunk, 1 MiB) instead: memcached splits such items
//               into chained chunks; we store them whole (see README of the
//               report: a follow-up).
//   pool        pages moved out of a class to "class 0" (memcached's global
//               page pool: "slabs reassign N 0", automove of spare pages):
//               their memory goes back to the OS (madvise) and they stop
//               counting against max_bytes until a class takes them again.
//   class       chunk size grows from header + chunk_size_min by
//               growth_factor (aligned), the last class is item_size_max;
//               each class keeps a free list of chunks and its page list.
//
// All state is behind one mutex (the "slab lock", last in the lock order).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "slabs/item.h"

namespace slabcached::slabs {

class SlabAllocator {
 public:
  static constexpr size_t kPageSize = size_t{1} << 20;
  static constexpr int kMaxClasses = 63;  // ids 1..kMaxClasses, as memcached

  struct Config {
    size_t max_bytes = 64 * 1024 * 1024;
    size_t item_size_max = 1024 * 1024;
    uint32_t chunk_size_min = 48;
    double growth_factor = 1.25;
  };

  struct ClassInfo {
    uint32_t chunk_size = 0;
    uint32_t perslab = 0;   // chunks per page
    size_t page_bytes = 0;  // kPageSize, or more for chunks larger than a page
  };

  struct ClassStats {
    uint64_t total_pages = 0;
    uint64_t total_chunks = 0;
    uint64_t used_chunks = 0;
    uint64_t free_chunks = 0;
    uint64_t mem_requested = 0;  // sum of the allocated items' total sizes
  };

  // @throw std::bad_alloc when the address space cannot be reserved.
  explicit SlabAllocator(const Config& config);
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // Largest class id; classes are 1..num_classes().
  int num_classes() const { return num_classes_; }
  const ClassInfo& info(int id) const { return classes_[id].info; }
  // The smallest class whose chunk holds `ntotal` bytes; 0 when none does.
  uint8_t ClassFor(size_t ntotal) const;

  // A fresh item header (refcount 1, all else zero) in a chunk of class `id`
  // accounting `ntotal` requested bytes. Takes a new page when the free list
  // is empty and the limit allows (a class's first page is always allowed).
  // @param may_grow false: only a free chunk will do (page moves rescue items
  //   into their class's free chunks, never into a new page).
  // @return nullptr when the class has no free chunk and no page can be had:
  //   the caller evicts and retries.
  Item* Alloc(uint8_t id, size_t ntotal, bool may_grow = true);

  // Drops one reference; the last one returns the chunk to its class.
  void Release(Item* it) {
    if (it->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1) Free(it);
  }

  uint8_t ClassOf(const Item* it) const {
    return page_class_[PageOf(it)].load(std::memory_order_relaxed);
  }
  Item* ToItem(ItemRef ref) const {
    return ref == 0 ? nullptr : reinterpret_cast<Item*>(base_ + (size_t{ref} << shift_));
  }
  ItemRef ToRef(const Item* it) const {
    return it == nullptr
               ? 0
               : static_cast<ItemRef>((reinterpret_cast<const char*>(it) - base_) >> shift_);
  }

  // cache_memlimit: affects future page grabs only. false when the limit
  // exceeds the reserved address space.
  bool SetMemoryLimit(size_t max_bytes);
  size_t mem_limit() const;
  size_t mem_malloced() const;
  ClassStats GetClassStats(int id) const;

  // Calls f(Item*) holding the slab lock for each chunk that is not on a free
  // list, of page `page_no` (an index into class `id`'s page list), from chunk
  // `first`, at most `count` chunks; `f` must not allocate or release. The
  // page being moved is skipped (its chunks are the mover's). @return chunks
  // stepped over; 0 when `page_no` or `first` is past the end.
  template <typename F>
  uint32_t VisitChunks(uint8_t id, size_t page_no, uint32_t first, uint32_t count, F&& f) const {
    std::lock_guard lock(mu_);
    const SlabClass& cls = classes_[id];
    if (page_no >= cls.pages.size() || first >= cls.info.perslab) return 0;
    const size_t page = cls.pages[page_no];
    const uint32_t end = first + std::min(count, cls.info.perslab - first);
    if (static_cast<int64_t>(page) == moving_page_.load(std::memory_order_relaxed)) {
      return end - first;
    }
    char* start = base_ + page * kPageSize;
    for (uint32_t i = first; i < end; ++i) {
      Item* it = reinterpret_cast<Item*>(start + size_t{i} * cls.info.chunk_size);
      if ((it->flags.load(std::memory_order_relaxed) & kItemSlabbed) == 0) f(it);
    }
    return end - first;
  }

  // --- page reassignment (slabs reassign / automove) ---
  // Starts moving one page of `src` away: picks the page with the most free
  // chunks and withdraws its free chunks, so nothing new is allocated there.
  // Chunks of that page freed from now on are parked. false when `src` has
  // fewer than two pages, a move is already running, or its pages are not
  // kPageSize.
  bool BeginPageMove(uint8_t src);
  bool InMovingPage(const Item* it) const {
    return static_cast<int64_t>(PageOf(it)) == moving_page_.load(std::memory_order_relaxed);
  }
  // The moving page's chunks, for the mover's walk. Valid until the move ends
  // (only the thread driving the move may end it).
  struct MovingPage {
    uint8_t cls = 0;  // the source class; 0 when no move is running
    uint32_t chunks = 0;
    Item* Chunk(uint32_t i) const {
      return reinterpret_cast<Item*>(start + size_t{i} * chunk_size);
    }
    char* start = nullptr;
    uint32_t chunk_size = 0;
  };
  MovingPage moving_page() const;
  // true once every chunk of the moving page is free again.
  bool PageMoveDrained() const;
  // Gives the drained page to `dst` (whose pages must be kPageSize), or to
  // the page pool when `dst` is 0.
  void FinishPageMove(uint8_t dst);
  // Gives a pool page to class `dst` (kPageSize pages). false: the pool is
  // empty or the limit leaves no room.
  bool TakePoolPage(uint8_t dst);
  size_t pool_pages() const;
  // Gives the page's free chunks back to its class.
  void AbortPageMove();
  bool page_move_running() const { return moving_page_.load(std::memory_order_relaxed) >= 0; }

 private:
  struct SlabClass {
    ClassInfo info;
    ItemRef free_head = 0;
    uint64_t free_count = 0;
    uint64_t requested = 0;
    std::vector<uint32_t> pages;  // page indices
  };

  size_t PageOf(const Item* it) const {
    return static_cast<size_t>(reinterpret_cast<const char*>(it) - base_) / kPageSize;
  }
  void Free(Item* it);
  bool NewPageLocked(uint8_t id);             // requires mu_
  void CarveLocked(uint8_t id, size_t page);  // requires mu_
  void PushFreeLocked(SlabClass& cls, Item* it);

  char* base_ = nullptr;
  size_t capacity_bytes_ = 0;
  size_t capacity_pages_ = 0;
  unsigned shift_ = 2;  // ItemRef unit; chunk sizes are multiples of 1 << shift_
  int num_classes_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> page_class_;  // page index -> class id (0: none)

  mutable std::mutex mu_;  // the slab lock: everything below
  SlabClass classes_[kMaxClasses + 1];
  size_t next_page_ = 1;  // bump pointer in pages; page 0 is never used (ItemRef 0 = null)
  size_t mem_limit_ = 0;
  size_t mem_malloced_ = 0;
  std::vector<uint32_t> pool_;  // page indices; committed but given back (MADV_DONTNEED)
  std::atomic<int64_t> moving_page_{-1};
  uint8_t moving_src_ = 0;
  uint64_t moving_free_ = 0;  // free chunks of the moving page
};

}  // namespace slabcached::slabs
