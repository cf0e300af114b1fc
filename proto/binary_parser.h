// Pure parser for memcached's binary protocol requests.
//
// Same contract as the text parser (proto/text_parser.h): bytes in, a
// Request out; no I/O, no clock, no store, no allocation. Value bodies of
// storage commands are not consumed: `out->value_bytes` says how many bytes
// follow the consumed header, extras and key, and the caller reads them
// straight into item memory (writing the "\r\n" the store expects after them
// itself, since binary values carry none).
//
// Framing follows memcached 1.6.18 exactly (proto_bin.c):
//  * A request is dispatched once its header, extras and key have arrived;
//    the rest of the body is not waited for. Commands that take no value
//    consume only header + extras + key, so stray body bytes of e.g. a Stat
//    or Touch are parsed as the next request (as memcached does).
//  * A first byte other than 0x80: kClose (no reply).
//  * keylen + extlen > bodylen: kError UNKNOWN_COMMAND, then close.
//  * bodylen > 1 GB, keylen > 250, or extras/key/body lengths that do not
//    fit the opcode: kError EINVAL ("Invalid arguments"), then close.
//  * An unknown opcode (Verbosity included): kError UNKNOWN_COMMAND, then
//    `swallow` = bodylen further bytes are discarded (counted from the end of
//    the key, which is memcached's quirk) and the connection continues.
//  * SASL auth/step wait for their whole body: the data is in `out->args`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/binary_protocol.h"
#include "proto/request.h"
#include "proto/text_parser.h"  // ParseStatus

namespace slabcached::proto {

struct BinaryParseResult {
  // kOk: *out holds a request. kNeedMore: nothing consumed. kError: reply
  // with `error` (out->opcode/opaque are set), drop `consumed` bytes, then
  // `swallow` more, then close if `close`. kClose: close without a reply.
  ParseStatus status = ParseStatus::kNeedMore;
  binary::Status error = binary::Status::kSuccess;
  bool close = false;
  // The error was found before memcached's authentication check (the two
  // framing errors): it wins over an "Auth failure." for unauthenticated
  // connections. Every other outcome loses to it.
  bool before_auth = false;
  size_t consumed = 0;
  size_t swallow = 0;
};

// The most SASL data (mechanism excluded) a SASL_AUTH/STEP may carry:
// memcached's slab_chunk_max default, beyond which it answers "Out of
// memory" and swallows the data. Unauthenticated clients can make the
// daemon buffer no more than this.
inline constexpr size_t kMaxSaslData = 512 * 1024;

BinaryParseResult ParseBinaryRequest(std::string_view input, Request* out);

// True for the opcodes an unauthenticated SASL connection may send
// (list mechs, auth, step, version).
bool AllowedBeforeAuth(uint8_t opcode);

}  // namespace slabcached::proto
