// The hot-key sketch (src/hot_keys.h): Space-Saving's counts and bounds, the
// limits on what clients can make it hold, the merge of several workers,
// and, with numbers, finding a 1% key in a Zipf load over a million keys.
#include "src/hot_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace slabcached {
namespace {

uint64_t CountOf(const std::vector<HotKeyCount>& top, std::string_view key) {
  for (const HotKeyCount& entry : top) {
    if (entry.key == key) return entry.count;
  }
  return 0;
}

TEST(SpaceSavingTest, CountsExactlyWhileEveryKeyFits) {
  SpaceSaving sketch;
  for (int i = 0; i < 10; ++i) sketch.Add("a");
  for (int i = 0; i < 5; ++i) sketch.Add("b");
  sketch.Add("c");
  const std::vector<HotKeyCount> top = sketch.Top();
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].key, "a");
  EXPECT_EQ(top[0].count, 10u);
  EXPECT_EQ(top[1].key, "b");
  EXPECT_EQ(top[1].count, 5u);
  EXPECT_EQ(top[2].key, "c");
  for (const HotKeyCount& entry : top) EXPECT_EQ(entry.error, 0u);
}

TEST(SpaceSavingTest, ANewKeyReplacesTheLeastCountedAndInheritsItsCount) {
  SpaceSaving sketch;
  for (size_t i = 0; i < kHotKeySlots; ++i) {
    const std::string key = "k" + std::to_string(i);
    for (size_t n = 0; n <= i % 3 + 1; ++n) sketch.Add(key);  // counts 2..4
  }
  sketch.Add("k0");  // k0: 3; k3, k6, ... are the least counted with 2
  sketch.Add("newcomer");
  const std::vector<HotKeyCount> top = sketch.Top();
  ASSERT_EQ(top.size(), kHotKeySlots);
  EXPECT_EQ(CountOf(top, "newcomer"), 3u);
  const auto newcomer = std::find_if(top.begin(), top.end(),
                                     [](const HotKeyCount& e) { return e.key == "newcomer"; });
  EXPECT_EQ(newcomer->error, 2u);
  EXPECT_EQ(CountOf(top, "k0"), 3u);
  size_t least = 0;
  for (const HotKeyCount& entry : top) least += entry.count == 2 ? 1 : 0;
  EXPECT_EQ(least, kHotKeySlots / 3 - 1);  // one of the 2s gave its place
}

TEST(SpaceSavingTest, EstimatesBoundTheTrueCountsUnderChurn) {
  SpaceSaving sketch;
  std::mt19937_64 random(7);
  std::vector<uint64_t> truth(5000);
  for (int i = 0; i < 200000; ++i) {
    // Half the stream on 20 keys, half spread over 5000.
    const size_t key = random() % 2 == 0 ? random() % 20 : random() % truth.size();
    ++truth[key];
    sketch.Add("key" + std::to_string(key));
  }
  for (const HotKeyCount& entry : sketch.Top()) {
    const uint64_t real = truth[std::stoul(entry.key.substr(3))];
    EXPECT_GE(entry.count, real) << entry.key;
    EXPECT_LE(entry.count - entry.error, real) << entry.key;
  }
  // Every key above 1/K of the stream is held.
  const std::vector<HotKeyCount> top = sketch.Top();
  for (size_t key = 0; key < truth.size(); ++key) {
    if (truth[key] > 200000 / kHotKeySlots) {
      EXPECT_GT(CountOf(top, "key" + std::to_string(key)), 0u) << key;
    }
  }
}

TEST(SpaceSavingTest, KeysAreCappedAndMayHoldAnyByte) {
  SpaceSaving sketch;
  const std::string longer(1000, 'x');
  sketch.Add(longer);
  sketch.Add(longer.substr(0, kHotKeyMaxBytes));
  const std::string binary("a\0b\r\n \xff", 7);
  sketch.Add(binary);
  const std::vector<HotKeyCount> top = sketch.Top();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, longer.substr(0, kHotKeyMaxBytes));
  EXPECT_EQ(top[0].count, 2u);
  EXPECT_EQ(top[1].key, binary);
  EXPECT_EQ(EscapeHotKey(binary), "a%00b%0D%0A%20%FF");
  EXPECT_EQ(EscapeHotKey("user:42%"), "user:42%25");
}

TEST(SpaceSavingTest, ManyDistinctKeysNeverGrowTheTable) {
  SpaceSaving sketch;
  for (int i = 0; i < 100000; ++i) sketch.Add("distinct" + std::to_string(i));
  EXPECT_EQ(sketch.Top().size(), kHotKeySlots);
  sketch.Clear();
  EXPECT_TRUE(sketch.Top().empty());
}

TEST(WorkerHotKeysTest, SamplesOneRequestInN) {
  WorkerHotKeys worker;
  worker.set_sample_every(8);
  int sampled = 0;
  for (int i = 0; i < 800; ++i) sampled += worker.Sample() ? 1 : 0;
  EXPECT_EQ(sampled, 100);
  worker.set_sample_every(0);
  for (int i = 0; i < 800; ++i) EXPECT_FALSE(worker.Sample());
}

// A reader (stats, a scrape) copying the table while the worker counts
// sees a whole table each time: Space-Saving's counts always sum to the
// samples added so far.
TEST(WorkerHotKeysTest, ReadersCopyWholeTablesWhileTheWorkerCounts) {
  WorkerHotKeys worker;
  constexpr uint64_t kAdds = 200000;
  std::thread writer([&] {
    for (uint64_t i = 0; i < kAdds; ++i) worker.Add("key" + std::to_string(i * 7 % 1000));
  });
  uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    uint64_t sum = 0;
    for (const HotKeyCount& entry : worker.Top()) sum += entry.count;
    EXPECT_GE(sum, last);
    EXPECT_LE(sum, kAdds);
    last = sum;
  }
  writer.join();
  uint64_t sum = 0;
  for (const HotKeyCount& entry : worker.Top()) sum += entry.count;
  EXPECT_EQ(sum, kAdds);
}

TEST(WorkerHotKeysTest, MergeAddsWorkersAndScalesBySampling) {
  WorkerHotKeys first;
  WorkerHotKeys second;
  first.set_sample_every(8);
  second.set_sample_every(8);
  for (int i = 0; i < 3; ++i) first.Add("hot");
  second.Add("hot");
  second.Add("warm");
  second.Add("warm");
  const std::vector<const WorkerHotKeys*> workers{&first, &second};
  const std::vector<HotKey> merged = MergeHotKeys(workers, 1);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].key, "hot");
  EXPECT_EQ(merged[0].requests, 32u);
  EXPECT_EQ(MergeHotKeys(workers, 10).size(), 2u);
}

std::vector<HotKey> List(std::initializer_list<std::string> keys) {
  std::vector<HotKey> list;
  uint64_t requests = 100 * keys.size();
  for (const std::string& key : keys) list.push_back({.key = key, .requests = requests--});
  return list;
}

// "rank:key" per change, in DiffHotKeys's order.
std::vector<std::string> Changes(const std::vector<HotKey>& sent, const std::vector<HotKey>& now) {
  std::vector<std::string> out;
  for (const HotKeyChange& change : DiffHotKeys(sent, now)) {
    out.push_back(std::to_string(change.rank) + ":" + change.key->key);
  }
  return out;
}

TEST(DiffHotKeysTest, AFirstReportListsEveryKey) {
  EXPECT_EQ(Changes({}, List({"a", "b"})), (std::vector<std::string>{"1:a", "2:b"}));
  EXPECT_TRUE(Changes({}, {}).empty());
}

TEST(DiffHotKeysTest, AnUnchangedListIsNoChangeWhateverTheCounts) {
  std::vector<HotKey> later = List({"a", "b"});
  later[0].requests += 1000;
  EXPECT_TRUE(Changes(List({"a", "b"}), later).empty());
}

TEST(DiffHotKeysTest, SwappedRanksNewKeysAndLeaversAreEachALine) {
  EXPECT_EQ(Changes(List({"a", "b", "c"}), List({"b", "a", "c"})),
            (std::vector<std::string>{"1:b", "2:a"}));
  EXPECT_EQ(Changes(List({"a", "b", "c"}), List({"a", "d"})),
            (std::vector<std::string>{"2:d", "0:b", "0:c"}));
  EXPECT_EQ(Changes(List({"a"}), List({"a", "b"})), (std::vector<std::string>{"2:b"}));
  EXPECT_EQ(Changes(List({"a", "b"}), {}), (std::vector<std::string>{"0:a", "0:b"}));
}

TEST(HotKeysLimitTest, ParsesTheOptionalCount) {
  EXPECT_EQ(ParseHotKeysLimit("hotkeys"), kDefaultHotKeysListed);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 5"), 5u);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 100"), 100u);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 101"), std::nullopt);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 0"), std::nullopt);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys -1"), std::nullopt);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 5x"), std::nullopt);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 5 6"), std::nullopt);
  EXPECT_EQ(ParseHotKeysLimit("hotkeys 99999999999999999999999"), std::nullopt);
}

// Zipf(s) ranks 0..n-1 by inverse CDF.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double total = 0;
    for (size_t rank = 0; rank < n; ++rank) {
      total += 1.0 / std::pow(static_cast<double>(rank + 1), s);
      cdf_[rank] = total;
    }
    for (double& c : cdf_) c /= total;
  }
  size_t operator()(std::mt19937_64& random) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(random);
    return std::min<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(),
                            cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

// 4,000,000 requests over four workers (round robin, as connections are
// spread), each sampling 1 in 8: 99% Zipf(0.99) over 1,000,000 keys, 1% on
// one "viral" key. The sketches must find the viral key and the Zipf head.
TEST(HotKeysZipfTest, FindsAOnePercentKeyAmongAMillion) {
  constexpr size_t kKeys = 1000000;
  constexpr size_t kRequests = 4000000;
  constexpr size_t kWorkers = 4;
  const Zipf zipf(kKeys, 0.99);
  std::mt19937_64 random(2026);
  std::vector<WorkerHotKeys> workers(kWorkers);
  std::vector<uint64_t> truth(kKeys + 1);  // the last one is the viral key
  const auto name = [](size_t key) {
    return key == kKeys ? std::string("viral") : "key:" + std::to_string(key * 7919 % kKeys);
  };
  for (size_t i = 0; i < kRequests; ++i) {
    const size_t key = random() % 100 == 0 ? kKeys : zipf(random);
    ++truth[key];
    WorkerHotKeys& worker = workers[i % kWorkers];
    if (worker.Sample()) worker.Add(name(key));
  }
  std::vector<const WorkerHotKeys*> sketches;
  for (const WorkerHotKeys& worker : workers) sketches.push_back(&worker);

  std::vector<size_t> by_count(truth.size());
  for (size_t key = 0; key < by_count.size(); ++key) by_count[key] = key;
  std::partial_sort(by_count.begin(), by_count.begin() + 100, by_count.end(),
                    [&](size_t a, size_t b) { return truth[a] > truth[b]; });

  const std::vector<HotKey> found = MergeHotKeys(sketches, 100);
  const uint64_t viral = truth[kKeys];
  bool viral_found = false;
  for (size_t rank = 0; rank < 10; ++rank) {
    if (found[rank].key != "viral") continue;
    viral_found = true;
    const double error = (static_cast<double>(found[rank].requests) - viral) / viral;
    std::printf("viral key: rank %zu, true %llu requests, estimated %llu (%+.1f%%)\n", rank + 1,
                static_cast<unsigned long long>(viral),
                static_cast<unsigned long long>(found[rank].requests), 100 * error);
    EXPECT_LT(std::abs(error), 0.15);
  }
  EXPECT_TRUE(viral_found);

  for (size_t n : {10, 20, 50}) {
    std::set<std::string> real;
    for (size_t rank = 0; rank < n; ++rank) real.insert(name(by_count[rank]));
    size_t hits = 0;
    for (size_t rank = 0; rank < n; ++rank) hits += real.count(found[rank].key);
    // Both lists have n keys: precision and recall are the same figure.
    const double precision = static_cast<double>(hits) / static_cast<double>(n);
    std::printf("top-%zu: precision = recall = %.2f\n", n, precision);
    if (n == 10) {
      EXPECT_GE(precision, 0.9);
    } else if (n == 20) {
      EXPECT_GE(precision, 0.8);
    }
  }
}

}  // namespace
}  // namespace slabcached
