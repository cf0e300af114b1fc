#include "client/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace slabcached::client {

bool Connection::StartConnect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(server_.port);
  if (getaddrinfo(server_.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return false;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
  // The first address only: a connect timeout would otherwise multiply.
  const int fd =
      socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol);
  if (fd < 0) return false;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fd_ = fd;
  if (connect(fd, res->ai_addr, res->ai_addrlen) == 0) return true;
  if (errno == EINPROGRESS) {
    connecting_ = true;
    return true;
  }
  Close();
  return false;
}

bool Connection::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    Close();
    return false;
  }
  connecting_ = false;
  return true;
}

void Connection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  connecting_ = false;
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  in_pos_ = 0;
}

IoResult Connection::Write() {
  while (out_pos_ < out_.size()) {
    const ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kOk;
    return IoResult::kClosed;
  }
  out_.clear();
  out_pos_ = 0;
  return IoResult::kOk;
}

IoResult Connection::Read() {
  // Drop consumed bytes before growing the buffer.
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  constexpr size_t kChunk = 64 * 1024;
  for (;;) {
    const size_t old = in_.size();
    in_.resize(old + kChunk);
    const ssize_t n = recv(fd_, in_.data() + old, kChunk, 0);
    if (n > 0) {
      in_.resize(old + static_cast<size_t>(n));
      if (static_cast<size_t>(n) < kChunk) return IoResult::kOk;
      continue;
    }
    in_.resize(old);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kOk;
    return IoResult::kClosed;
  }
}

ReplyParse Connection::Peek(Reply* reply, size_t* consumed) const {
  return ParseReply(std::string_view(in_).substr(in_pos_), reply, consumed);
}

void Connection::Consume(size_t n) { in_pos_ += n; }

}  // namespace slabcached::client
