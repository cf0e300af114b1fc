// One input line of `slabcache-cli load`: "key<TAB>value". Pure; the value
// is everything after the first TAB (it may hold more TABs), a trailing \r
// is dropped.
#pragma once

#include <string_view>

namespace slabcached::client {

struct LoadLine {
  std::string_view key;
  std::string_view value;
  std::string_view error;  // non-empty: the line is malformed, and why
};

LoadLine ParseLoadLine(std::string_view line);

}  // namespace slabcached::client
