// Key hash functions used to place keys on servers, bit-compatible with
// libmemcached 1.x (libhashkit) and twemproxy. Pure functions: no server
// knowledge, no I/O, no allocation.
//
// Keys are raw bytes. Where the reference implementations read a byte as a
// (signed) `char` and widen it to uint32_t (one-at-a-time, fnv1a_64, crc32's
// table index is unaffected), bytes >= 0x80 are sign-extended exactly as they
// are on x86-64 Linux builds of libmemcached and twemproxy, so keys with
// non-ASCII bytes land on the same server.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace slabcached::client {

using Md5Digest = std::array<uint8_t, 16>;

// RFC 1321 MD5 of `data`.
Md5Digest Md5(std::string_view data);

// Word `alignment` (0..3) of a digest, little-endian: d[4a] | d[4a+1] << 8 | ...
// (libmemcached's ketama_server_hash / twemproxy's ketama_hash).
constexpr uint32_t DigestWord(const Md5Digest& d, unsigned alignment) {
  const unsigned o = alignment * 4;
  return static_cast<uint32_t>(d[o]) | static_cast<uint32_t>(d[o + 1]) << 8 |
         static_cast<uint32_t>(d[o + 2]) << 16 | static_cast<uint32_t>(d[o + 3]) << 24;
}

enum class KeyHash : uint8_t {
  kMd5,         // libhashkit MEMCACHED_HASH_MD5 / twemproxy "md5": first digest word
  kOneAtATime,  // libhashkit MEMCACHED_HASH_DEFAULT (Jenkins one-at-a-time)
  kFnv1a64,     // libhashkit MEMCACHED_HASH_FNV1A_64 == twemproxy "fnv1a_64" (32-bit arithmetic)
  kCrc32,       // libhashkit MEMCACHED_HASH_CRC == twemproxy "crc32" (15 bits of CRC-32)
};

uint32_t HashMd5(std::string_view key);
uint32_t HashOneAtATime(std::string_view key);
uint32_t HashFnv1a64(std::string_view key);
uint32_t HashCrc32(std::string_view key);

uint32_t HashKey(KeyHash hash, std::string_view key);

// "md5", "one_at_a_time", "fnv1a_64", "crc32" (twemproxy's names) and back.
std::string_view KeyHashName(KeyHash hash);
std::optional<KeyHash> ParseKeyHash(std::string_view name);

}  // namespace slabcached::client
