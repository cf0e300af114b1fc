// Decoder for memcached's classic text protocol *replies* (the proto/ parser
// decodes requests). Pure: bytes in, one Reply plus bytes consumed out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slabcached::client {

enum class ReplyKind : uint8_t {
  kValue,        // VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n
  kEnd,          // END
  kStored,       // STORED
  kNotStored,    // NOT_STORED
  kExists,       // EXISTS
  kNotFound,     // NOT_FOUND
  kDeleted,      // DELETED
  kTouched,      // TOUCHED
  kOk,           // OK
  kNumber,       // <decimal>  (incr/decr)
  kVersion,      // VERSION <text>
  kStat,         // STAT <name> <value>
  kError,        // ERROR [text]
  kClientError,  // CLIENT_ERROR <text>
  kServerError,  // SERVER_ERROR <text>
  kMeta,         // meta protocol: HD NS EX NF EN MN [flags], or VA <size> [flags]\r\n<data>\r\n
};

struct Reply {
  ReplyKind kind = ReplyKind::kEnd;
  // Views into the parsed input; valid while that input is.
  std::string_view key;   // kValue; kStat: the name
  std::string_view data;  // kValue: the value; kStat/kVersion/errors: the text
  uint32_t flags = 0;     // kValue
  bool has_cas = false;   // kValue: the gets/gats form
  uint64_t cas = 0;       // kValue
  uint64_t number = 0;    // kNumber
  // kMeta: the two-letter code ("HD", "VA", ...) and the return flags as
  // sent ("c12 f0 t30 W"); data holds the value of a VA.
  std::string_view meta_code;
  std::string_view meta_flags;
};

enum class ReplyParse : uint8_t {
  kOk,        // *reply filled, *consumed bytes used
  kNeedMore,  // no complete reply yet; nothing consumed
  kInvalid,   // not a memcached reply: the stream cannot be trusted any more
};

// A reply line longer than this (without its \n) is invalid.
inline constexpr size_t kMaxReplyLine = 8192;

ReplyParse ParseReply(std::string_view in, Reply* reply, size_t* consumed);

}  // namespace slabcached::client
