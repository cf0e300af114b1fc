// Write-behind: the application writes to the cache at once and queues the
// write to its source of truth (database), which this queue applies later,
// in batches, through an application callback.
//
//   WriteBehind queue(config, [&](const std::vector<PendingWrite>& batch) {
//     return db.UpsertMany(batch);   // true: written; false: retried
//   });
//   cache.Set(key, value);
//   queue.Enqueue(key, value);       // kOk, or kBusy when full (see below)
//   ...
//   queue.Flush();                   // also done by the destructor
//
// RISK: a queued write exists only in this process's memory until its batch
// is written. If the process dies (crash, SIGKILL, power loss) before then,
// the write is lost and the source of truth keeps its old value while the
// cache may hold the new one. Use write-behind only for data that may be
// lost that way (counters, last-seen times, ...), or write through.
//
// Batching: a batch is written when batch_size writes are queued, or when
// the oldest queued write has waited max_delay. Batches are written one at
// a time, in enqueue order.
//
// When full (capacity queued writes, not counting the batch being written):
//   kBlock       Enqueue waits up to block_timeout for room, then gives up:
//                kBusy, the write is not queued (counted dropped)
//   kDropNewest  Enqueue returns kBusy at once (counted dropped)
//   kDropOldest  the oldest queued write is discarded (counted dropped) and
//                the new one queued (kOk)
//
// Retries: a batch the callback refuses (false, or an exception) is retried
// retry_delay after the failure, up to max_attempts attempts in all; then
// its writes are counted lost. Flush() writes every queued write, retrying
// at once (no delay) within the same bound, on the calling thread.
//
// Threads: with start_thread (the default) a member thread writes batches as
// they come due (real time). With start_thread false nothing runs on its
// own: the caller calls Pump(), which uses config.now (a hand-driven clock
// in tests). Enqueue, Flush, Pump and counts() may be called from any
// thread; the callback runs on one thread at a time, without the queue's
// lock held (it may take as long as it needs; Enqueue keeps working).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client.h"

namespace slabcached::client {

struct PendingWrite {
  std::string key;
  std::string value;
};

// Writes a batch to the source of truth; true when all of it was written.
using WriteBatchFn = std::function<bool(const std::vector<PendingWrite>& batch)>;

enum class WhenFull : uint8_t { kBlock, kDropNewest, kDropOldest };

struct WriteBehindConfig {
  size_t capacity = 10000;  // queued writes
  size_t batch_size = 100;
  std::chrono::milliseconds max_delay{100};
  WhenFull when_full = WhenFull::kBlock;
  std::chrono::milliseconds block_timeout{1000};  // kBlock only
  uint32_t max_attempts = 3;                      // per batch, the first included
  std::chrono::milliseconds retry_delay{100};
  bool start_thread = true;
  // The clock of Pump() when start_thread is false; default steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct WriteBehindCounts {
  uint64_t enqueued = 0;  // accepted by Enqueue
  uint64_t written = 0;   // in batches the callback accepted
  uint64_t retried = 0;   // writes in batches that failed and were tried again
  uint64_t dropped = 0;   // refused or discarded because the queue was full
  uint64_t lost = 0;      // in batches given up after max_attempts
};

class WriteBehind {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  WriteBehind(WriteBehindConfig config, WriteBatchFn write_batch);
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;
  ~WriteBehind();  // stops the thread, then Flush()

  // kOk when queued; kBusy when the queue was full (see above).
  Status Enqueue(std::string key, std::string value);
  // Writes everything queued now (and a batch waiting for its retry).
  WriteBehindCounts Flush();
  // Writes at most one batch if one is due at config.now(); true if it did.
  bool Pump();

  WriteBehindCounts counts() const;
  size_t queued() const;

 private:
  struct Queued {
    PendingWrite write;
    TimePoint at;
  };
  enum class Due { kNothing, kBatch, kRetry };
  // With mu_ held: what may be written at `now`, and when to look again.
  Due WhatIsDue(TimePoint now, TimePoint* next) const;
  // With `lock` held and writing_ claimed: takes the due batch, writes it
  // without the lock, records the outcome. `retry_at_once` is Flush's.
  void WriteOne(std::unique_lock<std::mutex>& lock, Due due, bool retry_at_once);
  void Loop(std::stop_token stop);
  TimePoint Now() const { return config_.now(); }

  WriteBehindConfig config_;
  WriteBatchFn write_batch_;
  mutable std::mutex mu_;
  std::condition_variable_any changed_;  // queue, writing_ or stop changed
  std::deque<Queued> queue_;             // guarded by mu_
  std::vector<PendingWrite> failed_;     // guarded by mu_: a batch waiting for its retry
  uint32_t failed_attempts_ = 0;         // guarded by mu_
  TimePoint retry_at_{};                 // guarded by mu_
  bool writing_ = false;                 // guarded by mu_: the callback is running
  WriteBehindCounts counts_;             // guarded by mu_
  std::jthread thread_;                  // last: started after everything above
};

}  // namespace slabcached::client
