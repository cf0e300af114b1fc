// One input line of the invalidator (invalidator.h): either a bare key, or a
// JSON object of exactly this shape:
//
//   {"event": "user-updated", "keys": ["user:42", "profile:42"]}
//
// The parser is pure (no I/O, no allocation beyond the result) and strict:
// "keys" is required (an array of strings, possibly empty), "event" is an
// optional string, no other member, no duplicate member, nothing after the
// object but spaces. Strings take JSON's escapes (\uXXXX included, surrogate
// pairs joined); every key must be a key memcached accepts (IsValidKey), so
// a line is taken whole or not at all. A trailing \r is dropped; a line of
// only spaces is empty (no keys, no error).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slabcached::client {

struct InvalidationEvent {
  std::string event;              // the JSON "event" member; empty for a bare key
  std::vector<std::string> keys;  // what to delete
  std::string_view error;         // non-empty: the line is malformed (nothing to delete), and why
};

InvalidationEvent ParseInvalidationEvent(std::string_view line);

}  // namespace slabcached::client
