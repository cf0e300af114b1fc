// Pure parser for memcached's meta commands: mg ms md ma mn me.
//
// ParseTextRequest() (proto/text_parser.h) frames the line (need-more, the
// 2048-byte close rule, "\r" and NUL handling) and hands every line whose
// command is a meta one (proto/commands.h) to ParseMetaTokens(), so callers
// see one entry point and one ParseResult for both text dialects. Value
// blobs are not touched: an ms request reports `value_bytes` and the caller
// reads value_bytes + 2 bytes after the line, as for `set`.
//
// Behaviour is memcached 1.6.18's (proto_text.c: process_m*_command and
// _meta_flag_preparse), checked byte for byte against Debian's build; see
// tests/unit/proto/meta_parser_test.cc. Deliberate differences:
//  * E(token) and x are accepted as in memcached HEAD (1.6.18 answers
//    "CLIENT_ERROR invalid flag").
//  * mg/ma check the opaque length (and ma the rest of the line) before the
//    command runs; 1.6.18 answers the same error line but only after it has
//    already applied N/T (mg) or the increment (ma). Here a rejected line
//    never has side effects.
//
// Contract for meta requests:
//  * kOk: command is kMeta*; `key` is the key token (1..250 bytes; base64
//    text when meta.base64_key(), already checked to decode: get the bytes
//    with MetaKey()); kMetaSet sets value_bytes; `meta` holds the flags.
//  * kError: an error line must be sent even with q: `noreply` is always
//    false for meta commands. `command` is kMeta* (kNone for the plain
//    "ERROR" of a line with no key, like memcached's WANT_TOKENS_MIN) and
//    `meta` holds the flags read so far (q included), so the executor knows
//    the request was quiet. For ms, meta.swallow_data says whether the data
//    block must be dropped (value_bytes + 2 bytes), as memcached does for
//    errors found after <datalen>.
//  * q never suppresses anything here; which replies it hides is the
//    executor's business (MetaReplySuppressed() in proto/meta_encoder.h).
//  * No allocation: base64 keys are validated into a stack buffer and left
//    encoded in the Request; MetaKey() decodes them into the caller's
//    MetaKeyBuffer (at most 187 bytes of work per request).
#pragma once

#include <string_view>

#include "proto/meta.h"
#include "proto/request.h"
#include "proto/text_parser.h"

namespace slabcached::proto {

struct CommandInfo;  // proto/commands.h
class LineTokens;    // proto/tokenizer.h

// Parses one complete meta command line: `line` excludes "\n", the optional
// "\r", and anything after a NUL. `consumed` of the result is 0 (the caller
// adds the line length). Only kOk and kError are returned ("ERROR" for a
// line that is no meta command).
ParseResult ParseMetaLine(std::string_view line, Request* out);

// The same for a line ParseTextRequest() has already split and named:
// `info` is the row of the meta command t[0].
ParseResult ParseMetaTokens(const LineTokens& t, const CommandInfo& info, Request* out);

// The key bytes of a meta request: req.key itself, or its base64 decoding
// written into *scratch (for a request ParseMetaLine() accepted).
std::string_view MetaKey(const Request& req, MetaKeyBuffer* scratch);

// The wire reply for a kMeta* ParseError, "\r\n" included ("" otherwise).
std::string_view MetaErrorReply(ParseError error);

}  // namespace slabcached::proto
