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
  first.Count(proto::Command::kGet);
  first.Record(proto::Command::kGet, LatencyStage::kQueued, 1000);
  second.Count(proto::Command::kGet);
  second.Record(proto::Command::kGet, LatencyStage::kQueued, 1000);
  second.Record(proto::Command::kGet, LatencyStage::kWritten, 5000);
  second.Count(proto::Command::kMetaSet);
  second.Record(proto::Command::kMetaSet, LatencyStage::kQueued, 70000);
  const std::vector<const WorkerLatency*> workers{&first, &second};
  const std::vector<CommandLatency> merged = MergeLatency(workers);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].command, "get");
  EXPECT_EQ(merged[0].requests, 2u);
  EXPECT_EQ(merged[0].queued.count(), 2u);
  EXPECT_EQ(merged[0].written.count(), 1u);
  EXPECT_EQ(merged[0].written.sum_ns, 5000u);
  EXPECT_EQ(merged[1].command, "ms");
  EXPECT_EQ(merged[1].queued.QuantileNs(0.5), LatencyBucketUpperBound(LatencyBucketOf(70000)));
}

// --- sampling: one batch in sample_every timed, every request counted ---

TEST(LatencyTest, AWorkerTimesItsFirstBatchThenOneInSampleEvery) {
  WorkerLatency latency;
  latency.set_sample_every(4);
  std::vector<int> timed;
  for (int batch = 0; batch < 12; ++batch) {
    if (latency.SampleBatch()) timed.push_back(batch);
  }
  EXPECT_EQ(timed, (std::vector<int>{0, 4, 8}));
}

TEST(LatencyTest, SampleEveryOneTimesEveryBatch) {
  WorkerLatency latency;
  latency.set_sample_every(1);
  for (int batch = 0; batch < 5; ++batch) EXPECT_TRUE(latency.SampleBatch()) << batch;
}

TEST(LatencyTest, DisabledTimesAndCountsNothing) {
  WorkerLatency latency;
  latency.set_enabled(false);
  EXPECT_FALSE(latency.SampleBatch());
  latency.Count(proto::Command::kGet);
  EXPECT_EQ(latency.requests(static_cast<size_t>(proto::Command::kGet)), 0u);
  const std::vector<const WorkerLatency*> workers{&latency};
  EXPECT_TRUE(MergeLatency(workers).empty());
}

TEST(LatencyTest, ScalingRoundsCumulativelySoTheTotalIsExact) {
  LatencySnapshot timed;
  timed.buckets[1] = 1;
  timed.buckets[5] = 1;
  timed.buckets[9] = 1;
  timed.sum_ns = 3000;
  // 3 timed of 10 requests: cumulative 1, 2, 3 become 3.33, 6.67, 10.
  const LatencySnapshot scaled = timed.Scaled(10, 3);
  EXPECT_EQ(scaled.buckets[1], 3u);
  EXPECT_EQ(scaled.buckets[5], 4u);
  EXPECT_EQ(scaled.buckets[9], 3u);
  EXPECT_EQ(scaled.count(), 10u);
  EXPECT_EQ(scaled.sum_ns, 10000u);
  EXPECT_EQ(timed.Scaled(7, 7).buckets, timed.buckets);
}

TEST(LatencyTest, ScalingLargeCountsDoesNotOverflow) {
  LatencySnapshot timed;
  timed.buckets[0] = uint64_t{1} << 40;
  timed.buckets[3] = uint64_t{1} << 40;
  const LatencySnapshot scaled = timed.Scaled(uint64_t{1} << 45, uint64_t{1} << 41);
  EXPECT_EQ(scaled.buckets[0], uint64_t{1} << 44);
  EXPECT_EQ(scaled.count(), uint64_t{1} << 45);
}

// What a worker does per batch (Connection::HandleRead .. RepliesWritten):
// count every request, record the stages of the timed batches only.
void RunBatches(WorkerLatency* latency, int batches, int per_batch, uint64_t ns_of_batch(int)) {
  for (int batch = 0; batch < batches; ++batch) {
    const bool timed = latency->SampleBatch();
    for (int i = 0; i < per_batch; ++i) {
      latency->Count(proto::Command::kGet);
      if (timed) {
        latency->Record(proto::Command::kGet, LatencyStage::kQueued, ns_of_batch(batch));
        latency->Record(proto::Command::kGet, LatencyStage::kWritten, 2 * ns_of_batch(batch));
      }
    }
  }
}

TEST(LatencyTest, SampledHistogramsCountEveryRequestWithTheTimedQuantiles) {
  // Two workers, 1 batch in 16 timed; 1 batch in 5 is slow (1 ms), the
  // rest 10 us.
  WorkerLatency first;
  WorkerLatency second;
  const auto ns = [](int batch) -> uint64_t { return batch % 5 == 3 ? 1000000 : 10000; };
  RunBatches(&first, 1600, 3, ns);
  RunBatches(&second, 800, 1, ns);
  const std::vector<const WorkerLatency*> workers{&first, &second};
  const std::vector<CommandLatency> merged = MergeLatency(workers);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].requests, 1600u * 3 + 800);
  EXPECT_EQ(merged[0].queued.count(), merged[0].requests);
  EXPECT_EQ(merged[0].written.count(), merged[0].requests);
  // Timed: batches 16k, slow when k % 5 == 3 (48, 128, ...): 20% of the
  // timed requests, as of all.
  EXPECT_EQ(merged[0].queued.QuantileNs(0.5), LatencyBucketUpperBound(LatencyBucketOf(10000)));
  EXPECT_EQ(merged[0].queued.QuantileNs(0.9), LatencyBucketUpperBound(LatencyBucketOf(1000000)));
  EXPECT_EQ(merged[0].written.QuantileNs(0.5), LatencyBucketUpperBound(LatencyBucketOf(20000)));
  // The sum is scaled with the counts: the mean of the timed requests.
  const double mean = static_cast<double>(merged[0].queued.sum_ns) / merged[0].requests;
  EXPECT_NEAR(mean, 0.8 * 10000 + 0.2 * 1000000, 1.0);
}

TEST(LatencyTest, ACommandNeverTimedIsListedWithItsCountAndNoQuantiles) {
  WorkerLatency latency;
  latency.Count(proto::Command::kTouch);
  latency.Count(proto::Command::kTouch);
  const std::vector<const WorkerLatency*> workers{&latency};
  const std::vector<CommandLatency> merged = MergeLatency(workers);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].command, "touch");
  EXPECT_EQ(merged[0].requests, 2u);
  EXPECT_EQ(merged[0].queued.count(), 0u);
  EXPECT_EQ(merged[0].queued.QuantileNs(0.99), 0u);
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
