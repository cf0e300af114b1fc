#include "slabs/slab_allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "slabs/memory_file.h"

namespace slabcached::slabs {
namespace {

constexpr size_t kMinReserve = size_t{4} << 30;  // address space only, committed on demand

size_t RoundUp(size_t n, size_t align) { return (n + align - 1) / align * align; }

// memcached's slabs_init(): sizes grow by `factor` from `first` until the next
// would pass chunk_max / factor; the last class is exactly chunk_max (rounded
// down, so that it stays within a page). At most `budget` classes.
void AppendGrowth(std::vector<uint32_t>* sizes, double first, double factor, size_t chunk_max,
                  size_t align, size_t budget) {
  double size = first;
  while (sizes->size() + 1 < budget && size < static_cast<double>(chunk_max) / factor) {
    const size_t chunk = RoundUp(static_cast<size_t>(size), align);
    if (chunk >= chunk_max) break;
    sizes->push_back(static_cast<uint32_t>(chunk));
    size = static_cast<double>(chunk) * factor;
  }
  sizes->push_back(static_cast<uint32_t>(chunk_max / align * align));
}

// slabcached's default layout. memcached's -f 1.25 rounds an item up by 12%
// on average (25% at worst): for small and mid-sized items that waste is most
// of what a cache spends per item. Up to kFineLimit the classes step by at
// least 8 bytes and by the smallest factor that still leaves room, within
// `budget` classes, for memcached's 1.25 steps from kFineLimit to chunk_max
// (with the default 512 KB chunk_max: about 1.05 with 127 classes, 1.13 with
// 63): the rounding waste is a fifth (a half) of memcached's where most items
// are, and larger items waste no more than in memcached.
std::vector<uint32_t> DefaultChunkSizes(size_t chunk_max, size_t align, size_t budget) {
  constexpr size_t kFineLimit = 16 * 1024;
  constexpr size_t kSmallest = 32;  // a 28-byte header, a short key, "\r\n"
  constexpr size_t kMinStep = 8;
  std::vector<uint32_t> upper;
  if (chunk_max > kFineLimit) {
    AppendGrowth(&upper, kFineLimit, 1.25, chunk_max, align, budget);
  }
  const size_t fine_limit = std::min(kFineLimit, chunk_max);
  for (double factor = 1.02;; factor += 0.001) {
    std::vector<uint32_t> sizes;
    for (size_t size = RoundUp(kSmallest, align); size < fine_limit;) {
      sizes.push_back(static_cast<uint32_t>(size));
      size = std::max(RoundUp(size + kMinStep, align),
                      RoundUp(static_cast<size_t>(static_cast<double>(size) * factor), align));
    }
    if (upper.empty()) sizes.push_back(static_cast<uint32_t>(chunk_max / align * align));
    if (sizes.size() + upper.size() > budget) continue;
    sizes.insert(sizes.end(), upper.begin(), upper.end());
    return sizes;
  }
}

}  // namespace

size_t SlabAllocator::DefaultClassBudget(size_t max_bytes) {
  return std::clamp<size_t>(max_bytes / kPageSize / kPagesPerClass, kMemcachedMaxClasses,
                            kMaxClasses);
}

std::vector<uint32_t> SlabAllocator::ChunkSizes(const Config& config, size_t chunk_max,
                                                size_t align) {
  std::vector<uint32_t> sizes;
  if (!config.chunk_sizes.empty()) {
    // memcached's -o slab_sizes: the listed sizes (aligned), then chunk_max.
    for (const uint32_t listed : config.chunk_sizes) {
      const size_t chunk = RoundUp(listed, align);
      if (sizes.size() + 1 >= kMemcachedMaxClasses || chunk >= chunk_max) break;
      if (sizes.empty() || chunk > sizes.back()) sizes.push_back(static_cast<uint32_t>(chunk));
    }
    sizes.push_back(static_cast<uint32_t>(chunk_max / align * align));
    return sizes;
  }
  if (!config.growth_classes) {
    return DefaultChunkSizes(chunk_max, align, DefaultClassBudget(config.max_bytes));
  }
  const double factor = config.growth_factor > 1.0 ? config.growth_factor : 1.25;
  AppendGrowth(&sizes, static_cast<double>(sizeof(Item) + config.chunk_size_min), factor, chunk_max,
               align, kMemcachedMaxClasses);
  return sizes;
}

SlabAllocator::SlabAllocator(const Config& config, MemoryFile* file)
    : config_max_bytes_(config.max_bytes),
      item_size_max_(config.item_size_max),
      file_backed_(file != nullptr) {
  const size_t item_size_max = std::max<size_t>(config.item_size_max, 1024);
  const size_t chunk_max = std::min(config.chunk_max != 0 ? config.chunk_max : kPageSize / 2,
                                    std::min(item_size_max, kPageSize));
  // Room for the limit twice over (cache_memlimit may grow it) plus the first
  // page of every class, which memcached allows beyond a tiny limit.
  const size_t limit_pages = RoundUp(config.max_bytes, kPageSize) / kPageSize;
  const size_t wanted = (2 * limit_pages + kMaxClasses + 2) * kPageSize;
  capacity_bytes_ = std::max(kMinReserve, wanted);
  while ((capacity_bytes_ >> shift_) > std::numeric_limits<ItemRef>::max()) ++shift_;
  capacity_pages_ = capacity_bytes_ / kPageSize;

  void* p = nullptr;
  if (file != nullptr) {
    file->Resize(capacity_bytes_);
    p = mmap(nullptr, capacity_bytes_, PROT_NONE, MAP_SHARED | MAP_NORESERVE, file->fd(), 0);
    if (p == MAP_FAILED) {
      throw std::system_error(errno, std::generic_category(),
                              "cannot map the memory file " + file->path());
    }
  } else {
    p = mmap(nullptr, capacity_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
             0);
    if (p == MAP_FAILED) throw std::bad_alloc();
  }
  base_ = static_cast<char*>(p);
#ifdef MADV_HUGEPAGE
  // Pages made writable later keep the advice: the kernel backs 2 MB runs of
  // slab pages with huge pages (khugepaged merges them once both halves are
  // in use). EINVAL: THP is off or not built in; memory works as without -L.
  if (config.large_pages) madvise(base_, capacity_bytes_, MADV_HUGEPAGE);
#endif
  page_class_ = std::make_unique<std::atomic<uint8_t>[]>(capacity_pages_);
  mem_limit_ = config.max_bytes;

  // Chunks are aligned to the item header's alignment (4 bytes), or to the
  // ItemRef unit when the region is too large for 4-byte units (-m above ~8 GB).
  const size_t align = std::max<size_t>(alignof(Item), size_t{1} << shift_);
  const std::vector<uint32_t> sizes = ChunkSizes(config, chunk_max, align);
  for (size_t i = 0; i < sizes.size(); ++i) {
    classes_[i + 1].info = {sizes[i], static_cast<uint32_t>(kPageSize / sizes[i])};
  }
  num_classes_ = static_cast<int>(sizes.size());
}

SlabAllocator::~SlabAllocator() { munmap(base_, capacity_bytes_); }

uint8_t SlabAllocator::ClassFor(size_t ntotal) const {
  if (ntotal == 0) return 0;
  // Binary search over the ascending chunk sizes.
  int lo = 1, hi = num_classes_;
  if (ntotal > classes_[hi].info.chunk_size) return 0;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (classes_[mid].info.chunk_size >= ntotal) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return static_cast<uint8_t>(lo);
}

Item* SlabAllocator::Alloc(uint8_t id, size_t ntotal, bool may_grow, const ChunkLink* link) {
  std::lock_guard lock(mu_);
  SlabClass& cls = classes_[id];
  if (cls.free_head == 0 && (!may_grow || !NewPageLocked(id))) return nullptr;
  Item* it = ToItem(cls.free_head);
  cls.free_head = it->next;
  --cls.free_count;
  cls.requested += ntotal;
  std::destroy_at(it);
  std::construct_at(it);
  it->refcount.store(1, std::memory_order_relaxed);
  if (link != nullptr) {
    it->nbytes = static_cast<uint32_t>(ntotal - sizeof(Item));
    it->h_next = ToRef(link->head);
    it->prev = ToRef(link->pred);
    SetContinuationHash(it, link->hv);
    it->flags.store(kItemContinuation, std::memory_order_relaxed);
    const ItemRef ref = ToRef(it);
    if (link->pred == link->head) {
      std::memcpy(link->head->value_ptr(), &ref, sizeof(ref));
    } else {
      link->pred->next = ref;
    }
  }
  return it;
}

void SlabAllocator::Free(Item* it) {
  std::lock_guard lock(mu_);
  if (IsContinuation(it)) {  // a replaced chunk (ReplaceChunk), alone
    FreeChunkLocked(it, sizeof(Item) + it->nbytes);
    return;
  }
  if (IsChunked(it)) {
    for (Item* c = NextChunk(it); c != nullptr;) {
      Item* next = ToItem(c->next);
      FreeChunkLocked(c, sizeof(Item) + c->nbytes);
      c = next;
    }
  }
  FreeChunkLocked(it, ChunkBytes(it));
}

void SlabAllocator::FreeChunkLocked(Item* it, size_t requested) {
  SlabClass& cls = classes_[ClassOf(it)];
  cls.requested -= requested;
  if (InMovingPage(it)) {
    it->flags.store(kItemSlabbed, std::memory_order_relaxed);
    ++moving_free_;
    return;
  }
  PushFreeLocked(cls, it);
}

void SlabAllocator::MoveChain(Item* from, Item* to) {
  std::lock_guard lock(mu_);
  const ItemRef to_ref = ToRef(to);
  Item* first = NextChunk(from);
  for (Item* c = first; c != nullptr; c = ToItem(c->next)) c->h_next = to_ref;
  if (first != nullptr) first->prev = to_ref;
  const ItemRef none = 0;
  std::memcpy(from->value_ptr(), &none, sizeof(none));
}

void SlabAllocator::ReplaceChunk(Item* from, Item* to) {
  std::lock_guard lock(mu_);
  to->nbytes = from->nbytes;
  to->h_next = from->h_next;
  to->prev = from->prev;
  to->next = from->next;
  SetContinuationHash(to, ContinuationHash(from));
  std::memcpy(to->data(), from->data(), from->nbytes);
  to->flags.store(kItemContinuation, std::memory_order_relaxed);
  const ItemRef to_ref = ToRef(to);
  Item* pred = ToItem(from->prev);
  if (IsContinuation(pred)) {
    pred->next = to_ref;
  } else {
    std::memcpy(pred->value_ptr(), &to_ref, sizeof(to_ref));
  }
  if (Item* next = ToItem(from->next); next != nullptr) next->prev = to_ref;
  from->next = 0;  // `from` is alone now: its release frees just itself
}

void SlabAllocator::PushFreeLocked(SlabClass& cls, Item* it) {
  it->flags.store(kItemSlabbed, std::memory_order_relaxed);
  it->prev = 0;
  it->h_next = 0;
  it->next = cls.free_head;
  cls.free_head = ToRef(it);
  ++cls.free_count;
}

bool SlabAllocator::NewPageLocked(uint8_t id) {
  SlabClass& cls = classes_[id];
  if (mem_malloced_ + kPageSize > mem_limit_ && !cls.pages.empty()) return false;
  if (!pool_.empty()) {
    const size_t page = pool_.back();
    pool_.pop_back();
    mem_malloced_ += kPageSize;
    page_class_[page].store(id, std::memory_order_relaxed);
    cls.pages.push_back(static_cast<uint32_t>(page));
    CarveLocked(id, page);
    return true;
  }
  if (next_page_ + 1 > capacity_pages_) return false;
  char* start = base_ + next_page_ * kPageSize;
  if (mprotect(start, kPageSize, PROT_READ | PROT_WRITE) != 0) {
    ++malloc_fails_;
    return false;
  }
  const size_t page = next_page_++;
  mem_malloced_ += kPageSize;
  page_class_[page].store(id, std::memory_order_relaxed);
  cls.pages.push_back(static_cast<uint32_t>(page));
  CarveLocked(id, page);
  return true;
}

void SlabAllocator::CarveLocked(uint8_t id, size_t page) {
  SlabClass& cls = classes_[id];
  char* start = base_ + page * kPageSize;
  // Push in reverse so chunks are handed out in address order.
  for (uint32_t i = cls.info.perslab; i-- > 0;) {
    Item* it = std::construct_at(reinterpret_cast<Item*>(start + size_t{i} * cls.info.chunk_size));
    PushFreeLocked(cls, it);
  }
}

bool SlabAllocator::SetMemoryLimit(size_t max_bytes) {
  std::lock_guard lock(mu_);
  if (max_bytes / kPageSize + kMaxClasses + 1 > capacity_pages_) return false;
  mem_limit_ = max_bytes;
  return true;
}

size_t SlabAllocator::mem_limit() const {
  std::lock_guard lock(mu_);
  return mem_limit_;
}

uint64_t SlabAllocator::malloc_fails() const {
  std::lock_guard lock(mu_);
  return malloc_fails_;
}

size_t SlabAllocator::mem_malloced() const {
  std::lock_guard lock(mu_);
  return mem_malloced_;
}

SlabAllocator::ClassStats SlabAllocator::GetClassStats(int id) const {
  std::lock_guard lock(mu_);
  const SlabClass& cls = classes_[id];
  ClassStats s;
  s.total_pages = cls.pages.size();
  s.total_chunks = s.total_pages * cls.info.perslab;
  s.free_chunks = cls.free_count;
  if (moving_page_.load(std::memory_order_relaxed) >= 0 && moving_src_ == id) {
    s.free_chunks += moving_free_;
  }
  s.used_chunks = s.total_chunks - s.free_chunks;
  s.mem_requested = cls.requested;
  return s;
}

RestartGeometry SlabAllocator::geometry() const {
  RestartGeometry g{.max_bytes = config_max_bytes_,
                    .item_size_max = item_size_max_,
                    .capacity_bytes = capacity_bytes_,
                    .ref_shift = shift_,
                    .chunk_sizes = {}};
  for (int id = 1; id <= num_classes_; ++id) g.chunk_sizes.push_back(classes_[id].info.chunk_size);
  return g;
}

std::vector<uint8_t> SlabAllocator::PageClasses() const {
  std::lock_guard lock(mu_);
  std::vector<uint8_t> classes(next_page_);
  for (size_t page = 1; page < next_page_; ++page) {
    classes[page] = page_class_[page].load(std::memory_order_relaxed);
  }
  return classes;
}

bool SlabAllocator::AdoptPages(const std::vector<uint8_t>& page_class) {
  std::lock_guard lock(mu_);
  if (next_page_ != 1 || page_class.empty() || page_class.size() > capacity_pages_ ||
      page_class[0] != 0) {
    return false;
  }
  for (const uint8_t id : page_class) {
    if (id > num_classes_) return false;
  }
  const size_t pages = page_class.size();
  if (pages > 1 && mprotect(base_ + kPageSize, (pages - 1) * kPageSize, PROT_READ | PROT_WRITE)) {
    return false;
  }
  for (size_t page = 1; page < pages; ++page) {
    const uint8_t id = page_class[page];
    page_class_[page].store(id, std::memory_order_relaxed);
    if (id == 0) {
      pool_.push_back(static_cast<uint32_t>(page));
    } else {
      classes_[id].pages.push_back(static_cast<uint32_t>(page));
      mem_malloced_ += kPageSize;
    }
  }
  next_page_ = pages;
  return true;
}

bool SlabAllocator::IsChunkStart(ItemRef ref) const {
  const size_t offset = size_t{ref} << shift_;
  const size_t page = offset / kPageSize;
  if (ref == 0 || page >= capacity_pages_) return false;
  const uint8_t id = page_class_[page].load(std::memory_order_relaxed);
  if (id == 0) return false;
  const ClassInfo& info = classes_[id].info;
  const size_t within = offset % kPageSize;
  return within % info.chunk_size == 0 && within / info.chunk_size < info.perslab;
}

bool SlabAllocator::BeginPageMove(uint8_t src) {
  std::lock_guard lock(mu_);
  if (moving_page_.load(std::memory_order_relaxed) >= 0) return false;
  SlabClass& cls = classes_[src];
  if (cls.pages.size() < 2) return false;
  // The page with the most free chunks has the fewest items to evict.
  std::unordered_map<size_t, uint64_t> free_per_page;
  for (ItemRef r = cls.free_head; r != 0; r = ToItem(r)->next) ++free_per_page[PageOf(ToItem(r))];
  size_t best = cls.pages.front();
  uint64_t best_free = 0;
  for (const auto& [page, n] : free_per_page) {
    if (n > best_free) best = page, best_free = n;
  }
  // Withdraw that page's chunks from the free list.
  ItemRef* link = &cls.free_head;
  while (*link != 0) {
    Item* it = ToItem(*link);
    if (PageOf(it) == best) {
      *link = it->next;
      --cls.free_count;
    } else {
      link = &it->next;
    }
  }
  moving_src_ = src;
  moving_free_ = best_free;
  moving_page_.store(static_cast<int64_t>(best), std::memory_order_relaxed);
  return true;
}

bool SlabAllocator::TakePoolPage(uint8_t dst) {
  std::lock_guard lock(mu_);
  if (pool_.empty() || mem_malloced_ + kPageSize > mem_limit_) return false;
  return NewPageLocked(dst);
}

size_t SlabAllocator::pool_pages() const {
  std::lock_guard lock(mu_);
  return pool_.size();
}

SlabAllocator::MovingPage SlabAllocator::moving_page() const {
  std::lock_guard lock(mu_);
  const int64_t page = moving_page_.load(std::memory_order_relaxed);
  if (page < 0) return {};
  const ClassInfo& info = classes_[moving_src_].info;
  return {.cls = moving_src_,
          .chunks = info.perslab,
          .start = base_ + static_cast<size_t>(page) * kPageSize,
          .chunk_size = info.chunk_size};
}

bool SlabAllocator::PageMoveDrained() const {
  std::lock_guard lock(mu_);
  const int64_t page = moving_page_.load(std::memory_order_relaxed);
  return page >= 0 && moving_free_ == classes_[moving_src_].info.perslab;
}

void SlabAllocator::FinishPageMove(uint8_t dst) {
  std::lock_guard lock(mu_);
  const int64_t page = moving_page_.load(std::memory_order_relaxed);
  if (page < 0) return;
  SlabClass& src = classes_[moving_src_];
  std::erase(src.pages, static_cast<uint32_t>(page));
  page_class_[page].store(dst, std::memory_order_relaxed);
  if (dst == 0) {
    // Nothing refers to the page any more: give its memory back.
    // (A memory file's page must leave the file too: MADV_REMOVE punches it out.)
    madvise(base_ + static_cast<size_t>(page) * kPageSize, kPageSize,
            file_backed_ ? MADV_REMOVE : MADV_DONTNEED);
    pool_.push_back(static_cast<uint32_t>(page));
    mem_malloced_ -= kPageSize;
  } else {
    classes_[dst].pages.push_back(static_cast<uint32_t>(page));
    CarveLocked(dst, static_cast<size_t>(page));
  }
  moving_page_.store(-1, std::memory_order_relaxed);
  moving_free_ = 0;
}

void SlabAllocator::AbortPageMove() {
  std::lock_guard lock(mu_);
  const int64_t page = moving_page_.load(std::memory_order_relaxed);
  if (page < 0) return;
  SlabClass& cls = classes_[moving_src_];
  moving_page_.store(-1, std::memory_order_relaxed);
  char* start = base_ + static_cast<size_t>(page) * kPageSize;
  for (uint32_t i = 0; i < cls.info.perslab; ++i) {
    Item* it = reinterpret_cast<Item*>(start + size_t{i} * cls.info.chunk_size);
    if (it->flags.load(std::memory_order_relaxed) == kItemSlabbed) PushFreeLocked(cls, it);
  }
  moving_free_ = 0;
}

}  // namespace slabcached::slabs
