// SlabAllocator: item memory carved from 1 MiB pages into per-class chunks
// (memcached's slabs.c; CacheLib's SlabAllocator + AllocationClass).
//
// Memory hierarchy:
//   region      one virtual reservation (mmap PROT_NONE) made at start; pages
//               are committed (mprotect) one at a time on demand, so only
//               pages actually used cost memory. Items address each other by
//               32-bit ItemRefs relative to the region base.
//   page        kPageSize (1 MiB) of the region given to one slab class; it
//               counts against max_bytes. Every page has this size, so any
//               page can move to any class.
//   pool        pages moved out of a class to "class 0" (memcached's global
//               page pool: "slabs reassign N 0", automove of spare pages):
//               their memory goes back to the OS (madvise) and they stop
//               counting against max_bytes until a class takes them again.
//   class       a chunk size (ChunkSizes() lays them out) with a free list
//               of chunks and its page list; the last class is chunk_max
//               (-o slab_chunk_max: half a page, or -I when that is
//               smaller).
//   chunked     an item larger than chunk_max (-I above 512 KB) is a head
//   item        chunk of the last class plus continuation chunks (item.h
//               shows the layout): full ones of the last class and a tail
//               from the class that fits the rest, as memcached chains them.
//
// With a memory file (-e, slabs/memory_file.h) the region is that file,
// mapped MAP_SHARED, so the pages outlive the process; a restart adopts them
// (AdoptPages, RebuildFreeLists) instead of carving new ones.
//
// All state is behind one mutex (the "slab lock", last in the lock order).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "slabs/item.h"
#include "slabs/restart.h"

namespace slabcached::slabs {

class MemoryFile;

class SlabAllocator {
 public:
  static constexpr size_t kPageSize = size_t{1} << 20;
  // Class ids are 1..kMaxClasses: slabcached's default layout uses them all
  // under a large memory limit (page_class_ is a byte, restart records allow
  // 255).
  static constexpr int kMaxClasses = 127;
  // Each class's first page may pass the memory limit (as in memcached), so
  // the default layout has at most one class per kPagesPerClass pages of the
  // limit (at least memcached's 63): its classes can overshoot the limit by
  // an eighth of it at most, or by memcached's 63 pages.
  static constexpr size_t kPagesPerClass = 8;
  // memcached's MAX_NUMBER_OF_SLAB_CLASSES - 1: the most classes -f / -n or
  // -o slab_sizes make, exactly as memcached does.
  static constexpr int kMemcachedMaxClasses = 63;

  struct Config {
    size_t max_bytes = 64 * 1024 * 1024;
    size_t item_size_max = 1024 * 1024;
    // The largest chunk (-o slab_chunk_max); 0: half a page, at most
    // item_size_max. Larger items are chunked.
    size_t chunk_max = 0;
    // memcached's layout (-f, -n): sizes grow from header + chunk_size_min
    // by growth_factor. Without growth_classes or chunk_sizes: slabcached's
    // finer default layout (ChunkSizes).
    bool growth_classes = false;
    uint32_t chunk_size_min = 48;
    double growth_factor = 1.25;
    // -o slab_sizes: exactly these chunk sizes (ascending), then chunk_max.
    std::vector<uint32_t> chunk_sizes;
    // -L: transparent huge pages for the region (MADV_HUGEPAGE), where the
    // kernel offers them ("madvise" or "always" in
    // /sys/kernel/mm/transparent_hugepage/enabled); ignored elsewhere.
    bool large_pages = false;
  };

  // The classes' chunk sizes, ascending, the last one chunk_max; each a
  // multiple of `align`, at most kMaxClasses of them.
  static std::vector<uint32_t> ChunkSizes(const Config& config, size_t chunk_max, size_t align);
  // How many classes the default layout has under -m `max_bytes`: 63 up to
  // 511 MB, 127 from 1016 MB.
  static size_t DefaultClassBudget(size_t max_bytes);

  struct ClassInfo {
    uint32_t chunk_size = 0;
    uint32_t perslab = 0;  // chunks per page
  };

  struct ClassStats {
    uint64_t total_pages = 0;
    uint64_t total_chunks = 0;
    uint64_t used_chunks = 0;
    uint64_t free_chunks = 0;
    uint64_t mem_requested = 0;  // sum of the allocated items' total sizes
  };

  // @param file the region's backing file (-e), sized and mapped here; null:
  //   anonymous memory. Its content is kept: a restart adopts it (AdoptPages)
  //   or clears it.
  // @throw std::bad_alloc when the address space cannot be reserved,
  //   std::system_error when the file cannot be sized or mapped.
  explicit SlabAllocator(const Config& config, MemoryFile* file = nullptr);
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // Largest class id; classes are 1..num_classes().
  int num_classes() const { return num_classes_; }
  const ClassInfo& info(int id) const { return classes_[id].info; }
  // The smallest class whose chunk holds `ntotal` bytes; 0 when none does
  // (above chunk_max(): a chunked item).
  uint8_t ClassFor(size_t ntotal) const;
  // The last class's chunk size: items whose total size exceeds it are chunked.
  uint32_t chunk_max() const { return classes_[num_classes_].info.chunk_size; }
  bool IsChunked(const Item* it) const {
    return !IsContinuation(it) && it->total_size() > chunk_max();
  }
  // Bytes of its own chunk an item uses (all of a chunked item's head chunk).
  size_t ChunkBytes(const Item* it) const {
    return std::min<size_t>(it->total_size(), chunk_max());
  }

  // A fresh item header (refcount 1, all else zero) in a chunk of class `id`
  // accounting `ntotal` requested bytes. Takes a new page when the free list
  // is empty and the limit allows (a class's first page is always allowed).
  // @param may_grow false: only a free chunk will do (page moves rescue items
  //   into their class's free chunks, never into a new page).
  // @return nullptr when the class has no free chunk and no page can be had:
  //   the caller evicts and retries.
  // @param link for a continuation chunk of a chunked item: the chunk is
  //   set up (item.h) and appended to link->pred's chain under the slab lock,
  //   so lock-free walkers of pages never see it half made. `ntotal` is then
  //   the chunk's header plus payload.
  struct ChunkLink {
    Item* head = nullptr;
    Item* pred = nullptr;  // the head or the chain's current last chunk
    uint64_t hv = 0;       // hash of the head's key (for the page mover)
  };
  Item* Alloc(uint8_t id, size_t ntotal, bool may_grow = true, const ChunkLink* link = nullptr);

  // Drops one reference; the last one returns the chunk (and a chunked
  // item's continuation chunks) to its class.
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

  // --- value bytes (the value followed by "\r\n"), piece by piece ---
  // The first piece: all of it for an ordinary item, the part in the head
  // chunk for a chunked one.
  std::pair<char*, size_t> FirstPiece(Item* it) const {
    if (!IsChunked(it)) return {it->value_ptr(), size_t{it->nbytes} + 2};
    char* start = it->value_ptr() + sizeof(ItemRef);
    return {start, static_cast<size_t>(reinterpret_cast<char*>(it) + chunk_max() - start)};
  }
  // The continuation chunk after `chunk` (a chunked head or a continuation
  // chunk); nullptr at the end.
  Item* NextChunk(const Item* chunk) const {
    if (IsContinuation(chunk)) return ToItem(chunk->next);
    ItemRef first;
    std::memcpy(&first, chunk->value_ptr(), sizeof(first));
    return ToItem(first);
  }
  // Calls f(char* bytes, size_t n) for each piece of `it`'s value bytes, in
  // order, while f returns true; the pieces add up to nbytes + 2.
  template <typename F>
  void ForEachPiece(Item* it, F&& f) const {
    auto [bytes, n] = FirstPiece(it);
    if (!f(bytes, n) || !IsChunked(it)) return;
    for (Item* c = NextChunk(it); c != nullptr; c = ToItem(c->next)) {
      if (!f(c->data(), size_t{c->nbytes})) return;
    }
  }
  // The run of value bytes from `offset` to the end of the piece holding it
  // ({nullptr, 0} past the end).
  std::pair<char*, size_t> PieceAt(Item* it, size_t offset) const {
    std::pair<char*, size_t> found{nullptr, 0};
    ForEachPiece(it, [&](char* piece, size_t n) {
      if (offset < n) {
        found = {piece + offset, n - offset};
        return false;
      }
      offset -= n;
      return true;
    });
    return found;
  }
  // Copies `bytes` into the value bytes of `it` from `offset` on.
  void WriteValue(Item* it, size_t offset, std::string_view bytes) const {
    ForEachPiece(it, [&](char* piece, size_t n) {
      if (offset < n) {
        const size_t take = std::min(n - offset, bytes.size());
        std::memcpy(piece + offset, bytes.data(), take);
        bytes.remove_prefix(take);
        offset = 0;
      } else {
        offset -= n;
      }
      return !bytes.empty();
    });
  }
  // Copies `src`'s value (without its "\r\n") into `dst`'s from `offset` on.
  void CopyValue(Item* src, Item* dst, size_t offset) const {
    size_t left = src->nbytes;
    ForEachPiece(src, [&](char* piece, size_t n) {
      const size_t take = std::min(n, left);
      WriteValue(dst, offset, {piece, take});
      offset += take;
      left -= take;
      return left > 0;
    });
  }
  // Page mover: moves the chain of linked head `from` to its copy `to`
  // (continuations point back at `to`; `from` no longer owns a chain).
  // Requires the head's item lock and no other reference on `from`.
  void MoveChain(Item* from, Item* to);
  // Page mover: puts the fresh chunk `to` in continuation chunk `from`'s
  // place in its chain, copying header and payload. Same requirements.
  void ReplaceChunk(Item* from, Item* to);

  // cache_memlimit: affects future page grabs only. false when the limit
  // exceeds the reserved address space.
  bool SetMemoryLimit(size_t max_bytes);
  size_t mem_limit() const;
  size_t mem_malloced() const;
  // Pages the kernel would not commit (memcached's malloc_fails).
  uint64_t malloc_fails() const;
  ClassStats GetClassStats(int id) const;

  // Calls f(Item*) holding the slab lock for each item (not a free chunk, not
  // a continuation chunk), of page `page_no` (an index into class `id`'s page list), from chunk
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
      const uint8_t flags = it->flags.load(std::memory_order_relaxed);
      if ((flags & kItemSlabbed) == 0 && !IsContinuationFlags(flags)) f(it);
    }
    return end - first;
  }

  // --- warm restart (slabs/store_restart.cc) ---
  // What a memory file must have been written with to be adopted.
  RestartGeometry geometry() const;
  // The region, for flushing it to its file.
  const char* region() const { return base_; }
  size_t region_bytes() const { return capacity_bytes_; }
  // Each handed-out page's class (0: in the pool), from page 0 to the last
  // page handed out (RestartRecord::page_class).
  std::vector<uint8_t> PageClasses() const;
  // Takes the pages a stopped process handed out, with their classes, before
  // anything is allocated. Their chunks are in no free list until
  // RebuildFreeLists(). false when the table does not fit this allocator.
  bool AdoptPages(const std::vector<uint8_t>& page_class);
  // Whether `ref` is the start of a chunk of an adopted class page.
  bool IsChunkStart(ItemRef ref) const;
  // After AdoptPages: calls keep(uint8_t cls, Item*) for every chunk of every
  // class page; those it rejects go on their class's free list. Nothing else
  // may use the allocator meanwhile.
  template <typename F>
  void RebuildFreeLists(F&& keep) {
    std::lock_guard lock(mu_);
    for (int id = 1; id <= num_classes_; ++id) {
      SlabClass& cls = classes_[id];
      // Backwards, so that free chunks are handed out in address order.
      for (auto page = cls.pages.rbegin(); page != cls.pages.rend(); ++page) {
        char* start = base_ + size_t{*page} * kPageSize;
        for (uint32_t i = cls.info.perslab; i-- > 0;) {
          Item* it = reinterpret_cast<Item*>(start + size_t{i} * cls.info.chunk_size);
          if (!keep(static_cast<uint8_t>(id), it)) PushFreeLocked(cls, it);
        }
      }
    }
  }
  // Accounts a kept chunk as `requested` bytes of its class (stats slabs).
  void AccountRestored(const Item* it, size_t requested) {
    std::lock_guard lock(mu_);
    classes_[ClassOf(it)].requested += requested;
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
  // Gives the drained page to `dst`, or to the page pool when `dst` is 0.
  void FinishPageMove(uint8_t dst);
  // Gives a pool page to class `dst`. false: the pool is empty or the limit
  // leaves no room.
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
  // Returns one chunk accounted as `requested` bytes; requires mu_.
  void FreeChunkLocked(Item* it, size_t requested);
  bool NewPageLocked(uint8_t id);             // requires mu_
  void CarveLocked(uint8_t id, size_t page);  // requires mu_
  void PushFreeLocked(SlabClass& cls, Item* it);

  char* base_ = nullptr;
  size_t capacity_bytes_ = 0;
  size_t config_max_bytes_ = 0;  // -m, as started (cache_memlimit changes mem_limit_)
  size_t item_size_max_ = 0;
  bool file_backed_ = false;
  size_t capacity_pages_ = 0;
  unsigned shift_ = 2;  // ItemRef unit; chunk sizes are multiples of 1 << shift_
  int num_classes_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> page_class_;  // page index -> class id (0: none)

  mutable std::mutex mu_;  // the slab lock: everything below
  SlabClass classes_[kMaxClasses + 1];
  size_t next_page_ = 1;  // bump pointer in pages; page 0 is never used (ItemRef 0 = null)
  size_t mem_limit_ = 0;
  size_t mem_malloced_ = 0;
  uint64_t malloc_fails_ = 0;
  std::vector<uint32_t> pool_;  // page indices; committed but given back (MADV_DONTNEED)
  std::atomic<int64_t> moving_page_{-1};
  uint8_t moving_src_ = 0;
  uint64_t moving_free_ = 0;  // free chunks of the moving page
};

}  // namespace slabcached::slabs
