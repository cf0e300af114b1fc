// How the server behaves as a process, as a service manager sees it:
// daemonizing with a pid file, UNIX sockets with their access mask, and a
// clean exit on SIGTERM with the replies already queued still delivered,
// files named by options read before root is dropped.
// memcached's t/daemonize.t, t/unixsocket.t and t/shutdown.t topics, and -s with -U.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using std::chrono::milliseconds;

// A fresh directory the server can write to after it drops to "nobody".
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/slabcached-process-test.XXXXXX";
    path_ = ::mkdtemp(pattern) != nullptr ? pattern : "";
    if (!path_.empty()) ::chmod(path_.c_str(), 0777);
  }
  ~ScratchDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> UserFlags() {
  if (::geteuid() == 0) return {"-u", "nobody"};
  return {};
}

// Waits until `path` exists and holds a pid, bounded.
pid_t ReadPidFile(const std::string& path, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
    std::this_thread::sleep_for(milliseconds(10));
  }
  return -1;
}

// True once `pid` is gone (or a zombie nobody reaps), bounded.
bool WaitGone(pid_t pid, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string skip, state;
    if (!stat || !(stat >> skip >> skip >> state) || state == "Z") return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

// A blocking AF_UNIX connection, or -1.
int ConnectUnix(const std::string& path, milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) return fd;
    ::close(fd);
    std::this_thread::sleep_for(milliseconds(10));
  }
  return -1;
}

std::string Exchange(int fd, std::string_view request, size_t want_bytes) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "send failed";
  std::string reply;
  char buffer[4096];
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  while (reply.size() < want_bytes) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  return reply;
}

// Runs `binary args...` (which hold -d -P pid_path) and waits for the detached daemon's pid.
::testing::AssertionResult Daemonize(const std::string& binary,
                                     const std::vector<std::string>& args,
                                     const std::string& pid_path, pid_t* pid) {
  // The parent returns once the daemon has detached.
  const ExitResult parent = RunToExit(binary, args);
  if (!parent.exited || !WIFEXITED(parent.wait_status) || WEXITSTATUS(parent.wait_status) != 0) {
    return ::testing::AssertionFailure() << parent.Describe();
  }
  *pid = ReadPidFile(pid_path, milliseconds(5000));
  if (*pid <= 0) return ::testing::AssertionFailure() << "no pid file at " << pid_path;
  return ::testing::AssertionSuccess();
}

class ProcessTest : public ServerTest {};
// Tests that let time pass on the server's clock (AdvanceClock).
class ProcessClockTest : public ProcessTest {
 protected:
  bool UsesTestClock() const override { return true; }
};

TEST_P(ProcessTest, DaemonizeWritesPidFileAndServes) {
  SKIP_IF_ATTACHED();
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string socket_path = dir.path() + "/mc.sock";
  const std::string pid_path = dir.path() + "/mc.pid";
  std::vector<std::string> args = {"-d", "-P", pid_path, "-s", socket_path, "-U", "0", "-t", "2"};
  for (const auto& flag : UserFlags()) args.push_back(flag);
  pid_t pid = -1;
  ASSERT_TRUE(Daemonize(binary(), args, pid_path, &pid));
  ASSERT_NE(pid, ::getpid());

  const int fd = ConnectUnix(socket_path, milliseconds(5000));
  EXPECT_GE(fd, 0) << "no UNIX socket at " << socket_path;
  if (fd >= 0) {
    const std::string expected = "STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n";
    EXPECT_EQ(Exchange(fd, "set k 0 0 1\r\nv\r\nget k\r\n", expected.size()), expected);
    ::close(fd);
  }
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_TRUE(WaitGone(pid, milliseconds(5000))) << "the daemon ignored SIGTERM";
}

TEST_P(ProcessTest, UnixSocketHonoursAccessMask) {
  SKIP_IF_ATTACHED();
  ScratchDir dir;
  const std::string socket_path = dir.path() + "/mc.sock";
  const std::string pid_path = dir.path() + "/mc.pid";
  std::vector<std::string> args = {"-d", "-P", pid_path, "-s", socket_path, "-a", "0770"};
  for (const auto& flag : UserFlags()) args.push_back(flag);
  const ExitResult parent = RunToExit(binary(), args);
  ASSERT_TRUE(parent.exited && WIFEXITED(parent.wait_status)) << parent.Describe();
  const pid_t pid = ReadPidFile(pid_path, milliseconds(5000));
  ASSERT_GT(pid, 0);
  const int fd = ConnectUnix(socket_path, milliseconds(5000));
  struct stat st {};
  EXPECT_EQ(::stat(socket_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0770u);
  if (fd >= 0) ::close(fd);
  ::kill(pid, SIGTERM);
  EXPECT_TRUE(WaitGone(pid, milliseconds(5000)));
}

TEST_P(ProcessTest, UnixSocketDisablesUdp) {
  // memcached: -s turns every network socket off, -U's included; "stats settings" still
  // shows the UDP port (and, with no -p, the same TCP port).
  SKIP_IF_ATTACHED();
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string socket_path = dir.path() + "/mc.sock";
  const std::string pid_path = dir.path() + "/mc.pid";
  const int port = PickFreePort();
  ASSERT_GT(port, 0);
  const std::string port_text = std::to_string(port);
  std::vector<std::string> args = {"-d", "-P",      pid_path, "-s", socket_path,
                                   "-U", port_text, "-t",     "2"};
  for (const auto& flag : UserFlags()) args.push_back(flag);
  pid_t pid = -1;
  ASSERT_TRUE(Daemonize(binary(), args, pid_path, &pid));

  const int fd = ConnectUnix(socket_path, milliseconds(5000));
  EXPECT_GE(fd, 0) << "no UNIX socket at " << socket_path;
  if (fd >= 0) {
    std::string reply = Exchange(fd, "stats settings\r\n", 1);
    char buffer[8192];
    while (!reply.ends_with("END\r\n")) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<size_t>(n));
    }
    EXPECT_NE(reply.find("STAT udpport " + port_text + "\r\n"), std::string::npos) << reply;
    EXPECT_NE(reply.find("STAT tcpport " + port_text + "\r\n"), std::string::npos) << reply;
    ::close(fd);
  }
  // Nothing answers on the UDP port.
  const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const std::string request("\0\1\0\0\0\1\0\0version\r\n", 17);
  EXPECT_EQ(::sendto(udp, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&address),
                     sizeof(address)),
            static_cast<ssize_t>(request.size()));
  pollfd pfd{udp, POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 300), 0) << "something answered UDP on port " << port;
  ::close(udp);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_TRUE(WaitGone(pid, milliseconds(5000))) << "the daemon ignored SIGTERM";
}

TEST_P(ProcessTest, SigtermExitsZeroAfterDeliveringQueuedReplies) {
  SKIP_IF_ATTACHED();
  std::unique_ptr<Daemon> d = StartDaemon(DefaultFlags());
  ASSERT_NE(d, nullptr);
  std::unique_ptr<Client> c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  const std::string value(512 * 1024, 'x');
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  // A reply large enough to be in flight when the signal lands.
  ASSERT_TRUE(c->Send("get big\r\n"));
  ASSERT_TRUE(c->WaitReadable(milliseconds(5000)));
  ASSERT_EQ(::kill(d->pid(), SIGTERM), 0);
  EXPECT_EQ(c->ReadExactly(ValueReply("big", value).size() + 5, milliseconds(5000)),
            ValueReply("big", value) + "END\r\n");
  int status = 0;
  ASSERT_TRUE(d->WaitForExit(milliseconds(5000), &status)) << "still running after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
}

TEST_P(ProcessClockTest, IdleTimeoutClosesIdleConnectionsOnly) {
  SKIP_IF_ATTACHED();
  // The reference has no debugtime: it gets a short timeout and real time (below).
  std::vector<std::string> flags = DefaultFlags();
  flags.insert(flags.end(), {"-o", IsReference() ? "idle_timeout=1" : "idle_timeout=10"});
  std::unique_ptr<Daemon> d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  std::unique_ptr<Client> idle = Connect(d.get());
  std::unique_ptr<Client> busy = Connect(d.get());
  ASSERT_TRUE(idle && busy);
  ASSERT_TRUE(idle->RoundtripPrefix("version\r\n", "VERSION "));
  ASSERT_TRUE(busy->RoundtripPrefix("version\r\n", "VERSION "));
  if (IsReference()) {
    // Real wait, memcached only: keep one connection busy for ~4 s while the other is silent.
    for (int i = 0; i < 16; ++i) {
      ASSERT_TRUE(busy->RoundtripPrefix("version\r\n", "VERSION "));
      std::this_thread::sleep_for(milliseconds(250));
    }
  } else {
    // 12 s pass on the server's clock; the busy connection speaks after 8 of them. The
    // margins leave room for a real tick or two meanwhile.
    ASSERT_TRUE(AdvanceClock(8, d.get()));
    ASSERT_TRUE(busy->RoundtripPrefix("version\r\n", "VERSION "));
    ASSERT_TRUE(AdvanceClock(4, d.get()));
  }
  // The idle sweep runs once a (real) second.
  EXPECT_TRUE(idle->ExpectClosed(milliseconds(3000)));
  EXPECT_TRUE(busy->RoundtripPrefix("version\r\n", "VERSION "));
  EXPECT_GE(std::stoul(busy->Stats()["idle_kicks"]), 1u);
}

// Every -l adds to the listener list (one already listed is skipped), as
// memcached does; "stats settings" shows the list.
TEST_P(ProcessTest, EveryListenFlagAddsListeners) {
  SKIP_IF_ATTACHED();
  const int second = PickFreePort();
  ASSERT_GT(second, 0);
  const std::string extra = "127.0.0.1:" + std::to_string(second);
  std::vector<std::string> flags = DefaultFlags();
  flags.insert(flags.end(), {"-l", extra, "-l", "127.0.0.1"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  // The start-up probe saw the first listener; the second may be a moment behind it
  // (seen once under ASan on a loaded machine), so ask for up to 5 s.
  std::string error;
  std::unique_ptr<Client> c;
  for (int i = 0; i < 500 && (c = Client::Connect("127.0.0.1", second, &error)) == nullptr; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_NE(c, nullptr) << error;
  EXPECT_EQ(c->Stats("settings")["inter"], "127.0.0.1," + extra);
}

// The files the options name are read before the daemon drops root for -u,
// so a -Y password file only root can read still loads (src/services.h).
TEST_P(ProcessTest, AnAuthFileOnlyRootCanReadLoadsBeforeDroppingRoot) {
  SKIP_IF_ATTACHED();
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to drop it with -u nobody";
  if (IsReference()) GTEST_SKIP() << "memcached reads the -Y file as -u's user: it exits";
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string auth_file = dir.path() + "/users";
  std::ofstream(auth_file) << "alice:s3cret\n";
  ASSERT_EQ(::chmod(auth_file.c_str(), 0600), 0);
  std::vector<std::string> flags = DefaultFlags();
  flags.insert(flags.end(), {"-Y", auth_file});
  std::unique_ptr<Daemon> d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  std::unique_ptr<Client> c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip("set auth 0 0 12\r\nalice s3cret\r\n", "STORED\r\n"));
  EXPECT_TRUE(c->RoundtripPrefix("version\r\n", "VERSION "));
}

INSTANTIATE_TEST_SUITE_P(Process, ProcessTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);
INSTANTIATE_TEST_SUITE_P(Process, ProcessClockTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
