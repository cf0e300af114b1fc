// The LRU crawler's commands (memcached's crawler.c lru_crawler_crawl() and
// its metadump module, items.c item_cachedump()):
//
//   * "lru_crawler crawl" reclaims the expired and flushed items of some
//     classes with the background crawler's batch (lru.cc CrawlBatch), up to
//     "tocrawl" items per class. Its first steps run in the caller, the rest
//     in the LRU maintainer (Housekeeping) or RunMaintenance().
//   * "lru_crawler metadump|mgdump" walk the classes' pages like the crawler
//     (ItemDump) in two phases per batch: under the class's LRU lock and the
//     slab lock, take a reference on each chunk that is on an LRU (so never a
//     free chunk nor a chunked item's continuation); then, holding no other
//     lock, lock each item's stripe and summarize it if it is still linked.
//     Unlike memcached's crawler, which skips items whose lock is busy, no
//     item is skipped for being in use.
//   * "stats cachedump" walks a class's COLD list from its head in batches of
//     referenced items, resuming after the last one while it is still there.
//
// Like memcached's crawler, one job runs at a time (crawler_busy_: memcached's
// lru_crawler_running): a crawl, or a dump until its ItemDump is destroyed,
// unless the dump has not advanced for kDumpStallSeconds (its client stopped
// reading) and another job asks: then that job takes the slot over and the
// stalled dump ends (ItemDump::taken_over()).
// Locks: manual_crawl_mu_ is taken before a class's LRU lock (CrawlBatch);
// dumps lock item stripes only while holding no other lock.
// The background crawler (CrawlStep) is separate and never makes commands
// busy. "lru_crawler sleep" is kept and reported only: the maintainer paces
// crawl steps by its own rounds.
#include <algorithm>
#include <mutex>

#include "slabs/store_impl.h"

namespace slabcached::slabs {
namespace {

constexpr uint32_t kBatch = 512;             // chunks per LRU + slab lock hold
constexpr uint64_t kInlineBudget = 1 << 16;  // chunks a crawl looks at before StartCrawl returns
constexpr size_t kColdBatch = 1024;          // COLD items referenced per LRU lock hold

// The first class of `classes` after `cls`, or num + 1 when none is left.
uint8_t NextClass(const ClassSet& classes, int cls, int num) {
  for (int c = cls + 1; c <= num; ++c) {
    if (classes.test(static_cast<size_t>(c))) return static_cast<uint8_t>(c);
  }
  return static_cast<uint8_t>(num + 1);
}

}  // namespace

// ------------------------------------------------------------- settings ---

CrawlerSettings Store::Impl::crawler_settings() const {
  return {.enabled = crawler_enabled_.load(std::memory_order_relaxed),
          .sleep_us = crawler_sleep_.load(std::memory_order_relaxed),
          .tocrawl = crawler_tocrawl_.load(std::memory_order_relaxed)};
}

bool Store::Impl::AcquireCrawler(CrawlerStatus* status, uint64_t* dump_ticket) {
  if (!crawler_enabled_.load(std::memory_order_relaxed)) {
    *status = CrawlerStatus::kDisabled;
    return false;
  }
  std::lock_guard lock(crawler_mu_);
  if (crawler_busy_.load(std::memory_order_relaxed)) {
    const bool stalled_dump =
        dump_ticket_.load(std::memory_order_relaxed) != 0 &&
        Now() - dump_progress_.load(std::memory_order_relaxed) >= Store::kDumpStallSeconds;
    if (!stalled_dump) {
      *status = CrawlerStatus::kBusy;
      return false;
    }
    crawler_dumps_taken_over_.fetch_add(1, std::memory_order_relaxed);
  }
  crawler_busy_.store(true, std::memory_order_relaxed);
  const uint64_t ticket = dump_ticket != nullptr ? ++last_dump_ticket_ : 0;
  dump_ticket_.store(ticket, std::memory_order_relaxed);
  dump_progress_.store(Now(), std::memory_order_relaxed);
  if (dump_ticket != nullptr) *dump_ticket = ticket;
  crawler_starts_.fetch_add(1, std::memory_order_relaxed);
  *status = CrawlerStatus::kOk;
  return true;
}

void Store::Impl::ReleaseCrawler(uint64_t dump_ticket) {
  std::lock_guard lock(crawler_mu_);
  // A dump that was taken over must not free its successor's slot.
  if (dump_ticket_.load(std::memory_order_relaxed) != dump_ticket) return;
  dump_ticket_.store(0, std::memory_order_relaxed);
  crawler_busy_.store(false, std::memory_order_release);
}

bool Store::Impl::DumpAdvances(uint64_t dump_ticket) {
  if (dump_ticket_.load(std::memory_order_relaxed) != dump_ticket) return false;
  dump_progress_.store(Now(), std::memory_order_relaxed);
  return true;
}

// ---------------------------------------------------------------- crawl ---

CrawlerStatus Store::Impl::StartCrawl(const ClassSet& classes) {
  CrawlerStatus status;
  if (!AcquireCrawler(&status)) return status;
  {
    std::lock_guard lock(manual_crawl_mu_);
    ManualCrawl& m = manual_crawl_;
    m.active = true;
    m.classes = classes;
    m.tocrawl = crawler_tocrawl_.load(std::memory_order_relaxed);
    m.cls = NextClass(classes, 0, slabs_.num_classes());
    m.page = 0;
    m.chunk = 0;
    m.checked_in_class = 0;
  }
  if (ManualCrawlStep(kInlineBudget) && maintainer_ != nullptr) maintainer_->Wake();
  return CrawlerStatus::kOk;
}

bool Store::Impl::ManualCrawlStep(uint64_t budget) {
  std::lock_guard lock(manual_crawl_mu_);
  ManualCrawl& m = manual_crawl_;
  if (!m.active) return false;
  const int num = slabs_.num_classes();
  uint64_t checked = 0;
  int reclaimed = 0;
  while (m.cls <= num && budget > 0) {
    uint64_t count = std::min<uint64_t>(budget, kBatch);
    // Never more than `tocrawl` items: a batch looks at no more items than chunks.
    if (m.tocrawl != 0) count = std::min<uint64_t>(count, m.tocrawl - m.checked_in_class);
    uint32_t stepped = 0;
    if (count > 0) {
      uint64_t batch_checked = 0;
      stepped = CrawlBatch(m.cls, m.page, m.chunk, static_cast<uint32_t>(count), &m.scratch,
                           &batch_checked, &reclaimed);
      m.checked_in_class += batch_checked;
      checked += batch_checked;
    }
    if (count == 0 || (stepped == 0 && m.chunk == 0)) {  // the class is done
      m.cls = NextClass(m.classes, m.cls, num);
      m.page = 0;
      m.chunk = 0;
      m.checked_in_class = 0;
    } else if (stepped == 0) {  // past the page's last chunk
      ++m.page;
      m.chunk = 0;
    } else {
      budget -= std::min<uint64_t>(budget, stepped);
      m.chunk += stepped;
    }
  }
  crawler_items_checked_.fetch_add(checked, std::memory_order_relaxed);
  crawler_reclaimed_.fetch_add(static_cast<uint64_t>(reclaimed), std::memory_order_relaxed);
  if (m.cls <= num) return true;
  m.active = false;
  m.scratch = {};
  ReleaseCrawler();
  return false;
}

// ---------------------------------------------------------------- dumps ---

uint32_t Store::Impl::RetainLinked(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                                   std::vector<Item*>* out) {
  LruClass& lc = lru_.cls(cls);
  const size_t before = out->size();
  out->reserve(before + count);  // no heap allocation under the slab lock
  uint32_t stepped;
  {
    std::lock_guard lru_lock(lc.mu);
    stepped = slabs_.VisitChunks(cls, page, chunk, count, [&](Item* it) {
      if (lru_.Contains(lc, it) && TryAddRef(it)) out->push_back(it);
    });
  }
  // memcached's metadump counts the items it looks at as crawler checks.
  crawler_items_checked_.fetch_add(out->size() - before, std::memory_order_relaxed);
  return stepped;
}

bool Store::Impl::SummarizeAndRelease(const std::vector<Item*>& items,
                                      const std::function<bool(const ItemSummary&)>& f) {
  bool go_on = true;
  for (Item* it : items) {
    if (go_on) {
      const uint64_t hv = HashKey(it->key());
      ItemLockGuard item_lock(locks_.For(hv));
      if (it->linked()) {
        const uint8_t flags = it->flags.load(std::memory_order_relaxed);
        ItemSummary s;
        s.key = it->key();
        s.exptime = it->exptime.load(std::memory_order_relaxed);
        s.last_access = it->time.load(std::memory_order_relaxed);
        s.cas = it->cas();
        s.fetched = (flags & kItemFetched) != 0;
        s.key_binary = (meta_state_.Get(hv, s.key, it) & MetaStateTable::kKeyBinary) != 0;
        s.flushed = IsFlushed(it, Now());
        s.slab_class = slabs_.ClassOf(it);
        s.value_length = it->nbytes;
        s.total_size = it->total_size();
        go_on = f(s);
      }
    }
    slabs_.Release(it);  // holding no lock: the last reference frees the chunk
  }
  return go_on;
}

void Store::Impl::VisitColdItems(uint8_t cls, const std::function<bool(const ItemSummary&)>& f) {
  if (cls < 1 || cls > slabs_.num_classes()) return;
  LruClass& lc = lru_.cls(cls);
  std::vector<Item*> items;
  Item* resume = nullptr;  // referenced: the last item of the previous batch
  for (bool first = true;; first = false) {
    items.clear();
    Item* next_resume = nullptr;
    {
      std::lock_guard lru_lock(lc.mu);
      Item* it = nullptr;
      if (first) {
        it = lru_.Head(lc, LruId::kCold);
      } else if (lru_.Contains(lc, resume) && resume->lru() == LruId::kCold) {
        it = lru_.Next(resume);
      }  // else the resume point left the list: the walk ends there
      for (; it != nullptr && items.size() < kColdBatch; it = lru_.Next(it)) {
        if (TryAddRef(it)) items.push_back(it);
      }
      if (it != nullptr && !items.empty() && TryAddRef(items.back())) next_resume = items.back();
    }
    if (resume != nullptr) slabs_.Release(resume);
    resume = next_resume;
    if (!SummarizeAndRelease(items, f) || resume == nullptr) break;
  }
  if (resume != nullptr) slabs_.Release(resume);
}

// ----------------------------------------------------------------- Store ---

Store::ItemDump::ItemDump(Token, Store* store, const ClassSet& classes, uint64_t ticket)
    : store_(store), classes_(classes), ticket_(ticket) {}

Store::ItemDump::~ItemDump() { store_->impl_->ReleaseCrawler(ticket_); }

bool Store::ItemDump::Next(uint32_t budget, const std::function<void(const ItemSummary&)>& f) {
  Impl& impl = *store_->impl_;
  if (!impl.DumpAdvances(ticket_)) {
    taken_over_ = true;
    return false;
  }
  const int num = impl.NumClasses();
  if (cls_ == 0) cls_ = NextClass(classes_, 0, num);
  std::vector<Item*> items;
  while (cls_ <= num && budget > 0) {
    items.clear();
    const uint32_t stepped =
        impl.RetainLinked(cls_, page_, chunk_, std::min(budget, kBatch), &items);
    impl.SummarizeAndRelease(items, [&](const ItemSummary& s) {
      f(s);
      return true;
    });
    if (stepped == 0) {
      if (chunk_ == 0) {  // past the class's last page
        cls_ = NextClass(classes_, cls_, num);
        page_ = 0;
      } else {
        ++page_;
      }
      chunk_ = 0;
      continue;
    }
    budget -= std::min(budget, stepped);
    chunk_ += stepped;
  }
  return cls_ <= num;
}

std::unique_ptr<Store::ItemDump> Store::StartDump(const ClassSet& classes, CrawlerStatus* status) {
  uint64_t ticket = 0;
  if (!impl_->AcquireCrawler(status, &ticket)) return nullptr;
  return std::make_unique<ItemDump>(ItemDump::Token(), this, classes, ticket);
}

CrawlerStatus Store::StartCrawl(const ClassSet& classes) { return impl_->StartCrawl(classes); }
void Store::VisitColdItems(uint8_t cls, const std::function<bool(const ItemSummary&)>& f) {
  impl_->VisitColdItems(cls, f);
}
CrawlerSettings Store::crawler_settings() const { return impl_->crawler_settings(); }
bool Store::EnableCrawler() { return impl_->EnableCrawler(); }
void Store::DisableCrawler() { impl_->SetCrawlerEnabled(false); }
void Store::SetCrawlerSleep(uint32_t sleep_us) { impl_->SetCrawlerSleep(sleep_us); }
void Store::SetCrawlerToCrawl(uint32_t tocrawl) { impl_->SetCrawlerToCrawl(tocrawl); }

}  // namespace slabcached::slabs
