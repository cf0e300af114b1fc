// The command line: memcached's flags (short and long forms, exactly as
// memcached parses them with getopt_long) land in gflags, which holds every
// flag of the daemon; ConfigFromFlags() then validates them into a Config.
// This is the only module that includes <gflags/gflags.h>.
#pragma once

#include <stdexcept>
#include <string>

#include "src/server_config.h"

namespace slabcached {

// A bad flag or flag value; what() is the message shown to the user.
class CommandLineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  enum class Action { kRun, kHelp, kVersion, kLicense };
  Action action = Action::kRun;
  ServerConfig config;
};

// Parses argv (memcached syntax: -p 11211, -p11211, --port=11211, -vv,
// -o a=1,b) and validates the result. Throws CommandLineError.
CommandLine ParseCommandLine(int argc, char** argv);

// memcached -h style help generated from the flag table and gflags' defaults.
std::string UsageText();

// Routes glog to stderr, warnings and errors only until SetLogVerbosity()
// applies -v/-vv/-vvv. Call once, before parsing the command line.
void InitLogging(const char* argv0);
// "verbosity N" at run time.
void SetLogVerbosity(int verbosity);

}  // namespace slabcached
