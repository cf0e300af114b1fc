// LruMaintainer: the background thread that juggles each class's HOT/WARM/COLD
// lists, reaps expired items at the tails and drives page moves, automove and
// the LRU crawler (memcached's lru_maintainer_thread), with a per-class
// exponential backoff between 1 ms and 1 s: a class whose juggle moved
// nothing is looked at half as often.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>

namespace slabcached::slabs {

// What the maintainer works on (implemented by Store::Impl).
class MaintenanceTarget {
 public:
  virtual ~MaintenanceTarget() = default;
  virtual int NumClasses() const = 0;
  // One juggle of class `cls`; returns how many items it moved or reclaimed.
  virtual int Juggle(uint8_t cls) = 0;
  // Page moves, automove and the crawler's steps; true while there is urgent
  // work left.
  virtual bool Housekeeping() = 0;
};

class LruMaintainer {
 public:
  static constexpr std::chrono::microseconds kMinSleep{1000};
  static constexpr std::chrono::microseconds kMaxSleep{1000000 - 1};

  // Starts the thread.
  explicit LruMaintainer(MaintenanceTarget* target);
  ~LruMaintainer();  // stops and joins
  LruMaintainer(const LruMaintainer&) = delete;
  LruMaintainer& operator=(const LruMaintainer&) = delete;

  // Makes the thread run a round now (e.g. after "slabs reassign").
  void Wake();

 private:
  void Run(std::stop_token stop);

  MaintenanceTarget* const target_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool wake_ = false;  // guarded by mu_
  std::jthread thread_;
};

}  // namespace slabcached::slabs
