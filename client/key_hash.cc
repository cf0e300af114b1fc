#include "client/key_hash.h"

#include <cstring>

namespace slabcached::client {
namespace {

// MD5 (RFC 1321). K[i] = floor(|sin(i + 1)| * 2^32).
constexpr uint32_t kMd5K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
// Left-rotation amounts, four per round.
constexpr unsigned kMd5Shift[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

constexpr uint32_t RotL(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

void Md5Block(uint32_t state[4], const uint8_t block[64]) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) {
    m[i] = static_cast<uint32_t>(block[4 * i]) | static_cast<uint32_t>(block[4 * i + 1]) << 8 |
           static_cast<uint32_t>(block[4 * i + 2]) << 16 |
           static_cast<uint32_t>(block[4 * i + 3]) << 24;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  // Fully unrolled, the round, message index and shift of each step are
  // constants: about a third of the instructions of the rolled loop (every
  // key placed on the ketama ring is hashed here).
#pragma GCC unroll 64
  for (unsigned i = 0; i < 64; ++i) {
    uint32_t f;
    unsigned g;
    const unsigned round = i / 16;
    switch (round) {
      case 0:
        f = (b & c) | (~b & d);
        g = i;
        break;
      case 1:
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
        break;
      case 2:
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
        break;
      default:
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
        break;
    }
    const uint32_t rotated = RotL(a + f + kMd5K[i] + m[g], kMd5Shift[round][i % 4]);
    a = d;
    d = c;
    c = b;
    b = b + rotated;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

// Reflected CRC-32 (polynomial 0xEDB88320) lookup table, built at compile time.
constexpr std::array<uint32_t, 256> MakeCrc32Table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32Table = MakeCrc32Table();

// A key byte as libhashkit and twemproxy see it: `(uint32_t) (char) byte`, i.e.
// sign-extended where char is signed (x86-64), so 0xe9 becomes 0xffffffe9.
constexpr uint32_t WidenedChar(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}

}  // namespace

Md5Digest Md5(std::string_view data) {
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  size_t full = data.size() / 64 * 64;
  for (size_t off = 0; off < full; off += 64) Md5Block(state, bytes + off);

  // Tail: the remaining bytes, 0x80, zeros, and the bit length (little-endian).
  uint8_t tail[128] = {};
  const size_t rest = data.size() - full;
  if (rest > 0) std::memcpy(tail, bytes + full, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  Md5Block(state, tail);
  if (tail_len == 128) Md5Block(state, tail + 64);

  Md5Digest digest;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) digest[4 * i + j] = static_cast<uint8_t>(state[i] >> (8 * j));
  }
  return digest;
}

uint32_t HashMd5(std::string_view key) { return DigestWord(Md5(key), 0); }

uint32_t HashOneAtATime(std::string_view key) {
  uint32_t h = 0;
  for (char c : key) {
    h += WidenedChar(c);
    h += h << 10;
    h ^= h >> 6;
  }
  h += h << 3;
  h ^= h >> 11;
  h += h << 15;
  return h;
}

uint32_t HashFnv1a64(std::string_view key) {
  // twemproxy's and libhashkit's "fnv1a_64" keep only the low 32 bits of the
  // 64-bit FNV offset basis and prime and work in 32-bit arithmetic.
  constexpr uint32_t kBasis = static_cast<uint32_t>(0xcbf29ce484222325ULL);
  constexpr uint32_t kPrime = static_cast<uint32_t>(0x100000001b3ULL);
  uint32_t h = kBasis;
  for (char c : key) {
    h ^= WidenedChar(c);
    h *= kPrime;
  }
  return h;
}

uint32_t HashCrc32(std::string_view key) {
  uint32_t crc = 0xffffffffu;
  for (char c : key) crc = (crc >> 8) ^ kCrc32Table[(crc ^ static_cast<uint8_t>(c)) & 0xff];
  return ((~crc) >> 16) & 0x7fff;
}

uint32_t HashKey(KeyHash hash, std::string_view key) {
  switch (hash) {
    case KeyHash::kMd5:
      return HashMd5(key);
    case KeyHash::kOneAtATime:
      return HashOneAtATime(key);
    case KeyHash::kFnv1a64:
      return HashFnv1a64(key);
    case KeyHash::kCrc32:
      return HashCrc32(key);
  }
  return 0;
}

std::string_view KeyHashName(KeyHash hash) {
  switch (hash) {
    case KeyHash::kMd5:
      return "md5";
    case KeyHash::kOneAtATime:
      return "one_at_a_time";
    case KeyHash::kFnv1a64:
      return "fnv1a_64";
    case KeyHash::kCrc32:
      return "crc32";
  }
  return "";
}

std::optional<KeyHash> ParseKeyHash(std::string_view name) {
  for (KeyHash h : {KeyHash::kMd5, KeyHash::kOneAtATime, KeyHash::kFnv1a64, KeyHash::kCrc32}) {
    if (name == KeyHashName(h)) return h;
  }
  return std::nullopt;
}

}  // namespace slabcached::client
