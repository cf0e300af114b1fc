#include "client/sasl_client.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/binary_encoder.h"
#include "proto/binary_protocol.h"

namespace slabcached::client {
namespace {

namespace binary = proto::binary;

std::string Response(binary::Opcode opcode, binary::Status status, std::string_view body) {
  binary::ResponseHeader h;
  h.opcode = static_cast<uint8_t>(opcode);
  h.status = status;
  h.bodylen = static_cast<uint32_t>(body.size());
  std::string out;
  binary::AppendResponseHeader(&out, h);
  out += body;
  return out;
}

TEST(SaslClientTest, PlainRequestCarriesNulSeparatedCredentials) {
  std::string out;
  AppendSaslPlainAuth(&out, "alice", "s3cret:x");
  ASSERT_GE(out.size(), binary::kHeaderSize);
  const binary::RequestHeader h = binary::DecodeRequestHeader(out);
  EXPECT_EQ(h.opcode, static_cast<uint8_t>(binary::Opcode::kSaslAuth));
  EXPECT_EQ(h.keylen, 5u);
  EXPECT_EQ(h.extlen, 0u);
  const std::string value("\0alice\0s3cret:x", 15);
  EXPECT_EQ(h.bodylen, 5u + value.size());
  EXPECT_EQ(out.substr(binary::kHeaderSize), "PLAIN" + value);
}

TEST(SaslClientTest, ReadsTheReply) {
  const std::string ok =
      Response(binary::Opcode::kSaslAuth, binary::Status::kSuccess, "Authenticated");
  size_t consumed = 0;
  for (size_t n = 0; n < ok.size(); ++n) {
    EXPECT_EQ(ParseSaslReply(std::string_view(ok).substr(0, n), &consumed), SaslReply::kIncomplete)
        << n;
  }
  EXPECT_EQ(ParseSaslReply(ok + "next reply", &consumed), SaslReply::kAuthenticated);
  EXPECT_EQ(consumed, ok.size());

  const std::string refused =
      Response(binary::Opcode::kSaslAuth, binary::Status::kAuthError, "Auth failure.");
  EXPECT_EQ(ParseSaslReply(refused, &consumed), SaslReply::kRejected);
  EXPECT_EQ(
      ParseSaslReply(Response(binary::Opcode::kGet, binary::Status::kAuthError, ""), &consumed),
      SaslReply::kMalformed);
  EXPECT_EQ(ParseSaslReply(std::string(24, 'x'), &consumed), SaslReply::kMalformed);
}

}  // namespace
}  // namespace slabcached::client
