#include "src/conn_registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include "src/stats.h"

namespace slabcached {
namespace {

struct Endpoint {
  std::string text;  // memcached's get_conn_text(): "tcp:1.2.3.4:5", "tcp6:[::1]:5", "unix:/p"
  std::string ip;    // the logger's rip: "1.2.3.4", "::1", "unix"
  uint16_t port = 0;
  bool local = false;
};

Endpoint Describe(const sockaddr_storage& address) {
  Endpoint e;
  char ip[INET6_ADDRSTRLEN] = {};
  switch (address.ss_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
      inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
      e.ip = ip;
      e.port = ntohs(in->sin_port);
      e.text = "tcp:" + e.ip;
      break;
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
      inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
      e.ip = ip;
      e.port = ntohs(in6->sin6_port);
      e.text = "tcp6:[" + e.ip + "]";
      break;
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&address);
      e.local = true;
      e.ip = "unix";
      const std::string path(un->sun_path, strnlen(un->sun_path, sizeof(un->sun_path)));
      // A connected UNIX-domain client has no name: memcached prints "<AF 1>".
      e.text = path.size() < 2 ? "unix:<AF 1>" : "unix:" + path;
      return e;
    }
    default:
      e.text = "<AF " + std::to_string(address.ss_family) + ">";
      return e;
  }
  if (e.port != 0) e.text += ":" + std::to_string(e.port);
  return e;
}

}  // namespace

std::string_view ConnStateName(ConnState state) {
  switch (state) {
    case ConnState::kListening:
      return "conn_listening";
    case ConnState::kRead:
      return "conn_read";
    case ConnState::kParseCmd:
      return "conn_parse_cmd";
    case ConnState::kWrite:
      return "conn_write";
    case ConnState::kNread:
      return "conn_nread";
    case ConnState::kSwallow:
      return "conn_swallow";
    case ConnState::kClosing:
      return "conn_closing";
    case ConnState::kWatch:
      return "conn_watch";
  }
  return "conn_read";
}

void DescribeSocket(int fd, bool listening, ConnEntry* entry) {
  sockaddr_storage local{};
  socklen_t local_length = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length);
  const Endpoint local_end = Describe(local);
  if (listening) {
    entry->addr = local_end.text;
    entry->transport = local_end.local ? proto::LogTransport::kLocal : proto::LogTransport::kTcp;
    return;
  }
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof(peer);
  if (local.ss_family == AF_UNIX ||
      getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
    peer.ss_family = local.ss_family;
  }
  const Endpoint peer_end = Describe(peer);
  entry->addr = peer_end.text;
  entry->listen_addr = local_end.text;
  entry->remote_ip = peer_end.ip;
  entry->remote_port = peer_end.port;
  entry->transport = local_end.local ? proto::LogTransport::kLocal : proto::LogTransport::kTcp;
}

ConnEntry* ConnRegistry::Add(int fd, bool listening, slabs::RelTime now) {
  auto entry = std::make_unique<ConnEntry>();
  entry->fd = fd;
  DescribeSocket(fd, listening, entry.get());
  entry->state.store(listening ? ConnState::kListening : ConnState::kRead,
                     std::memory_order_relaxed);
  entry->last_cmd.store(now, std::memory_order_relaxed);
  ConnEntry* raw = entry.get();
  std::lock_guard lock(mutex_);
  entries_[fd] = std::move(entry);
  return raw;
}

void ConnRegistry::Remove(int fd) {
  std::unique_ptr<ConnEntry> gone;  // freed outside the lock
  std::lock_guard lock(mutex_);
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;
  gone = std::move(it->second);
  entries_.erase(it);
}

void ConnRegistry::Snapshot(std::vector<Row>* rows) const {
  std::lock_guard lock(mutex_);
  for (const auto& [fd, entry] : entries_) {
    rows->push_back({fd, entry->addr, entry->listen_addr,
                     entry->state.load(std::memory_order_relaxed),
                     entry->last_cmd.load(std::memory_order_relaxed)});
  }
}

ConnDirectory::ConnDirectory(uint32_t workers) {
  for (uint32_t i = 0; i <= workers; ++i) registries_.push_back(std::make_unique<ConnRegistry>());
}

void ConnDirectory::AppendStats(slabs::RelTime now, int asking_fd, StatSink* out) const {
  std::vector<ConnRegistry::Row> rows;
  for (const auto& registry : registries_) registry->Snapshot(&rows);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.fd < b.fd; });
  for (const ConnRegistry::Row& row : rows) {
    const std::string prefix = std::to_string(row.fd) + ":";
    AppendStat(out, prefix + "addr", row.addr);
    if (row.state != ConnState::kListening) {
      AppendStat(out, prefix + "listen_addr", row.listen_addr);
    }
    AppendStat(out, prefix + "state",
               ConnStateName(row.fd == asking_fd ? ConnState::kParseCmd : row.state));
    const int64_t idle = now >= row.last_cmd ? static_cast<int64_t>(now - row.last_cmd) : 0;
    AppendStat(out, prefix + "secs_since_last_cmd", idle);
  }
}

}  // namespace slabcached
