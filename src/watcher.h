// One `watch` client, after its connection was handed to the logger: the
// socket, the kinds of events it asked for, and a bounded buffer of lines
// waiting for the socket (memcached's logger_watcher). A watcher that stops
// reading fills its buffer and then misses lines (counted, and announced
// with "skipped=N" once there is room again); it never holds more than its
// buffer, and never makes anyone wait.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "src/ev.h"

namespace slabcached {

// The lines a watcher has not sent yet, at most `capacity` bytes.
class WatcherBuffer {
 public:
  explicit WatcherBuffer(size_t capacity) : capacity_(capacity) {}

  // Appends `line` when it fits with memcached's 128 bytes to spare (room for
  // a "skipped=" line); false when it does not, and nothing is appended.
  bool Offer(std::string_view line);
  // The bytes waiting, oldest first; Consume() drops the first `n` of them.
  std::string_view pending() const { return std::string_view(bytes_).substr(head_); }
  void Consume(size_t n);
  size_t size() const { return bytes_.size() - head_; }
  size_t capacity() const { return capacity_; }

 private:
  static constexpr size_t kSpare = 128;
  const size_t capacity_;
  std::string bytes_;
  size_t head_ = 0;  // bytes_ before it were sent
};

class Watcher {
 public:
  // `min_gid`: events older than the watch command are not its business.
  // `closed` runs when the watcher goes, before its socket closes.
  Watcher(ev::Fd fd, uint32_t kinds, uint64_t min_gid, size_t buffer_bytes,
          std::function<void()> closed);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  bool Wants(uint32_t kind, uint64_t gid) const { return (kinds_ & kind) != 0 && gid >= min_gid_; }
  uint32_t kinds() const { return kinds_; }

  // Queues `line`, after a "skipped=N" line when some were missed. When the
  // buffer is full it tries the socket once per round (see NewRound());
  // false when the line was skipped.
  bool Offer(std::string_view line);
  // Starts a logger round: the socket may be tried again for room.
  void NewRound() { tried_socket_ = false; }
  // Sends what the socket takes now and reads (and ignores) what the client
  // sent; false once the client is gone or the socket failed.
  bool Service();
  // Sends what the socket takes now; false when the socket failed.
  bool Flush();

 private:
  ev::Fd fd_;
  std::function<void()> closed_;
  const uint32_t kinds_;
  const uint64_t min_gid_;
  WatcherBuffer buffer_;
  uint64_t skipped_ = 0;
  bool tried_socket_ = false;
  bool broken_ = false;
};

}  // namespace slabcached
