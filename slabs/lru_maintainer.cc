#include "slabs/lru_maintainer.h"

#include <algorithm>
#include <vector>

namespace slabcached::slabs {

LruMaintainer::LruMaintainer(MaintenanceTarget* target)
    : target_(target), thread_([this](std::stop_token stop) { Run(std::move(stop)); }) {}

LruMaintainer::~LruMaintainer() {
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
}

void LruMaintainer::Wake() {
  std::lock_guard lock(mu_);
  wake_ = true;
  cv_.notify_one();
}

void LruMaintainer::Run(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  const int num = target_->NumClasses();
  std::vector<std::chrono::microseconds> backoff(num + 1, kMinSleep);
  std::vector<Clock::time_point> next(num + 1, Clock::now());
  while (!stop.stop_requested()) {
    const auto now = Clock::now();
    auto wake_at = now + kMaxSleep;
    for (int cls = 1; cls <= num && !stop.stop_requested(); ++cls) {
      if (next[cls] <= now) {
        if (target_->Juggle(static_cast<uint8_t>(cls)) > 0) {
          backoff[cls] = std::max(kMinSleep, backoff[cls] / 2);
        } else {
          backoff[cls] = std::min(kMaxSleep, backoff[cls] * 2);
        }
        next[cls] = now + backoff[cls];
      }
      wake_at = std::min(wake_at, next[cls]);
    }
    if (target_->Housekeeping()) wake_at = std::min(wake_at, now + kMinSleep);
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, stop, wake_at, [this] { return wake_; });
    if (wake_) {
      wake_ = false;
      std::fill(next.begin(), next.end(), Clock::now());
    }
  }
}

}  // namespace slabcached::slabs
