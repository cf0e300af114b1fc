#include "src/watcher.h"

#include <sys/socket.h>

#include <cerrno>

#include "proto/watch_format.h"

namespace slabcached {

bool WatcherBuffer::Offer(std::string_view line) {
  if (size() + line.size() + kSpare > capacity_) return false;
  if (head_ > 0 && head_ >= bytes_.size() / 2) {
    bytes_.erase(0, head_);  // keeps the string from growing past the cap
    head_ = 0;
  }
  bytes_.append(line);
  return true;
}

void WatcherBuffer::Consume(size_t n) {
  head_ += n;
  if (head_ >= bytes_.size()) {
    bytes_.clear();
    head_ = 0;
  }
}

Watcher::Watcher(ev::Fd fd, uint32_t kinds, uint64_t min_gid, size_t buffer_bytes,
                 std::function<void()> closed)
    : fd_(std::move(fd)),
      closed_(std::move(closed)),
      kinds_(kinds),
      min_gid_(min_gid),
      buffer_(buffer_bytes) {}

Watcher::~Watcher() {
  // Before fd_ closes: its number may be reused by a new connection at once.
  if (closed_) closed_();
}

bool Watcher::Offer(std::string_view line) {
  std::string skipped;
  if (skipped_ > 0) proto::AppendSkippedLine(&skipped, skipped_);
  auto fits = [&] {
    return buffer_.size() + skipped.size() + line.size() + 128 <= buffer_.capacity();
  };
  if (!fits() && !tried_socket_) {
    // memcached polls the socket once when a line does not fit, then skips
    // lines for this watcher until the next round.
    tried_socket_ = true;
    Flush();
  }
  if (!fits()) {
    ++skipped_;
    return false;
  }
  if (!skipped.empty()) buffer_.Offer(skipped);
  buffer_.Offer(line);
  skipped_ = 0;
  return true;
}

bool Watcher::Flush() {
  while (!broken_ && buffer_.size() > 0) {
    const std::string_view bytes = buffer_.pending();
    const ssize_t sent = send(fd_.get(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent > 0) {
      buffer_.Consume(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    broken_ = true;
  }
  return !broken_;
}

bool Watcher::Service() {
  char discard[512];
  for (;;) {
    const ssize_t got = recv(fd_.get(), discard, sizeof(discard), MSG_DONTWAIT);
    if (got > 0) continue;         // memcached ignores what a watcher sends
    if (got == 0) broken_ = true;  // the client closed
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) broken_ = true;
    break;
  }
  return Flush();
}

}  // namespace slabcached
