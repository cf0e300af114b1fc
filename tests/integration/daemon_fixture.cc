#include "tests/integration/daemon_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

namespace slabcached::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kStartAttempts = 3;

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Binds `port` (0: any) on loopback with a socket of `type`; returns the port bound, or -1.
int BindLoopback(int type, int port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  int bound = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

// True if `fd` was connected to its own address. With nothing bound to a loopback port, the
// kernel can hand that very port to a connecting socket as its ephemeral one; TCP then completes
// a simultaneous open with itself and UDP hears its own datagrams, so a start-up probe would take
// a server that is not there yet for one that answers (seen about once in 30 UDP starts).
bool IsSelfConnected(int fd) {
  sockaddr_in local{};
  sockaddr_in peer{};
  socklen_t local_len = sizeof(local);
  socklen_t peer_len = sizeof(peer);
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0 &&
         ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0 &&
         local.sin_family == AF_INET && peer.sin_family == AF_INET &&
         local.sin_port == peer.sin_port && local.sin_addr.s_addr == peer.sin_addr.s_addr;
}

// True if a framed UDP "version" request to 127.0.0.1:port gets a reply within `timeout`.
bool AnswersUdp(int port, milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  static constexpr char kRequest[] = "\0\1\0\0\0\1\0\0version\r\n";
  bool answered = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      !IsSelfConnected(fd) && ::send(fd, kRequest, sizeof(kRequest) - 1, 0) > 0) {
    pollfd pfd{fd, POLLIN, 0};
    char buf[2048];
    constexpr std::string_view kReply = "VERSION ";  // after the 8-byte frame header
    ssize_t n = 0;
    answered = ::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1 &&
               (n = ::recv(fd, buf, sizeof(buf), 0)) >= static_cast<ssize_t>(8 + kReply.size()) &&
               std::string_view(buf + 8, kReply.size()) == kReply;
  }
  ::close(fd);
  return answered;
}

// `flags` with every "{port}" replaced by `port`.
std::vector<std::string> WithPort(const std::vector<std::string>& flags, int port) {
  std::vector<std::string> out = flags;
  for (std::string& flag : out) {
    for (size_t at; (at = flag.find("{port}")) != std::string::npos;) {
      flag.replace(at, 6, std::to_string(port));
    }
  }
  return out;
}

// A connected blocking socket with send/receive timeouts, or -1 (errno set).
int ConnectTcp(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    errno = EINVAL;
    return -1;
  }
  timeval tv{};
  tv.tv_sec = kIoTimeout.count() / 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  if (IsSelfConnected(fd)) {  // nobody listens: as if refused
    ::close(fd);
    errno = ECONNREFUSED;
    return -1;
  }
  return fd;
}

// An unlinked temp file for a child's output (read back with pread).
int MakeOutputFile() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/slabcached-test-XXXXXX";
  int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(path.c_str());
  return fd;
}

std::string ReadWholeFile(int fd) {
  std::string out;
  if (fd < 0) return out;
  char buf[4096];
  off_t off = 0;
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof(buf), off)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

// fork + exec with stdin=/dev/null and stdout/stderr into output_fd, under `limits`. Returns
// the PID, or -1 with `error` set (including exec failures, reported through a close-on-exec
// pipe).
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args, int output_fd,
            std::string* error, const ChildLimits& limits) {
  std::vector<std::string> storage;
  storage.push_back(binary);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    *error = ErrnoText("pipe2");
    return -1;
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = ErrnoText("fork");
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    if (devnull >= 0) ::close(devnull);
    return -1;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    if (limits.open_files && ::setrlimit(RLIMIT_NOFILE, &*limits.open_files) != 0) {
      int err = errno;
      ssize_t ignored = ::write(status_pipe[1], &err, sizeof(err));
      (void)ignored;
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    int err = errno;
    ssize_t ignored = ::write(status_pipe[1], &err, sizeof(err));
    (void)ignored;
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  if (devnull >= 0) ::close(devnull);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(status_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (n == sizeof(child_errno)) {
    ::waitpid(pid, nullptr, 0);
    *error = "exec " + binary + ": " + std::strerror(child_errno);
    return -1;
  }
  return pid;
}

// waitpid with a deadline. True (and *status) if `pid` exited in time.
bool WaitPid(pid_t pid, milliseconds timeout, int* status) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) return true;  // not our child any more
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

bool ParseHostPort(const std::string& addr, std::string* host, int* port) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = addr.substr(0, colon);
  char* end = nullptr;
  long p = std::strtol(addr.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p <= 0 || p > 65535) return false;
  *port = static_cast<int>(p);
  return true;
}

// Waits for SIGTERMed servers in the background. memcached only notices SIGTERM on its next
// 1-second clock tick, so waiting inline would add a second to every test. Each wait is still
// bounded (kStopTimeout, then SIGKILL), and a server that ignored SIGTERM fails the run when the
// environment is torn down.
class Reaper : public ::testing::Environment {
 public:
  static Reaper& Get() { return *instance_; }

  void Reap(pid_t pid) {
    std::lock_guard lock(mu_);
    waiters_.emplace_back([this, pid] {
      int status = 0;
      if (!WaitPid(pid, kStopTimeout, &status)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        std::lock_guard lock(mu_);
        stubborn_.push_back(pid);
      }
    });
  }

  void TearDown() override {
    std::vector<std::thread> waiters;
    {
      std::lock_guard lock(mu_);
      waiters.swap(waiters_);
    }
    for (auto& t : waiters) t.join();
    std::lock_guard lock(mu_);
    for (pid_t pid : stubborn_) {
      ADD_FAILURE() << "server pid " << pid << " ignored SIGTERM for " << kStopTimeout.count()
                    << " ms and was killed with SIGKILL";
    }
    stubborn_.clear();
  }

  ~Reaper() override {
    for (auto& t : waiters_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  friend struct ReaperRegistration;
  static Reaper* instance_;
  std::mutex mu_;
  std::vector<std::thread> waiters_;
  std::vector<pid_t> stubborn_;
};

Reaper* Reaper::instance_ = nullptr;

// gtest owns (and deletes) registered environments.
struct ReaperRegistration {
  ReaperRegistration() {
    Reaper::instance_ = new Reaper;
    ::testing::AddGlobalTestEnvironment(Reaper::instance_);
  }
} reaper_registration;

}  // namespace

int PickFreePort() {
  for (int attempt = 0; attempt < 10; ++attempt) {
    const int port = BindLoopback(SOCK_STREAM, 0);
    if (port < 0) return -1;
    if (BindLoopback(SOCK_DGRAM, port) == port) return port;
  }
  return -1;
}

std::string ServerName(Server server) {
  return server == Server::kSlabcached ? "slabcached" : "memcached";
}

const char* ServerEnvVar(Server server, bool test_clock) {
  if (server == Server::kMemcached) return "MEMCACHED_BIN";
  return test_clock ? "SLABCACHED_DEBUG_BIN" : "SLABCACHED_BIN";
}

std::optional<std::string> FindServerBinary(Server server, std::string* why, bool test_clock) {
  const char* var = ServerEnvVar(server, test_clock);
  const char* value = std::getenv(var);
  if (value == nullptr || *value == '\0') {
    *why = std::string(var) + " is not set";
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(value, &st) != 0 || !S_ISREG(st.st_mode) || ::access(value, X_OK) != 0) {
    *why = std::string(var) + "=" + value + " is not an executable file";
    return std::nullopt;
  }
  return std::string(value);
}

std::optional<std::string> OwnSlabcachedBinary(std::string* why) {
  const char* addr = std::getenv("SLABCACHED_TEST_ADDR");
  if (addr != nullptr && *addr != '\0') {
    *why = "needs its own server; SLABCACHED_TEST_ADDR is set";
    return std::nullopt;
  }
  return FindServerBinary(Server::kSlabcached, why);
}

void PrintTo(Server server, std::ostream* os) { *os << ServerName(server); }

std::string ServerParamName(const ::testing::TestParamInfo<Server>& info) {
  return ServerName(info.param);
}

std::vector<std::string> DefaultFlags() { return {"-U", "0", "-t", "2", "-m", "64", "-c", "1024"}; }

std::string ExitResult::Describe() const {
  std::ostringstream out;
  if (!exited) {
    out << "still running at the deadline";
  } else if (WIFEXITED(wait_status)) {
    out << "exit status " << WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    out << "killed by signal " << WTERMSIG(wait_status);
  }
  out << "; output:\n" << output;
  return out.str();
}

ExitResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                     milliseconds timeout, const ChildLimits& limits) {
  ExitResult result;
  int out_fd = MakeOutputFile();
  std::string error;
  pid_t pid = Spawn(binary, args, out_fd, &error, limits);
  if (pid < 0) {
    result.exited = true;
    result.wait_status = 127 << 8;
    result.output = error;
  } else {
    result.exited = WaitPid(pid, timeout, &result.wait_status);
    if (!result.exited) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    result.output = ReadWholeFile(out_fd);
  }
  if (out_fd >= 0) ::close(out_fd);
  return result;
}

Daemon::Daemon(std::string host, int port, pid_t pid, int output_fd)
    : host_(std::move(host)), port_(port), pid_(pid), output_fd_(output_fd) {}

std::unique_ptr<Daemon> Daemon::Start(const std::string& binary,
                                      const std::vector<std::string>& flags, std::string* error,
                                      const PortSetup& ports, const ChildLimits& limits) {
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    int port = PickFreePort();
    if (port < 0) {
      *error = ErrnoText("picking a free port");
      return nullptr;
    }
    std::vector<std::string> args = WithPort(ports.flags, port);
    args.insert(args.end(), {"-l", "127.0.0.1"});
    if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
    const std::vector<std::string> rest = WithPort(flags, port);
    args.insert(args.end(), rest.begin(), rest.end());

    int out_fd = MakeOutputFile();
    if (out_fd < 0) {
      *error = ErrnoText("mkostemp");
      return nullptr;
    }
    pid_t pid = Spawn(binary, args, out_fd, error, limits);
    if (pid < 0) {
      ::close(out_fd);
      return nullptr;
    }
    std::unique_ptr<Daemon> daemon(new Daemon("127.0.0.1", port, pid, out_fd));

    auto deadline = Clock::now() + kStartTimeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        daemon->reaped_ = true;
        exited = true;
        ExitResult r{true, status, daemon->Output()};
        *error = "server exited before accepting connections (attempt " + std::to_string(attempt) +
                 ", port " + std::to_string(port) + "): " + r.Describe();
        break;
      }
      if (ports.probe == PortSetup::Probe::kUdp) {
        if (AnswersUdp(port, milliseconds(10))) return daemon;
        std::this_thread::sleep_for(milliseconds(1));  // refused at once: not bound yet
        continue;
      }
      int fd = ConnectTcp("127.0.0.1", port);
      if (fd >= 0) {
        ::close(fd);
        return daemon;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (!exited) {
      *error = "server did not accept connections on 127.0.0.1:" + std::to_string(port) +
               " within " + std::to_string(kStartTimeout.count()) + " ms; output:\n" +
               daemon->Output();
      return nullptr;  // the destructor stops it
    }
  }
  return nullptr;
}

std::unique_ptr<Daemon> Daemon::Attach(std::string host, int port) {
  return std::unique_ptr<Daemon>(new Daemon(std::move(host), port, -1, -1));
}

Daemon::~Daemon() {
  Stop();
  if (output_fd_ >= 0) ::close(output_fd_);
}

void Daemon::Stop() {
  if (pid_ < 0 || reaped_) return;
  ::kill(pid_, SIGTERM);
  reaped_ = true;
  Reaper::Get().Reap(pid_);
}

bool Daemon::WaitForExit(milliseconds timeout, int* wait_status) {
  if (pid_ < 0 || reaped_) return false;
  if (WaitPid(pid_, timeout, wait_status)) {
    reaped_ = true;
    return true;
  }
  return false;
}

std::string Daemon::Output() const { return ReadWholeFile(output_fd_); }

std::unique_ptr<Client> Client::Connect(const std::string& host, int port, std::string* error) {
  int fd = ConnectTcp(host, port);
  if (fd < 0) {
    *error = ErrnoText(("connect " + host + ":" + std::to_string(port)).c_str());
    return nullptr;
  }
  return std::unique_ptr<Client>(new Client(fd));
}

Client::~Client() { ::close(fd_); }

bool Client::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool Client::Fill(Clock::time_point deadline) {
  if (eof_) return false;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof_ = true;
      reset_ = n < 0;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
}

std::string Client::ReadLine(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t scanned = 0;
  while (true) {
    size_t nl = buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl + 1);
      buffer_.erase(0, nl + 1);
      return line;
    }
    scanned = buffer_.size();
    if (!Fill(deadline)) {
      std::string partial;
      partial.swap(buffer_);
      return partial;
    }
  }
}

std::string Client::ReadExactly(size_t n, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (buffer_.size() < n && Fill(deadline)) {
  }
  size_t take = std::min(n, buffer_.size());
  std::string out = buffer_.substr(0, take);
  buffer_.erase(0, take);
  return out;
}

std::string Client::ReadUntilEnd(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string out;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return out;
    std::string line = ReadLine(left);
    out += line;
    if (line == "END\r\n" || line.empty() || line.back() != '\n') return out;
    if (line.starts_with("ERROR") || line.starts_with("CLIENT_ERROR") ||
        line.starts_with("SERVER_ERROR")) {
      return out;
    }
  }
}

bool Client::WaitReadable(milliseconds timeout) {
  if (!buffer_.empty()) return true;
  return Fill(Clock::now() + timeout);
}

::testing::AssertionResult Client::Roundtrip(std::string_view request, std::string_view expected) {
  if (!Send(request)) {
    return ::testing::AssertionFailure()
           << ErrnoText("send") << " while sending " << Escape(request);
  }
  auto deadline = Clock::now() + kIoTimeout;
  size_t checked = 0;
  while (checked < expected.size()) {
    if (checked == buffer_.size() && !Fill(deadline)) {
      std::string got = buffer_.substr(0, checked);
      buffer_.erase(0, checked);
      return ::testing::AssertionFailure()
             << "request " << Escape(request) << "\n  expected " << Escape(expected)
             << "\n  got only " << Escape(got)
             << (eof_ ? " (then the server closed the connection)" : " (then timed out)");
    }
    size_t end = std::min(expected.size(), buffer_.size());
    for (; checked < end; ++checked) {
      if (buffer_[checked] != expected[checked]) {
        // Show the rest of the differing line too.
        auto line_deadline = Clock::now() + milliseconds(200);
        while (buffer_.find('\n', checked) == std::string::npos && Fill(line_deadline)) {
        }
        std::string got = buffer_;
        buffer_.clear();
        return ::testing::AssertionFailure() << "request " << Escape(request) << "\n  expected "
                                             << Escape(expected) << "\n  got      " << Escape(got)
                                             << "\n  (first difference at byte " << checked << ")";
      }
    }
  }
  buffer_.erase(0, expected.size());
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Client::RoundtripPrefix(std::string_view request,
                                                   std::string_view prefix) {
  if (!Send(request)) {
    return ::testing::AssertionFailure()
           << ErrnoText("send") << " while sending " << Escape(request);
  }
  std::string line = ReadLine();
  if (!line.starts_with(prefix)) {
    return ::testing::AssertionFailure()
           << "request " << Escape(request) << "\n  expected a line starting with "
           << Escape(prefix) << "\n  got " << Escape(line);
  }
  return ::testing::AssertionSuccess() << Escape(line);
}

::testing::AssertionResult Client::ExpectClosed(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) {
  }
  if (!eof_) {
    return ::testing::AssertionFailure()
           << "connection still open after " << timeout.count() << " ms"
           << (buffer_.empty() ? "" : "; received " + Escape(buffer_));
  }
  if (!buffer_.empty()) {
    return ::testing::AssertionFailure()
           << "connection closed, but only after sending " << Escape(buffer_);
  }
  return ::testing::AssertionSuccess() << (reset_ ? "reset" : "closed");
}

::testing::AssertionResult Client::ExpectSilence(milliseconds timeout) {
  if (WaitReadable(timeout)) {
    return ::testing::AssertionFailure() << "unexpected bytes " << Escape(buffer_);
  }
  if (eof_) return ::testing::AssertionFailure() << "the server closed the connection";
  return ::testing::AssertionSuccess();
}

std::map<std::string, std::string> Client::Stats(std::string_view group) {
  std::map<std::string, std::string> stats;
  std::string request = group.empty() ? "stats\r\n" : "stats " + std::string(group) + "\r\n";
  if (!Send(request)) return stats;
  while (true) {
    std::string line = ReadLine();
    if (line == "END\r\n" || line.empty() || !line.starts_with("STAT ")) break;
    std::string_view rest(line);
    rest.remove_prefix(5);
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
    auto space = rest.find(' ');
    if (space == std::string_view::npos) {
      stats[std::string(rest)] = "";
    } else {
      stats[std::string(rest.substr(0, space))] = std::string(rest.substr(space + 1));
    }
  }
  return stats;
}

std::string Escape(std::string_view bytes, size_t max_len) {
  std::string out = "\"";
  size_t n = std::min(bytes.size(), max_len);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  if (bytes.size() > max_len) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string StorageCommand(std::string_view cmd, std::string_view key, std::string_view value,
                           uint32_t flags, int64_t exptime, bool noreply) {
  std::string out;
  out.reserve(value.size() + key.size() + 64);
  out.append(cmd).append(" ").append(key);
  out += " " + std::to_string(flags) + " " + std::to_string(exptime) + " " +
         std::to_string(value.size());
  if (noreply) out += " noreply";
  out.append("\r\n").append(value).append("\r\n");
  return out;
}

std::string ValueReply(std::string_view key, std::string_view value, uint64_t flags) {
  std::string out = "VALUE ";
  out.append(key);
  out += " " + std::to_string(flags) + " " + std::to_string(value.size()) + "\r\n";
  out.append(value).append("\r\n");
  return out;
}

void ServerTest::SetUp() {
  std::string why;
  auto binary = FindServerBinary(GetParam(), &why, UsesTestClock());
  if (!binary) {
    GTEST_SKIP() << ServerName(GetParam()) << " tests skipped: " << why;
  }
  binary_ = *binary;

  const char* addr = std::getenv("SLABCACHED_TEST_ADDR");
  if (GetParam() == Server::kSlabcached && addr != nullptr && *addr != '\0') {
    std::string host;
    int port = 0;
    ASSERT_TRUE(ParseHostPort(addr, &host, &port))
        << "SLABCACHED_TEST_ADDR=" << addr << " is not host:port";
    daemon_ = Daemon::Attach(host, port);
  } else {
    std::string error;
    daemon_ = Daemon::Start(binary_, DefaultFlags(), &error);
    ASSERT_NE(daemon_, nullptr) << binary_ << ": " << error;
  }
  client_ = Connect(daemon_.get());
  ASSERT_NE(client_, nullptr);
  // A reused server keeps data from earlier tests.
  if (attached()) {
    ASSERT_TRUE(client_->Roundtrip("flush_all\r\n", "OK\r\n"));
  }
}

void ServerTest::TearDown() {
  client_.reset();
  daemon_.reset();
}

std::unique_ptr<Daemon> ServerTest::StartDaemon(const std::vector<std::string>& flags,
                                                const PortSetup& ports) {
  if (attached()) return nullptr;
  std::string error;
  auto d = Daemon::Start(binary_, flags, &error, ports);
  if (d == nullptr) ADD_FAILURE() << binary_ << ": " << error;
  return d;
}

::testing::AssertionResult ServerTest::AdvanceClock(int seconds, const Daemon* d) {
  if (IsReference()) {
    // The one real wait left: memcached 1.6.18 has no debugtime. Its clock ticks once a
    // second, so it ticks at least N times in any N.5 seconds.
    std::this_thread::sleep_for(milliseconds(1000 * seconds + 500));
    return ::testing::AssertionSuccess();
  }
  if (!UsesTestClock()) {
    return ::testing::AssertionFailure() << "AdvanceClock needs a fixture whose UsesTestClock() "
                                            "is true (it runs SLABCACHED_DEBUG_BIN)";
  }
  std::unique_ptr<Client> c = Connect(d);
  if (c == nullptr) return ::testing::AssertionFailure() << "no connection for debugtime";
  return c->Roundtrip("debugtime " + std::to_string(seconds) + "\r\n", "OK\r\n");
}

std::unique_ptr<Client> ServerTest::Connect(const Daemon* d) {
  if (d == nullptr) d = daemon_.get();
  std::string error;
  auto c = Client::Connect(d->host(), d->port(), &error);
  if (c == nullptr) ADD_FAILURE() << error;
  return c;
}

}  // namespace slabcached::testing
