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
ParseResult ParseTextRequest(std::string_view input, Request* out);

// The wire reply for a parse error, including "\r\n".
std::string_view ErrorReply(ParseError error);

}  // namespace slabcached::proto
