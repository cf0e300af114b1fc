#include "client/pool.h"

#include <cassert>
#include <utility>

namespace slabcached::client {

ClientPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), client_(std::exchange(other.client_, nullptr)) {}

ClientPool::Lease& ClientPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    client_ = std::exchange(other.client_, nullptr);
  }
  return *this;
}

void ClientPool::Lease::Release() {
  if (client_ != nullptr) pool_->GiveBack(client_);
  pool_ = nullptr;
  client_ = nullptr;
}

ClientPool::ClientPool(ClientConfig config, PoolConfig pool)
    : health_(config.health), wait_timeout_(pool.wait_timeout) {
  if (health_ == nullptr || health_->size() != config.servers.size()) {
    health_ = std::make_shared<ServerHealth>(
        config.servers.size(), HealthPolicy{.auto_eject = config.auto_eject,
                                            .failure_limit = config.failure_limit,
                                            .retry_interval = config.retry_interval,
                                            .probe_before_restore = config.probe_before_restore});
    config.health = health_;
  }
  const size_t count = pool.clients == 0 ? 1 : pool.clients;
  for (size_t i = 0; i < count; ++i) {
    clients_.push_back(std::make_unique<Client>(config));
    free_.push_back(clients_.back().get());
  }
}

ClientPool::~ClientPool() {
  std::lock_guard lock(mu_);
  assert(free_.size() == clients_.size() && "a lease outlives its ClientPool");
}

ClientPool::Lease ClientPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [this] { return !free_.empty(); })) return Lease();
  // Last in, first out: the Client used most recently has its connections
  // open; the others may stay unconnected under light load.
  Client* client = free_.back();
  free_.pop_back();
  return Lease(this, client);
}

void ClientPool::GiveBack(Client* client) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(client);
  }
  freed_.notify_one();
}

size_t ClientPool::available() const {
  std::lock_guard lock(mu_);
  return free_.size();
}

}  // namespace slabcached::client
