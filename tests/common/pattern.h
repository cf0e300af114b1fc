// Test values whose bytes differ from position to position, so a piece of a
// value sent in the wrong order, twice or not at all shows in a comparison.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace slabcached::testing {

inline std::string PatternValue(size_t n, uint32_t seed = 0) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>('a' + (x >> 16) % 26);
  }
  return s;
}

}  // namespace slabcached::testing
