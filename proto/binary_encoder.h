// Encoder for memcached's binary protocol: responses (the daemon) and
// requests (clients and tests), plus a response decoder for clients.
// Appends to a std::string; item values are not copied here (the daemon
// sends them straight from item memory after the header this writes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/binary_protocol.h"

namespace slabcached::proto::binary {

// Which request a response answers.
struct ReplyTo {
  uint8_t opcode = 0;
  uint32_t opaque = 0;
};

// A complete response packet: header, extras, key, value.
void AppendResponse(std::string* out, ReplyTo to, Status status, uint64_t cas,
                    std::string_view extras, std::string_view key, std::string_view value);

// An error packet whose body is memcached's text for `status` ("Not found", ...).
void AppendError(std::string* out, ReplyTo to, Status status);

// The header, 4-byte flags extras and (when non-empty) key of a get/gat hit
// (or just the flags of a touch hit); `value_length` value bytes must follow.
void AppendValueHeader(std::string* out, ReplyTo to, uint64_t cas, uint32_t client_flags,
                       std::string_view key, uint32_t value_length);

// An incr/decr success: the new value as 8 big-endian bytes.
void AppendNumber(std::string* out, ReplyTo to, uint64_t cas, uint64_t value);

// One "stat" packet: key = name, value = value. The series ends with an
// empty packet: AppendStat(out, opaque, "", "").
void AppendStat(std::string* out, uint32_t opaque, std::string_view name, std::string_view value);

// --- Requests (client side; also the parser's round-trip tests) ---

// A complete request packet: bodylen = extras + key + value.
void AppendRequest(std::string* out, Opcode opcode, std::string_view extras, std::string_view key,
                   std::string_view value, uint32_t opaque = 0, uint64_t cas = 0);

// Extras of set/add/replace (flags, exptime), incr/decr (delta, initial,
// exptime) and touch/gat/flush (exptime).
std::string StoreExtras(uint32_t client_flags, uint32_t exptime);
std::string ArithmeticExtras(uint64_t delta, uint64_t initial, uint32_t exptime);
std::string ExptimeExtras(uint32_t exptime);

// A response split into its parts (views into the decoded input).
struct Response {
  ResponseHeader header;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
};

// Decodes the first response of `in`: the packet's size, or 0 when more
// bytes are needed, or SIZE_MAX when `in` does not start with a valid
// response header (bad magic or lengths that do not add up).
size_t ParseResponse(std::string_view in, Response* out);

}  // namespace slabcached::proto::binary
