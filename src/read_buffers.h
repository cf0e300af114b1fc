// The read buffers of one worker's connections. A connection holds one only
// while it has input it has not parsed (memcached 1.6's per-thread rbuf
// cache): an idle connection costs no buffer, and busy connections share the
// few buffers this worker keeps, which stay warm in the CPU's caches.
//
// Counted in ServerStats: read_buf_count and read_buf_bytes cover every
// buffer in use or kept here (grown buffers too: Connection counts those),
// read_buf_bytes_free the ones kept here. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "src/stats.h"

namespace slabcached {

class ReadBuffers {
 public:
  static constexpr size_t kSize = 16 * 1024;  // memcached's READ_BUFFER_SIZE

  // Keeps at most `keep` free buffers; more are returned to the allocator.
  ReadBuffers(ServerStats* stats, size_t keep);
  ~ReadBuffers();
  ReadBuffers(const ReadBuffers&) = delete;
  ReadBuffers& operator=(const ReadBuffers&) = delete;

  // A buffer of kSize bytes: a kept one, else a new one; null when a new one
  // would take read_buf_bytes past `limit` (-o read_buf_mem_limit; 0: none).
  std::unique_ptr<char[]> Take(uint64_t limit);
  // Takes back a buffer from Take(), now `capacity` bytes (a connection may
  // have grown it): kept if it is kSize and there is room, else freed and
  // no longer counted.
  void Give(std::unique_ptr<char[]> buffer, size_t capacity);

  size_t kept() const { return free_.size(); }

 private:
  ServerStats* stats_;
  size_t keep_;
  std::vector<std::unique_ptr<char[]>> free_;
};

}  // namespace slabcached
