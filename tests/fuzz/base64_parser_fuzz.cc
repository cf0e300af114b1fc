// libFuzzer target for the base64 key decoder (proto/base64.h), which takes
// meta keys with the `b` flag straight from clients. Build and run:
// scripts/fuzz.
//
// Byte 0 picks the output room; the rest is the encoded key. Decoding goes
// into an exact heap buffer (ASan sees overruns) and must match a plain
// model of memcached's rules written from base64.h; encoding the rest must
// decode back to it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "proto/base64.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

int Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return 0;
  return -1;
}

// memcached's base64_decode() as base64.h describes it; "" when it fails.
std::string Model(std::string_view in) {
  std::string symbols;
  for (const char c : in) {
    if (Value(c) >= 0) symbols += c;
  }
  if (symbols.empty() || symbols.size() % 4 != 0) return "";
  std::string out;
  for (size_t i = 0; i < symbols.size(); i += 4) {
    uint32_t bits = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      bits = bits << 6 | static_cast<uint32_t>(Value(symbols[i + k]));
      if (symbols[i + k] == '=') ++pad;
    }
    out += static_cast<char>(bits >> 16);
    out += static_cast<char>(bits >> 8);
    out += static_cast<char>(bits);
    if (pad > 2) return "";
    if (pad > 0) {
      out.resize(out.size() - pad);
      break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string expected = Model(in);

  // Enough room (the documented in.size() / 4 * 3), exactly.
  const size_t room = in.size() / 4 * 3;
  auto out = std::make_unique<char[]>(room);
  const size_t n = slabcached::proto::Base64Decode(in, out.get(), room);
  Check(std::string_view(out.get(), n) == expected);

  // Less room: never written past, and either the full result or failure.
  const size_t small = data[0] % (room + 1);
  auto tight = std::make_unique<char[]>(small);
  const size_t m = slabcached::proto::Base64Decode(in, tight.get(), small);
  Check(m <= small && (m == 0 || std::string_view(tight.get(), m) == expected));

  // Encode -> decode is the identity.
  if (!in.empty()) {
    const size_t encoded_size = slabcached::proto::Base64EncodedSize(in.size());
    auto encoded = std::make_unique<char[]>(encoded_size);
    Check(slabcached::proto::Base64Encode(in, encoded.get()) == encoded_size);
    const std::string_view text(encoded.get(), encoded_size);
    for (const char c : text) Check(Value(c) >= 0);
    auto back = std::make_unique<char[]>(encoded_size / 4 * 3);
    const size_t k = slabcached::proto::Base64Decode(text, back.get(), encoded_size / 4 * 3);
    Check(std::string_view(back.get(), k) == in);
  }
  return 0;
}
