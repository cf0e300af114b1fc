// Test builds only: lets a client move the daemon's clock, as memcached's
// "debugtime" does in its MEMCACHED_DEBUG build, so tests of TTLs and
// delayed flushes need not sleep. The installed daemon has none (the
// executor then answers "debugtime" with ERROR, like any unknown command);
// slabcached-debug, which `make check` builds from the same libraries and
// src/main.cc compiled with SLABCACHED_TEST_CLOCK, has one.
#pragma once

#include <memory>
#include <string_view>

#include "slabs/clock.h"

namespace slabcached {

class ClockControl {
 public:
  virtual ~ClockControl() = default;
  // "debugtime <argument>": a number of seconds to move the clock forward,
  // "p" to pause it, "r" to resume it. False: the argument is none of these.
  virtual bool DebugTime(std::string_view argument) = 0;
};

// The control of a daemon's clock (which must outlive it).
std::unique_ptr<ClockControl> MakeClockControl(slabs::Clock* clock);

// How a Server gets its control; the installed daemon passes none.
using ClockControlFactory = std::unique_ptr<ClockControl> (*)(slabs::Clock*);

}  // namespace slabcached
