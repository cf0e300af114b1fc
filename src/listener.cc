#include "src/listener.h"

#include <glog/logging.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "proto/text_encoder.h"
#include "src/worker_picker.h"

namespace slabcached {

Listener::Listener(event_base* base, const NetConfig& net, const TlsContext* tls,
                   ServerStats* stats, Dispatch dispatch)
    : base_(base), net_(net), tls_(tls), stats_(stats), dispatch_(std::move(dispatch)) {}

namespace {

// memcached raises a UDP socket's send buffer as far as the system lets it
// (maximize_sndbuf): a large reply leaves as a burst of datagrams.
constexpr int kMaxUdpSendBuffer = 256 * 1024 * 1024;

// While accepting is paused: how often to look for a closed connection
// (memcached's maxconns_handler uses 10 ms), and when to try again anyway.
constexpr std::chrono::microseconds kResumePollInterval{10'000};
constexpr std::chrono::seconds kRetryInterval{1};

struct ListenAddress {
  std::string host;  // empty: every interface
  std::string port;
};

// "-l host", "-l host:port", "-l [v6]:port": the port, when given, applies
// to TCP and UDP alike (memcached's server_sockets()).
ListenAddress ParseListenSpec(const std::string& spec, int default_port) {
  ListenAddress address{spec, std::to_string(default_port)};
  std::string& host = address.host;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) throw std::runtime_error("bad -l address: " + spec);
    if (close + 1 < host.size() && host[close + 1] == ':') address.port = host.substr(close + 2);
    host = host.substr(1, close - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    address.port = host.substr(host.find(':') + 1);
    host = host.substr(0, host.find(':'));
  }
  return address;
}

struct AddrinfoDeleter {
  void operator()(addrinfo* results) const { freeaddrinfo(results); }
};
using Addresses = std::unique_ptr<addrinfo, AddrinfoDeleter>;

// The addresses `address` resolves to for binding sockets of `socktype`.
// Throws std::runtime_error when it does not resolve.
Addresses Resolve(const std::string& spec, const ListenAddress& address, int socktype) {
  addrinfo hints{};
  hints.ai_flags = AI_PASSIVE;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* results = nullptr;
  const int rc = getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(),
                             address.port.c_str(), &hints, &results);
  if (rc != 0) {
    throw std::runtime_error("getaddrinfo(" + spec + "): " + gai_strerror(rc));
  }
  return Addresses(results);
}

std::string WithoutNotls(const std::string& spec) {
  return spec.starts_with("notls:") ? spec.substr(6) : spec;
}

// The -l entries to bind: each one, or every interface.
std::vector<std::string> ListenSpecs(const NetConfig& net) {
  std::vector<std::string> specs = net.listen_hosts;
  if (specs.empty()) specs.emplace_back();
  return specs;
}

// Binds a non-blocking socket of `socktype` to every address `spec`
// resolves to. Throws std::runtime_error when none could be bound.
std::vector<ev::Fd> BindAll(const std::string& spec, int default_port, int socktype) {
  const ListenAddress address = ParseListenSpec(spec, default_port);
  const bool tcp = socktype == SOCK_STREAM;
  const Addresses results = Resolve(spec, address, socktype);
  std::vector<ev::Fd> bound;
  std::string last_error;
  for (addrinfo* ai = results.get(); ai != nullptr; ai = ai->ai_next) {
    ev::Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) continue;
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (tcp) {
      setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    } else {
      setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &kMaxUdpSendBuffer, sizeof(kMaxUdpSendBuffer));
    }
    if (ai->ai_family == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    bound.push_back(std::move(fd));
  }
  if (bound.empty()) {
    throw std::runtime_error(
        std::string("failed to listen on ") + (tcp ? "TCP" : "UDP") + " port " + address.port +
        (address.host.empty() ? "" : " of " + address.host) + ": " + last_error);
  }
  return bound;
}

size_t CountAddresses(const std::string& spec, int default_port, int socktype) {
  try {
    const Addresses results = Resolve(spec, ParseListenSpec(spec, default_port), socktype);
    size_t count = 0;
    for (const addrinfo* ai = results.get(); ai != nullptr; ai = ai->ai_next) ++count;
    return count;
  } catch (const std::runtime_error&) {
    return 1;  // Open() reports it
  }
}

}  // namespace

ListenSocketCount CountListenSockets(const NetConfig& net) {
  ListenSocketCount count;
  if (!net.unix_socket.empty()) {
    count.stream = 1;
    return count;
  }
  for (const std::string& spec : ListenSpecs(net)) {
    const std::string address = WithoutNotls(spec);
    if (net.tcp_port != 0) count.stream += CountAddresses(address, net.tcp_port, SOCK_STREAM);
    if (net.udp_port != 0) count.udp += CountAddresses(address, net.udp_port, SOCK_DGRAM);
  }
  return count;
}

void Listener::Open() {
  if (!net_.unix_socket.empty()) {
    OpenUnix();  // like memcached, -s disables the network listeners, UDP included
    return;
  }
  const std::vector<std::string> specs = ListenSpecs(net_);
  if (net_.tcp_port != 0) {
    for (const std::string& spec : specs) OpenTcp(spec);
  }
  if (net_.udp_port != 0) {
    for (const std::string& spec : specs) {
      const std::string address = WithoutNotls(spec);
      for (ev::Fd& fd : BindAll(address, net_.udp_port, SOCK_DGRAM)) {
        VLOG(1) << "listening for UDP on " << (spec.empty() ? "*" : spec);
        udp_sockets_.push_back(std::move(fd));
      }
    }
  }
}

void Listener::OpenTcp(const std::string& spec) {
  // With -Z, "notls:<address>" is a plaintext listener.
  std::string address = spec;
  bool tls = tls_ != nullptr;
  if (address.starts_with("notls:")) {
    address.erase(0, 6);
    tls = false;
  }
  size_t listening = 0;
  for (ev::Fd& fd : BindAll(address, net_.tcp_port, SOCK_STREAM)) {
    // memcached asks the kernel at start rather than find out per connection.
    if (net_.napi_ids != 0 && !NapiIdSupported(fd.get())) {
      throw std::runtime_error("-N <num_napi_ids> option not supported");
    }
    evconnlistener* listener =
        evconnlistener_new(base_, tls ? &Listener::OnAcceptTls : &Listener::OnAccept, this,
                           LEV_OPT_CLOSE_ON_FREE, net_.backlog, fd.get());
    if (listener == nullptr) continue;
    fd.Release();  // the listener owns it now
    AddListener(listener);
    ++listening;
  }
  if (listening == 0) {
    throw std::runtime_error("failed to listen on TCP " + (spec.empty() ? "port" : spec) +
                             ": listen failed");
  }
}

void Listener::OpenUnix() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (net_.unix_socket.size() >= sizeof(address.sun_path)) {
    throw std::runtime_error("UNIX socket path too long: " + net_.unix_socket);
  }
  std::memcpy(address.sun_path, net_.unix_socket.c_str(), net_.unix_socket.size() + 1);
  ev::Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // A stale socket file from an earlier run would make bind fail.
  struct stat st {};
  if (lstat(net_.unix_socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    unlink(net_.unix_socket.c_str());
  }
  const mode_t old_umask = umask(~static_cast<mode_t>(net_.unix_mask) & 0777);
  const int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
  umask(old_umask);
  if (rc != 0) {
    throw std::runtime_error("bind(" + net_.unix_socket + "): " + std::strerror(errno));
  }
  evconnlistener* listener = evconnlistener_new(base_, &Listener::OnAccept, this,
                                                LEV_OPT_CLOSE_ON_FREE, net_.backlog, fd.get());
  if (listener == nullptr) throw std::runtime_error("listen(" + net_.unix_socket + ") failed");
  fd.Release();
  AddListener(listener);
}

void Listener::AddListener(evconnlistener* listener) {
  evconnlistener_set_error_cb(listener, &Listener::OnAcceptError);
  listeners_.emplace_back(listener);
}

void Listener::Close() {
  resume_timer_.reset();
  listeners_.clear();
}

void Listener::OnAccept(evconnlistener*, evutil_socket_t fd, sockaddr* address, int, void* arg) {
  static_cast<Listener*>(arg)->Accept(fd, address->sa_family != AF_UNIX, false);
}

void Listener::OnAcceptTls(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  static_cast<Listener*>(arg)->Accept(fd, true, true);
}

void Listener::OnAcceptError(evconnlistener*, void* arg) {
  // libevent already retried EINTR, EAGAIN and ECONNABORTED.
  static_cast<Listener*>(arg)->Pause(EVUTIL_SOCKET_ERROR());
}

// Any other accept failure (EMFILE, ENFILE, ENOBUFS...) leaves the connection
// in the backlog, so the listening socket stays readable: accepting again at
// once would spin. memcached stops accepting until a connection closes.
void Listener::Pause(int error) {
  if (paused_) return;
  if (!warned_) {  // once until an accept succeeds again: the 1 s retries would repeat it
    LOG(WARNING) << "accept failed: " << std::strerror(error)
                 << "; not accepting new connections until one closes";
    warned_ = true;
  }
  for (ev::Listener& listener : listeners_) evconnlistener_disable(listener.get());
  paused_ = true;
  paused_at_ = std::chrono::steady_clock::now();
  connections_at_pause_ = stats_->curr_connections.load(std::memory_order_relaxed);
  stats_->listen_disabled_num.fetch_add(1, std::memory_order_relaxed);
  stats_->accepting_conns.store(false, std::memory_order_relaxed);
  if (!resume_timer_) {
    resume_timer_.reset(event_new(base_, -1, EV_PERSIST, &Listener::OnResumeTimer, this));
  }
  const timeval interval{0, kResumePollInterval.count()};
  if (!resume_timer_ || event_add(resume_timer_.get(), &interval) != 0) {
    LOG(ERROR) << "could not arm the accept resume timer; accepting again now";
    Resume();
  }
}

void Listener::OnResumeTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Listener*>(arg);
  // New connections only arrive through the listener, so a lower count means one closed.
  const bool closed =
      self->stats_->curr_connections.load(std::memory_order_relaxed) < self->connections_at_pause_;
  // Descriptors may also come free elsewhere (ENFILE, a raised limit): retry now and then.
  const bool retry = std::chrono::steady_clock::now() - self->paused_at_ >= kRetryInterval;
  if (closed || retry) self->Resume();
}

void Listener::Resume() {
  if (!paused_) return;
  if (resume_timer_) event_del(resume_timer_.get());
  for (ev::Listener& listener : listeners_) evconnlistener_enable(listener.get());
  paused_ = false;
  const auto paused_for = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - paused_at_);
  stats_->time_in_listen_disabled_us.fetch_add(paused_for.count(), std::memory_order_relaxed);
  stats_->accepting_conns.store(true, std::memory_order_relaxed);
  VLOG(1) << "accepting new connections again after " << paused_for.count() << " us";
}

void Listener::Accept(evutil_socket_t raw_fd, bool tcp, bool tls) {
  ev::Fd fd(raw_fd);
  warned_ = false;
  stats_->total_connections.fetch_add(1, std::memory_order_relaxed);
  if (stats_->curr_connections.load(std::memory_order_relaxed) >= net_.max_conns) {
    // memcached's maxconns_fast: tell the client why, then hang up.
    stats_->rejected_connections.fetch_add(1, std::memory_order_relaxed);
    const std::string_view reply = proto::kTooManyConnections;
    if (send(fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      VLOG(1) << "could not tell a rejected client why: " << std::strerror(errno);
    }
    return;
  }
  // Counted here, before the hand-off, so a burst of accepts cannot overshoot -c;
  // the Connection releases it.
  stats_->curr_connections.fetch_add(1, std::memory_order_relaxed);
  if (tcp) {
    const int on = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  dispatch_(std::move(fd), tls);
}

std::vector<int> Listener::ListeningFds() const {
  std::vector<int> fds;
  for (const ev::Listener& listener : listeners_) {
    fds.push_back(evconnlistener_get_fd(listener.get()));
  }
  return fds;
}

}  // namespace slabcached
