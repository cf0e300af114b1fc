// Server time as memcached keeps it: seconds since a process-start epoch,
// updated by the daemon once a second (cheaper than time() per request).
// Relative time follows the monotonic clock, so stepping the wall clock
// neither freezes expiry nor expires items early; the wall clock is read once,
// at start, to convert absolute exptimes and to report "stats time".
// Tests drive it by hand with Set()/Advance(); a test build of the daemon
// lets clients do the same (src/clock_control.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace slabcached::slabs {

using RelTime = uint32_t;  // seconds since Clock::process_started()

// Where a Clock reads time; tests substitute a fake.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual time_t WallSeconds() const = 0;        // Unix time, time(2)
  virtual int64_t MonotonicSeconds() const = 0;  // CLOCK_MONOTONIC (steady_clock)
  // The system's clocks. Stateless.
  static const TimeSource& System();
};

class Clock {
 public:
  // memcached's REALTIME_MAXDELTA: relative exptimes go up to 30 days inclusive.
  static constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;
  // memcached starts its epoch this far in the past, so that relative time 1
  // ("already expired") is always behind the current time.
  static constexpr time_t kStartOffset = 62;

  // A hand-driven clock: `unix_now` is the current Unix time; the epoch is
  // kStartOffset before it. Update() does nothing.
  explicit Clock(time_t unix_now);
  // A clock that Update() moves with `source` (which must outlive it).
  explicit Clock(const TimeSource* source);

  RelTime Now() const { return now_.load(std::memory_order_relaxed); }
  time_t process_started() const { return process_started_; }
  time_t UnixNow() const { return process_started_ + Now(); }

  // Moves Now() to the source's monotonic seconds since construction, plus
  // kStartOffset and every Advance() so far (never backwards). Does nothing
  // while paused.
  void Update();
  void Set(RelTime now) { now_.store(now, std::memory_order_relaxed); }
  // Moves Now() forward; later Update()s keep it that far ahead of the source.
  void Advance(RelTime seconds) {
    advanced_.fetch_add(seconds, std::memory_order_relaxed);
    now_.fetch_add(seconds, std::memory_order_relaxed);
  }
  // Stops (and restarts) Update(): Now() then moves only by Advance(). On
  // resume, time catches up with the source, as memcached's "debugtime r".
  void Pause(bool paused) { paused_.store(paused, std::memory_order_relaxed); }

  // memcached's realtime(): converts a protocol exptime to an absolute RelTime.
  // 0 -> 0 (never); 1..2592000 -> now + exptime; larger -> absolute Unix time
  // (1, i.e. already expired, when not after process start); negative -> 1.
  RelTime ToRelTime(int64_t exptime) const;

  // The Unix time of a RelTime (0 stays 0).
  time_t ToUnix(RelTime t) const { return t == 0 ? 0 : process_started_ + t; }

 private:
  const TimeSource* const source_;  // nullptr: hand-driven
  const time_t process_started_;
  const int64_t monotonic_started_;  // the source's monotonic seconds at the epoch
  std::atomic<RelTime> now_;
  std::atomic<uint64_t> advanced_{0};  // the sum of every Advance()
  std::atomic<bool> paused_{false};
};

}  // namespace slabcached::slabs
