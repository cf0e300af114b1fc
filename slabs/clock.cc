#include "slabs/clock.h"

#include <cstdint>
#include <limits>

namespace slabcached::slabs {

Clock::Clock(time_t unix_now)
    : process_started_(unix_now - kStartOffset), now_(static_cast<RelTime>(kStartOffset)) {}

void Clock::Update(time_t unix_now) {
  const time_t delta = unix_now - process_started_;
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
