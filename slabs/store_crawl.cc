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
// One job runs at a time (slabs/crawler.h: the job slot, the running crawl
// and the background crawler's cursor); this file holds the store's side:
// the dump and cachedump walks, and the Store calls.
// Locks: slabs/lock_order.h. Dumps lock item stripes only while holding no
// other lock.
#include <algorithm>
#include <mutex>

#include "slabs/store_impl.h"

namespace slabcached::slabs {
namespace {

constexpr size_t kColdBatch = 1024;  // COLD items referenced per LRU lock hold

}  // namespace

CrawlerStatus Store::Impl::StartCrawl(const ClassSet& classes) {
  const CrawlerStatus status = crawler_.StartCrawl(classes);
  if (status == CrawlerStatus::kOk && crawler_.ManualStep(Crawler::kInlineBudget) &&
      maintainer_ != nullptr) {
    maintainer_->Wake();
  }
  return status;
}

// ---------------------------------------------------------------- dumps ---

uint32_t Store::Impl::RetainLinked(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                                   std::vector<Item*>* out) {
  LruClass& lc = lru_.cls(cls);
  out->reserve(out->size() + count);  // no heap allocation under the slab lock
  std::lock_guard lru_lock(lc.mu);
  return slabs_.VisitChunks(cls, page, chunk, count, [&](Item* it) {
    if (lru_.Contains(lc, it) && TryAddRef(it)) out->push_back(it);
  });
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
        s.client_flags = it->client_flags();
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

Store::ItemDump::~ItemDump() { store_->impl_->crawler().Release(ticket_); }

bool Store::ItemDump::Next(uint32_t budget, const std::function<void(const ItemSummary&)>& f) {
  Impl& impl = *store_->impl_;
  if (!impl.crawler().DumpAdvances(ticket_)) {
    taken_over_ = true;
    return false;
  }
  const int num = impl.NumClasses();
  if (cls_ == 0) cls_ = Crawler::NextClass(classes_, 0, num);
  std::vector<Item*> items;
  while (cls_ <= num && budget > 0) {
    items.clear();
    const uint32_t stepped =
        impl.RetainLinked(cls_, page_, chunk_, std::min(budget, Crawler::kBatch), &items);
    // memcached's metadump counts the items it looks at as crawler checks.
    impl.crawler().CountChecked(items.size());
    impl.SummarizeAndRelease(items, [&](const ItemSummary& s) {
      f(s);
      return true;
    });
    if (stepped == 0) {
      if (chunk_ == 0) {  // past the class's last page
        cls_ = Crawler::NextClass(classes_, cls_, num);
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
  if (!impl_->crawler().Acquire(status, &ticket)) return nullptr;
  return std::make_unique<ItemDump>(ItemDump::Token(), this, classes, ticket);
}

CrawlerStatus Store::StartCrawl(const ClassSet& classes) { return impl_->StartCrawl(classes); }
void Store::VisitColdItems(uint8_t cls, const std::function<bool(const ItemSummary&)>& f) {
  impl_->VisitColdItems(cls, f);
}
CrawlerSettings Store::crawler_settings() const { return impl_->crawler().settings(); }
bool Store::EnableCrawler() { return impl_->crawler().Enable(); }
void Store::DisableCrawler() { impl_->crawler().SetEnabled(false); }
void Store::SetCrawlerSleep(uint32_t sleep_us) { impl_->crawler().SetSleep(sleep_us); }
void Store::SetCrawlerToCrawl(uint32_t tocrawl) { impl_->crawler().SetToCrawl(tocrawl); }

}  // namespace slabcached::slabs
