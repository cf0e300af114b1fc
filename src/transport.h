// How a connection moves its bytes: straight through the socket, or through
// TLS over it (src/tls.h). Calls never block. A call that cannot make
// progress says which socket event it waits for (TLS may need to read in
// order to write, and the other way round), and the connection arms that
// event (src/connection.cc).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace slabcached {

enum class IoStatus : uint8_t {
  kOk,         // `bytes` (> 0) were moved
  kWantRead,   // nothing moved; try again once the socket is readable
  kWantWrite,  // nothing moved; try again once the socket is writable
  kClosed,     // reads: the peer closed the connection
  kError,      // the connection is broken
};

struct IoResult {
  IoStatus status = IoStatus::kOk;
  size_t bytes = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Reads up to `length` (> 0) bytes into `buffer`.
  virtual IoResult Read(char* buffer, size_t length) = 0;
  // Writes a prefix of the `count` buffers of `iov`, as sendmsg() does.
  virtual IoResult Write(const iovec* iov, int count) = 0;
  // True when bytes were already taken off the socket and wait inside the
  // transport (TLS records): no readable event announces them, so the
  // connection reads again by itself.
  virtual bool HasBufferedInput() const { return false; }
};

// A TCP or UNIX stream socket as it is: recv() and sendmsg().
class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}

  IoResult Read(char* buffer, size_t length) override;
  IoResult Write(const iovec* iov, int count) override;

 private:
  int fd_;  // owned by the connection
};

}  // namespace slabcached
