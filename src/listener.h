// Accepts connections on the main event loop (TCP on each -l address, or a
// UNIX socket with -s), enforces -c, and hands sockets to workers round-robin.
// With -U it also binds the UDP sockets, which the workers serve themselves.
// With -Z, TCP listeners speak TLS, but those given as "-l notls:<addr>".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/ev.h"
#include "src/server_config.h"
#include "src/stats.h"

namespace slabcached {

class Listener {
 public:
  // Receives each accepted socket that is within the connection limit, and
  // whether it came in on a TLS listener.
  using Dispatch = std::function<void(ev::Fd fd, bool tls)>;

  Listener(event_base* base, const NetConfig& net, ServerStats* stats, Dispatch dispatch);

  // Binds every configured address. Throws std::runtime_error with a
  // readable message when an address cannot be bound.
  void Open();
  // Stops accepting (closes the listening sockets).
  void Close() { listeners_.clear(); }
  // The UDP sockets Open() bound (-U), for the workers to serve.
  std::vector<ev::Fd> TakeUdpSockets() { return std::move(udp_sockets_); }

 private:
  static void OnAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr* address, int length,
                       void* arg);
  static void OnAcceptTls(evconnlistener* listener, evutil_socket_t fd, sockaddr* address,
                          int length, void* arg);
  void Accept(evutil_socket_t fd, bool tcp, bool tls);
  void OpenTcp(const std::string& host);
  void OpenUnix();

  event_base* base_;
  const NetConfig& net_;
  ServerStats* stats_;
  Dispatch dispatch_;
  std::vector<ev::Listener> listeners_;
  std::vector<ev::Fd> udp_sockets_;
};

}  // namespace slabcached
