// The failure state of a server list (libmemcached's auto-eject), kept apart
// from any one Client so that many Clients, on many threads, can share it
// (ClientPool): a failure one of them sees counts for all, an ejected server
// is ejected for all, once, and comes back for all when its retry interval
// has passed.
//
// A server whose operations fail `failure_limit` times in a row is ejected
// for `retry_interval`; then it is put back on probation (one more failure
// ejects it again); a success resets its count.
//
// Thread-safe. The hot path (a success, a look at the generation) is a few
// relaxed or acquire atomic operations; ejecting and restoring take a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace slabcached::client {

struct HealthPolicy {
  bool auto_eject = true;
  uint32_t failure_limit = 2;  // 0 counts as 1
  std::chrono::milliseconds retry_interval{2000};
  // When the retry interval has passed, the Client whose request comes next
  // first sends the server a "version" probe (bounded by its timeout, on
  // that request's thread) and puts it back only if the probe is answered,
  // fully trusted; a failed probe keeps it out for another interval. No
  // user request is ever the one that fails on a dead server. Off: the
  // server comes back on probation and the next request to it is the test.
  bool probe_before_restore = false;
};

class ServerHealth {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  ServerHealth(size_t servers, HealthPolicy policy);
  ServerHealth(const ServerHealth&) = delete;
  ServerHealth& operator=(const ServerHealth&) = delete;

  size_t size() const { return servers_.size(); }
  const HealthPolicy& policy() const { return policy_; }

  // Counts one failed operation; true when this call ejected the server.
  bool RecordFailure(uint32_t server, TimePoint now);
  void RecordSuccess(uint32_t server);
  // Puts back the ejected servers whose retry time is due.
  void RestoreDue(TimePoint now);
  // probe_before_restore: true when `server` is ejected and due, for one
  // caller only: its retry time moves one interval on, so that others do
  // not probe it meanwhile. The caller probes, then Restore()s on success.
  bool ClaimProbe(uint32_t server, TimePoint now);
  // Puts `server` back with a clean count (its probe was answered).
  void Restore(uint32_t server);

  bool AnyEjected() const { return ejected_count_.load(std::memory_order_acquire) > 0; }
  bool IsEjected(uint32_t server) const {
    return servers_[server].ejected.load(std::memory_order_acquire);
  }
  // One flag per server: true when it is in the ring.
  std::vector<bool> Live() const;
  // Changes whenever a server is ejected or put back: a Client rebuilds its
  // ring when the generation it last saw is not this.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // How many times `server` was ejected so far.
  uint64_t Ejections(uint32_t server) const;

 private:
  struct Server {
    std::atomic<uint32_t> failures{0};
    std::atomic<bool> ejected{false};  // written under mu_
    TimePoint retry_at;                // guarded by mu_
    uint64_t ejections = 0;            // guarded by mu_
  };

  const HealthPolicy policy_;
  std::vector<Server> servers_;
  std::atomic<uint32_t> ejected_count_{0};
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mu_;
};

}  // namespace slabcached::client
