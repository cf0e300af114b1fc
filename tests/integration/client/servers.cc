#include "tests/integration/client/servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace slabcached::client::testing {

using std::chrono::milliseconds;

std::unique_ptr<Process> Process::Spawn(const std::vector<std::string>& argv,
                                        const std::string& log_path, std::string* error) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    *error = "fork failed";
    return nullptr;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int in = open("/dev/null", O_RDONLY);
    const int out =
        open(log_path.empty() ? "/dev/null" : log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return std::unique_ptr<Process>(new Process(pid));
}

bool Process::Exited() {
  if (reaped_) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

void Process::Kill(int sig) {
  if (reaped_) return;
  kill(pid_, sig);
  for (int i = 0; i < 500 && !Exited(); ++i) std::this_thread::sleep_for(milliseconds(10));
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
  }
}

Process::~Process() { Kill(SIGTERM); }

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool WaitForPort(int port, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

namespace {
std::string Executable(const char* path) {
  return path != nullptr && *path != '\0' && access(path, X_OK) == 0 ? path : "";
}
}  // namespace

std::string SlabcachedBinary() { return Executable(std::getenv("SLABCACHED_BIN")); }

std::string MemcachedBinary() { return Executable(std::getenv("MEMCACHED_BIN")); }

std::string CliBinary() { return Executable(std::getenv("SLABCACHE_CLI")); }

CliRun RunCli(const std::string& cli, const std::vector<std::string>& args,
              const std::string& input, const std::vector<std::string>& env) {
  CliRun run;
  char dir[] = "/tmp/slabcache-cli-run.XXXXXX";
  if (mkdtemp(dir) == nullptr) return run;
  const std::string base = dir;
  std::ofstream(base + "/in", std::ios::binary) << input;
  auto quoted = [](const std::string& word) { return "'" + word + "'"; };
  std::string command = "env";
  for (const std::string& e : env) command += " " + quoted(e);
  command += " " + quoted(cli);
  for (const std::string& a : args) command += " " + quoted(a);
  command +=
      " <" + quoted(base + "/in") + " >" + quoted(base + "/out") + " 2>" + quoted(base + "/err");
  const int rc = std::system(command.c_str());
  run.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::stringstream out, err;
  out << std::ifstream(base + "/out").rdbuf();
  err << std::ifstream(base + "/err").rdbuf();
  run.out = out.str();
  run.err = err.str();
  std::system(("rm -rf " + quoted(base)).c_str());
  return run;
}

std::string NutcrackerBinary() {
  if (const char* env = std::getenv("NUTCRACKER_BIN")) return Executable(env);
  for (const char* p : {"/usr/sbin/nutcracker", "/usr/bin/nutcracker"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::unique_ptr<Process> StartSlabcached(const std::string& binary, int port, std::string* error) {
  std::vector<std::string> argv = {
      binary, "-p", std::to_string(port), "-l", "127.0.0.1", "-U", "0", "-t", "2", "-m", "64",
      "-c",   "256"};
  if (geteuid() == 0) {
    argv.push_back("-u");
    argv.push_back("nobody");
  }
  auto p = Process::Spawn(argv, "", error);
  if (p == nullptr) return nullptr;
  if (!WaitForPort(port, milliseconds(5000))) {
    *error = binary + " did not accept on port " + std::to_string(port);
    return nullptr;
  }
  return p;
}

bool StartFleet(const std::string& binary, size_t count, Fleet* fleet, std::string* error) {
  for (size_t i = 0; i < count; ++i) {
    const int port = FreePort();
    auto daemon = StartSlabcached(binary, port, error);
    if (daemon == nullptr) return false;
    fleet->daemons.push_back(std::move(daemon));
    fleet->servers.push_back(ServerSpec{"127.0.0.1", static_cast<uint16_t>(port), 1, ""});
  }
  return true;
}

SilentListener::SilentListener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd_, 0) != 0) {
    return;
  }
  getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  for (int i = 0; i < 4; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    fillers_.push_back(fd);
  }
}

SilentListener::~SilentListener() {
  for (int fd : fillers_) close(fd);
  close(fd_);
}

TempDir::TempDir() {
  char pattern[] = "/tmp/slabclient-test.XXXXXX";
  if (mkdtemp(pattern) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

}  // namespace slabcached::client::testing
