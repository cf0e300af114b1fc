// ClientPool: Clients for a multi-threaded service, handed out one
// operation (or a few) at a time and sharing one failure state.
//
//   slabcached::client::ClientPool pool(config, {.clients = 8});
//   if (auto cache = pool.Acquire()) {      // blocks while all 8 are leased
//     cache->Set("user:42", "alice");
//   } else {
//     // none came free within wait_timeout
//   }
//
// Each pooled Client holds config.connections_per_server connections to
// every server (opened lazily), so the pool holds `clients` times that per
// server. A lease gives its thread one Client until the lease is destroyed;
// leasing is a mutex and a condition variable, no I/O.
//
// Failure state is shared (a ServerHealth, server_health.h): a server that
// fails failure_limit operations in a row — counted over all threads — is
// ejected once, for every Client of the pool, and comes back for all after
// retry_interval. Each Client rebuilds its ring when it sees the change, on
// its next operation.
//
// Thread-safe: Acquire may be called from any thread; a leased Client is
// its holder's alone (Client's rules). Every lease must be gone before the
// pool is destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "client.h"
#include "server_health.h"

namespace slabcached::client {

struct PoolConfig {
  size_t clients = 8;  // 0 counts as 1
  // How long Acquire() waits when every Client is leased.
  std::chrono::milliseconds wait_timeout{1000};
};

class ClientPool {
 public:
  // Move-only; empty when Acquire timed out.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { Release(); }

    explicit operator bool() const { return client_ != nullptr; }
    Client* operator->() const { return client_; }
    Client& operator*() const { return *client_; }
    // Gives the Client back before the lease is destroyed.
    void Release();

   private:
    friend class ClientPool;
    Lease(ClientPool* pool, Client* client) : pool_(pool), client_(client) {}
    ClientPool* pool_ = nullptr;
    Client* client_ = nullptr;
  };

  // config.health, when set, is shared further; else the pool makes one
  // from config's auto_eject, failure_limit and retry_interval.
  ClientPool(ClientConfig config, PoolConfig pool = {});
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;
  ~ClientPool();

  Lease Acquire() { return Acquire(wait_timeout_); }
  Lease Acquire(std::chrono::milliseconds wait);

  const ServerHealth& health() const { return *health_; }
  size_t size() const { return clients_.size(); }
  size_t available() const;

 private:
  void GiveBack(Client* client);

  std::shared_ptr<ServerHealth> health_;
  std::chrono::milliseconds wait_timeout_;
  std::vector<std::unique_ptr<Client>> clients_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::vector<Client*> free_;  // guarded by mu_
};

}  // namespace slabcached::client
