#include "src/transport.h"

#include <glog/logging.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace slabcached {

IoResult SocketTransport::Read(char* buffer, size_t length) {
  for (;;) {
    const ssize_t n = recv(fd_, buffer, length, 0);
    if (n > 0) return {IoStatus::kOk, static_cast<size_t>(n)};
    if (n == 0) return {IoStatus::kClosed};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWantRead};
    VLOG(1) << "read error: " << std::strerror(errno);
    return {IoStatus::kError};
  }
}

IoResult SocketTransport::Write(const iovec* iov, int count) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    const ssize_t n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) return {IoStatus::kOk, static_cast<size_t>(n)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWantWrite};
    return {IoStatus::kError};
  }
}

}  // namespace slabcached
