#include "src/daemon.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <grp.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "src/listener.h"

namespace slabcached {

namespace {
// Beyond what DescriptorBudget counts, as memcached's reserved_fds: a refused
// client's socket while its ERROR goes out, the pid file, the -Y, SASL and
// certificate files while they are read, libraries' own.
constexpr rlim_t kReservedFds = 20;
// A libevent base on Linux: its epoll descriptor and its signal pipe's two ends.
constexpr rlim_t kFdsPerEventBase = 3;
// A worker: its event base and its wake-up eventfd.
constexpr rlim_t kFdsPerWorker = kFdsPerEventBase + 1;

// The descriptors open now (stdio, anything inherited).
rlim_t OpenDescriptors() {
  std::error_code error;
  rlim_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  if (error || count == 0) return 3;  // no /proc: assume stdin, stdout, stderr
  return count - 1;                   // the directory's own descriptor
}
}  // namespace

rlim_t DescriptorBudget(const ServerConfig& config, rlim_t already_open) {
  const ListenSocketCount sockets = CountListenSockets(config.net);
  return already_open + config.net.max_conns + sockets.stream +
         static_cast<rlim_t>(sockets.udp) * config.net.udp_threads + kFdsPerEventBase +
         WorkerDescriptors(config.num_threads) + kReservedFds;
}

rlim_t WorkerDescriptors(uint32_t num_threads) {
  return static_cast<rlim_t>(num_threads) * kFdsPerWorker;
}

void SetResourceLimits(const ServerConfig& config) {
  if (config.maximize_core) {
    rlimit core{};
    if (getrlimit(RLIMIT_CORE, &core) == 0) {
      core.rlim_cur = core.rlim_max;
      setrlimit(RLIMIT_CORE, &core);
    }
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) {
    throw std::runtime_error("failed to getrlimit number of files");
  }
  const rlim_t needed = DescriptorBudget(config, OpenDescriptors());
  VLOG(1) << "open files: " << needed << " needed, soft limit " << files.rlim_cur << ", hard limit "
          << files.rlim_max;
  if (files.rlim_cur < needed) {
    // Only raise: memcached 1.6.18 sets both limits to -c, lowering them too.
    files.rlim_cur = needed;
    if (files.rlim_max < needed) files.rlim_max = needed;  // needs CAP_SYS_RESOURCE
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
      throw ResourceLimitError(
          "failed to set rlimit for open files. Try starting as root or requesting "
          "smaller maxconns value.");
    }
  }
  if (config.lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    LOG(WARNING) << "failed to mlockall: " << std::strerror(errno)
                 << "; proceeding without locked memory";
  }
}

void DropPrivileges(const ServerConfig& config) {
  if (getuid() != 0 && geteuid() != 0) return;
  if (config.user.empty()) throw std::runtime_error("can't run as root without the -u switch");
  const passwd* pw = getpwnam(config.user.c_str());
  if (pw == nullptr)
    throw std::runtime_error("can't find the user " + config.user + " to switch to");
  if (pw->pw_uid == 0) return;  // -u root: stay
  if (setgroups(0, nullptr) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
    throw std::runtime_error("failed to assume identity of user " + config.user);
  }
}

void Daemonize() {
  if (daemon(/*nochdir=*/0, /*noclose=*/1) != 0) {
    throw std::runtime_error(std::string("failed to daemonize: ") + std::strerror(errno));
  }
  // Keep stderr for glog only when it was redirected somewhere useful; stdin/out go away.
  const int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    if (null_fd > STDERR_FILENO) close(null_fd);
  }
}

PidFile::PidFile(std::string path) : path_(std::move(path)) {
  FILE* file = std::fopen(path_.c_str(), "w");
  if (file == nullptr) {
    LOG(ERROR) << "Could not open the pid file " << path_
               << " for writing: " << std::strerror(errno);
    path_.clear();
    return;
  }
  std::fprintf(file, "%ld\n", static_cast<long>(getpid()));
  std::fclose(file);
}

PidFile::~PidFile() {
  if (!path_.empty() && unlink(path_.c_str()) != 0) {
    LOG(ERROR) << "Could not remove the pid file " << path_ << ": " << std::strerror(errno);
  }
}

}  // namespace slabcached
