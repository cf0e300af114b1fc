// Black-box test harness: starts a memcached-compatible server on a free loopback port
// (memcached's t/lib/MemcachedTest.pm new_memcached()), talks to it over a raw TCP socket,
// and runs every test against both the daemon under test and the reference server.
//
//   SLABCACHED_BIN=path    the daemon under test (tests for it are skipped when unset/missing)
//   MEMCACHED_BIN=path     the reference server, Debian's memcached (same rule)
//   SLABCACHED_DEBUG_BIN=path
//                          slabcached-debug, the daemon under test built with memcached's
//                          test-build "debugtime" command; tests that move the server's clock
//                          (ServerTest::UsesTestClock) run it instead (same rule)
//   SLABCACHED_TEST_ADDR=host:port
//                          reuse an already running slabcached (e.g. under gdb) instead of
//                          spawning one; tests that need their own flags are then skipped.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace slabcached::testing {

using std::chrono::milliseconds;

inline constexpr milliseconds kStartTimeout{5000};
inline constexpr milliseconds kStopTimeout{5000};
inline constexpr milliseconds kIoTimeout{5000};

enum class Server { kSlabcached, kMemcached };

// "slabcached" or "memcached": the suffix of every parameterized test name.
std::string ServerName(Server server);
// The environment variable naming the server's binary; `test_clock`: slabcached's build with
// "debugtime" (memcached has one binary).
const char* ServerEnvVar(Server server, bool test_clock = false);
// The binary to run for `server`, or nullopt with `why` saying which variable is unset or
// which file is missing.
std::optional<std::string> FindServerBinary(Server server, std::string* why,
                                            bool test_clock = false);
// For tests that start their own slabcached daemons: its binary, or nullopt
// with `why` when it is not built or SLABCACHED_TEST_ADDR points the tests at
// a running server instead.
std::optional<std::string> OwnSlabcachedBinary(std::string* why);
// How gtest prints a Server value in failure messages.
void PrintTo(Server server, std::ostream* os);
// gtest name printer for TestWithParam<Server>.
std::string ServerParamName(const ::testing::TestParamInfo<Server>& info);

// Flags every test server gets unless a test overrides them: no UDP, 2 worker threads, 64 MB,
// 1024 connections. "-p PORT -l 127.0.0.1" (and "-u nobody" when running as root) are added by
// Daemon::Start.
std::vector<std::string> DefaultFlags();

// What a process that was run to completion did.
struct ExitResult {
  bool exited = false;  // false: still running at the deadline (then it was killed)
  int wait_status = 0;  // as returned by waitpid()
  std::string output;   // its stdout and stderr
  std::string Describe() const;
};

// Limits a spawned process starts under, set in the child before exec.
struct ChildLimits {
  // RLIMIT_NOFILE as {soft, hard}; unset: the test's own.
  std::optional<rlimit> open_files;
};

// Runs `binary args...` with stdin from /dev/null and waits at most `timeout` for it to exit.
ExitResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                     milliseconds timeout = kStartTimeout, const ChildLimits& limits = {});

// A loopback port that was free for TCP and UDP a moment ago (the socket is closed again, so
// another process may take it first), or -1.
int PickFreePort();

// How Daemon::Start tells a server its port, and how it knows the server is up.
struct PortSetup {
  // Flags placed before the caller's; "{port}" (here or in the caller's flags) becomes the port
  // Start picked, which is free for both TCP and UDP on loopback.
  std::vector<std::string> flags = {"-p", "{port}"};
  // kTcp: the server accepts a TCP connection on the port. kUdp: it answers a framed UDP
  // "version" request on the port (servers started with -p 0 -U {port}).
  enum class Probe { kTcp, kUdp };
  Probe probe = Probe::kTcp;
};

// One server process, owned by the test (RAII). The destructor sends SIGTERM to its PID, waits
// (bounded), then SIGKILLs it. Nothing else is ever signalled. The child also gets
// PR_SET_PDEATHSIG, so a crashed test binary does not leave servers behind.
class Daemon {
 public:
  // Starts `binary -p <free port> -l 127.0.0.1 [-u nobody] flags...` and waits (bounded by
  // kStartTimeout) until it accepts a connection. Retries on another port if the process exits
  // early (a port race); on failure returns nullptr with `error` holding its output.
  // `ports` replaces "-p <free port>" and the readiness check (see PortSetup); `limits` are
  // set in the child before exec.
  static std::unique_ptr<Daemon> Start(const std::string& binary,
                                       const std::vector<std::string>& flags, std::string* error,
                                       const PortSetup& ports = {}, const ChildLimits& limits = {});
  // A server somebody else runs (SLABCACHED_TEST_ADDR). It is never signalled.
  static std::unique_ptr<Daemon> Attach(std::string host, int port);

  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 when attached
  bool attached() const { return pid_ < 0; }

  // Waits up to `timeout` for the process to exit by itself (e.g. after "shutdown").
  // Returns true and sets `wait_status` if it did.
  bool WaitForExit(milliseconds timeout, int* wait_status);
  // Everything the process wrote to stdout and stderr so far.
  std::string Output() const;

 private:
  Daemon(std::string host, int port, pid_t pid, int output_fd);
  void Stop();

  std::string host_;
  int port_;
  pid_t pid_;      // -1: attached, or already reaped
  int output_fd_;  // unlinked temp file holding the child's stdout+stderr, or -1
  bool reaped_ = false;
};

// A small blocking client over one TCP connection. Sends use SO_SNDTIMEO and MSG_NOSIGNAL;
// reads are bounded by poll() deadlines, so a silent server fails a test instead of hanging it.
class Client {
 public:
  // Connects to host:port; nullptr with `error` set on failure.
  static std::unique_ptr<Client> Connect(const std::string& host, int port, std::string* error);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends all of `bytes`. False if the peer is gone or the send timed out.
  bool Send(std::string_view bytes);
  // The next line including its "\n" terminator, or whatever arrived before the deadline/EOF.
  std::string ReadLine(milliseconds timeout = kIoTimeout);
  // Exactly `n` bytes, or fewer if the deadline passed or the peer closed.
  std::string ReadExactly(size_t n, milliseconds timeout = kIoTimeout);
  // Lines up to and including "END\r\n" (a get/stats reply); values must not contain "\n".
  std::string ReadUntilEnd(milliseconds timeout = kIoTimeout);
  // True if some bytes arrive within `timeout` (they stay buffered for the next read).
  bool WaitReadable(milliseconds timeout);

  // Sends `request` and checks that the reply is exactly `expected`. Reading stops at the
  // first differing byte, so a wrong reply fails fast and shows the whole line.
  ::testing::AssertionResult Roundtrip(std::string_view request, std::string_view expected);
  // Sends `request` and checks that the first reply line starts with `prefix`.
  ::testing::AssertionResult RoundtripPrefix(std::string_view request, std::string_view prefix);
  // Checks that the peer closes the connection within `timeout` (read returns 0 or the
  // connection is reset), with no further bytes before that.
  ::testing::AssertionResult ExpectClosed(milliseconds timeout = kIoTimeout);
  // Checks that nothing at all arrives within `timeout` (for noreply).
  ::testing::AssertionResult ExpectSilence(milliseconds timeout);

  // "stats [group]" as name → value ("STAT <name> <value>" lines up to "END").
  std::map<std::string, std::string> Stats(std::string_view group = "");

  int fd() const { return fd_; }

 private:
  explicit Client(int fd) : fd_(fd) {}
  // Appends at least one byte to buffer_ unless the deadline passes or the peer closes.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_;
  std::string buffer_;
  bool eof_ = false;
  bool reset_ = false;
};

// Polls `stat` of "stats" over `client` until `done` accepts it or `timeout` passes.
template <typename Done>
std::string PollStat(Client& client, const std::string& stat, Done done,
                     milliseconds timeout = milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string value;
  while (std::chrono::steady_clock::now() < deadline) {
    value = client.Stats()[stat];
    if (done(value)) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return value;
}

// Shows bytes with \r, \n and non-printables escaped, truncated for long values.
std::string Escape(std::string_view bytes, size_t max_len = 300);

// "<cmd> <key> <flags> <exptime> <len>[ noreply]\r\n<value>\r\n"
std::string StorageCommand(std::string_view cmd, std::string_view key, std::string_view value,
                           uint32_t flags = 0, int64_t exptime = 0, bool noreply = false);
// "VALUE <key> <flags> <len>\r\n<value>\r\n" (one hit of a get reply).
std::string ValueReply(std::string_view key, std::string_view value, uint64_t flags = 0);

// Parametrized over both servers. SetUp() skips (GTEST_SKIP, with a message) when the
// parameter's binary is unavailable, otherwise starts one server with DefaultFlags() (or
// attaches to SLABCACHED_TEST_ADDR) and opens client().
class ServerTest : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Daemon& daemon() { return *daemon_; }
  Client& client() { return *client_; }
  const std::string& binary() const { return binary_; }
  bool IsReference() const { return GetParam() == Server::kMemcached; }
  // What "version" answers: Debian's 1.6.18, or slabcached's, which is the
  // memcached whose behaviour it follows (1.6.45, issue #12).
  std::string MemcachedVersion() const { return IsReference() ? "1.6.18" : "1.6.45"; }

  // Starts another server of this parameter with `flags` in place of DefaultFlags().
  // Fails the test (nullptr) if it does not come up. When attached to SLABCACHED_TEST_ADDR it
  // returns nullptr and the caller must GTEST_SKIP (see SKIP_IF_ATTACHED).
  std::unique_ptr<Daemon> StartDaemon(const std::vector<std::string>& flags,
                                      const PortSetup& ports = {});
  // A new connection to `d` (default: daemon()); fails the test and returns nullptr on error.
  std::unique_ptr<Client> Connect(const Daemon* d = nullptr);
  bool attached() const { return daemon_ && daemon_->attached(); }

  // Fixtures whose tests call AdvanceClock() return true: their slabcached servers are then
  // SLABCACHED_DEBUG_BIN (the tests are skipped when it is unavailable).
  virtual bool UsesTestClock() const { return false; }
  // Lets `seconds` pass on the server's clock (default: daemon()'s): slabcached-debug is told
  // "debugtime <seconds>" on a new text connection; memcached 1.6.18 has no such command, so
  // for the reference server this waits in real time, long enough for its once-a-second clock
  // to move `seconds` ticks.
  ::testing::AssertionResult AdvanceClock(int seconds, const Daemon* d = nullptr);

 private:
  std::string binary_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

// Tests that start their own server or stop it cannot run against SLABCACHED_TEST_ADDR.
#define SKIP_IF_ATTACHED()                                                 \
  do {                                                                     \
    if (attached()) {                                                      \
      GTEST_SKIP() << "needs its own server; SLABCACHED_TEST_ADDR is set"; \
    }                                                                      \
  } while (0)

}  // namespace slabcached::testing
