#include "client/server_health.h"

namespace slabcached::client {

ServerHealth::ServerHealth(size_t servers, HealthPolicy policy)
    : policy_([&] {
        if (policy.failure_limit == 0) policy.failure_limit = 1;
        return policy;
      }()),
      servers_(servers) {}

bool ServerHealth::RecordFailure(uint32_t server, TimePoint now) {
  Server& s = servers_[server];
  const uint32_t failures = s.failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (!policy_.auto_eject || failures < policy_.failure_limit) return false;
  std::lock_guard lock(mu_);
  // Several threads may reach the limit together (their operations on the
  // dead server fail at once): only the first ejects it.
  if (s.ejected.load(std::memory_order_relaxed)) return false;
  s.retry_at = now + policy_.retry_interval;
  ++s.ejections;
  s.ejected.store(true, std::memory_order_release);
  ejected_count_.fetch_add(1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
  return true;
}

void ServerHealth::RecordSuccess(uint32_t server) {
  std::atomic<uint32_t>& failures = servers_[server].failures;
  // Read first: a store on every success would bounce the cache line
  // between threads for nothing.
  if (failures.load(std::memory_order_relaxed) != 0) failures.store(0, std::memory_order_relaxed);
}

void ServerHealth::RestoreDue(TimePoint now) {
  if (!AnyEjected()) return;
  std::lock_guard lock(mu_);
  bool changed = false;
  for (Server& s : servers_) {
    if (!s.ejected.load(std::memory_order_relaxed) || now < s.retry_at) continue;
    // On probation: one more failure ejects it again.
    s.failures.store(policy_.failure_limit - 1, std::memory_order_relaxed);
    s.ejected.store(false, std::memory_order_release);
    ejected_count_.fetch_sub(1, std::memory_order_release);
    changed = true;
  }
  if (changed) generation_.fetch_add(1, std::memory_order_release);
}

bool ServerHealth::ClaimProbe(uint32_t server, TimePoint now) {
  if (!IsEjected(server)) return false;
  std::lock_guard lock(mu_);
  Server& s = servers_[server];
  if (!s.ejected.load(std::memory_order_relaxed) || now < s.retry_at) return false;
  s.retry_at = now + policy_.retry_interval;
  return true;
}

void ServerHealth::Restore(uint32_t server) {
  std::lock_guard lock(mu_);
  Server& s = servers_[server];
  if (!s.ejected.load(std::memory_order_relaxed)) return;
  s.failures.store(0, std::memory_order_relaxed);
  s.ejected.store(false, std::memory_order_release);
  ejected_count_.fetch_sub(1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
}

std::vector<bool> ServerHealth::Live() const {
  std::vector<bool> live(servers_.size());
  for (size_t i = 0; i < servers_.size(); ++i) live[i] = !IsEjected(static_cast<uint32_t>(i));
  return live;
}

uint64_t ServerHealth::Ejections(uint32_t server) const {
  std::lock_guard lock(mu_);
  return servers_[server].ejections;
}

}  // namespace slabcached::client
