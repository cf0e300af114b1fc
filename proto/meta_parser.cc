// memcached meta commands: command-line parser (see meta_parser.h).
//
// Order of checks, per command, as memcached 1.6.18 runs them (the first
// failing check decides the reply):
//   all but mn: no key token                      -> ERROR (me: bad format)
//   key token longer than 250 bytes               -> bad command line format
//   ms: no <datalen>                              -> bad command line format
//   more than 20 tokens (cm + key + 17 flags + 1) -> options flags [are] too long
//   ms: <datalen> not int32 in [0, INT_MAX-2]     -> bad command line format
//   -- from here on an ms error swallows the data block --
//   the flag scan (ScanFlags)                     -> its error (md/ma: always
//                                                    "invalid or duplicate flag")
//   ms/ma: M token not a known mode               -> invalid mode for ms|ma M token
//   O token longer than 32 bytes                  -> opaque token too long
#include "proto/meta_parser.h"

#include <climits>

#include "proto/base64.h"
#include "proto/commands.h"
#include "proto/numbers.h"

namespace slabcached::proto {
namespace {

constexpr ParseResult Ok() { return {ParseStatus::kOk, ParseError::kNone, 0}; }
constexpr ParseResult Fail(ParseError e) { return {ParseStatus::kError, e, 0}; }

// _meta_flag_preparse(): one pass over the flag tokens. An unknown or
// repeated flag stops the scan at once; a bad token is remembered and the
// scan goes on, so a later bad token (or a later unknown flag) decides the
// error string. F with a bad token fails without changing that string.
ParseError ScanFlags(const Request& req, const LineTokens& t, size_t first, MetaFlags* m) {
  ParseError error = ParseError::kNone;
  bool failed = false;
  auto bad = [&](ParseError e) {
    failed = true;
    if (e != ParseError::kNone) error = e;
  };
  for (size_t i = first; i < t.size(); ++i) {
    const std::string_view tok = t[i];
    const char flag = tok[0];
    const std::string_view arg = tok.substr(1);
    // memcached's seen[127] table: bytes >= 127 count as "seen".
    if (static_cast<unsigned char>(flag) >= 127 || m->set.Has(flag)) {
      return ParseError::kMetaDuplicateFlag;
    }
    switch (flag) {
      case 'b': {
        MetaKeyBuffer decoded;
        if (Base64Decode(req.key, decoded.data(), decoded.size()) == 0) {
          bad(ParseError::kMetaKeyDecode);
        }
        break;
      }
      case 'N':
        if (!SafeStrtol(arg, &m->vivify_ttl)) bad(ParseError::kMetaBadToken);
        break;
      case 'T':
        if (!SafeStrtol(arg, &m->ttl)) bad(ParseError::kMetaBadToken);
        break;
      case 'R':
        if (!SafeStrtol(arg, &m->recache_ttl)) bad(ParseError::kMetaBadToken);
        break;
      case 'F':
        if (!SafeStrtoul(arg, &m->client_flags)) bad(ParseError::kNone);
        break;
      case 'C':
        if (!SafeStrtoull(arg, &m->compare_cas)) bad(ParseError::kMetaBadToken);
        break;
      case 'E':  // memcached HEAD; 1.6.18 does not know it
        if (!SafeStrtoull(arg, &m->new_cas)) bad(ParseError::kMetaBadToken);
        break;
      case 'J':
        if (!SafeStrtoull(arg, &m->initial)) bad(ParseError::kMetaInitial);
        break;
      case 'D':
        if (!SafeStrtoull(arg, &m->delta)) bad(ParseError::kMetaDelta);
        break;
      case 'M':
        if (tok.size() != 2) {
          bad(ParseError::kMetaModeLength);
        } else {
          m->mode = tok[1];
        }
        break;
      case 'O':
        m->opaque = tok;
        break;
      case 'P':  // proxy hints: token ignored
      case 'L':
      case 'c':
      case 'f':
      case 'h':
      case 'I':
      case 'k':
      case 'l':
      case 'q':
      case 's':
      case 't':
      case 'u':
      case 'v':
      case 'x':  // memcached HEAD; 1.6.18 does not know it
        break;
      default:
        return ParseError::kMetaInvalidFlag;
    }
    m->set.Add(flag);
  }
  if (!failed) return ParseError::kNone;
  return error == ParseError::kNone ? ParseError::kBadFormat : error;
}

// Fills out->meta from the flag tokens t[first..]: the scan, then the
// mode and opaque checks. Returns kNone or the error to send.
ParseError ParseFlags(const LineTokens& t, size_t first, Request* out) {
  MetaFlags& m = out->meta;
  m.tokens = t.From(first);
  const ParseError scan = ScanFlags(*out, t, first, &m);
  const Command c = out->command;
  if (scan != ParseError::kNone) {
    // md and ma report every scan failure with one string.
    const bool generic = c == Command::kMetaDelete || c == Command::kMetaArithmetic;
    return generic ? ParseError::kMetaInvalidOrDuplicateFlag : scan;
  }
  if (c == Command::kMetaSet && m.mode != '\0' && m.mode != 'E' && m.mode != 'A' && m.mode != 'P' &&
      m.mode != 'R' && m.mode != 'S') {
    return ParseError::kMetaSetMode;
  }
  if (c == Command::kMetaArithmetic && m.mode != '\0' && m.mode != 'I' && m.mode != '+' &&
      m.mode != 'D' && m.mode != '-') {
    return ParseError::kMetaArithmeticMode;
  }
  if (m.opaque.size() > kMaxMetaOpaque) return ParseError::kMetaOpaqueTooLong;
  return ParseError::kNone;
}

// me <key> [b]: only the exact token "b" right after the key decodes it;
// everything else on the line is ignored.
ParseResult ParseDebug(const LineTokens& t, Request* out) {
  if (t.size() < 2 || t[1].size() > kMaxKeyLength) return Fail(ParseError::kBadFormat);
  out->key = t[1];
  if (t.size() >= 3 && t[2] == "b") {
    MetaKeyBuffer decoded;
    if (Base64Decode(out->key, decoded.data(), decoded.size()) == 0) {
      return Fail(ParseError::kBadFormat);
    }
    out->meta.set.Add('b');
  }
  return Ok();
}

// ms <key> <datalen> <flags>*
ParseResult ParseSet(const LineTokens& t, const CommandInfo& info, Request* out) {
  if (t.ntokens() == 3) return Fail(ParseError::kBadFormat);
  if (t.ntokens() > info.max_ntokens) return Fail(ParseError::kMetaFlagsTooLong);
  int32_t datalen = 0;
  if (!SafeStrtol(t[2], &datalen) || datalen < 0 || datalen > INT_MAX - 2) {
    return Fail(ParseError::kBadFormat);
  }
  out->value_bytes = static_cast<uint32_t>(datalen);
  const ParseError e = ParseFlags(t, 3, out);
  if (e == ParseError::kNone) return Ok();
  out->meta.swallow_data = true;
  return Fail(e);
}

}  // namespace

ParseResult ParseMetaTokens(const LineTokens& t, const CommandInfo& info, Request* out) {
  out->command = info.command;
  if (info.command == Command::kMetaNoop) return Ok();  // "mn <anything>" is MN
  if (info.command == Command::kMetaDebug) return ParseDebug(t, out);
  if (t.ntokens() < info.min_ntokens) {  // WANT_TOKENS_MIN: "ERROR" before the handler
    out->command = Command::kNone;
    return Fail(ParseError::kUnknownCommand);
  }
  out->key = t[1];
  if (out->key.size() > kMaxKeyLength) return Fail(ParseError::kBadFormat);
  if (out->command == Command::kMetaSet) return ParseSet(t, info, out);
  if (t.ntokens() > info.max_ntokens) {
    return Fail(out->command == Command::kMetaGet ? ParseError::kMetaGetFlagsTooLong
                                                  : ParseError::kMetaFlagsTooLong);
  }
  const ParseError e = ParseFlags(t, 2, out);
  return e == ParseError::kNone ? Ok() : Fail(e);
}

ParseResult ParseMetaLine(std::string_view line, Request* out) {
  const LineTokens t(line);
  const CommandInfo* info = t.empty() ? nullptr : FindCommand(t[0]);
  if (info == nullptr || !info->Has(kMeta)) return Fail(ParseError::kUnknownCommand);
  return ParseMetaTokens(t, *info, out);
}

std::string_view MetaKey(const Request& req, MetaKeyBuffer* scratch) {
  if (!req.meta.base64_key()) return req.key;
  const size_t n = Base64Decode(req.key, scratch->data(), scratch->size());
  return {scratch->data(), n};
}

// The meta rows of the error table follow ParseError's meta values, in the
// same order (this file is also built into the client library, without the
// text parser's ErrorOf()).
static_assert(static_cast<int>(ParseError::kMetaArithmeticMode) -
                  static_cast<int>(ParseError::kMetaInvalidFlag) ==
              static_cast<int>(ReplyError::kMetaArithmeticMode) -
                  static_cast<int>(ReplyError::kMetaInvalidFlag));

std::string_view MetaErrorReply(ParseError error) {
  if (error < ParseError::kMetaInvalidFlag || error > ParseError::kMetaArithmeticMode) return {};
  const int offset = static_cast<int>(error) - static_cast<int>(ParseError::kMetaInvalidFlag);
  return ErrorText(
      static_cast<ReplyError>(static_cast<int>(ReplyError::kMetaInvalidFlag) + offset));
}

}  // namespace slabcached::proto
