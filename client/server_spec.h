// A server of the client's list, as configured: host text, port, weight.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slabcached::client {

inline constexpr uint16_t kDefaultPort = 11211;

struct ServerSpec {
  // The host exactly as configured (IPv6 brackets stripped). It is used
  // verbatim in ketama point strings and never resolved for placement, so
  // "localhost" and "127.0.0.1" are different servers on the ring, as in
  // libmemcached and twemproxy.
  // A unix-domain socket's path (starting with '/') when port is 0.
  std::string host;
  // 0 for a unix-domain socket: its ketama point strings are then
  // "/path:0-N", as libmemcached's memcached_server_add_unix_socket makes them.
  uint16_t port = kDefaultPort;
  // Relative share of the key space in weighted ketama; 0 counts as 1.
  uint32_t weight = 1;
  // twemproxy's optional node name ("host:port:weight name"); when set, the
  // point strings use it instead of host/port (twemproxy only does this).
  std::string name;

  bool IsUnixSocket() const { return port == 0 && !host.empty() && host.front() == '/'; }
  // "host:port" ("[v6]:port" for IPv6 literals), or the socket's path.
  std::string Address() const;
  bool operator==(const ServerSpec&) const = default;
};

// Parses a server list: items separated by commas, each
//   host[:port[:weight]]   or   host:port weight   (libmemcached's form)
// with IPv6 literals in brackets ("[::1]:11211:2"), or a unix-domain socket
//   /path/to/socket[ weight]   or   unix:/path/to/socket[ weight]
// (the path runs to the first blank: a ':' in it is not a port). Returns nullopt and sets
// `error` on malformed input.
std::optional<std::vector<ServerSpec>> ParseServerList(std::string_view text, std::string* error);

}  // namespace slabcached::client
