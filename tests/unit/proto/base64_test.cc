// base64 for meta keys: memcached's decoder quirks (base64.c) and encoding.
#include "proto/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::proto {
namespace {

// Decoded bytes, or "<fail>" when memcached's base64_decode() returns 0.
std::string Decode(std::string_view in) {
  std::string out(in.size(), '\0');
  const size_t n = Base64Decode(in, out.data(), out.size());
  return n == 0 ? "<fail>" : out.substr(0, n);
}

std::string Encode(std::string_view in) {
  std::string out(Base64EncodedSize(in.size()), '\0');
  out.resize(Base64Encode(in, out.data()));
  return out;
}

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Encode(""), "");
  EXPECT_EQ(Encode("f"), "Zg==");
  EXPECT_EQ(Encode("fo"), "Zm8=");
  EXPECT_EQ(Encode("foo"), "Zm9v");
  EXPECT_EQ(Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Encode(std::string("\0\xff\xfe", 3)), "AP/+");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  EXPECT_EQ(Decode("Zg=="), "f");
  EXPECT_EQ(Decode("Zm8="), "fo");
  EXPECT_EQ(Decode("Zm9v"), "foo");
  EXPECT_EQ(Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(Decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(Decode("AP/+"), std::string("\0\xff\xfe", 3));
}

// Each row was sent to memcached 1.6.18 as "mg <in> b k": the key it echoed
// (re-encoded) or "CLIENT_ERROR error decoding key".
TEST(Base64Test, DecodesLikeMemcached) {
  EXPECT_EQ(Decode(""), "<fail>");
  EXPECT_EQ(Decode("foo"), "<fail>");   // 3 symbols
  EXPECT_EQ(Decode("QQ"), "<fail>");    // unpadded
  EXPECT_EQ(Decode("A==="), "<fail>");  // three pads
  EXPECT_EQ(Decode("===="), "<fail>");  // four pads
  EXPECT_EQ(Decode("!!!!"), "<fail>");  // no alphabet byte at all
  EXPECT_EQ(Decode("Zm9v!"), "foo");    // junk bytes are skipped ...
  EXPECT_EQ(Decode("Z!m9v"), "foo");    // ... anywhere
  EXPECT_EQ(Decode("Zm\r9v"), "foo");
  EXPECT_EQ(Decode("QR=="), "A");      // unused low bits not checked (echo: QQ==)
  EXPECT_EQ(Decode("QQ==QUJD"), "A");  // stops after the first padded group
  EXPECT_EQ(Decode("Q=Q="), "@");      // '=' is zero bits wherever it is (echo: QA==)
  EXPECT_EQ(Decode("AA=="), std::string(1, '\0'));
  EXPECT_EQ(Decode("AAAA"), std::string(3, '\0'));
  EXPECT_EQ(Decode("Zm9vYmFy=="), "<fail>");  // 10 symbols
}

TEST(Base64Test, DecodeRespectsOutputSize) {
  char out[3];
  EXPECT_EQ(Base64Decode("Zm9v", out, 3), 3u);
  EXPECT_EQ(Base64Decode("Zm9vYmFy", out, 3), 0u);
}

TEST(Base64Test, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 1; len <= all.size(); len += 7) {
    const std::string in = all.substr(all.size() - len);
    EXPECT_EQ(Decode(Encode(in)), in) << len;
  }
}

}  // namespace
}  // namespace slabcached::proto
