#include "slabs/crawler.h"

#include <algorithm>

namespace slabcached::slabs {
namespace {

// Moves a cursor past a batch that stepped over `stepped` chunks; true when
// the batch found the end of the class (no chunk from the start of a page).
template <typename Cursor>
bool PastBatch(Cursor* at, uint32_t stepped) {
  if (stepped > 0) {
    at->chunk += stepped;
    return false;
  }
  if (at->chunk == 0) return true;  // past the class's last page
  ++at->page;                       // past the page's last chunk
  at->chunk = 0;
  return false;
}

}  // namespace

uint8_t Crawler::NextClass(const ClassSet& classes, int cls, int num) {
  for (int c = cls + 1; c <= num; ++c) {
    if (classes.test(static_cast<size_t>(c))) return static_cast<uint8_t>(c);
  }
  return static_cast<uint8_t>(num + 1);
}

Crawler::Crawler(CrawlTarget* target, const Clock* clock, const CrawlerSettings& settings)
    : target_(target),
      clock_(clock),
      enabled_(settings.enabled),
      sleep_us_(settings.sleep_us),
      tocrawl_(settings.tocrawl) {}

CrawlerSettings Crawler::settings() const {
  return {.enabled = enabled_.load(std::memory_order_relaxed),
          .sleep_us = sleep_us_.load(std::memory_order_relaxed),
          .tocrawl = tocrawl_.load(std::memory_order_relaxed)};
}

Crawler::Stats Crawler::stats() const {
  return {.reclaimed = reclaimed_.load(std::memory_order_relaxed),
          .items_checked = items_checked_.load(std::memory_order_relaxed),
          .running = busy_.load(std::memory_order_relaxed),
          .starts = starts_.load(std::memory_order_relaxed),
          .dumps_taken_over = dumps_taken_over_.load(std::memory_order_relaxed)};
}

// ------------------------------------------------------------- the slot ---

bool Crawler::Acquire(CrawlerStatus* status, uint64_t* dump_ticket) {
  if (!enabled()) {
    *status = CrawlerStatus::kDisabled;
    return false;
  }
  std::lock_guard lock(slot_mu_);
  if (busy_.load(std::memory_order_relaxed)) {
    const bool stalled_dump =
        dump_ticket_.load(std::memory_order_relaxed) != 0 &&
        Now() - dump_progress_.load(std::memory_order_relaxed) >= Store::kDumpStallSeconds;
    if (!stalled_dump) {
      *status = CrawlerStatus::kBusy;
      return false;
    }
    dumps_taken_over_.fetch_add(1, std::memory_order_relaxed);
  }
  busy_.store(true, std::memory_order_relaxed);
  const uint64_t ticket = dump_ticket != nullptr ? ++last_dump_ticket_ : 0;
  dump_ticket_.store(ticket, std::memory_order_relaxed);
  dump_progress_.store(Now(), std::memory_order_relaxed);
  if (dump_ticket != nullptr) *dump_ticket = ticket;
  starts_.fetch_add(1, std::memory_order_relaxed);
  *status = CrawlerStatus::kOk;
  return true;
}

void Crawler::Release(uint64_t dump_ticket) {
  std::lock_guard lock(slot_mu_);
  if (dump_ticket_.load(std::memory_order_relaxed) != dump_ticket) return;
  dump_ticket_.store(0, std::memory_order_relaxed);
  busy_.store(false, std::memory_order_release);
}

bool Crawler::DumpAdvances(uint64_t dump_ticket) {
  if (dump_ticket_.load(std::memory_order_relaxed) != dump_ticket) return false;
  dump_progress_.store(Now(), std::memory_order_relaxed);
  return true;
}

// -------------------------------------------------------- manual crawl ---

CrawlerStatus Crawler::StartCrawl(const ClassSet& classes) {
  CrawlerStatus status;
  if (!Acquire(&status)) return status;
  std::lock_guard lock(manual_mu_);
  manual_.active = true;
  manual_.classes = classes;
  manual_.tocrawl = tocrawl_.load(std::memory_order_relaxed);
  manual_.at = {.cls = NextClass(classes, 0, target_->NumClasses())};
  manual_.checked_in_class = 0;
  return CrawlerStatus::kOk;
}

bool Crawler::ManualStep(uint64_t budget) {
  std::lock_guard lock(manual_mu_);
  ManualCrawl& m = manual_;
  if (!m.active) return false;
  const int num = target_->NumClasses();
  uint64_t checked = 0;
  int reclaimed = 0;
  while (m.at.cls <= num && budget > 0) {
    uint64_t count = std::min<uint64_t>(budget, kBatch);
    // Never more than `tocrawl` items: a batch looks at no more items than chunks.
    if (m.tocrawl != 0) count = std::min<uint64_t>(count, m.tocrawl - m.checked_in_class);
    uint32_t stepped = 0;
    if (count > 0) {
      uint64_t batch_checked = 0;
      stepped = target_->CrawlBatch(m.at.cls, m.at.page, m.at.chunk, static_cast<uint32_t>(count),
                                    &m.scratch, &batch_checked, &reclaimed);
      m.checked_in_class += batch_checked;
      checked += batch_checked;
    }
    if (count == 0 || PastBatch(&m.at, stepped)) {  // the class is done
      m.at = {.cls = NextClass(m.classes, m.at.cls, num)};
      m.checked_in_class = 0;
    }
    budget -= std::min<uint64_t>(budget, stepped);
  }
  CountChecked(checked);
  reclaimed_.fetch_add(static_cast<uint64_t>(reclaimed), std::memory_order_relaxed);
  if (m.at.cls <= num) return true;
  m.active = false;
  m.scratch = {};
  Release();
  return false;
}

// ---------------------------------------------------------- background ---

int Crawler::BackgroundStep(uint64_t budget) {
  std::unique_lock lock(background_mu_, std::try_to_lock);
  return lock.owns_lock() ? BackgroundStepLocked(budget) : 0;
}

int Crawler::BackgroundStepLocked(uint64_t budget) {
  const int num = target_->NumClasses();
  if (num < 1) return 0;
  Cursor& at = background_;
  if (at.cls < 1 || at.cls > num) at = {.cls = 1};
  int reclaimed = 0;
  int classes_done = 0;
  while (budget > 0 && classes_done <= num) {
    uint64_t checked = 0;
    const uint32_t stepped = target_->CrawlBatch(
        at.cls, at.page, at.chunk, static_cast<uint32_t>(std::min<uint64_t>(budget, kBatch)),
        &background_scratch_, &checked, &reclaimed);
    CountChecked(checked);
    if (PastBatch(&at, stepped)) {  // next class, round and round
      at = {.cls = static_cast<uint8_t>(at.cls % num + 1)};
      ++classes_done;
    }
    budget -= std::min<uint64_t>(budget, stepped);
  }
  reclaimed_.fetch_add(static_cast<uint64_t>(reclaimed), std::memory_order_relaxed);
  return reclaimed;
}

// ---------------------------------------------------------- maintenance ---

bool Crawler::Housekeeping(std::chrono::steady_clock::time_point now) {
  bool urgent = false;
  if (enabled()) {
    std::unique_lock lock(background_mu_, std::try_to_lock);
    if (lock.owns_lock() && now >= next_step_) {
      const bool found_expired = BackgroundStepLocked(kStepBudget) > 0;
      next_step_ = found_expired ? now : now + kStepInterval;
      urgent = found_expired;
    }
  }
  if (ManualStep(kStepBudget)) urgent = true;
  return urgent;
}

void Crawler::RunToEnd() {
  if (enabled()) BackgroundStep(UINT64_MAX);  // one full pass
  ManualStep(UINT64_MAX);
}

}  // namespace slabcached::slabs
