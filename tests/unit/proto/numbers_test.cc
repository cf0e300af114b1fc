// proto/numbers.h against memcached's util.c semantics: a table of the
// surprising cases, and a differential test against the C library's strto*
// wrapped exactly as memcached 1.6.18 wraps them (on LP64).
#include "proto/numbers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace slabcached::proto {
namespace {

static_assert(sizeof(long) == 8, "memcached's narrowing quirks are those of LP64");

// --- memcached 1.6.18 util.c, restated over std::string (NUL-terminated) ---
std::optional<uint64_t> RefStrtoull(const std::string& s) {
  errno = 0;
  char* end = nullptr;
  unsigned long long ull = std::strtoull(s.c_str(), &end, 10);
  if (errno == ERANGE || end == s.c_str()) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(*end)) || *end == '\0') {
    if (static_cast<long long>(ull) < 0 && std::strchr(s.c_str(), '-') != nullptr) {
      return std::nullopt;
    }
    return ull;
  }
  return std::nullopt;
}

std::optional<uint32_t> RefStrtoul(const std::string& s) {
  errno = 0;
  char* end = nullptr;
  unsigned long l = std::strtoul(s.c_str(), &end, 10);
  if (errno == ERANGE || end == s.c_str()) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(*end)) || *end == '\0') {
    if (static_cast<long>(l) < 0 && std::strchr(s.c_str(), '-') != nullptr) return std::nullopt;
    return static_cast<uint32_t>(l);
  }
  return std::nullopt;
}

std::optional<int32_t> RefStrtol(const std::string& s) {
  errno = 0;
  char* end = nullptr;
  long l = std::strtol(s.c_str(), &end, 10);
  if (errno == ERANGE || end == s.c_str()) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(*end)) || *end == '\0') {
    return static_cast<int32_t>(l);
  }
  return std::nullopt;
}

std::optional<uint64_t> Ull(std::string_view s) {
  uint64_t v = 0;
  if (!SafeStrtoull(s, &v)) return std::nullopt;
  return v;
}
std::optional<uint32_t> Ul(std::string_view s) {
  uint32_t v = 0;
  if (!SafeStrtoul(s, &v)) return std::nullopt;
  return v;
}
std::optional<int32_t> L(std::string_view s) {
  int32_t v = 0;
  if (!SafeStrtol(s, &v)) return std::nullopt;
  return v;
}

TEST(NumbersTest, StrtoullCases) {
  EXPECT_EQ(Ull("0"), 0u);
  EXPECT_EQ(Ull("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(Ull("18446744073709551616"), std::nullopt);  // ERANGE
  EXPECT_EQ(Ull("-1"), std::nullopt);                    // incr k -1
  EXPECT_EQ(Ull("-0"), 0u);
  EXPECT_EQ(Ull("-18446744073709551615"), 1u);  // strtoull negates; top bit clear
  EXPECT_EQ(Ull("+7"), 7u);
  EXPECT_EQ(Ull("\t7"), 7u);    // leading whitespace skipped by strtoull
  EXPECT_EQ(Ull("7\t"), 7u);    // whitespace terminator accepted
  EXPECT_EQ(Ull("7\tzz"), 7u);  // ... and whatever follows it ignored
  EXPECT_EQ(Ull("7\r"), 7u);
  EXPECT_EQ(Ull("7x"), std::nullopt);
  EXPECT_EQ(Ull("x7"), std::nullopt);
  EXPECT_EQ(Ull(""), std::nullopt);
  EXPECT_EQ(Ull("+"), std::nullopt);
  EXPECT_EQ(Ull("-"), std::nullopt);
  EXPECT_EQ(Ull("\t"), std::nullopt);
  EXPECT_EQ(Ull("0x10"), std::nullopt);  // base 10 only: "0" then 'x'
  EXPECT_EQ(Ull("00012"), 12u);
}

TEST(NumbersTest, StrtoulNarrowsModulo2To32) {
  EXPECT_EQ(Ul("4294967295"), 4294967295u);
  EXPECT_EQ(Ul("4294967296"), 0u);  // set k 4294967296 0 1 -> flags 0 in memcached 1.6.18
  EXPECT_EQ(Ul("4294967297"), 1u);
  EXPECT_EQ(Ul("9223372036854775808"), 0u);
  EXPECT_EQ(Ul("-1"), std::nullopt);
  EXPECT_EQ(Ul("-4294967295"), std::nullopt);  // 2^64-2^32+1: top bit set and a '-'
  EXPECT_EQ(Ul("-18446744073709551615"), 1u);  // 1: top bit clear, so the '-' is not checked
}

TEST(NumbersTest, StrtolNarrowsModulo2To32) {
  EXPECT_EQ(L("-1"), -1);
  EXPECT_EQ(L("2147483647"), INT32_MAX);
  EXPECT_EQ(L("2147483648"), INT32_MIN);  // exptime 2^31 becomes negative (expired)
  EXPECT_EQ(L("4294967295"), -1);         // bytes 4294967295 -> -1 -> rejected later
  EXPECT_EQ(L("4294967298"), 2);          // bytes 4294967298 -> 2 (memcached stores 2 bytes)
  EXPECT_EQ(L("9223372036854775807"), -1);
  EXPECT_EQ(L("9223372036854775808"), std::nullopt);  // ERANGE
  EXPECT_EQ(L("-9223372036854775808"), 0);
  EXPECT_EQ(L("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(L("99999999999"), 1215752191);
}

// Tokens never contain ' ', '\n' or NUL (the tokenizer and framing remove them).
std::vector<std::string> InterestingTokens() {
  std::vector<std::string> out = {"0",
                                  "1",
                                  "-1",
                                  "+1",
                                  "-0",
                                  "+0",
                                  "--1",
                                  "+-1",
                                  "1-",
                                  "1+",
                                  "-",
                                  "+",
                                  "\t",
                                  "\r",
                                  "\v",
                                  "\f",
                                  "\t-5",
                                  "5\t-",
                                  "5\r",
                                  "1\t2",
                                  "1e3",
                                  "0x1",
                                  "abc",
                                  "1.5",
                                  " ",
                                  "18446744073709551615",
                                  "18446744073709551616",
                                  "-18446744073709551615",
                                  "-18446744073709551616",
                                  "9223372036854775807",
                                  "9223372036854775808",
                                  "-9223372036854775808",
                                  "-9223372036854775809",
                                  "4294967295",
                                  "4294967296",
                                  "-4294967296",
                                  "2147483647",
                                  "2147483648",
                                  "-2147483648",
                                  "-2147483649",
                                  "99999999999999999999999999",
                                  "0000000000000000000000000000001",
                                  "18446744073709551615\t-",
                                  "9223372036854775808\t-"};
  out.erase(std::remove(out.begin(), out.end(), " "), out.end());
  std::mt19937_64 rng(20240611);
  const std::string alphabet = "0123456789+-\t\r\vxa";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const size_t len = 1 + rng() % 24;
    for (size_t j = 0; j < len; ++j) {
      // Mostly digits so that many tokens are numbers near the type limits.
      s.push_back(rng() % 4 != 0 ? static_cast<char>('0' + rng() % 10)
                                 : alphabet[rng() % alphabet.size()]);
    }
    out.push_back(std::move(s));
  }
  return out;
}

TEST(NumbersTest, MatchesLibcWrappedAsMemcached) {
  for (const std::string& s : InterestingTokens()) {
    ASSERT_EQ(Ull(s), RefStrtoull(s)) << "token '" << s << "'";
    ASSERT_EQ(Ul(s), RefStrtoul(s)) << "token '" << s << "'";
    ASSERT_EQ(L(s), RefStrtol(s)) << "token '" << s << "'";
  }
}

}  // namespace
}  // namespace slabcached::proto
