// The command line: memcached's options (short and long forms, exactly as
// memcached parses them with getopt_long, and -o lists), read through the
// one option table (src/options.h) into a validated ServerConfig. The table
// replaces the gflags DEFINE list: gflags cannot read memcached's syntax, so
// it only held values behind getopt, as globals a second parse would see.
#pragma once

#include <string>

#include "src/options.h"
#include "src/server_config.h"

namespace slabcached {

struct CommandLine {
  using Action = ParsedOptions::Action;
  Action action = Action::kRun;
  ServerConfig config;
};

// Parses argv (memcached syntax: -p 11211, -p11211, --port=11211, -vv,
// -o a=1,b) and validates the result. Throws CommandLineError. Reads no
// global state but $MEMCACHED_SASL_PWDB, so it may run any number of times.
CommandLine ParseCommandLine(int argc, char** argv);

// memcached -h style help: every row of the option table.
std::string UsageText();

// Routes glog to stderr, warnings and errors only until SetLogVerbosity()
// applies -v/-vv/-vvv. Call once, before parsing the command line.
void InitLogging(const char* argv0);
// "verbosity N" at run time.
void SetLogVerbosity(int verbosity);

}  // namespace slabcached
