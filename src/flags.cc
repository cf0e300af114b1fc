#include "src/flags.h"

#include <getopt.h>
#include <glog/logging.h>

#include <sstream>
#include <vector>

#include "build_config.h"

namespace slabcached {
namespace {

// getopt's short options, from the table: "p:U:s:...".
std::string ShortOptString() {
  std::string optstring = ":";  // report missing arguments as ':'
  for (const Option& option : OptionTable()) {
    if (option.extended()) continue;
    optstring += option.letter;
    if (option.arg == OptionArg::kRequired) optstring += ':';
  }
  return optstring;
}

std::vector<::option> LongOptions() {
  std::vector<::option> long_options;
  for (const Option& option : OptionTable()) {
    if (option.extended()) continue;
    long_options.push_back({option.name.data(),
                            option.arg == OptionArg::kRequired ? required_argument : no_argument,
                            nullptr, option.letter});
  }
  long_options.push_back({nullptr, 0, nullptr, 0});
  return long_options;
}

// One -h line: the option, padded to a column, its help and its default.
void AppendUsageLine(std::string left, const Option& option, std::ostream& out) {
  constexpr size_t kColumn = 30;
  out << left << std::string(left.size() < kColumn ? kColumn - left.size() : 1, ' ') << option.help;
  if (!option.default_text.empty()) {
    out << " (default: " << option.default_text << ")";
  }
  out << "\n";
}

}  // namespace

CommandLine ParseCommandLine(int argc, char** argv) {
  // The table's long names are views of string literals, so NUL-terminated.
  const std::vector<::option> long_options = LongOptions();
  const std::string optstring = ShortOptString();
  ParsedOptions parsed;
  optind = 0;  // 0, not 1: also resets getopt's state left by an earlier parse
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, optstring.c_str(), long_options.data(), nullptr)) != -1) {
    if (c == '?') {
      const std::string arg = optopt != 0 ? std::string("-") + static_cast<char>(optopt)
                                          : std::string(argv[optind - 1]);
      throw CommandLineError("unrecognized option '" + arg + "' (see -h)");
    }
    if (c == ':') {
      throw CommandLineError(std::string("option '") + argv[optind - 1] + "' requires an argument");
    }
    const Option* option = FindLetter(static_cast<char>(c));
    option->apply(*option,
                  option->arg == OptionArg::kRequired ? std::optional<std::string_view>(optarg)
                                                      : std::nullopt,
                  &parsed);
    if (parsed.action != CommandLine::Action::kRun) return {parsed.action, {}};
  }
  if (optind < argc) {
    throw CommandLineError(std::string("unexpected argument '") + argv[optind] + "'");
  }
  FinishOptions(&parsed);
  return {CommandLine::Action::kRun, std::move(parsed.config)};
}

std::string UsageText() {
  std::ostringstream out;
  out << PACKAGE_NAME << " " << PACKAGE_VERSION << " (memcached " << MEMCACHED_COMPAT_VERSION
      << " compatible)\n";
  std::vector<std::string_view> no_effect;
  bool extended_header = false;
  for (const Option& option : OptionTable()) {
    if (!option.extended()) {
      std::string left = std::string("-") + option.letter + ", --" + std::string(option.name);
      if (option.arg != OptionArg::kNone) left += "=" + std::string(option.placeholder);
      AppendUsageLine(left, option, out);
      continue;
    }
    if (option.help.empty()) {  // memcached's, accepted without effect
      no_effect.push_back(option.name);
      continue;
    }
    if (!extended_header) {
      out << "-o options (-o name[=value],...):\n";
      extended_header = true;
    }
    std::string left = "  " + std::string(option.name);
    if (option.arg == OptionArg::kRequired) left += "=" + std::string(option.placeholder);
    if (option.arg == OptionArg::kOptional) left += "[=" + std::string(option.placeholder) + "]";
    AppendUsageLine(left, option, out);
  }
  out << "-o options accepted for memcached's sake, with no effect:\n ";
  size_t column = 1;
  for (std::string_view name : no_effect) {
    if (column + name.size() + 1 > 79) {
      out << "\n ";
      column = 1;
    }
    out << " " << name;
    column += name.size() + 1;
  }
  out << "\n";
  return out.str();
}

void InitLogging(const char* argv0) {
  FLAGS_logtostderr = true;
  SetLogVerbosity(0);
  google::InitGoogleLogging(argv0);
}

void SetLogVerbosity(int verbosity) {
  // Like memcached, a daemon without -v only reports warnings and errors.
  FLAGS_minloglevel = verbosity > 0 ? google::GLOG_INFO : google::GLOG_WARNING;
  FLAGS_v = verbosity;
}

}  // namespace slabcached
