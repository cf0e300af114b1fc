// What the option tables are built from: memcached's value readers and
// messages, its "stats settings" formats, and row helpers that make a plain
// option one short row. The tables themselves: src/options.cc (the letters)
// and src/options_extended.cc (the -o names). A row helper names the config
// field it sets by one member pointer (&StoreConfig::hashpower_init); FieldOf
// finds that struct inside ServerConfig.
//
//   Switch<&StoreConfig::lru_crawler, true>(0, "lru_crawler", "on", "help", "lru_crawler")
//   Integer<&NetConfig::idle_timeout>(0, "idle_timeout", "<seconds>", "0", "help", "idle_timeout")
//   Integer<&NetConfig::read_buf_mem_limit, kMegabyte>(0, "read_buf_mem_limit", ...)
//   Factor<&StoreConfig::hot_max_factor>(0, "hot_max_factor", "<x>", "0.20", "help", "...")
//   Text<&TlsConfig::key, OrNull, NeedArgument>(0, "ssl_key", "<file>", "", "help", "ssl_key")
//
// Anything else is a row with its own apply/print lambdas (Option's fields).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "src/options.h"
#include "src/server_config.h"

namespace slabcached::option_rows {

using Value = std::optional<std::string_view>;
using View = const SettingsView&;

// The -o rows (src/options_extended.cc); OptionTable() puts them after the letters.
std::span<const Option> ExtendedOptionRows();

// --- reading values, with the messages memcached (or slabcached) prints ---

// "-p (--port)" or "-o hashpower": how an error names the option.
std::string Spelling(const Option& option);
// "invalid value for -t (--threads): "x"".
[[noreturn]] void Invalid(const Option& option, std::string_view text);
// A letter's value is always there (getopt sees to it); an -o value may not be.
std::string_view Need(const Option& option, Value value);
// The whole of `text` as a number, else Invalid().
int64_t WholeNumber(const Option& option, std::string_view text);
double Decimal(const Option& option, std::string_view text);
// memcached's -o ssl_* and slab_chunk_max messages: "Missing <name> argument",
// "could not parse argument to <name>".
std::string_view NeedArgument(const Option& option, Value value);
int64_t ParsedArgument(const Option& option, Value value);

void Ignore(const Option& option, Value value, ParsedOptions* parsed);

// --- printing "stats settings" values as memcached does ---

void Unsigned(StatSink* out, std::string_view name, uint64_t value);
void YesNo(StatSink* out, std::string_view name, bool on);
// memcached prints its tuning factors with two decimals ("1.25", "0.20").
void TwoDecimals(StatSink* out, std::string_view name, double value);
// memcached prints unset strings with printf's "(null)", or as "NULL".
void OrNull(StatSink* out, std::string_view name, const std::string& text);
void OrNULL(StatSink* out, std::string_view name, const std::string& text);

// --- where a row's value lives ---

template <typename Member>
struct MemberOf;
template <typename T, typename Group>
struct MemberOf<T Group::*> {
  using Type = T;
  using Of = Group;
};

// The field `Member` points to, in whichever of ServerConfig's parts declares it.
template <auto Member, typename Config>
auto& FieldOf(Config& config) {
  using Group = typename MemberOf<decltype(Member)>::Of;
  if constexpr (std::is_same_v<Group, ServerConfig>) {
    return config.*Member;
  } else if constexpr (std::is_same_v<Group, NetConfig>) {
    return config.net.*Member;
  } else if constexpr (std::is_same_v<Group, TlsConfig>) {
    return config.net.tls.*Member;
  } else if constexpr (std::is_same_v<Group, slabs::StoreConfig>) {
    return config.store.*Member;
  } else {
    static_assert(std::is_same_v<Group, MetricsConfig>, "a field of ServerConfig's parts");
    return config.metrics.*Member;
  }
}

// --- the helpers' apply and print functions ---

template <auto Member, bool kOn>
void ApplySwitch(const Option&, Value, ParsedOptions* parsed) {
  FieldOf<Member>(parsed->config) = kOn;
}

template <auto Member>
void PrintYesNo(View view, std::string_view name, StatSink* out) {
  YesNo(out, name, FieldOf<Member>(view.config));
}

// The number, checked against the row's range, times `kUnit`.
template <auto Member, uint64_t kUnit>
void ApplyInteger(const Option& option, Value value, ParsedOptions* parsed) {
  const std::string_view text = Need(option, value);
  const int64_t number = WholeNumber(option, text);
  if (number < option.range.min || number > option.range.max) {
    if (option.range.error.empty()) Invalid(option, text);
    throw CommandLineError(std::string(option.range.error));
  }
  using Type = typename MemberOf<decltype(Member)>::Type;
  FieldOf<Member>(parsed->config) = static_cast<Type>(static_cast<uint64_t>(number) * kUnit);
}

template <auto Member>
void PrintInteger(View view, std::string_view name, StatSink* out) {
  Unsigned(out, name, static_cast<uint64_t>(FieldOf<Member>(view.config)));
}

template <auto Member>
void ApplyFactor(const Option& option, Value value, ParsedOptions* parsed) {
  FieldOf<Member>(parsed->config) = Decimal(option, Need(option, value));
}

template <auto Member>
void PrintTwoDecimals(View view, std::string_view name, StatSink* out) {
  TwoDecimals(out, name, FieldOf<Member>(view.config));
}

using TextReader = std::string_view (*)(const Option& option, Value value);
using TextPrinter = void (*)(StatSink* out, std::string_view name, const std::string& text);

template <auto Member, TextReader kRead>
void ApplyText(const Option& option, Value value, ParsedOptions* parsed) {
  FieldOf<Member>(parsed->config) = kRead(option, value);
}

template <auto Member, TextPrinter kPrint>
void PrintText(View view, std::string_view name, StatSink* out) {
  kPrint(out, name, FieldOf<Member>(view.config));
}

// --- row helpers ---

inline constexpr uint64_t kMegabyte = uint64_t{1} << 20;

// memcached's counts (-c, -t, -R, -n): "<what> must be greater than 0".
constexpr OptionRange Positive(std::string_view error) {
  return {1, std::numeric_limits<int32_t>::max(), error};
}

// Every value `Member` can hold (divided by the unit it is given in).
template <auto Member, uint64_t kUnit = 1>
constexpr OptionRange AnyValue() {
  using Type = typename MemberOf<decltype(Member)>::Type;
  using Limits = std::numeric_limits<Type>;
  constexpr uint64_t kMax =
      std::min<uint64_t>(uint64_t{Limits::max()}, uint64_t{std::numeric_limits<int64_t>::max()});
  return {static_cast<int64_t>(Limits::min()), static_cast<int64_t>(kMax / kUnit), ""};
}

// The fields every row helper fills: `print` only when `setting` names a
// "stats settings" line.
constexpr Option Row(char letter, std::string_view name, OptionArg arg,
                     std::string_view placeholder, std::string_view default_text,
                     std::string_view help, decltype(Option::apply) apply, std::string_view setting,
                     decltype(Option::print) print, OptionRange range = {}) {
  return {letter,      name,         arg,
          placeholder, default_text, help,
          apply,       setting,      setting.empty() ? nullptr : print,
          range};
}

// A flag without a value that sets a bool: "-o lru_crawler" (true),
// "-o no_lru_crawler" or -C (false). Prints yes/no when `setting` is named.
template <auto Member, bool kOn>
constexpr Option Switch(char letter, std::string_view name, std::string_view default_text,
                        std::string_view help, std::string_view setting = "") {
  return Row(letter, name, OptionArg::kNone, "", default_text, help, &ApplySwitch<Member, kOn>,
             setting, &PrintYesNo<Member>);
}

// A whole number in `range` (default: anything the field holds), given in
// units of kUnit (kMegabyte: "-o read_buf_mem_limit=4" is 4 MiB).
template <auto Member, uint64_t kUnit = 1>
constexpr Option Integer(char letter, std::string_view name, std::string_view placeholder,
                         std::string_view default_text, std::string_view help,
                         std::string_view setting = "",
                         OptionRange range = AnyValue<Member, kUnit>()) {
  return Row(letter, name, OptionArg::kRequired, placeholder, default_text, help,
             &ApplyInteger<Member, kUnit>, setting, &PrintInteger<Member>, range);
}

// A decimal, printed with two decimals ("0.20").
template <auto Member>
constexpr Option Factor(char letter, std::string_view name, std::string_view placeholder,
                        std::string_view default_text, std::string_view help,
                        std::string_view setting = "") {
  return Row(letter, name, OptionArg::kRequired, placeholder, default_text, help,
             &ApplyFactor<Member>, setting, &PrintTwoDecimals<Member>);
}

// A string (a file, a list), printed by kPrint when `setting` is named.
template <auto Member, TextPrinter kPrint = OrNULL, TextReader kRead = Need>
constexpr Option Text(char letter, std::string_view name, std::string_view placeholder,
                      std::string_view default_text, std::string_view help,
                      std::string_view setting = "") {
  return Row(letter, name, OptionArg::kRequired, placeholder, default_text, help,
             &ApplyText<Member, kRead>, setting, &PrintText<Member, kPrint>);
}

}  // namespace slabcached::option_rows
