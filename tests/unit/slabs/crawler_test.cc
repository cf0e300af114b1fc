// Crawler alone, over fake pages, with a hand-driven clock: the job slot and
// its stall takeover, the "lru_crawler crawl" cursor and the background
// crawler's cursor and pace. The store's side (what a batch reclaims, dumps)
// is in store_crawl_test.cc.
#include "slabs/crawler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "slabs/clock.h"

namespace slabcached::slabs {
namespace {

constexpr uint32_t kChunksPerPage = 100;

// Classes of full pages, every chunk a linked item; `expired[cls]` of them
// are reclaimed by the first batches that look at that class.
class FakePages : public CrawlTarget {
 public:
  explicit FakePages(std::vector<size_t> pages)
      : pages_(std::move(pages)), looked(pages_.size() + 1), expired(pages_.size() + 1) {}

  int NumClasses() const override { return static_cast<int>(pages_.size()); }
  uint32_t CrawlBatch(uint8_t cls, size_t page, uint32_t chunk, uint32_t count,
                      std::vector<Item*>* /*scratch*/, uint64_t* checked, int* reclaimed) override {
    if (page >= pages_[cls - 1] || chunk >= kChunksPerPage) return 0;
    const uint32_t n = std::min(count, kChunksPerPage - chunk);
    looked[cls] += n;
    *checked += n;
    const int r = std::min<int>(expired[cls], static_cast<int>(n));
    expired[cls] -= r;
    *reclaimed += r;
    return n;
  }

  uint64_t total_looked() const {
    uint64_t sum = 0;
    for (uint64_t n : looked) sum += n;
    return sum;
  }

 private:
  std::vector<size_t> pages_;

 public:
  std::vector<uint64_t> looked;  // chunks looked at, by class id
  std::vector<int> expired;      // by class id
};

ClassSet Classes(std::initializer_list<int> ids) {
  ClassSet set;
  for (int id : ids) set.set(static_cast<size_t>(id));
  return set;
}

class CrawlerTest : public ::testing::Test {
 protected:
  using SteadyTime = std::chrono::steady_clock::time_point;

  Clock clock_{1700000000};
  FakePages pages_{{3, 1, 2}};  // pages of classes 1, 2 and 3
  Crawler crawler_{&pages_, &clock_, {.enabled = true, .sleep_us = 100, .tocrawl = 0}};
  const SteadyTime t0_ = SteadyTime{} + std::chrono::hours(1);
};

TEST_F(CrawlerTest, SettingsStartAsGivenAndChangeAtRunTime) {
  EXPECT_TRUE(crawler_.settings().enabled);
  EXPECT_FALSE(crawler_.Enable());  // already enabled
  crawler_.SetEnabled(false);
  EXPECT_TRUE(crawler_.Enable());
  crawler_.SetSleep(7);
  crawler_.SetToCrawl(9);
  EXPECT_EQ(crawler_.settings().sleep_us, 7u);
  EXPECT_EQ(crawler_.settings().tocrawl, 9u);
}

TEST_F(CrawlerTest, ADisabledCrawlerTakesNoJob) {
  crawler_.SetEnabled(false);
  CrawlerStatus status;
  uint64_t ticket = 0;
  EXPECT_FALSE(crawler_.Acquire(&status, &ticket));
  EXPECT_EQ(status, CrawlerStatus::kDisabled);
  EXPECT_EQ(crawler_.StartCrawl(Classes({1})), CrawlerStatus::kDisabled);
  EXPECT_EQ(crawler_.stats().starts, 0u);
  EXPECT_FALSE(crawler_.stats().running);
}

TEST_F(CrawlerTest, OneJobHoldsTheSlotUntilItReleasesIt) {
  CrawlerStatus status;
  uint64_t ticket = 0;
  ASSERT_TRUE(crawler_.Acquire(&status, &ticket));
  EXPECT_NE(ticket, 0u);
  EXPECT_TRUE(crawler_.stats().running);
  EXPECT_EQ(crawler_.StartCrawl(Classes({1})), CrawlerStatus::kBusy);
  uint64_t other = 0;
  EXPECT_FALSE(crawler_.Acquire(&status, &other));
  EXPECT_EQ(status, CrawlerStatus::kBusy);

  crawler_.Release(ticket);
  EXPECT_FALSE(crawler_.stats().running);
  EXPECT_EQ(crawler_.StartCrawl(Classes({1})), CrawlerStatus::kOk);
  EXPECT_EQ(crawler_.stats().starts, 2u);
}

// A dump whose client stopped reading does not advance; once it has not for
// kDumpStallSeconds the next job takes the slot, the stalled dump learns it
// at its next step, and its release leaves its successor's slot alone.
TEST_F(CrawlerTest, AStalledDumpIsTakenOverByTheNextJob) {
  CrawlerStatus status;
  uint64_t stalled = 0;
  ASSERT_TRUE(crawler_.Acquire(&status, &stalled));
  clock_.Advance(Store::kDumpStallSeconds - 1);
  EXPECT_EQ(crawler_.StartCrawl(Classes({1})), CrawlerStatus::kBusy);
  EXPECT_TRUE(crawler_.DumpAdvances(stalled));  // progress resets the stall
  clock_.Advance(Store::kDumpStallSeconds - 1);
  uint64_t next = 0;
  EXPECT_FALSE(crawler_.Acquire(&status, &next));
  EXPECT_EQ(crawler_.stats().dumps_taken_over, 0u);

  clock_.Advance(1);
  ASSERT_TRUE(crawler_.Acquire(&status, &next));
  EXPECT_NE(next, stalled);
  EXPECT_EQ(crawler_.stats().dumps_taken_over, 1u);
  EXPECT_FALSE(crawler_.DumpAdvances(stalled));
  crawler_.Release(stalled);
  EXPECT_TRUE(crawler_.stats().running);
  EXPECT_TRUE(crawler_.DumpAdvances(next));
  crawler_.Release(next);
  EXPECT_FALSE(crawler_.stats().running);
}

TEST_F(CrawlerTest, ACrawlIsNeverTakenOver) {
  ASSERT_EQ(crawler_.StartCrawl(Classes({1})), CrawlerStatus::kOk);
  clock_.Advance(10 * Store::kDumpStallSeconds);
  CrawlerStatus status;
  uint64_t ticket = 0;
  EXPECT_FALSE(crawler_.Acquire(&status, &ticket));
  EXPECT_EQ(status, CrawlerStatus::kBusy);
}

TEST_F(CrawlerTest, ACrawlWalksTheListedClassesUpToToCrawlItemsEach) {
  crawler_.SetToCrawl(150);
  ASSERT_EQ(crawler_.StartCrawl(Classes({1, 3})), CrawlerStatus::kOk);
  EXPECT_FALSE(crawler_.ManualStep(UINT64_MAX));
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 150, 0, 150}));
  EXPECT_EQ(crawler_.stats().items_checked, 300u);
  EXPECT_FALSE(crawler_.stats().running);  // it freed the slot at its end
  EXPECT_FALSE(crawler_.ManualStep(UINT64_MAX));
  EXPECT_EQ(pages_.total_looked(), 300u);
}

TEST_F(CrawlerTest, ACrawlResumesWhereItsLastStepStopped) {
  pages_.expired[3] = 4;
  ASSERT_EQ(crawler_.StartCrawl(Classes({1, 2, 3})), CrawlerStatus::kOk);
  EXPECT_TRUE(crawler_.ManualStep(250));
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 250, 0, 0}));
  EXPECT_TRUE(crawler_.ManualStep(250));
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 300, 100, 100}));
  EXPECT_TRUE(crawler_.stats().running);
  EXPECT_FALSE(crawler_.ManualStep(250));
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 300, 100, 200}));
  EXPECT_EQ(crawler_.stats().reclaimed, 4u);
  EXPECT_FALSE(crawler_.stats().running);
}

TEST_F(CrawlerTest, BackgroundStepsResumeAndWrapRoundTheClasses) {
  pages_.expired[2] = 5;
  EXPECT_EQ(crawler_.BackgroundStep(250), 0);
  EXPECT_EQ(crawler_.BackgroundStep(250), 5);
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 300, 100, 100}));
  EXPECT_EQ(crawler_.BackgroundStep(250), 0);  // class 3's rest, then class 1 again
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 450, 100, 200}));
  EXPECT_EQ(crawler_.stats().reclaimed, 5u);
  EXPECT_EQ(crawler_.stats().items_checked, 750u);
  EXPECT_EQ(crawler_.stats().starts, 0u);  // the background crawler takes no slot
}

TEST_F(CrawlerTest, HousekeepingStepsTheBackgroundCrawlerEveryInterval) {
  EXPECT_FALSE(crawler_.Housekeeping(t0_));
  const uint64_t after_first = pages_.total_looked();
  EXPECT_GT(after_first, 0u);
  EXPECT_FALSE(crawler_.Housekeeping(t0_ + Crawler::kStepInterval - std::chrono::milliseconds(1)));
  EXPECT_EQ(pages_.total_looked(), after_first);
  EXPECT_FALSE(crawler_.Housekeeping(t0_ + Crawler::kStepInterval));
  EXPECT_GT(pages_.total_looked(), after_first);
}

TEST_F(CrawlerTest, HousekeepingStepsAgainAtOnceWhileItFindsExpiredItems) {
  pages_.expired[2] = 5;
  EXPECT_TRUE(crawler_.Housekeeping(t0_));
  const uint64_t after_first = pages_.total_looked();
  EXPECT_FALSE(crawler_.Housekeeping(t0_));  // due at once; finds nothing more
  const uint64_t after_second = pages_.total_looked();
  EXPECT_GT(after_second, after_first);
  EXPECT_FALSE(crawler_.Housekeeping(t0_ + std::chrono::milliseconds(1)));
  EXPECT_EQ(pages_.total_looked(), after_second);
}

TEST_F(CrawlerTest, ADisabledCrawlerStillFinishesAStartedCrawl) {
  ASSERT_EQ(crawler_.StartCrawl(Classes({1, 2, 3})), CrawlerStatus::kOk);
  crawler_.SetEnabled(false);
  EXPECT_FALSE(crawler_.Housekeeping(t0_));  // no background step, the crawl's last
  EXPECT_EQ(pages_.looked, (std::vector<uint64_t>{0, 300, 100, 200}));
  EXPECT_FALSE(crawler_.stats().running);
}

}  // namespace
}  // namespace slabcached::slabs
