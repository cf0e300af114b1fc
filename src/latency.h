// Server-side latency: per-command histograms of service time, one set per
// worker (written by that worker only, read by any), merged when "stats
// latency" or the metrics endpoint asks.
//
// Buckets are log-scaled over nanoseconds, HdrHistogram-like: every
// duration up to 256 ns shares bucket 0; above, each power of two is cut
// into 4 sub-buckets (so a bucket's upper bound is at most 25% above any
// value in it), up to 2^34 ns (17.2 s); longer durations go to one
// overflow bucket. Upper bounds are inclusive, as Prometheus's "le" is.
//
// Two stages per request (Stage): from the request's complete arrival (the
// read that brought its last byte) to its reply being queued, and to the
// reply's last byte being written to the socket.
//
// Sampling keeps this nearly free: a worker times one batch of requests (all
// that one read completed) in `-o latency_sample` (16), the three clock reads
// and histogram updates of a batch being most of the cost; every request, timed
// or not, is counted. Merging scales each command's histograms by its
// requests / timed requests (cumulatively, rounding: see Scaled()), so a
// histogram's count is the exact number of requests and its quantiles those
// of the timed batches.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proto/commands.h"

namespace slabcached {

inline constexpr int kLatencyMinShift = 8;   // bucket 0: up to 2^8 ns
inline constexpr int kLatencyMaxShift = 34;  // the overflow bucket: above 2^34 ns
inline constexpr int kLatencySubBits = 2;    // 4 sub-buckets per power of two
inline constexpr size_t kLatencyBuckets =
    2 + (kLatencyMaxShift - kLatencyMinShift) * (size_t{1} << kLatencySubBits);

// The bucket `ns` falls in (inline: it runs twice per request), and a
// bucket's inclusive upper bound (the overflow bucket's is UINT64_MAX).
inline size_t LatencyBucketOf(uint64_t ns) {
  constexpr uint64_t kSubBuckets = uint64_t{1} << kLatencySubBits;
  // Upper bounds are inclusive: bucket the value one below, whose bucket's
  // half-open range [lo, hi) is (lo, hi] for `ns`.
  if (ns <= (uint64_t{1} << kLatencyMinShift)) return 0;
  const uint64_t below = ns - 1;
  const int power = std::bit_width(below) - 1;  // >= kLatencyMinShift
  if (power >= kLatencyMaxShift) return kLatencyBuckets - 1;
  const uint64_t sub = (below >> (power - kLatencySubBits)) & (kSubBuckets - 1);
  return 1 + static_cast<size_t>(power - kLatencyMinShift) * kSubBuckets + sub;
}
uint64_t LatencyBucketUpperBound(size_t bucket);

// A monotonic reading in nanoseconds (clock_gettime(CLOCK_MONOTONIC), a
// vDSO call: about 20 ns, no system call).
inline uint64_t LatencyNow() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// A histogram's counts at one moment; plain values, mergeable.
struct LatencySnapshot {
  std::array<uint64_t, kLatencyBuckets> buckets{};
  uint64_t sum_ns = 0;

  uint64_t count() const;
  void Merge(const LatencySnapshot& other);
  // The upper bound of the bucket holding the ceil(q * count)-th smallest
  // duration (0 <= q <= 1); 0 when empty. Overestimates by at most 25%.
  uint64_t QuantileNs(double q) const;
  // These counts times numerator / denominator, rounded cumulatively: each
  // cumulative count is the nearest integer to the exact product, so
  // buckets never go negative and the total is round(count * n / d).
  LatencySnapshot Scaled(uint64_t numerator, uint64_t denominator) const;
};

// One worker's histogram: a single writer, so increments are a relaxed
// load and store (no locked instruction); a reader sees each counter
// whole, and may see a sum a few requests apart from the buckets.
class LatencyHistogram {
 public:
  void Record(uint64_t ns) {
    Bump(buckets_[LatencyBucketOf(ns)], 1);
    Bump(sum_ns_, ns);
  }
  void AddTo(LatencySnapshot* out) const;

 private:
  static void Bump(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::array<std::atomic<uint64_t>, kLatencyBuckets> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

enum class LatencyStage : uint8_t {
  kQueued,   // arrival to reply queued
  kWritten,  // arrival to the reply's last byte written
};
inline constexpr size_t kLatencyStages = 2;

inline constexpr uint32_t kLatencySampleDefault = 16;

// Every command's histograms and request counts, for one worker: written by
// that worker only (SampleBatch() and its countdown included), read by any.
// Aligned so that no two workers' histograms share a cache line.
class alignas(64) WorkerLatency {
 public:
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  void set_enabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }
  // Time one batch in `every` (1: every batch); set before the worker runs.
  void set_sample_every(uint32_t every) { sample_every_ = every == 0 ? 1 : every; }
  uint32_t sample_every() const { return sample_every_; }

  // Whether the batch a read just brought is timed: the worker's first, then
  // one in sample_every() (a countdown, no random number). False when off.
  bool SampleBatch() {
    if (!enabled() || --until_sample_ != 0) return false;
    until_sample_ = sample_every_;
    return true;
  }
  // One request of `command`, timed or not: the exact count.
  void Count(proto::Command command) {
    const auto index = static_cast<size_t>(command);
    if (enabled() && index < proto::kCommands.size()) Bump(requests_[index]);
  }
  // A timed request's stage.
  void Record(proto::Command command, LatencyStage stage, uint64_t ns) {
    const auto index = static_cast<size_t>(command);
    if (index < proto::kCommands.size()) {
      histograms_[index][static_cast<size_t>(stage)].Record(ns);
    }
  }
  const LatencyHistogram& histogram(size_t command, LatencyStage stage) const {
    return histograms_[command][static_cast<size_t>(stage)];
  }
  uint64_t requests(size_t command) const {
    return requests_[command].load(std::memory_order_relaxed);
  }

 private:
  static void Bump(std::atomic<uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<bool> enabled_{true};
  uint32_t sample_every_ = kLatencySampleDefault;
  uint32_t until_sample_ = 1;  // batches until the next timed one
  std::array<std::atomic<uint64_t>, proto::kCommands.size()> requests_{};
  std::array<std::array<LatencyHistogram, kLatencyStages>, proto::kCommands.size()> histograms_;
};

// One command's histograms summed over the workers.
struct CommandLatency {
  std::string_view command;  // its wire name ("get", "ms"); binary-only ones by opcode family
  uint64_t requests = 0;     // exact, timed or not
  // Scaled to `requests` (queued.count() == requests), or empty while none
  // was timed (a command seen only in untimed batches).
  LatencySnapshot queued;
  LatencySnapshot written;
};

// The commands any worker has timed, in the command table's order.
std::vector<CommandLatency> MergeLatency(std::span<const WorkerLatency* const> workers);

}  // namespace slabcached
