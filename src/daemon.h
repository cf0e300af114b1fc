// Process set-up that memcached does before serving: resource limits,
// dropping root, detaching, the pid file.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "src/server_config.h"

namespace slabcached {

// RLIMIT_NOFILE cannot be raised far enough; memcached exits with EX_OSERR.
class ResourceLimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The descriptors the daemon may hold at once: the `already_open` ones, -c
// connections, the listeners, each worker's copy of each UDP socket, every
// event loop's own descriptors, and a reserve.
rlim_t DescriptorBudget(const ServerConfig& config, rlim_t already_open);
// The descriptors `num_threads` workers hold for their event loops and
// wake-ups ("stats" reserved_fds; memcached reserves 5 a worker).
rlim_t WorkerDescriptors(uint32_t num_threads);

// Raises RLIMIT_NOFILE to DescriptorBudget() (and RLIMIT_CORE with -r),
// locks memory with -k. Throws ResourceLimitError, std::runtime_error.
void SetResourceLimits(const ServerConfig& config);

// As root, switches to -u's user; refuses to run as root without -u, as
// memcached does. Throws std::runtime_error.
void DropPrivileges(const ServerConfig& config);

// -d: forks into the background and detaches from the terminal.
void Daemonize();

// Writes the pid file on construction and removes it on destruction.
class PidFile {
 public:
  explicit PidFile(std::string path);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
};

}  // namespace slabcached
