// What an OutputQueue sends, for the src/ unit tests: a transport that keeps
// every byte written to it, and Sent() to drain a queue into one string.
#pragma once

#include <gtest/gtest.h>
#include <sys/uio.h>

#include <cstddef>
#include <string>

#include "src/output_queue.h"
#include "src/transport.h"

namespace slabcached::testing {

class CapturingTransport final : public Transport {
 public:
  IoResult Read(char*, size_t) override { return {IoStatus::kWantRead, 0}; }
  IoResult Write(const iovec* iov, int count) override {
    size_t bytes = 0;
    for (int i = 0; i < count; ++i) {
      written.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
      bytes += iov[i].iov_len;
    }
    return {IoStatus::kOk, bytes};
  }

  std::string written;
};

// Everything `out` holds, written at once (the transport never blocks).
inline std::string Sent(OutputQueue& out) {
  CapturingTransport transport;
  size_t written = 0;
  EXPECT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  return transport.written;
}

}  // namespace slabcached::testing
