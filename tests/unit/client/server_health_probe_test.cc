// ServerHealth with probe_before_restore: a due ejected server is claimed by
// one prober at a time, stays out until its probe is answered, and comes
// back with a clean count. Explicit time points, no sleeps.
#include <gtest/gtest.h>

#include <chrono>

#include "client/server_health.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using TimePoint = ServerHealth::TimePoint;

const TimePoint kStart{std::chrono::seconds(1000)};

HealthPolicy Probing() {
  return {.failure_limit = 2, .retry_interval = milliseconds(500), .probe_before_restore = true};
}

TEST(ServerHealthProbeTest, OnlyADueEjectedServerIsClaimedAndByOneCallerPerInterval) {
  ServerHealth health(2, Probing());
  EXPECT_FALSE(health.ClaimProbe(0, kStart));  // not ejected
  health.RecordFailure(0, kStart);
  ASSERT_TRUE(health.RecordFailure(0, kStart));
  EXPECT_FALSE(health.ClaimProbe(0, kStart + milliseconds(499)));  // not due yet
  EXPECT_TRUE(health.ClaimProbe(0, kStart + milliseconds(500)));
  EXPECT_FALSE(health.ClaimProbe(0, kStart + milliseconds(500)));  // claimed: others wait
  EXPECT_TRUE(health.IsEjected(0));                                // claiming does not put it back
  EXPECT_FALSE(health.ClaimProbe(0, kStart + milliseconds(999)));
  EXPECT_TRUE(
      health.ClaimProbe(0, kStart + milliseconds(1000)));  // the probe failed: next interval
}

TEST(ServerHealthProbeTest, RestoreAfterAnAnsweredProbeGivesACleanCount) {
  ServerHealth health(2, Probing());
  health.RecordFailure(1, kStart);
  ASSERT_TRUE(health.RecordFailure(1, kStart));
  const uint64_t ejected = health.generation();
  ASSERT_TRUE(health.ClaimProbe(1, kStart + milliseconds(500)));
  health.Restore(1);
  EXPECT_FALSE(health.IsEjected(1));
  EXPECT_FALSE(health.AnyEjected());
  EXPECT_NE(health.generation(), ejected);
  // Not on probation: one failure does not eject it again, a second does.
  EXPECT_FALSE(health.RecordFailure(1, kStart + milliseconds(600)));
  EXPECT_TRUE(health.RecordFailure(1, kStart + milliseconds(600)));
  EXPECT_EQ(health.Ejections(1), 2u);
  // Restoring a live server changes nothing.
  const uint64_t before = health.generation();
  health.Restore(0);
  EXPECT_EQ(health.generation(), before);
}

}  // namespace
}  // namespace slabcached::client
