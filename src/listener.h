// Accepts connections on the main event loop (TCP on each -l address, or a
// UNIX socket with -s), enforces -c, and hands sockets to workers round-robin.
// With -U it also binds the UDP sockets, which the workers serve themselves.
// With -Z, TCP listeners speak TLS, but those given as "-l notls:<addr>".
// When accept fails for want of descriptors (EMFILE/ENFILE) it stops
// accepting for a while instead of spinning (memcached's accept_new_conns).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/ev.h"
#include "src/server_config.h"
#include "src/stats.h"

namespace slabcached {

class TlsContext;  // src/tls.h

// How many sockets Listener::Open() binds for `net`, resolving each -l
// address as it will: TCP (or UNIX) listeners, and UDP sockets before the
// workers' own descriptors of them.
struct ListenSocketCount {
  size_t stream = 0;
  size_t udp = 0;
};
ListenSocketCount CountListenSockets(const NetConfig& net);

class Listener {
 public:
  // Receives each accepted socket that is within the connection limit, and
  // whether it came in on a TLS listener.
  using Dispatch = std::function<void(ev::Fd fd, bool tls)>;

  // `tls`: -Z's context (owned by the server), or null: TCP listeners but
  // "notls:" ones hand their sockets on as TLS.
  Listener(event_base* base, const NetConfig& net, const TlsContext* tls, ServerStats* stats,
           Dispatch dispatch);

  // Binds every configured address. Throws std::runtime_error with a
  // readable message when an address cannot be bound.
  void Open();
  // Stops accepting (closes the listening sockets).
  void Close();
  // The UDP sockets Open() bound (-U), for the workers to serve.
  std::vector<ev::Fd> TakeUdpSockets() { return std::move(udp_sockets_); }
  // The listening TCP and UNIX sockets (stats conns lists them).
  std::vector<int> ListeningFds() const;

 private:
  static void OnAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr* address, int length,
                       void* arg);
  static void OnAcceptTls(evconnlistener* listener, evutil_socket_t fd, sockaddr* address,
                          int length, void* arg);
  static void OnAcceptError(evconnlistener* listener, void* arg);
  static void OnResumeTimer(evutil_socket_t, short, void* arg);
  void Accept(evutil_socket_t fd, bool tcp, bool tls);
  void Pause(int error);
  void Resume();
  void AddListener(evconnlistener* listener);
  void OpenTcp(const std::string& host);
  void OpenUnix();

  event_base* base_;
  const NetConfig& net_;
  const TlsContext* tls_;
  ServerStats* stats_;
  Dispatch dispatch_;
  std::vector<ev::Listener> listeners_;
  std::vector<ev::Fd> udp_sockets_;
  // While paused: polls for a closed connection (memcached's maxconns_handler).
  ev::Event resume_timer_;
  bool paused_ = false;
  bool warned_ = false;  // logged a pause since the last successful accept
  uint64_t connections_at_pause_ = 0;
  std::chrono::steady_clock::time_point paused_at_;
};

}  // namespace slabcached
