// AutomovePolicy alone: samples in, decisions out, one call per simulated
// second. No store, no threads, no clock.
#include "slabs/automove_policy.h"

#include <gtest/gtest.h>

#include <vector>

namespace slabcached::slabs {
namespace {

constexpr uint32_t kPerSlab = 10;

class AutomovePolicyTest : public ::testing::Test {
 protected:
  // Three classes, each with items in 2 full pages, none evicting: class 1
  // has the oldest tail (100 s), class 2 the youngest (10 s).
  AutomovePolicyTest() {
    classes_ = {Class(100, 2), Class(10, 2), Class(50, 2)};
    settings_ = {.mode = 1, .window = 2, .ratio = 0.8};
  }

  static AutomoveSample Class(RelTime age, uint64_t pages, uint64_t free_chunks = 0) {
    return {.evicted = 0,
            .tail_age = age,
            .has_items = true,
            .total_pages = pages,
            .free_chunks = free_chunks,
            .perslab = kPerSlab};
  }
  AutomoveSample& cls(int id) { return classes_[id - 1]; }

  // One sample in which class `evicting` (0: none) evicted.
  AutomoveDecision Sample(int evicting, bool busy = false) {
    if (evicting != 0) cls(evicting).evicted += 7;
    return policy_.Decide(settings_, classes_, busy);
  }

  AutomovePolicy policy_;
  AutomoveSettings settings_;
  std::vector<AutomoveSample> classes_;
};

void ExpectMove(const AutomoveDecision& d, uint8_t src, uint8_t dst, uint32_t pages) {
  EXPECT_TRUE(d.move());
  EXPECT_EQ(d.src, src);
  EXPECT_EQ(d.dst, dst);
  EXPECT_EQ(d.pages, pages);
}

TEST_F(AutomovePolicyTest, ModeZeroNeverMoves) {
  settings_.mode = 0;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(Sample(2).move());
}

TEST_F(AutomovePolicyTest, DestinationMustEvictInEachSampleOfTheWindow) {
  EXPECT_FALSE(Sample(2).move());  // one stray eviction is not pressure
  ExpectMove(Sample(2), 1, 2, 1);  // the oldest class gives to the evicting one
}

TEST_F(AutomovePolicyTest, AQuietSampleBreaksTheWindow) {
  settings_.window = 3;
  EXPECT_FALSE(Sample(2).move());
  EXPECT_FALSE(Sample(2).move());
  EXPECT_FALSE(Sample(0).move());
  EXPECT_FALSE(Sample(2).move());
  EXPECT_FALSE(Sample(2).move());
  ExpectMove(Sample(2), 1, 2, 1);
}

TEST_F(AutomovePolicyTest, TheYoungestEvictingClassIsTheDestination) {
  EXPECT_FALSE(policy_.Decide(settings_, classes_, false).move());
  cls(2).evicted = 1, cls(3).evicted = 1;
  EXPECT_FALSE(policy_.Decide(settings_, classes_, false).move());
  cls(2).evicted = 2, cls(3).evicted = 2;
  ExpectMove(policy_.Decide(settings_, classes_, false), 1, 2, 1);  // 10 s < 50 s
}

TEST_F(AutomovePolicyTest, DestinationMustBeYoungerThanRatioTimesTheSourceAge) {
  cls(2).tail_age = 80;  // 80 is not below 0.8 x 100
  Sample(2);
  EXPECT_FALSE(Sample(2).move());
  cls(2).tail_age = 79;
  ExpectMove(Sample(2), 1, 2, 1);
}

TEST_F(AutomovePolicyTest, SourceMustBeAtLeastTheMinimumAge) {
  cls(1).tail_age = AutomovePolicy::kMinSourceAge - 1;
  cls(2).tail_age = 0;
  cls(3).tail_age = 0;
  Sample(2);
  EXPECT_FALSE(Sample(2).move());
  cls(1).tail_age = AutomovePolicy::kMinSourceAge;
  ExpectMove(Sample(2), 1, 2, 1);
}

TEST_F(AutomovePolicyTest, NoSourceWithoutSparePagesOrItems) {
  cls(1).total_pages = 1;  // their only page is not spare
  cls(2).total_pages = 1;
  cls(3).has_items = false;
  Sample(2);
  EXPECT_FALSE(Sample(2).move());
  EXPECT_FALSE(Sample(2).move());
}

TEST_F(AutomovePolicyTest, NeverMovesBetweenAClassAndItself) {
  // The evicting class is also the oldest with pages to spare.
  cls(1).total_pages = 1;
  cls(3).total_pages = 1;
  cls(2).tail_age = 1000;
  Sample(2);
  EXPECT_FALSE(Sample(2).move());
  EXPECT_FALSE(Sample(2).move());
}

TEST_F(AutomovePolicyTest, ExcessFreeChunksForTheWholeWindowGoToThePool) {
  cls(3) = Class(50, 6, 4 * kPerSlab + 5);  // 4.5 pages free: 3 spare beyond one
  EXPECT_FALSE(Sample(0).move());           // one sample of excess is not enough
  ExpectMove(Sample(0), 3, 0, 1);           // no class evicts: to the page pool
  ExpectMove(Sample(0), 3, 0, 2);
  ExpectMove(Sample(0), 3, 0, 3);  // capped at its spare pages
  ExpectMove(Sample(0), 3, 0, 3);
}

TEST_F(AutomovePolicyTest, ExcessFreeChunksGoToAnEvictingClassFirst) {
  cls(3) = Class(5, 6, 3 * kPerSlab);  // young, but free: a free move
  Sample(2);
  ExpectMove(Sample(2), 3, 2, 1);
}

TEST_F(AutomovePolicyTest, LessThanTwoAndAHalfPagesFreeIsNoExcess) {
  cls(3) = Class(50, 6, 2 * kPerSlab + kPerSlab / 2 - 1);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Sample(0).move());
}

TEST_F(AutomovePolicyTest, AnEvictingClassIsNoFreeSource) {
  cls(3) = Class(50, 6, 4 * kPerSlab);
  Sample(0);
  EXPECT_FALSE(Sample(3).move());
}

TEST_F(AutomovePolicyTest, TheBurstDoublesUpToAnEighthOfThePages) {
  cls(1).total_pages = 60;  // 64 pages in all: at most 8 at once
  Sample(2);
  ExpectMove(Sample(2), 1, 2, 1);
  ExpectMove(Sample(2), 1, 2, 2);
  ExpectMove(Sample(2), 1, 2, 4);
  ExpectMove(Sample(2), 1, 2, 8);
  ExpectMove(Sample(2), 1, 2, 8);
}

TEST_F(AutomovePolicyTest, ASampleWithoutDecisionStartsTheBurstAgain) {
  cls(1).total_pages = 60;
  Sample(2);
  ExpectMove(Sample(2), 1, 2, 1);
  ExpectMove(Sample(2), 1, 2, 2);
  EXPECT_FALSE(Sample(0).move());
  EXPECT_FALSE(Sample(2).move());
  ExpectMove(Sample(2), 1, 2, 1);
}

TEST_F(AutomovePolicyTest, ANewPairStartsTheBurstAgain) {
  cls(1).total_pages = 60;
  cls(3).tail_age = 5;  // younger than class 2 once it evicts too
  Sample(2);
  ExpectMove(Sample(2), 1, 2, 1);
  ExpectMove(Sample(2), 1, 2, 2);
  cls(3).evicted += 1;
  ExpectMove(Sample(2), 1, 2, 4);  // class 3 evicted once: no pressure yet
  cls(3).evicted += 1;
  ExpectMove(Sample(2), 1, 3, 1);
}

TEST_F(AutomovePolicyTest, ABusyMoverDefersTheDecisionAndKeepsTheBurst) {
  cls(1).total_pages = 60;
  Sample(2);
  ExpectMove(Sample(2), 1, 2, 1);
  EXPECT_FALSE(Sample(2, /*busy=*/true).move());
  ExpectMove(Sample(2), 1, 2, 2);
}

TEST_F(AutomovePolicyTest, ModeTwoActsOnOneSampleWithoutRatioOrMinimumAge) {
  settings_.mode = 2;
  cls(1).total_pages = 14;  // 18 pages in all: at most 4 at once
  cls(1).tail_age = 2;      // below kMinSourceAge, and 1 is not below 0.8 x 2
  cls(2).tail_age = 1;
  cls(3).tail_age = 0;
  ExpectMove(Sample(2), 1, 2, 1);
  ExpectMove(Sample(2), 1, 2, 2);
  ExpectMove(Sample(2), 1, 2, 4);
  ExpectMove(Sample(2), 1, 2, 4);
}

TEST_F(AutomovePolicyTest, ModeTwoStillNeedsAnOlderSource) {
  settings_.mode = 2;
  cls(1).tail_age = 10;  // as young as the destination
  cls(3).tail_age = 10;
  EXPECT_FALSE(Sample(2).move());
}

TEST_F(AutomovePolicyTest, ModeTwoTakesExcessFreeChunksAtOnce) {
  settings_.mode = 2;
  cls(3) = Class(50, 6, 3 * kPerSlab);
  ExpectMove(Sample(0), 3, 0, 1);
}

}  // namespace
}  // namespace slabcached::slabs
