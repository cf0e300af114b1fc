// libFuzzer target for what `watch` takes from clients (proto/watch_format.h):
// the argument words, and keys of any bytes in the log lines. Build and run:
// scripts/fuzz.
//
// The arguments must give what a plain model of memcached's
// process_watch_command() gives. A log line built around the input as a key
// must be one line (one "\n", at its end), and its key field must decode
// back to the input (watchers split lines on spaces and newlines).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "proto/watch_format.h"

namespace {

using namespace slabcached::proto;

void Check(bool ok) {
  if (!ok) std::abort();
}

// memcached: words split on spaces; each compared with the kind names over
// the word's length, first match wins; no words means fetchers. Then
// slabcached's own "hotkeys", after every name memcached knows.
std::optional<uint32_t> Model(std::string_view args) {
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"rawcmds", kWatchRawcmds},     {"evictions", kWatchEvictions},
      {"fetchers", kWatchFetchers},   {"mutations", kWatchMutations},
      {"sysevents", kWatchSysevents}, {"connevents", kWatchConnevents},
      {"proxyreqs", kWatchProxyreqs}, {"proxyevents", kWatchProxyevents},
      {"proxyuser", kWatchProxyuser}, {"deletions", kWatchDeletions},
      {"hotkeys", kWatchHotkeys}};
  uint32_t kinds = 0;
  bool any = false;
  std::string word;
  auto finish = [&]() -> bool {
    if (word.empty()) return true;
    any = true;
    for (const auto& [name, kind] : kNames) {
      if (word.size() <= name.size() && name.compare(0, word.size(), word) == 0) {
        kinds |= kind;
        word.clear();
        return true;
      }
    }
    return false;
  };
  for (const char c : args) {
    if (c == ' ') {
      if (!finish()) return std::nullopt;
    } else {
      word += c;
    }
  }
  if (!finish()) return std::nullopt;
  return any ? kinds : static_cast<uint32_t>(kWatchFetchers);
}

int Hex(char c) { return c <= '9' ? c - '0' : c - 'A' + 10; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(ParseWatchArgs(input) == Model(input));

  std::string line;
  AppendItemGetLine(&line, {.sec = 1, .usec = 2, .gid = 3}, {.key = input, .cfd = 4});
  Check(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1);
  const size_t begin = line.find(" key=") + 5;
  const size_t end = line.find(' ', begin);
  Check(end != std::string::npos);
  const std::string_view encoded = std::string_view(line).substr(begin, end - begin);
  std::string decoded;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      Check(i + 2 < encoded.size());
      decoded += static_cast<char>(Hex(encoded[i + 1]) * 16 + Hex(encoded[i + 2]));
      i += 2;
    } else {
      decoded += encoded[i];
    }
  }
  Check(decoded == input);

  // The hotkey line around the same key: one line, the same key field.
  const std::string key_field(encoded);
  line.clear();
  AppendHotKeyLine(&line, {.sec = 1, .usec = 2, .gid = 3},
                   {.key = input, .rank = 1, .requests = 8, .rate = 0.5});
  Check(line.find('\n') == line.size() - 1);
  const size_t hot_begin = line.find(" key=") + 5;
  Check(line.compare(hot_begin, key_field.size(), key_field) == 0);
  Check(line.compare(hot_begin + key_field.size(), 10, " requests=") == 0);
  return 0;
}
