#include "src/worker.h"

#include <glog/logging.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "src/tls.h"

namespace slabcached {
namespace {

// Free read buffers a worker keeps for its connections (16 KiB each). A
// buffer is mostly taken and given back within one socket event, so a few
// serve many connections; the rest go back to the allocator.
constexpr size_t kKeptReadBuffers = 16;

}  // namespace

Worker::Worker(uint32_t id, const ExecutorContext& context, ThreadStats* stats,
               const NetConfig& net)
    : id_(id),
      net_(net),
      tls_(context.services.tls.get()),
      ascii_auth_(context.services.ascii_auth.get()),
      server_stats_(context.server_stats),
      base_(event_base_new()),
      notify_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      executor_(context, stats),
      registry_(context.conns != nullptr ? context.conns->worker(id) : nullptr),
      read_buffers_(&context.server_stats, kKeptReadBuffers) {
  if (tls_ != nullptr) tls_write_buffer_.resize(net_.tls.wbuf_size);
  if (context.logger != nullptr) executor_.AttachLog({context.logger, context.logger->log(id)});
}

Worker::~Worker() {
  Stop();
  if (thread_.joinable()) thread_.join();
  connections_.clear();
  udp_ports_.clear();
}

bool Worker::Start() {
  if (!base_ || !notify_fd_.valid()) return false;
  notify_event_.reset(
      event_new(base_.get(), notify_fd_.get(), EV_READ | EV_PERSIST, &Worker::OnNotify, this));
  if (!notify_event_ || event_add(notify_event_.get(), nullptr) != 0) return false;
  if (net_.idle_timeout > 0) {
    const timeval one_second{1, 0};
    idle_sweep_event_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::OnIdleSweep, this));
    if (!idle_sweep_event_ || event_add(idle_sweep_event_.get(), &one_second) != 0) return false;
  }
  if (heartbeat_period_.count() > 0) {
    const timeval period{static_cast<time_t>(heartbeat_period_.count() / 1000000),
                         static_cast<suseconds_t>(heartbeat_period_.count() % 1000000)};
    heartbeat_event_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::OnHeartbeat, this));
    if (!heartbeat_event_ || event_add(heartbeat_event_.get(), &period) != 0) return false;
  }
  thread_ = std::jthread([this] {
    VLOG(2) << "worker " << id_ << " running";
    event_base_loop(base_.get(), 0);
    VLOG(2) << "worker " << id_ << " stopped";
  });
  return true;
}

bool Worker::ServeUdp(ev::Fd fd) {
  if (!base_) return false;
  auto port =
      std::make_unique<UdpPort>(base_.get(), std::move(fd), &executor_, net_, &server_stats_);
  if (!port->Start()) return false;
  udp_ports_.push_back(std::move(port));
  return true;
}

void Worker::Notify() {
  const uint64_t one = 1;
  if (write(notify_fd_.get(), &one, sizeof(one)) < 0 && errno != EAGAIN) {
    LOG(ERROR) << "worker " << id_ << " wake-up failed: " << std::strerror(errno);
  }
}

void Worker::Enqueue(ev::Fd fd, bool tls) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (stopping_) return;  // fd closes here
    inbox_.push_back({std::move(fd), tls});
  }
  Notify();
}

void Worker::Stop() {
  {
    std::lock_guard lock(inbox_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  stalled_.store(false, std::memory_order_relaxed);
  Notify();
}

void Worker::OnNotify(evutil_socket_t fd, short, void* arg) {
  uint64_t count;
  while (read(fd, &count, sizeof(count)) > 0) {
  }
  static_cast<Worker*>(arg)->DrainInbox();
}

void Worker::DrainInbox() {
  std::vector<Accepted> accepted;
  bool stopping;
  {
    std::lock_guard lock(inbox_mutex_);
    accepted.swap(inbox_);
    stopping = stopping_;
  }
  if (stopping) {
    for (auto& [raw, connection] : connections_) {
      connection->FlushPending();
      Closing(raw, proto::CloseReason::kShutdown);
    }
    connections_.clear();
    udp_ports_.clear();
    event_base_loopbreak(base_.get());
    return;
  }
  for (auto& [fd, tls] : accepted) {
    std::unique_ptr<Transport> transport =
        tls ? tls_->NewTransport(fd.get(), &server_stats_, tls_write_buffer_)
            : std::make_unique<SocketTransport>(fd.get());
    if (transport == nullptr) {
      server_stats_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
      continue;  // fd closes here
    }
    const int raw_fd = fd.get();
    auto connection =
        std::make_unique<Connection>(base_.get(), std::move(fd), std::move(transport), &executor_,
                                     this, net_, ascii_auth_, &server_stats_);
    if (!connection->Start()) {
      LOG(ERROR) << "worker " << id_ << " could not register a connection";
      continue;
    }
    Connection* raw = connection.get();
    connections_.emplace(raw, std::move(connection));
    Opened(raw, raw_fd);
  }
}

void Worker::Opened(Connection* connection, int fd) {
  if (registry_ == nullptr) return;
  ConnEntry* entry = registry_->Add(fd, /*listening=*/false, executor_.clock().Now());
  connection->Track(entry, registry_);
  const EventLog& events = executor_.events();
  if (events.Watching(proto::kWatchConnevents)) events.ConnEvent(entry->log(), true, {});
}

void Worker::Closing(Connection* connection, proto::CloseReason reason) {
  ConnEntry* entry = connection->entry();
  if (entry == nullptr) return;  // not registered, or a watcher's (the logger's now)
  const EventLog& events = executor_.events();
  connection->Track(nullptr, nullptr);
  if (events.Watching(proto::kWatchConnevents)) events.ConnEvent(entry->log(), false, reason);
  registry_->Remove(entry->fd);
}

void Worker::Release(Connection* connection) {
  Closing(connection, connection->close_reason());
  connections_.erase(connection);
}

void Worker::OnHeartbeat(evutil_socket_t, short, void* arg) {
  auto* worker = static_cast<Worker*>(arg);
  worker->heartbeat_.fetch_add(1, std::memory_order_relaxed);
  while (worker->stalled_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Worker::OnIdleSweep(evutil_socket_t, short, void* arg) {
  auto* worker = static_cast<Worker*>(arg);
  const slabs::RelTime now = worker->executor_.clock().Now();
  if (now <= worker->net_.idle_timeout) return;
  const slabs::RelTime cutoff = now - worker->net_.idle_timeout;
  for (auto it = worker->connections_.begin(); it != worker->connections_.end();) {
    if (it->second->IdleSince(cutoff)) {
      VLOG(1) << "closing a connection idle for more than " << worker->net_.idle_timeout << " s";
      worker->executor_.stats()->idle_kicks.Add();
      worker->Closing(it->first, proto::CloseReason::kIdleTimeout);
      it = worker->connections_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace slabcached
