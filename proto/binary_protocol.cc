#include "proto/binary_protocol.h"

#include "proto/errors.h"

namespace slabcached::proto::binary {

std::string_view StatusText(Status status) { return StatusMessage(status); }

RequestHeader DecodeRequestHeader(std::string_view in) {
  const char* p = in.data();
  RequestHeader h;
  h.magic = static_cast<uint8_t>(p[0]);
  h.opcode = static_cast<uint8_t>(p[1]);
  h.keylen = LoadBe16(p + 2);
  h.extlen = static_cast<uint8_t>(p[4]);
  h.datatype = static_cast<uint8_t>(p[5]);
  h.vbucket = LoadBe16(p + 6);
  h.bodylen = LoadBe32(p + 8);
  h.opaque = LoadBe32(p + 12);
  h.cas = LoadBe64(p + 16);
  return h;
}

ResponseHeader DecodeResponseHeader(std::string_view in) {
  const RequestHeader r = DecodeRequestHeader(in);
  ResponseHeader h;
  h.magic = r.magic;
  h.opcode = r.opcode;
  h.keylen = r.keylen;
  h.extlen = r.extlen;
  h.datatype = r.datatype;
  h.status = static_cast<Status>(r.vbucket);
  h.bodylen = r.bodylen;
  h.opaque = r.opaque;
  h.cas = r.cas;
  return h;
}

namespace {

void AppendHeader(std::string* out, uint8_t magic, uint8_t opcode, uint16_t keylen, uint8_t extlen,
                  uint8_t datatype, uint16_t vbucket_or_status, uint32_t bodylen, uint32_t opaque,
                  uint64_t cas) {
  char header[kHeaderSize];
  header[0] = static_cast<char>(magic);
  header[1] = static_cast<char>(opcode);
  StoreBe16(header + 2, keylen);
  header[4] = static_cast<char>(extlen);
  header[5] = static_cast<char>(datatype);
  StoreBe16(header + 6, vbucket_or_status);
  StoreBe32(header + 8, bodylen);
  StoreBe32(header + 12, opaque);
  StoreBe64(header + 16, cas);
  out->append(header, sizeof(header));
}

}  // namespace

void AppendRequestHeader(std::string* out, const RequestHeader& h) {
  AppendHeader(out, h.magic, h.opcode, h.keylen, h.extlen, h.datatype, h.vbucket, h.bodylen,
               h.opaque, h.cas);
}

void AppendResponseHeader(std::string* out, const ResponseHeader& h) {
  AppendHeader(out, h.magic, h.opcode, h.keylen, h.extlen, h.datatype,
               static_cast<uint16_t>(h.status), h.bodylen, h.opaque, h.cas);
}

}  // namespace slabcached::proto::binary
