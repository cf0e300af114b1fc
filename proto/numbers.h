// memcached-compatible number parsing for protocol tokens.
//
// memcached parses numeric arguments with safe_strtoul / safe_strtol /
// safe_strtoull (util.c), which wrap the C library's strto* functions. These
// helpers reproduce that behaviour exactly on LP64 (where `long` is 64 bits),
// quirks included, without locale, errno or NUL-terminated strings:
//
//  * leading C whitespace (\t \v \f \r; a token never holds ' ' or \n) and
//    one '+' or '-' sign are accepted, as strto* does;
//  * the number must be followed by the end of the token or by a whitespace
//    character (anything after that whitespace is ignored: "5\tx" is 5);
//  * an overflow of the 64-bit intermediate (ERANGE) is rejected;
//  * unsigned parsers reject a value whose top bit is set when the token
//    contains a '-' ("-1" is rejected, but "-0" is 0 and
//    "-18446744073709551615" is 1, as with strtoull);
//  * the 32-bit variants narrow the 64-bit result modulo 2^32 instead of
//    rejecting it, because memcached stores the `long` into a 32-bit
//    variable: flags "4294967297" are 1, bytes "4294967298" are 2, exptime
//    "4294967296" is 0 (checked against memcached 1.6.18).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slabcached::proto {

namespace numbers_internal {

// isspace() in the "C" locale.
constexpr bool IsCSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

struct Strto {
  bool converted = false;  // at least one digit (else strto* sets endptr = str)
  bool overflow = false;   // ERANGE
  bool negative = false;
  uint64_t magnitude = 0;  // saturated at `limit` when overflow
  size_t end = 0;          // index of the first unparsed character
};

// The digit scan shared by strtoull and strtoll; `limit_pos` and `limit_neg`
// are the largest magnitudes representable for each sign.
constexpr Strto Scan(std::string_view s, uint64_t limit_pos, uint64_t limit_neg) {
  Strto r;
  size_t i = 0;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    r.negative = s[i] == '-';
    ++i;
  }
  const uint64_t limit = r.negative ? limit_neg : limit_pos;
  const size_t digits_begin = i;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const auto d = static_cast<uint64_t>(s[i] - '0');
    if (r.overflow) continue;
    if (r.magnitude > (limit - d) / 10) {
      r.overflow = true;
      r.magnitude = limit;
    } else {
      r.magnitude = r.magnitude * 10 + d;
    }
  }
  r.converted = i > digits_begin;
  r.end = i;
  return r;
}

// memcached's acceptance test on the character after the number.
constexpr bool TerminatorOk(std::string_view s, size_t end) {
  return end == s.size() || IsCSpace(s[end]);
}

}  // namespace numbers_internal

// safe_strtoull(): decimal u64.
constexpr bool SafeStrtoull(std::string_view s, uint64_t* out) {
  using namespace numbers_internal;
  const Strto r = Scan(s, UINT64_MAX, UINT64_MAX);
  if (!r.converted || r.overflow || !TerminatorOk(s, r.end)) return false;
  const uint64_t value = r.negative ? (~r.magnitude + 1) : r.magnitude;
  if ((value >> 63) != 0 && s.find('-') != std::string_view::npos) return false;
  *out = value;
  return true;
}

// safe_strtoul(): strtoul (64-bit on LP64) narrowed to u32.
constexpr bool SafeStrtoul(std::string_view s, uint32_t* out) {
  uint64_t wide = 0;
  if (!SafeStrtoull(s, &wide)) return false;
  *out = static_cast<uint32_t>(wide);
  return true;
}

// safe_strtoll(): decimal i64.
constexpr bool SafeStrtoll(std::string_view s, int64_t* out) {
  using namespace numbers_internal;
  const Strto r = Scan(s, uint64_t{INT64_MAX}, uint64_t{INT64_MAX} + 1);
  if (!r.converted || r.overflow || !TerminatorOk(s, r.end)) return false;
  *out = static_cast<int64_t>(r.negative ? (~r.magnitude + 1) : r.magnitude);
  return true;
}

// safe_strtol(): strtol (64-bit on LP64) narrowed to i32.
constexpr bool SafeStrtol(std::string_view s, int32_t* out) {
  int64_t wide = 0;
  if (!SafeStrtoll(s, &wide)) return false;
  *out = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(wide)));
  return true;
}

}  // namespace slabcached::proto
