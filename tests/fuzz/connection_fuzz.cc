// libFuzzer target for a whole connection: parser, -Y ascii auth, -S SASL,
// executor, store and responder, behind a real slabcached::Connection on a
// real event_base. Build and run: scripts/fuzz (FUZZ_TARGETS=connection).
//
// Input layout (see tests/fuzz/corpus/connection/):
//   byte 0      mode: bits 0-1 pick the daemon (0 text -B ascii, 1 binary
//               -B binary, 2 -Y ascii auth, 3 -S SASL); bit 2 -B auto for
//               modes 0 and 1; bit 3 advances the clock by 3 s first; bit 4
//               half-closes the client side after the last piece
//   byte 1      n = byte % 16 piece lengths follow
//   n bytes     piece lengths (each byte + 1), used in turn; n == 0 sends the
//               rest at once
//   the rest    the bytes the client sends
// One store lives across inputs (cross-request state bugs); each input gets
// its own connection over a socketpair, destroyed at the end of the input.
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "slabs/clock.h"
#include "slabs/store.h"
#include "src/connection.h"
#include "src/ev.h"
#include "src/executor.h"
#include "src/server_config.h"
#include "src/services.h"
#include "src/stats.h"
#include "src/transport.h"

namespace slabcached {
namespace {

constexpr int kModes = 4;  // text, binary, ascii auth, SASL

class FakeControl final : public ServerControl {
 public:
  void RequestShutdown(bool) override {}  // "shutdown" must not end the fuzzer
  int verbosity() const override { return verbosity_; }
  void SetVerbosity(int level) override { verbosity_ = level; }

 private:
  int verbosity_ = 0;
};

// Everything a worker would share across its connections, built once.
struct Daemon {
  Daemon();

  slabs::Clock clock{time(nullptr)};
  std::unique_ptr<slabs::Store> store;
  ServerStats stats{kModes, clock.UnixNow()};
  FakeControl control;
  ev::Base base{event_base_new()};
  // One config, set of services and executor per mode: the executor reads
  // -S from its config and the users from its services.
  std::array<ServerConfig, kModes> configs;
  std::array<Services, kModes> services;
  std::array<NetConfig, kModes> auto_nets;  // the same with -B auto
  std::array<std::unique_ptr<Executor>, kModes> executors;
};

// The -Y file, written once: the fuzzer may guess "fuzz pass".
std::unique_ptr<PasswordFile> MakePasswordFile() {
  char path[] = "/tmp/slabcached-fuzz-auth.XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) std::abort();
  close(fd);
  std::ofstream(path) << "fuzz:pass\nuser:secret\n";
  auto file = std::make_unique<PasswordFile>(path);
  std::string error;
  if (!file->Load(&error)) std::abort();
  unlink(path);  // the users stay loaded
  return file;
}

Daemon::Daemon() {
  signal(SIGPIPE, SIG_IGN);
  slabs::StoreConfig store_config;
  store_config.max_bytes = 8 * 1024 * 1024;  // small: evictions and out-of-memory are reachable
  store_config.background_threads = false;   // deterministic: no maintainer, mover or expansion
  store_config.hash_expand = false;
  store = std::make_unique<slabs::Store>(store_config, &clock);
  for (int mode = 0; mode < kModes; ++mode) {
    ServerConfig& config = configs[mode];
    config.store = store_config;
    config.num_threads = 1;
    NetConfig& net = config.net;
    net.protocol = mode == 1 || mode == 3 ? BindingProtocol::kBinary : BindingProtocol::kAscii;
    if (mode == 2) {
      net.protocol = BindingProtocol::kAuto;
      services[mode].ascii_auth = MakePasswordFile();
    }
    if (mode == 3) {
      net.sasl = true;
      services[mode].sasl_users = {{"fuzz", "pass"}, {"user", "secret"}};
    }
    auto_nets[mode] = net;
    auto_nets[mode].protocol = BindingProtocol::kAuto;
    const ExecutorContext context{.config = config,
                                  .services = services[mode],
                                  .store = *store,
                                  .clock = clock,
                                  .server_stats = stats,
                                  .control = control};
    executors[mode] = std::make_unique<Executor>(context, stats.worker(mode));
  }
}

Daemon& TheDaemon() {
  static Daemon daemon;
  return daemon;
}

// Owns the connection of one input, as a worker does.
class Owner final : public ConnectionOwner {
 public:
  void Release(Connection* connection) override {
    if (connection == connection_.get()) connection_.reset();
  }
  ReadBuffers& read_buffers() override { return buffers_; }
  ReadBuffers buffers_{&TheDaemon().stats, 2};  // before connection_, which gives back to it
  std::unique_ptr<Connection> connection_;
};

// The one place that builds a connection the way Worker::DrainInbox() does;
// adapt here when the constructor changes.
std::unique_ptr<Connection> NewConnection(Daemon& daemon, int mode, bool auto_protocol, ev::Fd fd,
                                          ConnectionOwner* owner) {
  const NetConfig& net = auto_protocol ? daemon.auto_nets[mode] : daemon.configs[mode].net;
  daemon.stats.curr_connections.fetch_add(1, std::memory_order_relaxed);  // the listener's count
  auto transport = std::make_unique<SocketTransport>(fd.get());
  auto connection = std::make_unique<Connection>(
      daemon.base.get(), std::move(fd), std::move(transport), daemon.executors[mode].get(), owner,
      net, daemon.services[mode].ascii_auth.get(), &daemon.stats);
  if (!connection->Start()) std::abort();
  return connection;
}

// Reads and drops whatever the daemon sent; returns the byte count.
size_t Drain(int peer) {
  static std::array<char, 65536> sink;
  size_t total = 0;
  while (true) {
    const ssize_t n = read(peer, sink.data(), sink.size());
    if (n <= 0) return total;
    total += static_cast<size_t>(n);
  }
}

// Runs the event loop until the connection has nothing left to do: no reply
// bytes came out, no event is active and it left no input unread.
void Pump(Daemon& daemon, Owner& owner, int conn_fd, int peer) {
  for (int round = 0; round < 10000; ++round) {
    event_base_loop(daemon.base.get(), EVLOOP_NONBLOCK);
    const size_t drained = Drain(peer);
    if (owner.connection_ == nullptr) return;  // released: conn_fd is closed
    int unread = 0;
    if (ioctl(conn_fd, FIONREAD, &unread) != 0) unread = 0;
    const int active = event_base_get_num_events(daemon.base.get(), EVENT_BASE_COUNT_ACTIVE);
    if (drained == 0 && active == 0 && unread == 0) return;
  }
}

// Sends `bytes` to the connection, pumping while the socket is full.
void Send(Daemon& daemon, Owner& owner, int conn_fd, int peer, std::string_view bytes) {
  // A connection that stopped reading would otherwise keep us here forever.
  for (int stuck = 0; !bytes.empty() && owner.connection_ != nullptr && stuck < 100;) {
    const ssize_t n = send(peer, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return;
    if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
    stuck = n > 0 ? 0 : stuck + 1;
    Pump(daemon, owner, conn_fd, peer);
  }
}

}  // namespace
}  // namespace slabcached

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slabcached;
  if (size < 2) return 0;
  Daemon& daemon = TheDaemon();
  const uint8_t mode_byte = data[0];
  const int mode = mode_byte & 3;
  const size_t cuts = std::min<size_t>(data[1] % 16, size - 2);
  const uint8_t* lengths = data + 2;
  std::string_view input(reinterpret_cast<const char*>(data + 2 + cuts), size - 2 - cuts);
  if ((mode_byte & 8) != 0) daemon.clock.Advance(3);

  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  const int conn_fd = fds[0];
  const int peer = fds[1];
  Owner owner;
  owner.connection_ =
      NewConnection(daemon, mode, (mode_byte & 4) != 0 && mode < 2, ev::Fd(conn_fd), &owner);

  for (size_t piece = 0; !input.empty() && owner.connection_ != nullptr; ++piece) {
    const size_t n =
        cuts == 0 ? input.size() : std::min<size_t>(lengths[piece % cuts] + 1u, input.size());
    Send(daemon, owner, conn_fd, peer, input.substr(0, n));
    input.remove_prefix(n);
    if (owner.connection_ != nullptr) Pump(daemon, owner, conn_fd, peer);
  }
  if ((mode_byte & 16) != 0 && owner.connection_ != nullptr) {
    shutdown(peer, SHUT_WR);
    Pump(daemon, owner, conn_fd, peer);
  }
  owner.connection_.reset();  // closes conn_fd
  close(peer);
  return 0;
}
