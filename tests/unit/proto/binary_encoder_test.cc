// BinaryEncoder: exact bytes of the responses memcached 1.6.18 sends
// (captured with a raw socket), and encode->decode round trips.
#include "proto/binary_encoder.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::proto::binary {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(BinaryEncoderTest, ErrorPacketCarriesMemcachedText) {
  std::string out;
  AppendError(&out, {static_cast<uint8_t>(Opcode::kGet), 0x01020304}, Status::kKeyNotFound);
  EXPECT_EQ(out, Bytes({0x81, 0x00, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 9,
                        1,    2,    3, 4, 0, 0, 0,    0,    0, 0, 0, 0}) +
                     "Not found");
}

TEST(BinaryEncoderTest, StatusTexts) {
  EXPECT_EQ(StatusText(Status::kKeyExists), "Data exists for key.");
  EXPECT_EQ(StatusText(Status::kTooLarge), "Too large.");
  EXPECT_EQ(StatusText(Status::kInvalidArguments), "Invalid arguments");
  EXPECT_EQ(StatusText(Status::kNotStored), "Not stored.");
  EXPECT_EQ(StatusText(Status::kDeltaBadValue), "Non-numeric server-side value for incr or decr");
  EXPECT_EQ(StatusText(Status::kAuthError), "Auth failure.");
  EXPECT_EQ(StatusText(Status::kUnknownCommand), "Unknown command");
  EXPECT_EQ(StatusText(Status::kOutOfMemory), "Out of memory");
  EXPECT_EQ(StatusText(Status::kSuccess), "");
}

TEST(BinaryEncoderTest, GetKHitHeader) {
  // memcached: GetK hit of key "a" (flags 0, value "1", cas 1).
  std::string out;
  AppendValueHeader(&out, {static_cast<uint8_t>(Opcode::kGetK), 0}, 1, 0, "a", 1);
  out += "1";
  EXPECT_EQ(out, Bytes({0x81, 0x0c, 0, 1, 4, 0, 0, 0, 0, 0, 0, 6, 0, 0,
                        0,    0,    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}) +
                     "a1");
}

TEST(BinaryEncoderTest, IncrValueIsEightBigEndianBytes) {
  std::string out;
  AppendNumber(&out, {static_cast<uint8_t>(Opcode::kIncrement), 0}, 2, 10);
  EXPECT_EQ(out, Bytes({0x81, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0,
                        0,    0,    0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 10}));
}

TEST(BinaryEncoderTest, StatPacketsEndWithAnEmptyOne) {
  std::string out;
  AppendStat(&out, 7, "sizes_status", "disabled");
  AppendStat(&out, 7, "", "");
  Response r;
  size_t n = ParseResponse(out, &r);
  ASSERT_EQ(n, kHeaderSize + 20);
  EXPECT_EQ(r.header.opcode, static_cast<uint8_t>(Opcode::kStat));
  EXPECT_EQ(r.header.opaque, 7u);
  EXPECT_EQ(r.key, "sizes_status");
  EXPECT_EQ(r.value, "disabled");
  ASSERT_EQ(ParseResponse(std::string_view(out).substr(n), &r), kHeaderSize);
  EXPECT_EQ(r.header.bodylen, 0u);
  EXPECT_EQ(r.header.keylen, 0u);
}

TEST(BinaryEncoderTest, ResponseRoundTrip) {
  for (Status status : {Status::kSuccess, Status::kKeyExists, Status::kAuthContinue}) {
    for (uint64_t cas : {0ull, 1ull, ~0ull}) {
      std::string out;
      AppendResponse(&out, {0x1d, 0xfeedface}, status, cas, "ext!", "key", "the value");
      Response r;
      ASSERT_EQ(ParseResponse(out, &r), out.size());
      EXPECT_EQ(r.header.magic, kResponseMagic);
      EXPECT_EQ(r.header.opcode, 0x1d);
      EXPECT_EQ(r.header.status, status);
      EXPECT_EQ(r.header.opaque, 0xfeedfaceu);
      EXPECT_EQ(r.header.cas, cas);
      EXPECT_EQ(r.extras, "ext!");
      EXPECT_EQ(r.key, "key");
      EXPECT_EQ(r.value, "the value");
      // Every proper prefix needs more.
      for (size_t cut = 0; cut < out.size(); ++cut) {
        EXPECT_EQ(ParseResponse(std::string_view(out).substr(0, cut), &r), 0u);
      }
    }
  }
}

TEST(BinaryEncoderTest, ParseResponseRejectsRequestsAndBadLengths) {
  std::string req;
  AppendRequest(&req, Opcode::kNoop, {}, {}, {});
  Response r;
  EXPECT_EQ(ParseResponse(req, &r), SIZE_MAX);
  ResponseHeader h;
  h.keylen = 5;
  h.bodylen = 4;
  std::string bad;
  AppendResponseHeader(&bad, h);
  EXPECT_EQ(ParseResponse(bad, &r), SIZE_MAX);
}

TEST(BinaryEncoderTest, RequestHeaderRoundTrip) {
  std::string out;
  AppendRequest(&out, Opcode::kSet, StoreExtras(0x11223344, 0x55667788), "kk", "vvv", 9, 0x0102);
  const RequestHeader h = DecodeRequestHeader(out);
  EXPECT_EQ(h.magic, kRequestMagic);
  EXPECT_EQ(h.opcode, 0x01);
  EXPECT_EQ(h.keylen, 2);
  EXPECT_EQ(h.extlen, 8);
  EXPECT_EQ(h.bodylen, 13u);
  EXPECT_EQ(h.opaque, 9u);
  EXPECT_EQ(h.cas, 0x0102u);
  EXPECT_EQ(LoadBe32(out.data() + kHeaderSize), 0x11223344u);
  EXPECT_EQ(LoadBe32(out.data() + kHeaderSize + 4), 0x55667788u);
  EXPECT_EQ(ArithmeticExtras(1, 2, 3).size(), 20u);
  EXPECT_EQ(LoadBe64(ArithmeticExtras(1, 0x0a0b0c0d0e0f1011, 3).data() + 8), 0x0a0b0c0d0e0f1011u);
}

}  // namespace
}  // namespace slabcached::proto::binary
