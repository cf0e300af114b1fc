// A worker thread: one libevent loop that owns its connections and an
// Executor. The listener hands it accepted sockets through a mutex-guarded
// inbox and an eventfd wake-up (memcached's dispatch_conn_new).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "src/connection.h"
#include "src/ev.h"
#include "src/executor.h"
#include "src/udp_port.h"

namespace slabcached {

class Worker : public ConnectionOwner {
 public:
  Worker(uint32_t id, const ExecutorContext& context, ThreadStats* stats, const NetConfig& net);
  ~Worker() override;  // stops the loop and joins the thread
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread; false if the event loop could not be set up.
  bool Start();
  // Thread-safe: hands an accepted, non-blocking socket to this worker
  // (`tls`: it came in on a TLS listener).
  void Enqueue(ev::Fd fd, bool tls);
  // Before Start(): this worker also answers the datagrams arriving on a UDP
  // socket (its own descriptor of it). False if the event loop refused it.
  bool ServeUdp(ev::Fd fd);
  // Thread-safe: sends queued replies, closes every connection, ends the loop.
  void Stop();

  // Before Start(): the loop bumps heartbeat() every `period`, so that a
  // watchdog can tell a live loop from a stuck one (systemd WatchdogSec=).
  void EnableHeartbeat(std::chrono::microseconds period) { heartbeat_period_ = period; }
  // Thread-safe.
  uint64_t heartbeat() const { return heartbeat_.load(std::memory_order_relaxed); }
  // Test builds: the loop blocks in its next heartbeat until Stop(), as a
  // stuck worker would.
  void StallForTests() { stalled_.store(true, std::memory_order_relaxed); }

  void Release(Connection* connection) override;
  ReadBuffers& read_buffers() override { return read_buffers_; }

 private:
  static void OnNotify(evutil_socket_t fd, short what, void* arg);
  static void OnIdleSweep(evutil_socket_t fd, short what, void* arg);
  static void OnHeartbeat(evutil_socket_t fd, short what, void* arg);
  void DrainInbox();
  void Notify();
  // stats conns and connevents: a connection opened, or is about to go.
  void Opened(Connection* connection, int fd);
  void Closing(Connection* connection, proto::CloseReason reason);

  const uint32_t id_;
  const NetConfig& net_;
  const TlsContext* tls_;           // -Z (the server's), or null
  const PasswordFile* ascii_auth_;  // -Y (the server's), or null
  ServerStats& server_stats_;
  ev::Base base_;
  ev::Fd notify_fd_;  // eventfd
  ev::Event notify_event_;
  ev::Event idle_sweep_event_;  // only with -o idle_timeout
  ev::Event heartbeat_event_;   // only with EnableHeartbeat()
  std::chrono::microseconds heartbeat_period_{0};
  std::atomic<uint64_t> heartbeat_{0};
  std::atomic<bool> stalled_{false};
  Executor executor_;
  ConnRegistry* registry_;  // this worker's (stats conns), or null
  // Before connections_: they give their buffers back when they go.
  ReadBuffers read_buffers_;

  struct Accepted {
    ev::Fd fd;
    bool tls = false;
  };
  std::mutex inbox_mutex_;
  std::vector<Accepted> inbox_;  // guarded by inbox_mutex_
  bool stopping_ = false;        // guarded by inbox_mutex_

  // -Z: where this worker's TLS connections gather replies into records.
  std::vector<char> tls_write_buffer_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;  // loop thread only
  std::vector<std::unique_ptr<UdpPort>> udp_ports_;                           // loop thread only
  std::jthread thread_;
};

}  // namespace slabcached
