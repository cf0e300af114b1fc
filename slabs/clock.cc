#include "slabs/clock.h"

#include <chrono>
#include <cstdint>
#include <limits>

namespace slabcached::slabs {

namespace {

class SystemTimeSource final : public TimeSource {
 public:
  time_t WallSeconds() const override { return time(nullptr); }
  int64_t MonotonicSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const TimeSource& TimeSource::System() {
  static const SystemTimeSource source;
  return source;
}

Clock::Clock(time_t unix_now)
    : source_(nullptr),
      process_started_(unix_now - kStartOffset),
      monotonic_started_(0),
      now_(static_cast<RelTime>(kStartOffset)) {}

Clock::Clock(const TimeSource* source)
    : source_(source),
      process_started_(source->WallSeconds() - kStartOffset),
      monotonic_started_(source->MonotonicSeconds() - kStartOffset),
      now_(static_cast<RelTime>(kStartOffset)) {}

void Clock::Update() {
  if (source_ == nullptr || paused_.load(std::memory_order_relaxed)) return;
  const int64_t delta = source_->MonotonicSeconds() - monotonic_started_ +
                        static_cast<int64_t>(advanced_.load(std::memory_order_relaxed));
  if (delta <= 0) return;
  const RelTime target = delta > std::numeric_limits<RelTime>::max()
                             ? std::numeric_limits<RelTime>::max()
                             : static_cast<RelTime>(delta);
  RelTime current = now_.load(std::memory_order_relaxed);
  // Never backwards: a concurrent Advance()/Set() may have moved it already.
  while (current < target &&
         !now_.compare_exchange_weak(current, target, std::memory_order_relaxed)) {
  }
}

RelTime Clock::ToRelTime(int64_t exptime) const {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // already expired (memcached turns it into a past time)
  if (exptime > kMaxRelativeExptime) {
    // Absolute Unix time; at or before the process start means "already expired".
    if (exptime <= static_cast<int64_t>(process_started_)) return 1;
    const int64_t rel = exptime - static_cast<int64_t>(process_started_);
    return rel > std::numeric_limits<RelTime>::max() ? std::numeric_limits<RelTime>::max()
                                                     : static_cast<RelTime>(rel);
  }
  const int64_t rel = exptime + static_cast<int64_t>(Now());
  return rel > std::numeric_limits<RelTime>::max() ? std::numeric_limits<RelTime>::max()
                                                   : static_cast<RelTime>(rel);
}

}  // namespace slabcached::slabs
