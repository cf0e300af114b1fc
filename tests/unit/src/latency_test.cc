// The latency histogram (src/latency.h): bucket edges, the error bound,
// merging, and quantiles of known inputs.
#include "src/latency.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace slabcached {
namespace {

TEST(LatencyTest, BucketZeroHoldsEverythingUpTo256Nanoseconds) {
  EXPECT_EQ(LatencyBucketOf(0), 0u);
  EXPECT_EQ(LatencyBucketOf(256), 0u);
  EXPECT_EQ(LatencyBucketUpperBound(0), 256u);
  EXPECT_EQ(LatencyBucketOf(257), 1u);
}

TEST(LatencyTest, FourSubBucketsPerPowerOfTwoWithInclusiveUpperBounds) {
  // 256 ns .. 512 ns in quarters of 64 ns.
  EXPECT_EQ(LatencyBucketUpperBound(1), 320u);
  EXPECT_EQ(LatencyBucketUpperBound(2), 384u);
  EXPECT_EQ(LatencyBucketUpperBound(3), 448u);
  EXPECT_EQ(LatencyBucketUpperBound(4), 512u);
  EXPECT_EQ(LatencyBucketUpperBound(5), 640u);
  for (size_t bucket = 0; bucket + 1 < kLatencyBuckets; ++bucket) {
    const uint64_t bound = LatencyBucketUpperBound(bucket);
    EXPECT_EQ(LatencyBucketOf(bound), bucket) << bound;
    EXPECT_EQ(LatencyBucketOf(bound + 1), bucket + 1) << bound;
  }
  EXPECT_EQ(LatencyBucketUpperBound(kLatencyBuckets - 2), uint64_t{1} << kLatencyMaxShift);
}

TEST(LatencyTest, LongerThan17SecondsGoesToTheOverflowBucket) {
  EXPECT_EQ(LatencyBucketOf((uint64_t{1} << 34) + 1), kLatencyBuckets - 1);
  EXPECT_EQ(LatencyBucketOf(UINT64_MAX), kLatencyBuckets - 1);
  EXPECT_EQ(LatencyBucketUpperBound(kLatencyBuckets - 1), UINT64_MAX);
}

TEST(LatencyTest, AnUpperBoundIsAtMostAQuarterAboveTheValue) {
  std::mt19937_64 random(13);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t ns = 257 + random() % (uint64_t{1} << 34);
    const uint64_t bound = LatencyBucketUpperBound(LatencyBucketOf(ns));
    ASSERT_GE(bound, ns);
    ASSERT_LT(static_cast<double>(bound), 1.25 * static_cast<double>(ns)) << ns;
  }
}

TEST(LatencyTest, QuantilesOfKnownInputs) {
  LatencyHistogram histogram;
  // 1 us .. 1000 us, one each: the true p50 is 500 us, p99 990 us.
  for (uint64_t us = 1; us <= 1000; ++us) histogram.Record(us * 1000);
  LatencySnapshot snapshot;
  histogram.AddTo(&snapshot);
  EXPECT_EQ(snapshot.count(), 1000u);
  EXPECT_EQ(snapshot.sum_ns, 500500u * 1000);
  EXPECT_EQ(snapshot.QuantileNs(0.5), LatencyBucketUpperBound(LatencyBucketOf(500000)));
  EXPECT_GE(snapshot.QuantileNs(0.5), 500000u);
  EXPECT_LT(snapshot.QuantileNs(0.5), 625000u);
  EXPECT_GE(snapshot.QuantileNs(0.99), 990000u);
  EXPECT_LT(snapshot.QuantileNs(0.99), 1237500u);
  EXPECT_EQ(snapshot.QuantileNs(0.0), LatencyBucketUpperBound(LatencyBucketOf(1000)));
  EXPECT_EQ(snapshot.QuantileNs(1.0), LatencyBucketUpperBound(LatencyBucketOf(1000000)));
}

TEST(LatencyTest, AnEmptyHistogramHasNoQuantile) {
  EXPECT_EQ(LatencySnapshot().QuantileNs(0.99), 0u);
}

TEST(LatencyTest, MergingIsTheHistogramOfBothInputs) {
  LatencyHistogram fast;
  LatencyHistogram slow;
  LatencyHistogram both;
  for (uint64_t i = 0; i < 900; ++i) {
    fast.Record(2000);
    both.Record(2000);
  }
  for (uint64_t i = 0; i < 100; ++i) {
    slow.Record(3000000);
    both.Record(3000000);
  }
  LatencySnapshot merged;
  fast.AddTo(&merged);
  LatencySnapshot slow_only;
  slow.AddTo(&slow_only);
  merged.Merge(slow_only);
  LatencySnapshot expected;
  both.AddTo(&expected);
  EXPECT_EQ(merged.buckets, expected.buckets);
  EXPECT_EQ(merged.sum_ns, expected.sum_ns);
  // 90% fast: p90 is still fast, p99 is slow.
  EXPECT_EQ(merged.QuantileNs(0.9), LatencyBucketUpperBound(LatencyBucketOf(2000)));
  EXPECT_EQ(merged.QuantileNs(0.99), LatencyBucketUpperBound(LatencyBucketOf(3000000)));
}

TEST(LatencyTest, MergeLatencySumsWorkersAndListsOnlyTimedCommands) {
  WorkerLatency first;
  WorkerLatency second;
  first.Record(proto::Command::kGet, LatencyStage::kQueued, 1000);
  second.Record(proto::Command::kGet, LatencyStage::kQueued, 1000);
  second.Record(proto::Command::kGet, LatencyStage::kWritten, 5000);
  second.Record(proto::Command::kMetaSet, LatencyStage::kQueued, 70000);
  const std::vector<const WorkerLatency*> workers{&first, &second};
  const std::vector<CommandLatency> merged = MergeLatency(workers);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].command, "get");
  EXPECT_EQ(merged[0].queued.count(), 2u);
  EXPECT_EQ(merged[0].written.count(), 1u);
  EXPECT_EQ(merged[0].written.sum_ns, 5000u);
  EXPECT_EQ(merged[1].command, "ms");
  EXPECT_EQ(merged[1].queued.QuantileNs(0.5), LatencyBucketUpperBound(LatencyBucketOf(70000)));
}

// A scrape while the worker records: no count ever goes backwards, and
// once the writer is done the scrape has every sample.
TEST(LatencyTest, AScrapeDuringWritesSeesCountsThatOnlyGrow) {
  LatencyHistogram histogram;
  constexpr uint64_t kSamples = 1000000;
  std::thread writer([&] {
    for (uint64_t i = 0; i < kSamples; ++i) histogram.Record(i % 5000 * 100);
  });
  uint64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    LatencySnapshot snapshot;
    histogram.AddTo(&snapshot);
    EXPECT_GE(snapshot.count(), last);
    last = snapshot.count();
  }
  writer.join();
  LatencySnapshot snapshot;
  histogram.AddTo(&snapshot);
  EXPECT_EQ(snapshot.count(), kSamples);
}

TEST(LatencyTest, WorkersDoNotShareCacheLines) {
  EXPECT_EQ(alignof(WorkerLatency), 64u);
  EXPECT_EQ(sizeof(WorkerLatency) % 64, 0u);
}

}  // namespace
}  // namespace slabcached
