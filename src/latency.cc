#include "src/latency.h"

#include <cmath>

namespace slabcached {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << kLatencySubBits;

}  // namespace

uint64_t LatencyBucketUpperBound(size_t bucket) {
  if (bucket == 0) return uint64_t{1} << kLatencyMinShift;
  if (bucket >= kLatencyBuckets - 1) return UINT64_MAX;
  const size_t power = (bucket - 1) / kSubBuckets + kLatencyMinShift;
  const uint64_t sub = (bucket - 1) % kSubBuckets;
  return (kSubBuckets + sub + 1) << (power - kLatencySubBits);
}

uint64_t LatencySnapshot::count() const {
  uint64_t total = 0;
  for (uint64_t n : buckets) total += n;
  return total;
}

void LatencySnapshot::Merge(const LatencySnapshot& other) {
  for (size_t i = 0; i < kLatencyBuckets; ++i) buckets[i] += other.buckets[i];
  sum_ns += other.sum_ns;
}

uint64_t LatencySnapshot::QuantileNs(double q) const {
  const uint64_t total = count();
  if (total == 0) return 0;
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * total)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      // The overflow bucket has no bound: report where it starts.
      return i == kLatencyBuckets - 1 ? uint64_t{1} << kLatencyMaxShift
                                      : LatencyBucketUpperBound(i);
    }
  }
  return uint64_t{1} << kLatencyMaxShift;
}

LatencySnapshot LatencySnapshot::Scaled(uint64_t numerator, uint64_t denominator) const {
  if (numerator == denominator || denominator == 0) return *this;
  using Wide = unsigned __int128;  // a count times a count
  const auto scale = [&](uint64_t n) {
    return static_cast<uint64_t>((Wide{n} * numerator + denominator / 2) / denominator);
  };
  LatencySnapshot scaled;
  uint64_t cumulative = 0;
  uint64_t scaled_cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    cumulative += buckets[i];
    const uint64_t next = scale(cumulative);
    scaled.buckets[i] = next - scaled_cumulative;
    scaled_cumulative = next;
  }
  scaled.sum_ns = scale(sum_ns);
  return scaled;
}

void LatencyHistogram::AddTo(LatencySnapshot* out) const {
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    out->buckets[i] += buckets_[i].load(std::memory_order_relaxed);
  }
  out->sum_ns += sum_ns_.load(std::memory_order_relaxed);
}

std::vector<CommandLatency> MergeLatency(std::span<const WorkerLatency* const> workers) {
  std::vector<CommandLatency> merged;
  for (size_t command = 0; command < proto::kCommands.size(); ++command) {
    const std::string_view name = proto::kCommands[command].name;
    if (name.empty()) continue;  // kNone and the binary-only commands are not timed
    CommandLatency latency;
    latency.command = name;
    for (const WorkerLatency* worker : workers) {
      latency.requests += worker->requests(command);
      worker->histogram(command, LatencyStage::kQueued).AddTo(&latency.queued);
      worker->histogram(command, LatencyStage::kWritten).AddTo(&latency.written);
    }
    if (latency.requests == 0) continue;
    // Both stages by the queued stage's ratio: the timed batches are the
    // same, and a reply never written stays missing from `written`.
    const uint64_t timed = latency.queued.count();
    if (timed == 0) {
      latency.written = LatencySnapshot();  // nothing to scale from
    } else {
      latency.queued = latency.queued.Scaled(latency.requests, timed);
      latency.written = latency.written.Scaled(latency.requests, timed);
    }
    merged.push_back(latency);
  }
  return merged;
}

}  // namespace slabcached
