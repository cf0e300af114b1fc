// WriteBehind: batching by size and delay, full-queue policies, bounded
// retries, flush on shutdown and counters, driven by a hand clock (Pump);
// and one test with the writer thread and concurrent producers (TSAN).
#include "client/write_behind.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

class WriteBehindTest : public ::testing::Test {
 protected:
  WriteBehindConfig Manual() {
    WriteBehindConfig config;
    config.start_thread = false;
    config.now = [this] { return now_; };
    config.batch_size = 3;
    config.capacity = 5;
    config.max_delay = milliseconds(50);
    config.retry_delay = milliseconds(20);
    config.max_attempts = 3;
    config.block_timeout = milliseconds(0);
    return config;
  }
  WriteBatchFn Recorder() {
    return [this](const std::vector<PendingWrite>& batch) {
      ++calls_;
      if (fail_next_ > 0) {
        --fail_next_;
        return false;
      }
      std::vector<std::string> keys;
      for (const PendingWrite& w : batch) keys.push_back(w.key + "=" + w.value);
      batches_.push_back(keys);
      return true;
    };
  }

  TimePoint now_{};
  int calls_ = 0;
  int fail_next_ = 0;
  std::vector<std::vector<std::string>> batches_;
};

TEST_F(WriteBehindTest, FullBatchIsWrittenAtOnce) {
  WriteBehind queue(Manual(), Recorder());
  queue.Enqueue("a", "1");
  queue.Enqueue("b", "2");
  EXPECT_FALSE(queue.Pump()) << "two of three, and no time has passed";
  queue.Enqueue("c", "3");
  EXPECT_TRUE(queue.Pump());
  ASSERT_EQ(batches_.size(), 1u);
  EXPECT_EQ(batches_[0], (std::vector<std::string>{"a=1", "b=2", "c=3"}));
  EXPECT_EQ(queue.counts().written, 3u);
}

TEST_F(WriteBehindTest, PartialBatchWaitsAtMostMaxDelay) {
  WriteBehind queue(Manual(), Recorder());
  queue.Enqueue("a", "1");
  now_ += milliseconds(49);
  EXPECT_FALSE(queue.Pump());
  now_ += milliseconds(1);
  EXPECT_TRUE(queue.Pump());
  EXPECT_EQ(batches_, (std::vector<std::vector<std::string>>{{"a=1"}}));
}

TEST_F(WriteBehindTest, FullQueueBlockPolicyGivesUpAfterTheTimeout) {
  WriteBehind queue(Manual(), Recorder());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(queue.Enqueue("k" + std::to_string(i), "v"), Status::kOk);
  EXPECT_EQ(queue.Enqueue("late", "v"), Status::kBusy);
  EXPECT_EQ(queue.counts().dropped, 1u);
  EXPECT_TRUE(queue.Pump());  // a batch of three leaves: room again
  EXPECT_EQ(queue.Enqueue("late", "v"), Status::kOk);
}

TEST_F(WriteBehindTest, DropNewestRefusesAndDropOldestEvicts) {
  WriteBehindConfig config = Manual();
  config.when_full = WhenFull::kDropNewest;
  {
    WriteBehind queue(config, Recorder());
    for (int i = 0; i < 5; ++i) queue.Enqueue("k" + std::to_string(i), "v");
    EXPECT_EQ(queue.Enqueue("k5", "v"), Status::kBusy);
    EXPECT_EQ(queue.counts().dropped, 1u);
  }
  EXPECT_EQ(batches_.front().front(), "k0=v");
  batches_.clear();
  config.when_full = WhenFull::kDropOldest;
  WriteBehind queue(config, Recorder());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(queue.Enqueue("k" + std::to_string(i), "v"), Status::kOk);
  EXPECT_EQ(queue.counts().dropped, 1u);
  queue.Flush();
  EXPECT_EQ(batches_,
            (std::vector<std::vector<std::string>>{{"k1=v", "k2=v", "k3=v"}, {"k4=v", "k5=v"}}));
}

TEST_F(WriteBehindTest, FailedBatchIsRetriedAfterTheDelayAndKeepsItsPlace) {
  WriteBehind queue(Manual(), Recorder());
  for (const char* k : {"a", "b", "c", "d"}) queue.Enqueue(k, "v");
  fail_next_ = 1;
  EXPECT_TRUE(queue.Pump());  // a b c fails
  EXPECT_EQ(queue.counts().retried, 3u);
  now_ += milliseconds(19);  // retry_delay is 20 ms
  EXPECT_FALSE(queue.Pump());
  now_ += milliseconds(1);
  EXPECT_TRUE(queue.Pump());  // the retry
  now_ += milliseconds(30);   // d has waited max_delay
  EXPECT_TRUE(queue.Pump());
  EXPECT_EQ(batches_, (std::vector<std::vector<std::string>>{{"a=v", "b=v", "c=v"}, {"d=v"}}));
  EXPECT_EQ(queue.counts().written, 4u);
  EXPECT_EQ(queue.counts().lost, 0u);
}

TEST_F(WriteBehindTest, BatchIsLostAfterMaxAttempts) {
  WriteBehind queue(Manual(), Recorder());
  for (const char* k : {"a", "b", "c"}) queue.Enqueue(k, "v");
  fail_next_ = 3;
  for (int attempt = 0; attempt < 3; ++attempt) {
    EXPECT_TRUE(queue.Pump());
    now_ += milliseconds(20);
  }
  EXPECT_FALSE(queue.Pump());
  EXPECT_EQ(calls_, 3);
  const WriteBehindCounts counts = queue.counts();
  EXPECT_EQ(counts.lost, 3u);
  EXPECT_EQ(counts.retried, 6u);  // two retries of three writes
  EXPECT_EQ(counts.written, 0u);
}

TEST_F(WriteBehindTest, ThrowingCallbackCountsAsAFailedAttempt) {
  int calls = 0;
  WriteBehind queue(Manual(), [&calls](const std::vector<PendingWrite>&) -> bool {
    if (++calls == 1) throw std::runtime_error("database gone");
    return true;
  });
  queue.Enqueue("a", "1");
  now_ += milliseconds(50);
  EXPECT_TRUE(queue.Pump());
  EXPECT_EQ(queue.counts().retried, 1u);
  now_ += milliseconds(20);
  EXPECT_TRUE(queue.Pump());
  EXPECT_EQ(queue.counts().written, 1u);
}

TEST_F(WriteBehindTest, FlushWritesEverythingAndRetriesAtOnce) {
  WriteBehind queue(Manual(), Recorder());
  for (const char* k : {"a", "b", "c", "d", "e"}) queue.Enqueue(k, "v");
  fail_next_ = 2;
  const WriteBehindCounts counts = queue.Flush();
  EXPECT_EQ(counts.written, 5u);
  EXPECT_EQ(counts.retried, 6u);
  EXPECT_EQ(queue.queued(), 0u);
  EXPECT_EQ(batches_.size(), 2u);
}

TEST_F(WriteBehindTest, DestructorFlushes) {
  {
    WriteBehind queue(Manual(), Recorder());
    queue.Enqueue("a", "1");
  }
  EXPECT_EQ(batches_, (std::vector<std::vector<std::string>>{{"a=1"}}));
}

// The writer thread with four producers; every write reaches the callback
// exactly once, in each producer's order. Run under TSAN.
TEST(WriteBehindThreadTest, ConcurrentProducersLoseNothing) {
  constexpr int kProducers = 4, kWrites = 2000;
  std::mutex seen_mu;
  std::vector<std::vector<int>> seen(kProducers);
  std::atomic<int> calls{0};
  WriteBehindConfig config;
  config.batch_size = 64;
  config.capacity = 256;
  config.max_delay = milliseconds(1);
  config.block_timeout = milliseconds(60000);
  config.retry_delay = milliseconds(0);
  config.max_attempts = 10;
  WriteBehind queue(config, [&](const std::vector<PendingWrite>& batch) {
    if (calls++ % 7 == 3) return false;  // a flaky database
    std::lock_guard lock(seen_mu);
    for (const PendingWrite& w : batch) seen[w.key[0] - 'a'].push_back(std::stoi(w.value));
    return true;
  });
  std::vector<std::jthread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&queue, p] {
      for (int i = 0; i < kWrites; ++i) {
        ASSERT_EQ(queue.Enqueue(std::string(1, static_cast<char>('a' + p)), std::to_string(i)),
                  Status::kOk);
      }
    });
  }
  producers.clear();  // joined
  const WriteBehindCounts counts = queue.Flush();
  EXPECT_EQ(counts.written, uint64_t{kProducers * kWrites});
  EXPECT_EQ(counts.lost + counts.dropped, 0u);
  std::lock_guard lock(seen_mu);
  for (int p = 0; p < kProducers; ++p) {
    ASSERT_EQ(seen[p].size(), size_t{kWrites});
    for (int i = 0; i < kWrites; ++i) ASSERT_EQ(seen[p][i], i);
  }
}

}  // namespace
}  // namespace slabcached::client
