#include "slabs/clock.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace slabcached::slabs {
namespace {

constexpr time_t kUnixNow = 1'700'000'000;

TEST(ClockTest, StartsAtOffsetSoThatOneIsInThePast) {
  Clock clock(kUnixNow);
  EXPECT_EQ(clock.Now(), static_cast<RelTime>(Clock::kStartOffset));
  EXPECT_EQ(clock.process_started(), kUnixNow - Clock::kStartOffset);
  EXPECT_EQ(clock.UnixNow(), kUnixNow);
}

struct ToRelCase {
  const char* name;
  int64_t exptime;
  int64_t want;  // -1: now + exptime
};

TEST(ClockTest, ToRelTimeFollowsMemcachedRealtime) {
  Clock clock(kUnixNow);
  const RelTime now = clock.Now();
  const ToRelCase cases[] = {
      {"zero never expires", 0, 0},
      {"one second", 1, now + 1},
      {"thirty days is relative", 2592000, now + 2592000},
      {"thirty days plus one is absolute (1970)", 2592001, 1},
      {"negative is already expired", -1, 1},
      {"very negative", -2592001, 1},
      {"past absolute", kUnixNow - 1000, 1},
      {"process start itself", kUnixNow - Clock::kStartOffset, 1},
      {"future absolute", kUnixNow + 100, now + 100},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(clock.ToRelTime(c.exptime), static_cast<RelTime>(c.want)) << c.name;
  }
}

// Wall and monotonic time moved independently by the test.
class FakeTimeSource final : public TimeSource {
 public:
  time_t WallSeconds() const override { return wall; }
  int64_t MonotonicSeconds() const override { return monotonic; }
  void Tick(int64_t seconds) {
    wall += seconds;
    monotonic += seconds;
  }

  time_t wall = kUnixNow;
  int64_t monotonic = 5000;
};

TEST(ClockTest, UpdateFollowsTheSourceAndNeverGoesBackwards) {
  FakeTimeSource source;
  Clock clock(&source);
  EXPECT_EQ(clock.Now(), static_cast<RelTime>(Clock::kStartOffset));
  EXPECT_EQ(clock.process_started(), kUnixNow - Clock::kStartOffset);
  source.Tick(10);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 10);
  clock.Advance(5);  // a test's hand on the clock stays
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 15);
}

// debugtime N (test builds): the jump is not undone when real time catches up.
TEST(ClockTest, AdvanceStaysAheadOfTheSource) {
  FakeTimeSource source;
  Clock clock(&source);
  clock.Advance(100);
  source.Tick(10);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 110);
  source.Tick(200);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 310);
}

// debugtime p / r (test builds): a paused clock moves only by Advance(); on
// resume it catches up with the source.
TEST(ClockTest, PausedClockMovesOnlyByAdvance) {
  FakeTimeSource source;
  Clock clock(&source);
  clock.Pause(true);
  source.Tick(30);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow);
  clock.Advance(2);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 2);
  clock.Pause(false);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 32);
}

TEST(ClockTest, WallClockStepBackwardsDoesNotFreezeTime) {
  FakeTimeSource source;
  Clock clock(&source);
  source.Tick(100);
  clock.Update();
  const RelTime before = clock.Now();
  source.wall -= 3600;  // NTP or an admin sets the wall clock back an hour
  source.Tick(1);
  clock.Update();
  EXPECT_EQ(clock.Now(), before + 1);
  const RelTime exptime = clock.ToRelTime(10);  // "expires in 10 seconds"
  source.Tick(10);
  clock.Update();
  EXPECT_GE(clock.Now(), exptime);
}

TEST(ClockTest, WallClockStepForwardsDoesNotExpireEarly) {
  FakeTimeSource source;
  Clock clock(&source);
  const RelTime exptime = clock.ToRelTime(60);
  source.wall += 86400;  // a day ahead
  source.Tick(1);
  clock.Update();
  EXPECT_EQ(clock.Now(), static_cast<RelTime>(Clock::kStartOffset + 1));
  EXPECT_LT(clock.Now(), exptime);
  // Absolute exptimes and "stats time" stay on the start's wall clock.
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 1);
  EXPECT_EQ(clock.ToRelTime(kUnixNow + 100), static_cast<RelTime>(Clock::kStartOffset + 100));
}

TEST(ClockTest, HandDrivenClockIgnoresUpdate) {
  Clock clock(kUnixNow);
  clock.Advance(3);
  clock.Update();
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 3);
}

TEST(ClockTest, ToUnixRoundTrips) {
  Clock clock(kUnixNow);
  EXPECT_EQ(clock.ToUnix(0), 0);
  EXPECT_EQ(clock.ToUnix(clock.ToRelTime(kUnixNow + 500)), kUnixNow + 500);
}

}  // namespace
}  // namespace slabcached::slabs
