// Pure parser for memcached's classic text protocol (command lines only).
//
// Bytes in, a Request out: no I/O, no clock, no store, no allocation. The
// parser never touches value blobs: for storage commands it reports
// `value_bytes`, and the caller reads value_bytes + 2 (\r\n) bytes that
// follow the consumed command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/errors.h"
#include "proto/request.h"

namespace slabcached::proto {

enum class ParseStatus : uint8_t {
  kOk,        // *out holds a request; `consumed` covers its command line and line end
  kNeedMore,  // no complete line yet: nothing consumed, call again with more bytes
  kError,     // a complete line was rejected: reply ErrorReply(error), drop `consumed` bytes
  kClose,     // close the connection without a reply (overlong line, HTTP request line)
};

enum class ParseError : uint8_t {
  kNone,
  kUnknownCommand,   // ERROR
  kBadFormat,        // CLIENT_ERROR bad command line format
  kInvalidExptime,   // CLIENT_ERROR invalid exptime argument
  kInvalidDelta,     // CLIENT_ERROR invalid numeric delta argument
  kBadDeleteFormat,  // CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]
  // Meta commands (proto/meta_parser.h). Strings: proto/errors.h.
  kMetaInvalidFlag,             // CLIENT_ERROR invalid flag
  kMetaDuplicateFlag,           // CLIENT_ERROR duplicate flag
  kMetaInvalidOrDuplicateFlag,  // CLIENT_ERROR invalid or duplicate flag (md, ma)
  kMetaBadToken,                // CLIENT_ERROR bad token in command line format
  kMetaGetFlagsTooLong,         // CLIENT_ERROR options flags are too long (mg)
  kMetaFlagsTooLong,            // CLIENT_ERROR options flags too long (ms, md, ma)
  kMetaKeyDecode,               // CLIENT_ERROR error decoding key
  kMetaOpaqueTooLong,           // CLIENT_ERROR opaque token too long
  kMetaModeLength,              // CLIENT_ERROR incorrect length for M token
  kMetaInitial,                 // CLIENT_ERROR invalid numeric initial value
  kMetaDelta,                   // CLIENT_ERROR invalid numeric delta value
  kMetaSetMode,                 // CLIENT_ERROR invalid mode for ms M token
  kMetaArithmeticMode,          // CLIENT_ERROR invalid mode for ma M token
};

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  ParseError error = ParseError::kNone;
  size_t consumed = 0;
};

// A line longer than this without "\n" closes the connection, unless it is a
// get/gets (memcached's large multiget exception).
inline constexpr size_t kMaxCommandLine = 2048;

// Parses the first request line of `input`. On kError, `out->command` and
// `out->noreply` are filled as far as the line could be read, so the caller
// can apply memcached's noreply rules to the error reply.
//
// Precisely (memcached 1.6.18's behaviour, see tests/unit/proto):
//  * `out->noreply` is true exactly when memcached suppresses the reply, the
//    error reply included: the caller sends nothing at all for this line,
//    whatever the outcome (kError here, or later "CLIENT_ERROR bad data
//    chunk", "SERVER_ERROR object too large for cache", "CLIENT_ERROR cannot
//    increment or decrement non-numeric value", "ERROR" for "lru foo noreply":
//    all silent in memcached 1.6.18). It is never set for get/gets/gat/gats,
//    version, quit, stats, shutdown, lru_crawler, and for slabs only on its
//    "automove" form. Example: "set k 0 0 -1 noreply" -> kError, kBadFormat,
//    noreply: silent (and no data block is swallowed).
//  * `out->command` is kNone when memcached rejects the line before the
//    command's own handler runs (unknown name, wrong token count -> ERROR).
//    Otherwise it is the command, so the caller can do what memcached's
//    handler does first (e.g. flush_all counts cmd_flush and answers
//    "CLIENT_ERROR flush_all not allowed" under -F before the delay is read).
//  * Storage commands rejected with kError have no data block swallowed:
//    the bytes after the line are parsed as the next command, as memcached.
//  * kNeedMore and kClose consume nothing. kClose: more than kMaxCommandLine
//    bytes buffered without a "\n" (unless the buffer, after at most 100
//    leading spaces, starts with "get " or "gets "), or an unknown command
//    whose last token starts with "HTTP/".
//
// `scanned`: the caller knows the first `scanned` bytes hold no "\n" (they
// were seen by an earlier kNeedMore), so the search for the line end starts
// there: a partial line growing a byte at a time costs O(new bytes) per
// call, not O(line).
ParseResult ParseTextRequest(std::string_view input, Request* out, size_t scanned = 0);

// The same, the request returned with the outcome: the one Request is built
// in the caller's storage, where the form above makes the caller's and then
// resets it (two 240-byte fills per request, ~60 instructions).
struct ParsedText {
  ParseResult result;
  Request request;
};
ParsedText ParseText(std::string_view input, size_t scanned = 0);

// The entry of the error table (proto/errors.h) a parse error answers with.
ReplyError ErrorOf(ParseError error);
// Its wire reply, "\r\n" included; "" for kNone.
std::string_view ErrorReply(ParseError error);

}  // namespace slabcached::proto
