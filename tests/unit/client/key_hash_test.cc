#include "client/key_hash.h"

#include <gtest/gtest.h>
#include <libmemcached/memcached.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace slabcached::client {
namespace {

std::string Hex(const Md5Digest& d) {
  std::string out;
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof(buf), "%02x", b);
    out += buf;
  }
  return out;
}

TEST(KeyHashTest, Md5MatchesRfc1321Vectors) {
  EXPECT_EQ(Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex(Md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Hex(Md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Hex(Md5("1234567890123456789012345678901234567890123456789012345678901234567890123456"
                    "7890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(KeyHashTest, Md5HandlesEveryPaddingBoundary) {
  // Lengths 0..200 cover the 55/56/63/64-byte padding edges; compared with libhashkit.
  std::string s;
  for (int len = 0; len <= 200; ++len) {
    EXPECT_EQ(HashMd5(s), memcached_generate_hash_value(s.data(), s.size(), MEMCACHED_HASH_MD5))
        << "length " << len;
    s.push_back(static_cast<char>('a' + len % 26));
  }
}

TEST(KeyHashTest, KeyHashesMatchLibhashkitIncludingNonAsciiBytes) {
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> len(0, 250), byte(0, 255);
  int compared = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string key(len(rng), '\0');
    for (char& c : key) c = static_cast<char>(byte(rng));
    for (KeyHash h : {KeyHash::kMd5, KeyHash::kOneAtATime, KeyHash::kFnv1a64, KeyHash::kCrc32}) {
      memcached_hash_t lm = h == KeyHash::kMd5          ? MEMCACHED_HASH_MD5
                            : h == KeyHash::kOneAtATime ? MEMCACHED_HASH_DEFAULT
                            : h == KeyHash::kFnv1a64    ? MEMCACHED_HASH_FNV1A_64
                                                        : MEMCACHED_HASH_CRC;
      ASSERT_EQ(HashKey(h, key), memcached_generate_hash_value(key.data(), key.size(), lm))
          << KeyHashName(h) << " key #" << i;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 8000);
}

TEST(KeyHashTest, HighBytesAreSignExtendedLikeLibhashkit) {
  // "\xe9" is read as (uint32_t)(char)0xe9 = 0xffffffe9 by one-at-a-time and fnv1a_64.
  EXPECT_NE(HashOneAtATime("\xe9"), HashOneAtATime(std::string(1, '\x69')));
  EXPECT_EQ(HashFnv1a64("\xe9"), (0x84222325u ^ 0xffffffe9u) * 0x1b3u);
}

TEST(KeyHashTest, NamesRoundTrip) {
  for (KeyHash h : {KeyHash::kMd5, KeyHash::kOneAtATime, KeyHash::kFnv1a64, KeyHash::kCrc32}) {
    EXPECT_EQ(ParseKeyHash(KeyHashName(h)), h);
  }
  EXPECT_FALSE(ParseKeyHash("sha1"));
}

}  // namespace
}  // namespace slabcached::client
