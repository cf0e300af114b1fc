// libFuzzer target for one input line of `slabcache-cli invalidate`
// (client/invalidation_event.h), which reads events from pipes of any origin.
// Build and run: scripts/fuzz (FUZZ_TARGETS=invalidation_event).
//
// The line is copied into an exact heap buffer (ASan sees overreads). A
// malformed line yields no keys; every key yielded is one memcached accepts;
// a bare line yields itself; an accepted object re-encoded as JSON parses
// to the same event and keys.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "client/client.h"
#include "client/invalidation_event.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using slabcached::client::InvalidationEvent;
  using slabcached::client::ParseInvalidationEvent;
  auto bytes = std::make_unique<char[]>(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(data[i]);
  const std::string_view line(bytes.get(), size);
  const InvalidationEvent parsed = ParseInvalidationEvent(line);
  if (!parsed.error.empty()) {
    Check(parsed.keys.empty() && parsed.event.empty());
    return 0;
  }
  for (const std::string& key : parsed.keys) Check(slabcached::client::IsValidKey(key));
  const size_t first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    Check(parsed.keys.empty());
  } else if (line[first] != '{') {
    std::string_view bare = line;
    if (bare.ends_with('\r')) bare.remove_suffix(1);
    Check(parsed.keys.size() == 1 && parsed.keys[0] == bare);
  } else {
    std::string json = "{\"event\":" + Quote(parsed.event) + ",\"keys\":[";
    for (size_t i = 0; i < parsed.keys.size(); ++i) {
      json += (i > 0 ? "," : "") + Quote(parsed.keys[i]);
    }
    json += "]}";
    const InvalidationEvent again = ParseInvalidationEvent(json);
    Check(again.error.empty() && again.keys == parsed.keys && again.event == parsed.event);
  }
  return 0;
}
