#include "src/option_rows.h"

#include <glog/logging.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "src/stats.h"

namespace slabcached::option_rows {

std::string Spelling(const Option& option) {
  if (option.extended()) return "-o " + std::string(option.name);
  return std::string("-") + option.letter + " (--" + std::string(option.name) + ")";
}

void Invalid(const Option& option, std::string_view text) {
  throw CommandLineError("invalid value for " + Spelling(option) + ": \"" + std::string(text) +
                         "\"");
}

std::string_view Need(const Option& option, Value value) {
  if (!value) throw CommandLineError(Spelling(option) + " needs a value");
  return *value;
}

int64_t WholeNumber(const Option& option, std::string_view text) {
  int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    Invalid(option, text);
  }
  return number;
}

double Decimal(const Option& option, std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double number = std::strtod(copy.c_str(), &end);
  if (copy.empty() || *end != '\0') Invalid(option, text);
  return number;
}

std::string_view NeedArgument(const Option& option, Value value) {
  if (!value) throw CommandLineError("Missing " + std::string(option.name) + " argument");
  return *value;
}

int64_t ParsedArgument(const Option& option, Value value) {
  const std::string_view text = NeedArgument(option, value);
  int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw CommandLineError("could not parse argument to " + std::string(option.name));
  }
  return number;
}

void Ignore(const Option&, Value, ParsedOptions*) {}

void Unsigned(StatSink* out, std::string_view name, uint64_t value) {
  AppendStat(out, name, value);
}

void YesNo(StatSink* out, std::string_view name, bool on) {
  AppendStat(out, name, on ? "yes" : "no");
}

void TwoDecimals(StatSink* out, std::string_view name, double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  AppendStat(out, name, text);
}

void OrNull(StatSink* out, std::string_view name, const std::string& text) {
  AppendStat(out, name, text.empty() ? std::string("(null)") : text);
}

void OrNULL(StatSink* out, std::string_view name, const std::string& text) {
  AppendStat(out, name, text.empty() ? std::string("NULL") : text);
}

}  // namespace slabcached::option_rows
