// libFuzzer target for the hot-key sketch (src/hot_keys.h), whose keys come
// straight from clients (binary keys hold any byte), and for the "stats
// hotkeys [N]" argument. Build and run: scripts/fuzz.
//
// Input: NUL-separated keys. Byte 0 picks how many slots' worth of churn a
// key repeats. Checks: the table never holds more than kHotKeySlots keys or
// a key over kHotKeyMaxBytes; counts add up to what was added while every
// key fits, never fall below a key's true count, and count - error never
// exceeds it; escaped keys are printable ASCII with no space.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "src/hot_keys.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.empty()) return 0;
  const size_t repeat = 1 + static_cast<uint8_t>(in.front()) % 4;
  in.remove_prefix(1);
  (void)slabcached::ParseHotKeysLimit(in.substr(0, 64));  // any bytes: no crash, no overrun

  slabcached::SpaceSaving sketch;
  std::map<std::string, uint64_t> truth;
  uint64_t added = 0;
  while (!in.empty()) {
    const size_t end = in.find('\0');
    const std::string_view key = in.substr(0, end);
    in.remove_prefix(end == std::string_view::npos ? in.size() : end + 1);
    for (size_t i = 0; i < repeat; ++i) {
      sketch.Add(key);
      ++truth[std::string(key.substr(0, slabcached::kHotKeyMaxBytes))];
      ++added;
    }
  }
  const auto top = sketch.Top();
  Check(top.size() <= slabcached::kHotKeySlots);
  uint64_t counted = 0;
  for (const slabcached::HotKeyCount& entry : top) {
    Check(entry.key.size() <= slabcached::kHotKeyMaxBytes);
    const uint64_t real = truth[entry.key];
    Check(entry.count >= real && entry.count - entry.error <= real);
    counted += entry.count;
    for (char c : slabcached::EscapeHotKey(entry.key)) Check(c > ' ' && c <= '~');
  }
  // Space-Saving conserves the total: every add raised one count by one.
  Check(counted == added);
  return 0;
}
