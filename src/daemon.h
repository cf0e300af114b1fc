// Process set-up that memcached does before serving: resource limits,
// dropping root, detaching, the pid file.
#pragma once

#include <string>

#include "src/server_config.h"

namespace slabcached {

// Raises RLIMIT_NOFILE to fit -c connections (and RLIMIT_CORE with -r),
// locks memory with -k. Throws std::runtime_error.
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
