#include "client/sasl_client.h"

#include "proto/binary_encoder.h"
#include "proto/binary_protocol.h"

namespace slabcached::client {

namespace binary = proto::binary;

void AppendSaslPlainAuth(std::string* out, std::string_view username, std::string_view password) {
  std::string value;
  value.reserve(2 + username.size() + password.size());
  value += '\0';
  value += username;
  value += '\0';
  value += password;
  binary::AppendRequest(out, binary::Opcode::kSaslAuth, {}, "PLAIN", value);
}

SaslReply ParseSaslReply(std::string_view in, size_t* consumed) {
  if (in.size() < binary::kHeaderSize) return SaslReply::kIncomplete;
  const binary::ResponseHeader h = binary::DecodeResponseHeader(in);
  if (h.magic != binary::kResponseMagic ||
      h.opcode != static_cast<uint8_t>(binary::Opcode::kSaslAuth)) {
    return SaslReply::kMalformed;
  }
  if (in.size() - binary::kHeaderSize < h.bodylen) return SaslReply::kIncomplete;
  *consumed = binary::kHeaderSize + h.bodylen;
  return h.status == binary::Status::kSuccess ? SaslReply::kAuthenticated : SaslReply::kRejected;
}

}  // namespace slabcached::client
