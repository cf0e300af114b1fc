#include "proto/binary_encoder.h"

#include <cstdint>

namespace slabcached::proto::binary {

void AppendResponse(std::string* out, ReplyTo to, Status status, uint64_t cas,
                    std::string_view extras, std::string_view key, std::string_view value) {
  ResponseHeader h;
  h.opcode = to.opcode;
  h.opaque = to.opaque;
  h.status = status;
  h.cas = cas;
  h.extlen = static_cast<uint8_t>(extras.size());
  h.keylen = static_cast<uint16_t>(key.size());
  h.bodylen = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  AppendResponseHeader(out, h);
  out->append(extras);
  out->append(key);
  out->append(value);
}

void AppendError(std::string* out, ReplyTo to, Status status) {
  AppendResponse(out, to, status, 0, {}, {}, StatusText(status));
}

void AppendValueHeader(std::string* out, ReplyTo to, uint64_t cas, uint32_t client_flags,
                       std::string_view key, uint32_t value_length) {
  ResponseHeader h;
  h.opcode = to.opcode;
  h.opaque = to.opaque;
  h.cas = cas;
  h.extlen = 4;
  h.keylen = static_cast<uint16_t>(key.size());
  h.bodylen = static_cast<uint32_t>(4 + key.size() + value_length);
  AppendResponseHeader(out, h);
  AppendBe32(out, client_flags);
  out->append(key);
}

void AppendNumber(std::string* out, ReplyTo to, uint64_t cas, uint64_t value) {
  std::string digits;
  AppendBe64(&digits, value);
  AppendResponse(out, to, Status::kSuccess, cas, {}, {}, digits);
}

void AppendStat(std::string* out, uint32_t opaque, std::string_view name, std::string_view value) {
  AppendResponse(out, {static_cast<uint8_t>(Opcode::kStat), opaque}, Status::kSuccess, 0, {}, name,
                 value);
}

void AppendRequest(std::string* out, Opcode opcode, std::string_view extras, std::string_view key,
                   std::string_view value, uint32_t opaque, uint64_t cas) {
  RequestHeader h;
  h.opcode = static_cast<uint8_t>(opcode);
  h.keylen = static_cast<uint16_t>(key.size());
  h.extlen = static_cast<uint8_t>(extras.size());
  h.bodylen = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  h.opaque = opaque;
  h.cas = cas;
  AppendRequestHeader(out, h);
  out->append(extras);
  out->append(key);
  out->append(value);
}

std::string StoreExtras(uint32_t client_flags, uint32_t exptime) {
  std::string extras;
  AppendBe32(&extras, client_flags);
  AppendBe32(&extras, exptime);
  return extras;
}

std::string ArithmeticExtras(uint64_t delta, uint64_t initial, uint32_t exptime) {
  std::string extras;
  AppendBe64(&extras, delta);
  AppendBe64(&extras, initial);
  AppendBe32(&extras, exptime);
  return extras;
}

std::string ExptimeExtras(uint32_t exptime) {
  std::string extras;
  AppendBe32(&extras, exptime);
  return extras;
}

size_t ParseResponse(std::string_view in, Response* out) {
  if (in.size() < kHeaderSize) return 0;
  const ResponseHeader h = DecodeResponseHeader(in);
  if (h.magic != kResponseMagic || size_t{h.keylen} + h.extlen > h.bodylen) return SIZE_MAX;
  const size_t total = kHeaderSize + size_t{h.bodylen};
  if (in.size() < total) return 0;
  out->header = h;
  out->extras = in.substr(kHeaderSize, h.extlen);
  out->key = in.substr(kHeaderSize + h.extlen, h.keylen);
  out->value = in.substr(kHeaderSize + h.extlen + h.keylen, h.bodylen - h.extlen - h.keylen);
  return total;
}

}  // namespace slabcached::proto::binary
