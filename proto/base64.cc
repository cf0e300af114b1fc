// base64 for meta-protocol keys: see base64.h for memcached's decoding rules.
#include "proto/base64.h"

#include <array>
#include <cstdint>

namespace slabcached::proto {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kSkip = 0x80;

// Byte -> 6-bit value; '=' is 0 (it counts as data), the rest kSkip.
constexpr std::array<uint8_t, 256> kDecode = [] {
  std::array<uint8_t, 256> t{};
  t.fill(kSkip);
  for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<uint8_t>(kAlphabet[i])] = i;
  t['='] = 0;
  return t;
}();

}  // namespace

size_t Base64Encode(std::string_view in, char* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  char* p = out;
  for (; n >= 3; n -= 3, s += 3) {
    *p++ = kAlphabet[s[0] >> 2];
    *p++ = kAlphabet[((s[0] & 0x03) << 4) | (s[1] >> 4)];
    *p++ = kAlphabet[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
    *p++ = kAlphabet[s[2] & 0x3f];
  }
  if (n > 0) {
    *p++ = kAlphabet[s[0] >> 2];
    if (n == 1) {
      *p++ = kAlphabet[(s[0] & 0x03) << 4];
      *p++ = '=';
    } else {
      *p++ = kAlphabet[((s[0] & 0x03) << 4) | (s[1] >> 4)];
      *p++ = kAlphabet[(s[1] & 0x0f) << 2];
    }
    *p++ = '=';
  }
  return static_cast<size_t>(p - out);
}

size_t Base64Decode(std::string_view in, char* out, size_t out_size) {
  size_t count = 0;
  for (const char c : in) count += kDecode[static_cast<uint8_t>(c)] != kSkip ? 1 : 0;
  if (count == 0 || count % 4 != 0 || count / 4 * 3 > out_size) return 0;

  std::array<uint8_t, 4> block{};
  size_t filled = 0;
  int pad = 0;
  char* p = out;
  for (const char c : in) {
    const uint8_t v = kDecode[static_cast<uint8_t>(c)];
    if (v == kSkip) continue;
    if (c == '=') ++pad;
    block[filled++] = v;
    if (filled < 4) continue;
    *p++ = static_cast<char>((block[0] << 2) | (block[1] >> 4));
    *p++ = static_cast<char>((block[1] << 4) | (block[2] >> 2));
    *p++ = static_cast<char>((block[2] << 6) | block[3]);
    filled = 0;
    if (pad > 0) {
      if (pad > 2) return 0;  // "A===", "===="
      p -= pad;
      break;
    }
  }
  return static_cast<size_t>(p - out);
}

}  // namespace slabcached::proto
