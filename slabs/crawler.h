// Crawler: the LRU crawler's state (memcached's crawler.c): its run-time
// settings, its one job slot, the background reclaim cursor and the running
// "lru_crawler crawl". It walks the store only through CrawlTarget, one batch
// of one page at a time; the batches themselves (which locks, what counts as
// expired) are the store's (Store::Impl::CrawlBatch in lru.cc).
//
// The walk goes over a class's PAGES, not its lists: a cursor (class, page,
// chunk) stays valid while items come and go, and no sentinel item has to be
// skipped by every other list walker (memcached's crawler walks each list
// behind a sentinel).
//
//   * The background crawler (BackgroundStep) goes round every class, a step
//     of kStepBudget chunks every kStepInterval, or at once again while it
//     finds expired items: a pass over a million items takes ~12 s, at well
//     under 1% of a core. (Stepping on every maintainer round, 1 ms apart
//     under load, cost a busy server as much CPU in the crawler as in its
//     workers.) It never makes commands busy.
//   * "lru_crawler crawl" (StartCrawl, ManualStep) reclaims the expired and
//     flushed items of some classes, up to "tocrawl" items per class. Its
//     first steps run in the caller, the rest in the LRU maintainer
//     (Housekeeping) or Store::RunMaintenance(). Once started it runs to its
//     end, even if the crawler is disabled meanwhile.
//   * The job slot (memcached's lru_crawler_running): one job at a time, a
//     crawl or a dump (Store::ItemDump) until it releases the slot, unless
//     the dump has not advanced for Store::kDumpStallSeconds (its client
//     stopped reading) and another job asks: then that job takes the slot
//     over, and the stalled dump learns it at its next DumpAdvances(). A crawl
//     is never taken over.
//   * "lru_crawler sleep" is kept and reported only: the maintainer paces the
//     steps by its own rounds.
// Locks: slabs/lock_order.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "slabs/clock.h"
#include "slabs/store.h"

namespace slabcached::slabs {

struct Item;

// What the crawler walks (implemented by Store::Impl).
class CrawlTarget {
 public:
  virtual ~CrawlTarget() = default;
  virtual int NumClasses() const = 0;
  // Looks at up to `count` chunks of class `cls`'s page `page` from `chunk`
  // and unlinks the expired or flushed items among them. Adds the linked
  // items looked at to `*checked` and those unlinked to `*reclaimed`; returns
  // the chunks stepped over, 0 past the page's last chunk (or past the
  // class's last page when `chunk` is 0). `scratch` is the caller's buffer.
  virtual uint32_t CrawlBatch(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                              std::vector<Item*>* scratch, uint64_t* checked, int* reclaimed) = 0;
};

class Crawler {
 public:
  static constexpr uint64_t kStepBudget = 8192;                   // chunks per background step
  static constexpr std::chrono::milliseconds kStepInterval{100};  // between background steps
  static constexpr uint64_t kInlineBudget = 1 << 16;  // chunks StartCrawl's caller looks at
  static constexpr uint32_t kBatch = 512;             // chunks per CrawlBatch

  // The figures of "stats" (memcached's names in StoreStats).
  struct Stats {
    uint64_t reclaimed = 0;      // crawler_reclaimed
    uint64_t items_checked = 0;  // crawler_items_checked
    bool running = false;        // lru_crawler_running: a job holds the slot
    uint64_t starts = 0;         // lru_crawler_starts
    uint64_t dumps_taken_over = 0;
  };

  // `target` and `clock` must outlive the crawler.
  Crawler(CrawlTarget* target, const Clock* clock, const CrawlerSettings& settings);
  Crawler(const Crawler&) = delete;
  Crawler& operator=(const Crawler&) = delete;

  // --- run-time settings ("lru_crawler enable|disable|sleep|tocrawl") ---
  CrawlerSettings settings() const;
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  void SetEnabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }
  // false when it was enabled already.
  bool Enable() { return !enabled_.exchange(true, std::memory_order_relaxed); }
  void SetSleep(uint32_t us) { sleep_us_.store(us, std::memory_order_relaxed); }
  void SetToCrawl(uint32_t n) { tocrawl_.store(n, std::memory_order_relaxed); }

  // --- the job slot ---
  // Takes the slot (kDisabled / kBusy in `*status` when it cannot). A dump
  // passes `dump_ticket` and gets its ticket there; a crawl passes nullptr.
  bool Acquire(CrawlerStatus* status, uint64_t* dump_ticket = nullptr);
  // Frees the slot if `dump_ticket` (0: a crawl) still holds it: a dump that
  // was taken over does not free its successor's slot.
  void Release(uint64_t dump_ticket = 0);
  // A dump's step: false when its slot was taken over; else marks progress.
  bool DumpAdvances(uint64_t dump_ticket);

  // --- "lru_crawler crawl" ---
  // Takes the slot and aims the crawl at `classes`' first page; the caller
  // then runs ManualStep() (the maintainer goes on with it).
  CrawlerStatus StartCrawl(const ClassSet& classes);
  // Runs the started crawl over up to `budget` chunks; true while it has more
  // to do. Frees the slot when it ends.
  bool ManualStep(uint64_t budget);

  // --- the background crawler ---
  // Looks at up to `budget` chunks, resuming where the last step stopped and
  // going round every class once at most. Returns how many items it unlinked.
  int BackgroundStep(uint64_t budget);

  // One maintainer round at `now`: a background step when one is due and the
  // crawler is enabled, and the running crawl's next step. True while there
  // is urgent work left.
  bool Housekeeping(std::chrono::steady_clock::time_point now);
  // For tests without background threads: one full background pass when
  // enabled, and the running crawl to its end.
  void RunToEnd();

  // The first class of `classes` after `cls`, or num + 1 when none is left.
  static uint8_t NextClass(const ClassSet& classes, int cls, int num);

  // Linked items a dump looked at (memcached counts them as crawler checks).
  void CountChecked(uint64_t n) { items_checked_.fetch_add(n, std::memory_order_relaxed); }
  Stats stats() const;

 private:
  // A cursor over the pages of some classes.
  struct Cursor {
    uint8_t cls = 0;
    size_t page = 0;
    uint32_t chunk = 0;
  };
  // The running "lru_crawler crawl": guarded by manual_mu_.
  struct ManualCrawl {
    bool active = false;
    ClassSet classes;
    uint32_t tocrawl = 0;  // items per class; 0: all
    Cursor at;
    uint64_t checked_in_class = 0;
    std::vector<Item*> scratch;
  };

  RelTime Now() const { return clock_->Now(); }
  int BackgroundStepLocked(uint64_t budget);  // requires background_mu_

  CrawlTarget* const target_;
  const Clock* const clock_;

  std::atomic<bool> enabled_;
  std::atomic<uint32_t> sleep_us_;
  std::atomic<uint32_t> tocrawl_;

  // The slot. busy_ and the dump's ticket and progress are written under
  // slot_mu_; DumpAdvances and stats() read them without it.
  std::mutex slot_mu_;
  std::atomic<bool> busy_{false};
  std::atomic<uint64_t> dump_ticket_{0};   // the dump holding the slot; 0: none, or a crawl
  std::atomic<RelTime> dump_progress_{0};  // when it last advanced
  uint64_t last_dump_ticket_ = 0;          // guarded by slot_mu_

  std::mutex manual_mu_;
  ManualCrawl manual_;

  // The background crawler: try-locked, so a second caller skips its step.
  std::mutex background_mu_;
  Cursor background_{.cls = 1};  // guarded by background_mu_, as are the two below
  std::vector<Item*> background_scratch_;
  std::chrono::steady_clock::time_point next_step_{};  // when Housekeeping() next steps

  std::atomic<uint64_t> reclaimed_{0};
  std::atomic<uint64_t> items_checked_{0};
  std::atomic<uint64_t> starts_{0};
  std::atomic<uint64_t> dumps_taken_over_{0};
};

}  // namespace slabcached::slabs
