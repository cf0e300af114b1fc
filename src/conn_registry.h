// The open client connections, as `stats conns` lists them and connevents
// name them (memcached's conns[] walk in process_stats_conns). Each worker
// keeps its own ConnRegistry: it adds and removes its connections under the
// registry's mutex (twice per connection's life), and updates an entry's
// state and last command time with relaxed stores. A `stats conns` takes
// each registry's mutex only to copy its entries, so a listing never waits
// on a request and never holds a worker up for longer than that copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/watch_format.h"
#include "slabs/clock.h"

namespace slabcached {

class StatSink;

// memcached's connection states as `stats conns` names them.
enum class ConnState : uint8_t {
  kListening,  // conn_listening
  kRead,       // conn_read: idle, waiting for a request
  kParseCmd,   // conn_parse_cmd: running commands
  kWrite,      // conn_write: waiting for the client to take replies
  kNread,      // conn_nread: reading a data block
  kSwallow,    // conn_swallow
  kClosing,    // conn_closing
  kWatch,      // conn_watch
};
std::string_view ConnStateName(ConnState state);

// One socket. The addresses are fixed when it is registered; the rest is
// written by its worker and read by anyone.
struct ConnEntry {
  int fd = -1;
  std::string addr;         // "tcp:127.0.0.1:40000", "unix:/path"
  std::string listen_addr;  // the local end, same form; empty for a listener
  // For connevents: the peer as memcached's logger prints it.
  std::string remote_ip;
  uint16_t remote_port = 0;
  proto::LogTransport transport = proto::LogTransport::kTcp;
  std::atomic<ConnState> state{ConnState::kRead};
  std::atomic<slabs::RelTime> last_cmd{0};

  proto::ConnLog log() const {
    return {.remote_ip = remote_ip, .remote_port = remote_port, .transport = transport, .cfd = fd};
  }
};

// Fills an entry's addresses from its socket (getpeername/getsockname).
void DescribeSocket(int fd, bool listening, ConnEntry* entry);

class ConnRegistry {
 public:
  // Registers `fd` (its addresses read from the socket now); the entry
  // stays valid until Remove(fd).
  ConnEntry* Add(int fd, bool listening, slabs::RelTime now);
  void Remove(int fd);

  struct Row {
    int fd;
    std::string addr;
    std::string listen_addr;
    ConnState state;
    slabs::RelTime last_cmd;
  };
  // Appends a copy of every entry to `rows`.
  void Snapshot(std::vector<Row>* rows) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<int, std::unique_ptr<ConnEntry>> entries_;  // guarded by mutex_
};

// Every registry of the daemon: one per worker, one for the listening sockets.
class ConnDirectory {
 public:
  explicit ConnDirectory(uint32_t workers);
  ConnRegistry* worker(uint32_t index) { return registries_[index].get(); }
  ConnRegistry* listeners() { return registries_.back().get(); }

  // "stats conns": "<fd>:addr", "<fd>:listen_addr", "<fd>:state",
  // "<fd>:secs_since_last_cmd" for each socket in descriptor order, as
  // memcached prints them. The listing is as long as the open connections
  // (at most -c of them). `asking_fd` is the connection running the
  // command: it is listed as conn_parse_cmd, as memcached lists itself
  // (workers publish a state only when a socket event leaves it changed).
  void AppendStats(slabs::RelTime now, int asking_fd, StatSink* out) const;

 private:
  std::vector<std::unique_ptr<ConnRegistry>> registries_;
};

}  // namespace slabcached
