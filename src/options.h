// The daemon's one option table (Pelikan's OPTION tables): each row is one
// memcached option, a short letter with its --long-name or an -o name, and
// says how it is written, what it defaults to, its -h help, how its value is
// checked into the ServerConfig and, when it has one, its "stats settings"
// line. Command-line parsing (src/flags.cc), -h, "stats settings" and the
// man-page test (tests/unit/src/flags_test.cc) all read this table, so none
// of them can forget an option the others know.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "slabs/store.h"
#include "src/server_config.h"

namespace slabcached {

class StatSink;  // src/stats.h

// A bad option or option value; what() is the message shown to the user.
class CommandLineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the command line asks for, and the facts parsing gathers that only
// make sense together (checked once every option is read: FinishOptions).
struct ParsedOptions {
  enum class Action { kRun, kHelp, kVersion, kLicense };
  Action action = Action::kRun;
  ServerConfig config;
  bool port_given = false;      // -p: without it, -U's port serves TCP too
  bool protocol_given = false;  // -B: -S and -Y pick a protocol only when it is not
  bool sasl = false;            // -S
  std::string listen;           // every -l, comma separated, as memcached keeps it
};

// What a "stats settings" line reads: the config and what changes at run time.
struct SettingsView {
  const ServerConfig& config;
  int verbosity;                   // "verbosity N"
  uint32_t slab_automove;          // "slab_automove N"
  slabs::CrawlerSettings crawler;  // "lru_crawler ..."
  slabs::LruTuning lru;            // "hot_lru_pct" ... "lru_segmented" ("lru tune", "lru mode")
};

// An integer option's accepted values and the message for one outside them;
// an empty message: "invalid value for ..." (src/option_rows.h).
struct OptionRange {
  int64_t min = 0;
  int64_t max = 0;
  std::string_view error;
};

enum class OptionArg : uint8_t {
  kNone,      // -A, -o maxconns_fast
  kRequired,  // -p 11211, -o hashpower=20
  kOptional,  // -o slab_automove[=N]
};

struct Option {
  char letter;            // memcached's short option; 0 for an -o name
  std::string_view name;  // the --long-name, or the -o name
  OptionArg arg;
  std::string_view placeholder;   // the value's name in -h ("<num>")
  std::string_view default_text;  // the default -h shows; empty: none shown
  std::string_view help;
  // Checks `value` (absent for kNone, and for kOptional when not given) into
  // `parsed`; throws CommandLineError with memcached's message.
  void (*apply)(const Option& option, std::optional<std::string_view> value, ParsedOptions* parsed);
  std::string_view setting;  // its "stats settings" name; empty: none
  void (*print)(const SettingsView& view, std::string_view name, StatSink* out);
  OptionRange range = {};  // read by the row helpers' apply (src/option_rows.h)

  bool extended() const { return letter == 0; }
};

// Every option, letters first (in memcached's -h order), then the -o names.
std::span<const Option> OptionTable();

// The row of a short letter or an -o name; nullptr when there is none.
const Option* FindLetter(char letter);
const Option* FindExtended(std::string_view name);

// Applies one "-o a=1,b" argument, item by item, in order.
void ApplyExtendedOptions(std::string_view list, ParsedOptions* parsed);

// The checks memcached makes once every option is read (-I against -m,
// slab_chunk_max against -I, -S/-Y against -B and -U, -Z against -p).
void FinishOptions(ParsedOptions* parsed);

// "stats settings": memcached's lines, in memcached's order, each printed by
// the option that sets it (a few, like "oldest", come from no option).
void AppendOptionSettings(const SettingsView& view, StatSink* out);
// The "stats settings" names in the order they are printed.
std::span<const std::string_view> SettingsOrder();

}  // namespace slabcached
