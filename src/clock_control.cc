#include "src/clock_control.h"

#include <cstdint>

#include "proto/numbers.h"

namespace slabcached {
namespace {

class DebugTimeControl final : public ClockControl {
 public:
  explicit DebugTimeControl(slabs::Clock* clock) : clock_(clock) {}

  bool DebugTime(std::string_view argument) override {
    if (argument == "p") {
      clock_->Pause(true);
      return true;
    }
    if (argument == "r") {
      clock_->Pause(false);
      return true;
    }
    // memcached also takes negative steps; this clock never runs backwards.
    // A step is at most the longest relative TTL, so RelTime cannot wrap.
    int64_t seconds = 0;
    if (!proto::SafeStrtoll(argument, &seconds) || seconds < 0 ||
        seconds > slabs::Clock::kMaxRelativeExptime) {
      return false;
    }
    clock_->Advance(static_cast<slabs::RelTime>(seconds));
    return true;
  }

 private:
  slabs::Clock* clock_;
};

}  // namespace

std::unique_ptr<ClockControl> MakeClockControl(slabs::Clock* clock) {
  return std::make_unique<DebugTimeControl>(clock);
}

}  // namespace slabcached
