// RAII owners for libevent objects and file descriptors. Nothing else in
// the daemon calls event_free/event_base_free/close on these directly.
#pragma once

#include <event2/event.h>
#include <event2/listener.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace slabcached::ev {

struct BaseDeleter {
  void operator()(event_base* base) const { event_base_free(base); }
};
struct EventDeleter {
  void operator()(event* ev) const { event_free(ev); }
};
struct ListenerDeleter {
  void operator()(evconnlistener* listener) const { evconnlistener_free(listener); }
};

using Base = std::unique_ptr<event_base, BaseDeleter>;
using Event = std::unique_ptr<event, EventDeleter>;
using Listener = std::unique_ptr<evconnlistener, ListenerDeleter>;

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace slabcached::ev
