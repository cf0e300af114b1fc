// slabcached: a memcached-compatible cache daemon.
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "build_config.h"
#include "src/clock_control.h"
#include "src/daemon.h"
#include "src/flags.h"
#include "src/server.h"
#include "src/services.h"

namespace {
#ifdef SLABCACHED_TEST_CLOCK
// slabcached-debug, which `make check` builds for the tests: "debugtime" moves the clock.
constexpr slabcached::ClockControlFactory kClockControl = &slabcached::MakeClockControl;
#else
constexpr slabcached::ClockControlFactory kClockControl = nullptr;
#endif
constexpr int kExitUsage = 64;    // EX_USAGE, as memcached
constexpr int kExitOsError = 71;  // EX_OSERR, as memcached when the rlimit cannot be raised
}  // namespace

int main(int argc, char** argv) {
  using slabcached::CommandLine;
  slabcached::InitLogging(argv[0]);
  CommandLine command_line;
  try {
    command_line = slabcached::ParseCommandLine(argc, argv);
  } catch (const slabcached::CommandLineError& e) {
    std::cerr << "slabcached: " << e.what() << "\n";
    return kExitUsage;
  }
  switch (command_line.action) {
    case CommandLine::Action::kHelp:
      std::cout << slabcached::UsageText();
      return 0;
    case CommandLine::Action::kVersion:
      std::cout << "slabcached " << PACKAGE_VERSION << " (memcached " << MEMCACHED_COMPAT_VERSION
                << " compatible)\n";
      return 0;
    case CommandLine::Action::kLicense:
      std::cout << "slabcached is distributed under the BSD 3-clause license.\n";
      return 0;
    case CommandLine::Action::kRun:
      break;
  }
  const slabcached::ServerConfig& config = command_line.config;
  slabcached::SetLogVerbosity(config.verbosity);
  // The files the options name are read now, while the process may still
  // read files only root can; an unreadable one is a usage error, as in memcached.
  slabcached::Services services;
  try {
    services = slabcached::LoadServices(config);
  } catch (const std::runtime_error& e) {
    std::cerr << "slabcached: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    slabcached::SetResourceLimits(config);
    slabcached::DropPrivileges(config);
    // fork() keeps only the calling thread: detach before any thread starts.
    if (config.daemonize) slabcached::Daemonize();
    std::unique_ptr<slabcached::Server> server =
        std::make_unique<slabcached::Server>(config, std::move(services), kClockControl);
    server->Open();
    std::optional<slabcached::PidFile> pid_file;
    if (!config.pid_file.empty()) pid_file.emplace(config.pid_file);
    return server->Run();
  } catch (const slabcached::ResourceLimitError& e) {
    std::cerr << "slabcached: " << e.what() << "\n";
    return kExitOsError;
  } catch (const std::exception& e) {
    std::cerr << "slabcached: " << e.what() << "\n";
    return 1;
  }
}
