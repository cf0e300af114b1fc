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

TEST(ClockTest, UpdateNeverGoesBackwards) {
  Clock clock(kUnixNow);
  clock.Update(kUnixNow + 10);
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 10);
  clock.Update(kUnixNow + 5);
  EXPECT_EQ(clock.UnixNow(), kUnixNow + 10);
}

TEST(ClockTest, ToUnixRoundTrips) {
  Clock clock(kUnixNow);
  EXPECT_EQ(clock.ToUnix(0), 0);
  EXPECT_EQ(clock.ToUnix(clock.ToRelTime(kUnixNow + 500)), kUnixNow + 500);
}

}  // namespace
}  // namespace slabcached::slabs
