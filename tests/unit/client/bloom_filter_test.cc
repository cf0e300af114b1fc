#include "client/bloom_filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace slabcached::client {
namespace {

TEST(BloomFilterTest, SizedFromCountAndRate) {
  // m = -n ln p / ln2^2, k = m/n ln 2
  EXPECT_EQ(BloomFilter::BitsFor(100'000, 0.01), 958'506u);
  EXPECT_EQ(BloomFilter::HashesFor(958'506, 100'000), 7u);
  EXPECT_EQ(BloomFilter::BitsFor(1'000'000, 0.001), 14'377'588u);
  EXPECT_EQ(BloomFilter::HashesFor(14'377'588, 1'000'000), 10u);
  const BloomFilter tiny(1, 0.5);
  EXPECT_EQ(tiny.bits(), 64u);
  EXPECT_EQ(tiny.hashes(), 44u);
}

std::string RandomKey(std::mt19937_64& rng) {
  return "key:" + std::to_string(rng()) + ":" + std::to_string(rng() % 1000);
}

TEST(BloomFilterTest, NoFalseNegativesAndMeasuredRateNearTarget) {
  constexpr int kKeys = 100'000;
  BloomFilter filter(kKeys, 0.01);
  std::mt19937_64 rng(20261203);
  std::vector<std::string> present;
  for (int i = 0; i < kKeys; ++i) present.push_back("row:" + std::to_string(i));
  for (const std::string& key : present) filter.Add(key);
  for (const std::string& key : present) ASSERT_TRUE(filter.MightContain(key)) << key;
  int false_positives = 0;
  constexpr int kAbsent = 100'000;
  for (int i = 0; i < kAbsent; ++i) false_positives += filter.MightContain(RandomKey(rng)) ? 1 : 0;
  const double rate = static_cast<double>(false_positives) / kAbsent;
  std::printf("false-positive rate %.4f (target 0.01, %d of %d absent keys)\n", rate,
              false_positives, kAbsent);
  EXPECT_GE(rate, 0.005);
  EXPECT_LE(rate, 0.015);
}

TEST(BloomFilterTest, TighterTargetTighterRate) {
  constexpr int kKeys = 50'000;
  BloomFilter filter(kKeys, 0.001);
  for (int i = 0; i < kKeys; ++i) filter.Add("row:" + std::to_string(i));
  std::mt19937_64 rng(7);
  int false_positives = 0;
  for (int i = 0; i < 200'000; ++i) false_positives += filter.MightContain(RandomKey(rng)) ? 1 : 0;
  const double rate = false_positives / 200'000.0;
  EXPECT_GE(rate, 0.0005);
  EXPECT_LE(rate, 0.0015);
}

class PenetrationGuardTest : public ::testing::Test {
 protected:
  PenetrationGuardConfig Config() {
    PenetrationGuardConfig config;
    config.expected_keys = 1000;
    config.false_positive_rate = 0.001;
    config.rebuild_interval = std::chrono::seconds(60);
    config.now = [this] { return now_; };
    return config;
  }

  KeySource Source() {
    return [this](const KeySink& emit) {
      ++scans_;
      if (fail_) return false;
      for (const std::string& key : rows_) emit(key);
      if (during_scan_) during_scan_();
      return true;
    };
  }

  std::chrono::steady_clock::time_point now_{};
  std::vector<std::string> rows_ = {"user:1", "user:2"};
  bool fail_ = false;
  int scans_ = 0;
  std::function<void()> during_scan_;
};

TEST_F(PenetrationGuardTest, OpenUntilBuiltThenRejectsAbsentKeys) {
  PenetrationGuard guard(Config(), Source());
  EXPECT_TRUE(guard.MightExist("user:99"));  // no filter yet: fail open
  ASSERT_TRUE(guard.Rebuild());
  EXPECT_TRUE(guard.MightExist("user:1"));
  EXPECT_FALSE(guard.MightExist("user:99"));
  const PenetrationGuardStats s = guard.stats();
  EXPECT_EQ(s.checks, 3u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.rebuilds, 1u);
  EXPECT_EQ(s.keys, 2u);
  EXPECT_EQ(s.bits, BloomFilter::BitsFor(1000, 0.001));
}

TEST_F(PenetrationGuardTest, RebuildSwapsInTheSourcesNewKeys) {
  PenetrationGuard guard(Config(), Source());
  ASSERT_TRUE(guard.Rebuild());
  EXPECT_FALSE(guard.MightExist("user:3"));
  rows_.push_back("user:3");
  ASSERT_TRUE(guard.Rebuild());
  EXPECT_TRUE(guard.MightExist("user:3"));
}

TEST_F(PenetrationGuardTest, AddedKeysSurviveARebuildInProgress) {
  PenetrationGuard guard(Config(), Source());
  ASSERT_TRUE(guard.Rebuild());
  guard.Add("user:10");  // a row inserted since the build
  EXPECT_TRUE(guard.MightExist("user:10"));
  // Inserted while the source is being scanned, after the scan passed it.
  during_scan_ = [&] { guard.Add("user:11"); };
  ASSERT_TRUE(guard.Rebuild());
  EXPECT_TRUE(guard.MightExist("user:11"));
  EXPECT_FALSE(guard.MightExist("user:10"));  // the source never had it
}

TEST_F(PenetrationGuardTest, FailedSourceKeepsTheOldFilter) {
  PenetrationGuard guard(Config(), Source());
  ASSERT_TRUE(guard.Rebuild());
  fail_ = true;
  rows_.push_back("user:3");
  EXPECT_FALSE(guard.Rebuild());
  EXPECT_TRUE(guard.MightExist("user:1"));
  EXPECT_FALSE(guard.MightExist("user:3"));
  EXPECT_EQ(guard.stats().failed_rebuilds, 1u);
  EXPECT_EQ(guard.stats().rebuilds, 1u);
}

TEST_F(PenetrationGuardTest, RebuildIfDueFollowsTheInterval) {
  PenetrationGuard guard(Config(), Source());
  EXPECT_TRUE(guard.RebuildIfDue());  // never built: due
  EXPECT_FALSE(guard.RebuildIfDue());
  now_ += std::chrono::seconds(59);
  EXPECT_FALSE(guard.RebuildIfDue());
  now_ += std::chrono::seconds(1);
  EXPECT_TRUE(guard.RebuildIfDue());
  EXPECT_EQ(scans_, 2);
  // A failed attempt also waits for the interval (no hammering a failing source).
  fail_ = true;
  now_ += std::chrono::seconds(60);
  EXPECT_FALSE(guard.RebuildIfDue());
  EXPECT_FALSE(guard.RebuildIfDue());
  EXPECT_EQ(scans_, 3);
}

// Readers and writers while the filter is rebuilt and swapped: a key that
// is in the database (inserted, then Added, as an application does) is never
// ruled out, whether the rebuild's scan saw it or not (run under TSAN too).
TEST(PenetrationGuardConcurrencyTest, NoFalseNegativeWhileRebuilding) {
  std::mutex db_mu;
  std::vector<std::string> db;
  for (int i = 0; i < 2000; ++i) db.push_back("row:" + std::to_string(i));
  PenetrationGuard guard(PenetrationGuardConfig{.expected_keys = 20000}, [&](const KeySink& emit) {
    std::vector<std::string> snapshot;
    {
      std::lock_guard lock(db_mu);
      snapshot = db;
    }
    for (const std::string& key : snapshot) emit(key);
    return true;
  });
  ASSERT_TRUE(guard.Rebuild());
  std::atomic<int> false_negatives{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3000 && !stop.load(); ++i) {
        const std::string row = "added:" + std::to_string(t) + ":" + std::to_string(i);
        {
          std::lock_guard lock(db_mu);
          db.push_back(row);
        }
        guard.Add(row);
        if (!guard.MightExist(row)) ++false_negatives;
        if (!guard.MightExist("row:" + std::to_string(i % 2000))) ++false_negatives;
      }
    });
  }
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(guard.Rebuild());
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(false_negatives.load(), 0);
  EXPECT_EQ(guard.stats().rebuilds, 21u);
}

TEST(PenetrationGuardConcurrencyTest, OwnThreadBuildsAtOnceAndStopsOnDestruction) {
  std::atomic<int> scans{0};
  {
    PenetrationGuard guard(
        PenetrationGuardConfig{
            .expected_keys = 10, .rebuild_interval = std::chrono::hours(1), .start_thread = true},
        [&](const KeySink& emit) {
          emit("only");
          ++scans;
          return true;
        });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (guard.stats().rebuilds == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_EQ(guard.stats().rebuilds, 1u);
    EXPECT_FALSE(guard.MightExist("other"));
  }  // the destructor wakes the thread from its hour-long wait
  EXPECT_EQ(scans.load(), 1);
}

}  // namespace
}  // namespace slabcached::client
