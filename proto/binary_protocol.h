// memcached's binary protocol: the 24-byte packet header, magic bytes,
// opcodes and status codes (memcached's protocol_binary.h), and the
// big-endian helpers both the parser and the encoder use.
//
//   byte  0      1       2..3    4       5         6..7              8..11    12..15  16..23
//   req:  0x80   opcode  keylen  extlen  datatype  vbucket           bodylen  opaque  cas
//   resp: 0x81   opcode  keylen  extlen  datatype  status            bodylen  opaque  cas
//
// bodylen = extlen + keylen + value length; the body follows the header in
// that order (extras, key, value). Every integer is big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace slabcached::proto::binary {

inline constexpr size_t kHeaderSize = 24;
inline constexpr uint8_t kRequestMagic = 0x80;
inline constexpr uint8_t kResponseMagic = 0x81;
// memcached's ITEM_SIZE_MAX_UPPER_LIMIT: a larger bodylen is a protocol error.
inline constexpr uint32_t kMaxBodyLength = 1024u * 1024u * 1024u;
// memcached's MAX_SASL_MECH_LEN.
inline constexpr size_t kMaxSaslMechLength = 32;
// Incr/decr exptime meaning "do not create the item on a miss".
inline constexpr uint32_t kNoCreateExptime = 0xffffffff;

enum class Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kVerbosity = 0x1b,  // not implemented by memcached: UNKNOWN_COMMAND
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

enum class Status : uint16_t {
  kSuccess = 0x00,
  kKeyNotFound = 0x01,
  kKeyExists = 0x02,
  kTooLarge = 0x03,
  kInvalidArguments = 0x04,
  kNotStored = 0x05,
  kDeltaBadValue = 0x06,
  kAuthError = 0x20,
  kAuthContinue = 0x21,
  kUnknownCommand = 0x81,
  kOutOfMemory = 0x82,
};

// The body memcached sends with an error status ("Not found", ...); empty
// for kSuccess and kAuthContinue.
std::string_view StatusText(Status status);

struct RequestHeader {
  uint8_t magic = kRequestMagic;
  uint8_t opcode = 0;
  uint16_t keylen = 0;
  uint8_t extlen = 0;
  uint8_t datatype = 0;
  uint16_t vbucket = 0;
  uint32_t bodylen = 0;
  uint32_t opaque = 0;  // echoed verbatim in the response
  uint64_t cas = 0;
};

struct ResponseHeader {
  uint8_t magic = kResponseMagic;
  uint8_t opcode = 0;
  uint16_t keylen = 0;
  uint8_t extlen = 0;
  uint8_t datatype = 0;
  Status status = Status::kSuccess;
  uint32_t bodylen = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

// --- big-endian helpers ---

inline uint16_t LoadBe16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t LoadBe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t LoadBe64(const char* p) { return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4); }
inline void StoreBe16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
inline void StoreBe32(char* p, uint32_t v) {
  StoreBe16(p, static_cast<uint16_t>(v >> 16));
  StoreBe16(p + 2, static_cast<uint16_t>(v));
}
inline void StoreBe64(char* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}
// One append per field: byte-wise push_back was a third of the CPU of a
// pipelined binary get.
inline void AppendBe16(std::string* out, uint16_t v) {
  char b[2];
  StoreBe16(b, v);
  out->append(b, sizeof(b));
}
inline void AppendBe32(std::string* out, uint32_t v) {
  char b[4];
  StoreBe32(b, v);
  out->append(b, sizeof(b));
}
inline void AppendBe64(std::string* out, uint64_t v) {
  char b[8];
  StoreBe64(b, v);
  out->append(b, sizeof(b));
}

// Decodes the first kHeaderSize bytes of `in` (the caller checks the size).
RequestHeader DecodeRequestHeader(std::string_view in);
ResponseHeader DecodeResponseHeader(std::string_view in);
void AppendRequestHeader(std::string* out, const RequestHeader& header);
void AppendResponseHeader(std::string* out, const ResponseHeader& header);

}  // namespace slabcached::proto::binary
