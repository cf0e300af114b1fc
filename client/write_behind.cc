#include "client/write_behind.h"

#include <algorithm>
#include <utility>

namespace slabcached::client {

WriteBehind::WriteBehind(WriteBehindConfig config, WriteBatchFn write_batch)
    : config_(std::move(config)), write_batch_(std::move(write_batch)) {
  if (config_.batch_size == 0) config_.batch_size = 1;
  if (config_.capacity == 0) config_.capacity = 1;
  if (config_.max_attempts == 0) config_.max_attempts = 1;
  if (config_.start_thread || !config_.now) {
    config_.now = [] { return std::chrono::steady_clock::now(); };
  }
  if (config_.start_thread) {
    thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
  }
}

WriteBehind::~WriteBehind() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  Flush();
}

Status WriteBehind::Enqueue(std::string key, std::string value) {
  std::unique_lock lock(mu_);
  if (queue_.size() >= config_.capacity) {
    switch (config_.when_full) {
      case WhenFull::kDropOldest:
        queue_.pop_front();
        ++counts_.dropped;
        break;
      case WhenFull::kDropNewest:
        ++counts_.dropped;
        return Status::kBusy;
      case WhenFull::kBlock:
        changed_.wait_for(lock, config_.block_timeout,
                          [this] { return queue_.size() < config_.capacity; });
        if (queue_.size() >= config_.capacity) {
          ++counts_.dropped;
          return Status::kBusy;
        }
        break;
    }
  }
  queue_.push_back(Queued{PendingWrite{std::move(key), std::move(value)}, Now()});
  ++counts_.enqueued;
  lock.unlock();
  changed_.notify_all();
  return Status::kOk;
}

WriteBehind::Due WriteBehind::WhatIsDue(TimePoint now, TimePoint* next) const {
  *next = TimePoint::max();
  if (!failed_.empty()) {
    if (retry_at_ <= now) return Due::kRetry;
    *next = retry_at_;
    return Due::kNothing;  // batches stay in order: nothing passes a retry
  }
  if (queue_.empty()) return Due::kNothing;
  const TimePoint oldest_due = queue_.front().at + config_.max_delay;
  if (queue_.size() >= config_.batch_size || oldest_due <= now) return Due::kBatch;
  *next = oldest_due;
  return Due::kNothing;
}

void WriteBehind::WriteOne(std::unique_lock<std::mutex>& lock, Due due, bool retry_at_once) {
  std::vector<PendingWrite> batch;
  uint32_t attempts = 0;
  if (due == Due::kRetry) {
    batch = std::move(failed_);
    failed_.clear();
    attempts = failed_attempts_;
  } else {
    const size_t n = std::min(config_.batch_size, queue_.size());
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front().write));
      queue_.pop_front();
    }
  }
  writing_ = true;
  lock.unlock();
  changed_.notify_all();  // room in the queue
  bool ok = false;
  while (true) {
    try {
      ok = write_batch_(batch);
    } catch (...) {
      ok = false;  // a throwing callback is a failed attempt, not a dead thread
    }
    ++attempts;
    if (ok || attempts >= config_.max_attempts || !retry_at_once) break;
    lock.lock();
    counts_.retried += batch.size();
    lock.unlock();
  }
  lock.lock();
  writing_ = false;
  if (ok) {
    counts_.written += batch.size();
  } else if (attempts >= config_.max_attempts) {
    counts_.lost += batch.size();
  } else {
    counts_.retried += batch.size();
    failed_ = std::move(batch);
    failed_attempts_ = attempts;
    retry_at_ = Now() + config_.retry_delay;  // from the failure
  }
  changed_.notify_all();
}

bool WriteBehind::Pump() {
  std::unique_lock lock(mu_);
  if (writing_) return false;
  TimePoint next;
  const TimePoint now = Now();
  const Due due = WhatIsDue(now, &next);
  if (due == Due::kNothing) return false;
  WriteOne(lock, due, /*retry_at_once=*/false);
  return true;
}

WriteBehindCounts WriteBehind::Flush() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !writing_; });
  // What is queued now; later writes are the next flush's.
  size_t left = queue_.size();
  if (!failed_.empty()) WriteOne(lock, Due::kRetry, /*retry_at_once=*/true);
  while (left > 0 && !queue_.empty()) {
    changed_.wait(lock, [this] { return !writing_; });
    left -= std::min(left, std::min(config_.batch_size, queue_.size()));
    WriteOne(lock, Due::kBatch, /*retry_at_once=*/true);
  }
  return counts_;
}

void WriteBehind::Loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    TimePoint next;
    const TimePoint now = Now();
    const Due due = writing_ ? Due::kNothing : WhatIsDue(now, &next);
    if (due != Due::kNothing) {
      WriteOne(lock, due, /*retry_at_once=*/false);
      continue;
    }
    // Sleep until the next batch or retry is due, or something changes
    // (an Enqueue, the end of a Flush's batch), or stop.
    next = std::min(next, now + std::chrono::hours(1));
    changed_.wait_until(lock, stop, next, [this] {
      TimePoint ignored;
      return !writing_ && WhatIsDue(Now(), &ignored) != Due::kNothing;
    });
  }
}

WriteBehindCounts WriteBehind::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

size_t WriteBehind::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace slabcached::client
