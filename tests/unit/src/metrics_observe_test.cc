// The exposition of slabcached's own metrics (src/metrics_exposition.h):
// latency histograms and hot keys.
#include <gtest/gtest.h>

#include <string>

#include "src/metrics_exposition.h"

namespace slabcached {
namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(MetricsObserveTest, LatencyIsAPrometheusHistogramPerCommandAndStage) {
  StatsSnapshot stats;
  CommandLatency get;
  get.command = "get";
  get.queued.buckets[LatencyBucketOf(900)] = 3;   // <= 1.024 us
  get.queued.buckets[LatencyBucketOf(3000)] = 1;  // <= 4.096 us
  get.queued.sum_ns = 5700;
  get.written.buckets[LatencyBucketOf(20000)] = 4;
  get.written.sum_ns = 80000;
  stats.latency.push_back(get);
  const std::string text = FormatExposition(stats);
  EXPECT_EQ(Count(text, "# TYPE slabcached_command_duration_seconds histogram\n"), 1u);
  EXPECT_NE(text.find("slabcached_command_duration_seconds_bucket{command=\"get\",stage=\"queued\","
                      "le=\"2.56e-07\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("slabcached_command_duration_seconds_bucket{command=\"get\",stage=\"queued\","
                      "le=\"1.024e-06\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("slabcached_command_duration_seconds_bucket{command=\"get\",stage=\"queued\","
                      "le=\"4.096e-06\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("slabcached_command_duration_seconds_bucket{command=\"get\",stage=\"queued\","
                      "le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("slabcached_command_duration_seconds_sum{command=\"get\",stage=\"queued\"} "
                      "5.7e-06\n"),
            std::string::npos);
  EXPECT_NE(text.find("slabcached_command_duration_seconds_count{command=\"get\",stage=\"written\"}"
                      " 4\n"),
            std::string::npos);
  // Powers of two from 256 ns to 2^34 ns, then +Inf: 28 buckets a series.
  EXPECT_EQ(Count(text, "_bucket{command=\"get\",stage=\"queued\""), 28u);
  EXPECT_EQ(Count(text, "_bucket{command=\"get\",stage=\"written\""), 28u);
}

// Sampled timing (src/latency.h): a command counted but not timed yet has
// no bucket to hold its requests, so no histogram whose _count would lie.
TEST(MetricsObserveTest, ACommandNotTimedYetHasNoHistogram) {
  StatsSnapshot stats;
  CommandLatency get;
  get.command = "get";
  get.requests = 1;
  get.queued.buckets[LatencyBucketOf(900)] = 1;
  get.written.buckets[LatencyBucketOf(900)] = 1;
  stats.latency.push_back(get);
  CommandLatency touch;
  touch.command = "touch";
  touch.requests = 3;
  stats.latency.push_back(touch);
  const std::string text = FormatExposition(stats);
  EXPECT_NE(
      text.find("slabcached_command_duration_seconds_count{command=\"get\",stage=\"queued\"} 1\n"),
      std::string::npos);
  EXPECT_EQ(text.find("command=\"touch\""), std::string::npos);
}

TEST(MetricsObserveTest, HotKeysAreEscapedCappedAndRanked) {
  StatsSnapshot stats;
  stats.hot_keys.push_back({"user:\"1\"\\", 800, 8});
  stats.hot_keys.push_back({std::string("bin\0\n\xff", 6), 80, 0});
  stats.hot_keys.push_back({std::string(250, 'k'), 40, 0});
  stats.hot_keys.push_back({std::string(250, 'k') + "", 30, 0});
  const std::string text = FormatExposition(stats);
  EXPECT_NE(text.find("# TYPE slabcached_hot_key_requests gauge\n"), std::string::npos);
  EXPECT_NE(text.find("slabcached_hot_key_requests{rank=\"1\",key=\"user:\\\"1\\\"\\\\\"} 800\n"),
            std::string::npos);
  EXPECT_NE(text.find("slabcached_hot_key_requests{rank=\"2\",key=\"bin%00%0A%FF\"} 80\n"),
            std::string::npos);
  EXPECT_NE(text.find("{rank=\"3\",key=\"" + std::string(kHotKeyLabelBytes, 'k') + "\"} 40\n"),
            std::string::npos);
  EXPECT_NE(text.find("{rank=\"4\",key=\"" + std::string(kHotKeyLabelBytes, 'k') + "\"} 30\n"),
            std::string::npos);
}

TEST(MetricsObserveTest, AtMostTenHotKeysAreExported) {
  StatsSnapshot stats;
  for (int i = 0; i < 20; ++i) stats.hot_keys.push_back({"k" + std::to_string(i), 100, 0});
  EXPECT_EQ(Count(FormatExposition(stats), "slabcached_hot_key_requests{"), kExportedHotKeys);
}

}  // namespace
}  // namespace slabcached
