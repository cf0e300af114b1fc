// Child processes for the client's integration tests: slabcached daemons and
// twemproxy on free loopback ports. Only processes started here are ever
// signalled, by their own PID.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "client/server_spec.h"

namespace slabcached::client::testing {

class Process {
 public:
  // Starts argv[0] with argv; stdout/stderr go to `log_path` (or /dev/null).
  static std::unique_ptr<Process> Spawn(const std::vector<std::string>& argv,
                                        const std::string& log_path, std::string* error);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGTERM, bounded wait, then SIGKILL

  pid_t pid() const { return pid_; }
  // Sends `sig` and reaps the process (bounded).
  void Kill(int sig);
  bool Exited();

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
};

// A port nobody listens on right now (bound and released).
int FreePort();
// Polls until 127.0.0.1:port accepts a connection.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

// $SLABCACHED_BIN, or "" when unset or not executable.
std::string SlabcachedBinary();
// $MEMCACHED_BIN (Debian's memcached in `make check`), or "" when unset or
// not executable. StartSlabcached() starts it too (the same options).
std::string MemcachedBinary();
// $NUTCRACKER_BIN, else /usr/sbin/nutcracker or /usr/bin/nutcracker; "" if none.
std::string NutcrackerBinary();
// $SLABCACHE_CLI (the built slabcache-cli), or "" when unset or not executable.
std::string CliBinary();

// What a command run by RunCli printed, and its exit status (-1: not run).
struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs `cli` with `args` (each passed as one word) and `input` on stdin;
// `env` ("NAME=value" words) is added to its environment.
CliRun RunCli(const std::string& cli, const std::vector<std::string>& args,
              const std::string& input, const std::vector<std::string>& env = {});

// Starts slabcached on 127.0.0.1:port (-u nobody when root) and waits until it accepts.
std::unique_ptr<Process> StartSlabcached(const std::string& binary, int port, std::string* error);

// `count` slabcached daemons on free loopback ports, stopped (by PID) when
// the Fleet is destroyed.
struct Fleet {
  std::vector<std::unique_ptr<Process>> daemons;
  std::vector<ServerSpec> servers;
};
// Starts them with $SLABCACHED_BIN; false (and `error`) when one fails.
bool StartFleet(const std::string& binary, size_t count, Fleet* fleet, std::string* error);

// A fixture that starts three daemons for each test (skipped when
// SLABCACHED_BIN is unset). `Base`: ::testing::Test or a TestWithParam.
template <typename Base = ::testing::Test>
class FleetTest : public Base {
 protected:
  void SetUp() override {
    const std::string binary = SlabcachedBinary();
    if (binary.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    std::string error;
    ASSERT_TRUE(StartFleet(binary, 3, &fleet_, &error)) << error;
  }

  Fleet fleet_;
};

// A fixture that starts one daemon on port_ for each test (skipped when
// SLABCACHED_BIN is unset).
class OneDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = SlabcachedBinary();
    if (binary.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    port_ = FreePort();
    std::string error;
    daemon_ = StartSlabcached(binary, port_, &error);
    ASSERT_NE(daemon_, nullptr) << error;
  }

  int port_ = 0;
  std::unique_ptr<Process> daemon_;
};

// A listener whose accept queue is full: the kernel drops further SYNs, so
// a connect() to it stays in progress (an address that never answers).
// port() is 0 when it could not be set up.
class SilentListener {
 public:
  SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  ~SilentListener();
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

// A fresh directory under /tmp, removed with its contents when destroyed.
// path() is "" when it could not be made.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace slabcached::client::testing
