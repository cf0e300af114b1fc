// memcached classic text protocol: command-line parser.
//
// Behaviour follows memcached 1.6.18 (proto_text.c: try_read_command_ascii,
// tokenize_command, process_command_ascii and the process_*_command
// handlers), checked byte for byte against Debian's build. Every rule below
// has a table-driven case in tests/unit/proto/text_parser_test.cc.
//
// Stages: ParseTextRequest() frames one line (or decides need-more /
// close), LineTokens (proto/tokenizer.h) splits it like tokenize_command(),
// FindCommand() (proto/commands.h) names the command and its arity, and one
// Parse* function per command family validates the arguments. Meta commands
// (mg ms md ma mn me) go to ParseMetaTokens() in proto/meta_parser.cc.
#include "proto/text_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "proto/commands.h"
#include "proto/meta_parser.h"
#include "proto/numbers.h"
#include "proto/tokenizer.h"

namespace slabcached::proto {
namespace {

// Leading spaces allowed before "get "/"gets " in an overlong buffer.
constexpr size_t kMaxLeadingSpaces = 100;

constexpr std::string_view kNoreply = "noreply";

bool LastIsNoreply(const LineTokens& t) { return !t.empty() && t.back() == kNoreply; }

// Offset of the end of `token` within `line` (token is a view into line).
size_t EndOf(std::string_view line, std::string_view token) {
  return static_cast<size_t>(token.data() - line.data()) + token.size();
}

// The line from `pos` on, without leading or trailing spaces.
std::string_view RestOfLine(std::string_view line, size_t pos) {
  std::string_view rest = line.substr(pos);
  const size_t first = rest.find_first_not_of(' ');
  if (first == std::string_view::npos) return line.substr(line.size());
  rest.remove_prefix(first);
  rest.remove_suffix(rest.size() - 1 - rest.find_last_not_of(' '));
  return rest;
}

// For a name that is no command: whether memcached reaches its final
// "else", where a last token starting with "HTTP/" closes the connection.
// Names caught by an earlier branch of its dispatch (first letter g s a c i
// d t, two-byte 'm' names, extstore, which Debian's build knows) just get
// ERROR.
bool UnknownNameChecksHttp(std::string_view name) {
  if (name.size() == 2 && name[0] == 'm') return false;
  if (std::string_view("gsacidt").find(name[0]) != std::string_view::npos) return false;
  return name != "extstore";
}

// Outcome of parsing one complete line; the caller adds `consumed`.
struct LineResult {
  ParseStatus status = ParseStatus::kOk;
  ParseError error = ParseError::kNone;
};

constexpr LineResult kOkLine{};
constexpr LineResult Fail(ParseError e) { return {ParseStatus::kError, e}; }

bool KeyOk(std::string_view key) { return !key.empty() && key.size() <= kMaxKeyLength; }

// get/gets/gat/gats <exptime>? <key>* (a bare "gat <exptime>" is valid: END).
LineResult ParseRetrieval(std::string_view line, const LineTokens& t, Request* out) {
  size_t first_key = 1;
  if (InfoOf(out->command).Has(kTouches)) {
    int32_t exptime = 0;
    if (!SafeStrtol(t[1], &exptime)) return Fail(ParseError::kInvalidExptime);
    out->exptime = exptime;
    first_key = 2;
  }
  // One overlong key fails the whole line (memcached drops the hits found so far).
  if (t.size() < kMaxLineTokens) {
    // The line is all in `t`: its keys are checked there, not split again.
    out->keys = t.From(first_key);
    for (size_t i = first_key; i < t.size(); ++i) {
      if (!KeyOk(t[i])) return Fail(ParseError::kBadFormat);
    }
    return kOkLine;
  }
  out->keys = RestOfLine(line, EndOf(line, t[first_key - 1]));
  bool ok = true;
  ForEachKey(out->keys, [&ok](std::string_view key) { ok = ok && KeyOk(key); });
  return ok ? kOkLine : Fail(ParseError::kBadFormat);
}

// <cmd> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply]. A token in
// the noreply slot that is not "noreply" is ignored.
LineResult ParseStorage(const LineTokens& t, Request* out) {
  const bool cas = out->command == Command::kCas;
  out->noreply = LastIsNoreply(t);
  out->key = t[1];
  if (!KeyOk(out->key)) return Fail(ParseError::kBadFormat);
  int32_t exptime = 0;
  int32_t bytes = 0;
  if (!SafeStrtoul(t[2], &out->client_flags) || !SafeStrtol(t[3], &exptime) ||
      !SafeStrtol(t[4], &bytes)) {
    return Fail(ParseError::kBadFormat);
  }
  out->exptime = exptime;
  if (cas && !SafeStrtoull(t[5], &out->cas_unique)) return Fail(ParseError::kBadFormat);
  if (bytes < 0 || bytes > INT_MAX - 2) return Fail(ParseError::kBadFormat);
  out->value_bytes = static_cast<uint32_t>(bytes);
  return kOkLine;
}

// delete <key> [0] [noreply]: the legacy hold time must be exactly "0".
LineResult ParseDelete(const LineTokens& t, Request* out) {
  const size_t nt = t.ntokens();
  out->key = t[1];
  if (nt > 3) {
    const bool hold_is_zero = t[2] == "0";
    out->noreply = LastIsNoreply(t);
    const bool valid =
        (nt == 4 && (hold_is_zero || out->noreply)) || (nt == 5 && hold_is_zero && out->noreply);
    if (!valid) return Fail(ParseError::kBadDeleteFormat);
  }
  return KeyOk(out->key) ? kOkLine : Fail(ParseError::kBadFormat);
}

// touch <key> <exptime> [noreply]
LineResult ParseTouch(const LineTokens& t, Request* out) {
  out->noreply = LastIsNoreply(t);
  out->key = t[1];
  if (!KeyOk(out->key)) return Fail(ParseError::kBadFormat);
  int32_t exptime = 0;
  if (!SafeStrtol(t[2], &exptime)) return Fail(ParseError::kInvalidExptime);
  out->exptime = exptime;
  return kOkLine;
}

// incr|decr <key> <delta> [noreply]
LineResult ParseArithmetic(const LineTokens& t, Request* out) {
  out->noreply = LastIsNoreply(t);
  out->key = t[1];
  if (!KeyOk(out->key)) return Fail(ParseError::kBadFormat);
  if (!SafeStrtoull(t[2], &out->delta)) return Fail(ParseError::kInvalidDelta);
  return kOkLine;
}

// flush_all [delay] [noreply]: the delay is read unless the line is exactly
// "flush_all" or "flush_all noreply"; a third token is ignored.
LineResult ParseFlushAll(const LineTokens& t, Request* out) {
  out->noreply = LastIsNoreply(t);
  if (t.ntokens() != (out->noreply ? 3u : 2u)) {
    int32_t delay = 0;
    if (!SafeStrtol(t[1], &delay)) return Fail(ParseError::kInvalidExptime);
    out->exptime = delay;
  }
  return kOkLine;
}

// verbosity <level> [noreply] and cache_memlimit <MB> [noreply]; a bad
// number is "CLIENT_ERROR bad command line format" for verbosity and a plain
// "ERROR" for cache_memlimit.
LineResult ParseNumberCommand(const LineTokens& t, Request* out, ParseError bad_number) {
  out->noreply = LastIsNoreply(t);
  uint32_t number = 0;
  if (!SafeStrtoul(t[1], &number)) return Fail(bad_number);
  out->number = number;
  return kOkLine;
}

// stats/shutdown/slabs/lru/lru_crawler/watch/refresh_certs: the executor
// reads `args` (ForEachKey() splits it). Only `noreply` is decided here, as
// memcached reads it: lru and watch always look at the last token; slabs
// only on its "automove" path; refresh_certs in the executor (its errors are
// sent anyway); the others never.
LineResult ParseArgsCommand(std::string_view line, const LineTokens& t, Request* out) {
  out->args = RestOfLine(line, EndOf(line, t[0]));
  switch (out->command) {
    case Command::kStats: {
      std::string_view rest = out->args;
      out->key = PopToken(&rest);  // the group
      break;
    }
    case Command::kLru:
      out->noreply = LastIsNoreply(t);
      break;
    case Command::kWatch:
      out->noreply = LastIsNoreply(t);
      break;
    case Command::kSlabs:
      out->noreply = t.ntokens() >= 4 && t[1] == "automove" && LastIsNoreply(t);
      break;
    default:
      break;
  }
  return kOkLine;
}

LineResult ParseLine(std::string_view line, Request* out) {
  const LineTokens t(line);
  // No command is shorter than two bytes ("\r\n" alone is the line "\r").
  if (t.empty() || t[0].size() < 2) return Fail(ParseError::kUnknownCommand);
  const CommandInfo* info = FindCommand(t[0]);
  if (info == nullptr) {
    if (UnknownNameChecksHttp(t[0]) && t.back().starts_with("HTTP/")) {
      return {ParseStatus::kClose};
    }
    return Fail(ParseError::kUnknownCommand);
  }
  if (info->Has(kMeta)) {
    const ParseResult meta = ParseMetaTokens(t, *info, out);
    return {meta.status, meta.error};
  }
  // WANT_TOKENS* failures: "ERROR" before the handler runs (command stays kNone).
  if (!info->ArityOk(t.ntokens())) return Fail(ParseError::kUnknownCommand);
  out->command = info->command;
  out->drop_on_failed_alloc = info->command == Command::kSet;
  out->count_refused_flush = info->command == Command::kFlushAll;
  switch (info->command) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      return ParseRetrieval(line, t, out);
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kAppend:
    case Command::kPrepend:
    case Command::kCas:
      return ParseStorage(t, out);
    case Command::kDelete:
      return ParseDelete(t, out);
    case Command::kTouch:
      return ParseTouch(t, out);
    case Command::kIncr:
    case Command::kDecr:
      return ParseArithmetic(t, out);
    case Command::kFlushAll:
      return ParseFlushAll(t, out);
    case Command::kVerbosity:
      return ParseNumberCommand(t, out, ParseError::kBadFormat);
    case Command::kCacheMemlimit:
      return ParseNumberCommand(t, out, ParseError::kUnknownCommand);
    case Command::kVersion:
    case Command::kQuit:
      return kOkLine;  // extra tokens are ignored
    case Command::kStats:
    case Command::kShutdown:
    case Command::kSlabs:
    case Command::kLru:
    case Command::kLruCrawler:
    case Command::kWatch:
    case Command::kRefreshCerts:
      return ParseArgsCommand(line, t, out);
    case Command::kDebugTime:  // memcached's WANT_TOKENS_MIN(ntokens, 2); arity checked above
      out->args = t[1];
      return kOkLine;
    case Command::kNone:
    case Command::kMetaGet:  // ParseMetaTokens() above
    case Command::kMetaSet:
    case Command::kMetaDelete:
    case Command::kMetaArithmetic:
    case Command::kMetaNoop:
    case Command::kMetaDebug:
    case Command::kNoop:  // binary protocol only
    case Command::kSaslListMechs:
    case Command::kSaslAuth:
    case Command::kSaslStep:
      break;
  }
  return Fail(ParseError::kUnknownCommand);
}

// No "\n" in the buffer: wait, or close when it is too long to be a command
// (only a large get/gets multiget may exceed kMaxCommandLine).
ParseResult NoLineYet(std::string_view input) {
  if (input.size() <= kMaxCommandLine) return {};
  // Only the first kMaxLeadingSpaces + 1 bytes decide; a long line of spaces
  // must not be scanned whole on every read.
  const std::string_view head = input.substr(0, kMaxLeadingSpaces + 1);
  const size_t spaces = std::min(head.find_first_not_of(' '), head.size());
  const std::string_view rest = input.substr(spaces);
  if (spaces <= kMaxLeadingSpaces && (rest.starts_with("get ") || rest.starts_with("gets "))) {
    return {};
  }
  return {ParseStatus::kClose};
}

}  // namespace

ParsedText ParseText(std::string_view input, size_t scanned) {
  ParsedText out;  // every return is `out`: built once, in the caller's storage
  scanned = std::min(scanned, input.size());
  const void* nl = std::memchr(input.data() + scanned, '\n', input.size() - scanned);
  if (nl == nullptr) {
    out.result = NoLineYet(input);
    return out;
  }
  const auto line_end = static_cast<size_t>(static_cast<const char*>(nl) - input.data());
  std::string_view line = input.substr(0, line_end);
  // memcached strips "\r" only from lines longer than one byte, then treats
  // the line as a C string: a NUL byte ends it.
  if (line.size() > 1 && line.back() == '\r') line.remove_suffix(1);
  if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
    line = line.substr(0, nul);
  }
  // Where text differs from binary (proto/request.h).
  out.request.text_subcommands = true;
  out.request.data_crlf = true;
  const LineResult r = ParseLine(line, &out.request);
  if (r.status == ParseStatus::kClose) {
    out.request = Request{};
    out.result = {ParseStatus::kClose};
    return out;
  }
  out.result = {r.status, r.error, line_end + 1};
  return out;
}

ParseResult ParseTextRequest(std::string_view input, Request* out, size_t scanned) {
  const ParsedText parsed = ParseText(input, scanned);
  *out = parsed.request;
  return parsed.result;
}

ReplyError ErrorOf(ParseError error) {
  switch (error) {
    case ParseError::kNone:
    case ParseError::kUnknownCommand:
      return ReplyError::kUnknownCommand;
    case ParseError::kBadFormat:
      return ReplyError::kBadFormat;
    case ParseError::kInvalidExptime:
      return ReplyError::kInvalidExptime;
    case ParseError::kInvalidDelta:
      return ReplyError::kInvalidDelta;
    case ParseError::kBadDeleteFormat:
      return ReplyError::kBadDeleteFormat;
    case ParseError::kMetaInvalidFlag:
      return ReplyError::kMetaInvalidFlag;
    case ParseError::kMetaDuplicateFlag:
      return ReplyError::kMetaDuplicateFlag;
    case ParseError::kMetaInvalidOrDuplicateFlag:
      return ReplyError::kMetaInvalidOrDuplicateFlag;
    case ParseError::kMetaBadToken:
      return ReplyError::kMetaBadToken;
    case ParseError::kMetaGetFlagsTooLong:
      return ReplyError::kMetaGetFlagsTooLong;
    case ParseError::kMetaFlagsTooLong:
      return ReplyError::kMetaFlagsTooLong;
    case ParseError::kMetaKeyDecode:
      return ReplyError::kMetaKeyDecode;
    case ParseError::kMetaOpaqueTooLong:
      return ReplyError::kMetaOpaqueTooLong;
    case ParseError::kMetaModeLength:
      return ReplyError::kMetaModeLength;
    case ParseError::kMetaInitial:
      return ReplyError::kMetaInitial;
    case ParseError::kMetaDelta:
      return ReplyError::kMetaDelta;
    case ParseError::kMetaSetMode:
      return ReplyError::kMetaSetMode;
    case ParseError::kMetaArithmeticMode:
      return ReplyError::kMetaArithmeticMode;
  }
  return ReplyError::kUnknownCommand;
}

std::string_view ErrorReply(ParseError error) {
  if (error == ParseError::kNone) return {};
  return ErrorText(ErrorOf(error));
}

}  // namespace slabcached::proto
