// ServerHealth: the shared auto-eject state, driven with explicit time
// points (no sleeps), and many threads failing on one server at once.
#include "client/server_health.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using TimePoint = ServerHealth::TimePoint;

const TimePoint kStart{std::chrono::seconds(1000)};

TEST(ServerHealthTest, EjectsAfterFailureLimitConsecutiveFailures) {
  ServerHealth health(3, {.failure_limit = 2, .retry_interval = milliseconds(500)});
  const uint64_t before = health.generation();
  EXPECT_FALSE(health.RecordFailure(1, kStart));
  EXPECT_FALSE(health.IsEjected(1));
  EXPECT_TRUE(health.RecordFailure(1, kStart));
  EXPECT_TRUE(health.IsEjected(1));
  EXPECT_TRUE(health.AnyEjected());
  EXPECT_NE(health.generation(), before);
  EXPECT_EQ(health.Live(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(health.Ejections(1), 1u);
}

TEST(ServerHealthTest, ASuccessResetsTheCount) {
  ServerHealth health(1, {.failure_limit = 2});
  EXPECT_FALSE(health.RecordFailure(0, kStart));
  health.RecordSuccess(0);
  EXPECT_FALSE(health.RecordFailure(0, kStart));
  EXPECT_FALSE(health.IsEjected(0));
}

TEST(ServerHealthTest, ComesBackAfterTheRetryIntervalOnProbation) {
  ServerHealth health(1, {.failure_limit = 3, .retry_interval = milliseconds(500)});
  for (int i = 0; i < 3; ++i) health.RecordFailure(0, kStart);
  ASSERT_TRUE(health.IsEjected(0));
  health.RestoreDue(kStart + milliseconds(499));
  EXPECT_TRUE(health.IsEjected(0));
  const uint64_t ejected_generation = health.generation();
  health.RestoreDue(kStart + milliseconds(500));
  EXPECT_FALSE(health.IsEjected(0));
  EXPECT_FALSE(health.AnyEjected());
  EXPECT_NE(health.generation(), ejected_generation);
  // On probation: the next failure ejects it again.
  EXPECT_TRUE(health.RecordFailure(0, kStart + milliseconds(501)));
  EXPECT_EQ(health.Ejections(0), 2u);
}

TEST(ServerHealthTest, WithoutAutoEjectNothingIsEjected) {
  ServerHealth health(1, {.auto_eject = false, .failure_limit = 1});
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(health.RecordFailure(0, kStart));
  EXPECT_FALSE(health.IsEjected(0));
}

TEST(ServerHealthTest, ManyThreadsFailingTogetherEjectTheServerOnce) {
  ServerHealth health(2, {.failure_limit = 2, .retry_interval = milliseconds(60000)});
  std::atomic<int> ejected_by_me{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (health.RecordFailure(1, kStart)) ejected_by_me.fetch_add(1);
        health.RecordSuccess(0);
        health.RestoreDue(kStart);
        (void)health.Live();
      }
    });
  }
  threads.clear();  // joins
  EXPECT_EQ(ejected_by_me.load(), 1);
  EXPECT_EQ(health.Ejections(1), 1u);
  EXPECT_TRUE(health.IsEjected(1));
  EXPECT_FALSE(health.IsEjected(0));
}

}  // namespace
}  // namespace slabcached::client
