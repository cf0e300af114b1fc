// memcached classic text protocol: command-line parser.
//
// Behaviour follows memcached 1.6.18 (proto_text.c: try_read_command_ascii,
// tokenize_command, process_command_ascii and the process_*_command
// handlers), checked byte for byte against Debian's build. Every rule below
// has a table-driven case in tests/unit/proto/text_parser_test.cc.
//
// Stages: FindLine() frames one line (or decides need-more / close),
// Tokenize() splits it like tokenize_command(), LookupCommand() reproduces
// the dispatch, and one Parse* function per command family validates the
// arguments. Two-letter 'm' names (mg/ms/md/ma/mn/me, and ERROR for the rest)
// go to ParseMetaLine() in proto/meta_parser.cc before the lookup.
#include "proto/text_parser.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "proto/meta_parser.h"
#include "proto/numbers.h"

namespace slabcached::proto {
namespace {

// memcached's MAX_TOKENS: at most 23 tokens are split off a line; the 24th
// slot is the terminator (or the unsplit rest of the line).
constexpr size_t kMaxTokens = 24;
// Leading spaces allowed before "get "/"gets " in an overlong buffer.
constexpr size_t kMaxLeadingSpaces = 100;

constexpr std::string_view kNoreply = "noreply";

struct Tokens {
  std::array<std::string_view, kMaxTokens - 1> tok;
  size_t n = 0;  // tokens split off (<= 23)

  // memcached's `ntokens`, which counts the terminator slot.
  size_t ntokens() const { return n + 1; }
  std::string_view last() const { return tok[n - 1]; }
  bool LastIsNoreply() const { return n > 0 && last() == kNoreply; }
};

// Splits on single spaces, skipping empty tokens, stopping after 23 tokens.
Tokens Tokenize(std::string_view line) {
  Tokens t;
  size_t start = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ' ') continue;
    if (i > start) {
      t.tok[t.n++] = line.substr(start, i - start);
      if (t.n == kMaxTokens - 1) return t;
    }
    start = i + 1;
  }
  if (start < line.size()) t.tok[t.n++] = line.substr(start);
  return t;
}

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

// What memcached's dispatch does with a command name.
struct Lookup {
  Command command = Command::kNone;
  // For kNone: true when memcached reaches its final "else" (unknown name),
  // where a last token starting with "HTTP/" closes the connection. Names
  // caught by an earlier first-letter branch just get ERROR.
  bool http_check = false;
};

Lookup LookupCommand(std::string_view name) {
  switch (name[0]) {
    case 'm':
      if (name.size() == 2) return {};  // meta commands: ParseMetaLine()
      break;
    case 'g':
      if (name == "get") return {Command::kGet};
      if (name == "gets") return {Command::kGets};
      if (name == "gat") return {Command::kGat};
      if (name == "gats") return {Command::kGats};
      return {};
    case 's':
      if (name == "set") return {Command::kSet};
      if (name == "stats") return {Command::kStats};
      if (name == "shutdown") return {Command::kShutdown};
      if (name == "slabs") return {Command::kSlabs};
      return {};
    case 'a':
      if (name == "add") return {Command::kAdd};
      if (name == "append") return {Command::kAppend};
      return {};
    case 'c':
      if (name == "cas") return {Command::kCas};
      if (name == "cache_memlimit") return {Command::kCacheMemlimit};
      return {};
    case 'i':
      if (name == "incr") return {Command::kIncr};
      return {};
    case 'd':
      if (name == "delete") return {Command::kDelete};
      if (name == "decr") return {Command::kDecr};
      if (name == "debugtime") return {Command::kDebugTime};
      return {};
    case 't':
      if (name == "touch") return {Command::kTouch};
      return {};
    default:
      break;
  }
  if (name == "replace") return {Command::kReplace};
  if (name == "prepend") return {Command::kPrepend};
  if (name == "bget") return {Command::kGet};  // ancient alias memcached keeps
  if (name == "flush_all") return {Command::kFlushAll};
  if (name == "version") return {Command::kVersion};
  if (name == "quit") return {Command::kQuit};
  if (name == "lru_crawler") return {Command::kLruCrawler};
  if (name == "watch") return {Command::kWatch};
  if (name == "verbosity") return {Command::kVerbosity};
  if (name == "lru") return {Command::kLru};
  if (name == "refresh_certs") return {Command::kRefreshCerts};
  // Known to Debian's build (extstore) but not served here: plain ERROR.
  if (name == "extstore") return {};
  return {Command::kNone, /*http_check=*/true};
}

// Outcome of parsing one complete line; the caller adds `consumed`.
struct LineResult {
  ParseStatus status = ParseStatus::kOk;
  ParseError error = ParseError::kNone;
};

constexpr LineResult kOkLine{};
constexpr LineResult Fail(ParseError e) { return {ParseStatus::kError, e}; }
// WANT_TOKENS* failures: "ERROR" before the handler runs (command stays kNone).
LineResult WrongTokenCount(Request* out) {
  out->command = Command::kNone;
  out->noreply = false;
  return Fail(ParseError::kUnknownCommand);
}

bool KeyOk(std::string_view key) { return !key.empty() && key.size() <= kMaxKeyLength; }

// get/gets/gat/gats <exptime>? <key>* (a bare "gat <exptime>" is valid: END).
LineResult ParseRetrieval(std::string_view line, const Tokens& t, Request* out) {
  if (t.ntokens() < 3) return WrongTokenCount(out);
  size_t keys_pos = EndOf(line, t.tok[0]);
  if (out->command == Command::kGat || out->command == Command::kGats) {
    int32_t exptime = 0;
    if (!SafeStrtol(t.tok[1], &exptime)) return Fail(ParseError::kInvalidExptime);
    out->exptime = exptime;
    keys_pos = EndOf(line, t.tok[1]);
  }
  out->keys = RestOfLine(line, keys_pos);
  // One overlong key fails the whole line (memcached drops the hits found so far).
  bool ok = true;
  ForEachKey(out->keys, [&ok](std::string_view key) { ok = ok && KeyOk(key); });
  return ok ? kOkLine : Fail(ParseError::kBadFormat);
}

// <cmd> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply]. A token in
// the noreply slot that is not "noreply" is ignored.
LineResult ParseStorage(const Tokens& t, Request* out) {
  const bool cas = out->command == Command::kCas;
  const size_t base = cas ? 7 : 6;
  if (t.ntokens() != base && t.ntokens() != base + 1) return WrongTokenCount(out);
  out->noreply = t.LastIsNoreply();
  out->key = t.tok[1];
  if (!KeyOk(out->key)) return Fail(ParseError::kBadFormat);
  int32_t exptime = 0;
  int32_t bytes = 0;
  if (!SafeStrtoul(t.tok[2], &out->client_flags) || !SafeStrtol(t.tok[3], &exptime) ||
      !SafeStrtol(t.tok[4], &bytes)) {
    return Fail(ParseError::kBadFormat);
  }
  out->exptime = exptime;
  if (cas && !SafeStrtoull(t.tok[5], &out->cas_unique)) return Fail(ParseError::kBadFormat);
  if (bytes < 0 || bytes > INT_MAX - 2) return Fail(ParseError::kBadFormat);
  out->value_bytes = static_cast<uint32_t>(bytes);
  return kOkLine;
}

// delete <key> [0] [noreply]: the legacy hold time must be exactly "0".
LineResult ParseDelete(const Tokens& t, Request* out) {
  const size_t nt = t.ntokens();
  if (nt < 3 || nt > 5) return WrongTokenCount(out);
  out->key = t.tok[1];
  if (nt > 3) {
    const bool hold_is_zero = t.tok[2] == "0";
    out->noreply = t.LastIsNoreply();
    const bool valid =
        (nt == 4 && (hold_is_zero || out->noreply)) || (nt == 5 && hold_is_zero && out->noreply);
    if (!valid) return Fail(ParseError::kBadDeleteFormat);
  }
  return KeyOk(out->key) ? kOkLine : Fail(ParseError::kBadFormat);
}

// touch <key> <exptime> [noreply]
LineResult ParseTouch(const Tokens& t, Request* out) {
  if (t.ntokens() != 4 && t.ntokens() != 5) return WrongTokenCount(out);
  out->noreply = t.LastIsNoreply();
  out->key = t.tok[1];
  if (!KeyOk(out->key)) return Fail(ParseError::kBadFormat);
  int32_t exptime = 0;
  if (!SafeStrtol(t.tok[2], &exptime)) return Fail(ParseError::kInvalidExptime);
  out->exptime = exptime;
  return kOkLine;
}

// incr|decr <key> <delta> [noreply]
LineResult ParseArithmetic(const Tokens& t, Request* out) {
  if (t.ntokens() != 4 && t.ntokens() != 5) return WrongTokenCount(out);
  out->noreply = t.LastIsNoreply();
  out->key = t.tok[1];
  if (!KeyOk(out->key)) return Fail(ParseError::kBadFormat);
  if (!SafeStrtoull(t.tok[2], &out->delta)) return Fail(ParseError::kInvalidDelta);
  return kOkLine;
}

// flush_all [delay] [noreply]: the delay is read unless the line is exactly
// "flush_all" or "flush_all noreply"; a third token is ignored.
LineResult ParseFlushAll(const Tokens& t, Request* out) {
  if (t.ntokens() < 2 || t.ntokens() > 4) return WrongTokenCount(out);
  out->noreply = t.LastIsNoreply();
  if (t.ntokens() != (out->noreply ? 3u : 2u)) {
    int32_t delay = 0;
    if (!SafeStrtol(t.tok[1], &delay)) return Fail(ParseError::kInvalidExptime);
    out->exptime = delay;
  }
  return kOkLine;
}

// verbosity <level> [noreply] and cache_memlimit <MB> [noreply]; a bad
// number is "CLIENT_ERROR bad command line format" for verbosity and a plain
// "ERROR" for cache_memlimit.
LineResult ParseNumberCommand(const Tokens& t, Request* out, ParseError bad_number) {
  if (t.ntokens() != 3 && t.ntokens() != 4) return WrongTokenCount(out);
  out->noreply = t.LastIsNoreply();
  uint32_t number = 0;
  if (!SafeStrtoul(t.tok[1], &number)) return Fail(bad_number);
  out->number = number;
  return kOkLine;
}

// stats/shutdown/slabs/lru/lru_crawler/watch/refresh_certs: the executor
// reads `args` (ForEachKey() splits it). Only `noreply` is decided here, as
// memcached reads it: lru and watch always look at the last token; slabs
// only on its "automove" path; refresh_certs in the executor (its errors are
// sent anyway); the others never.
LineResult ParseArgsCommand(std::string_view line, const Tokens& t, Request* out) {
  if (out->command == Command::kLru && t.ntokens() < 3) return WrongTokenCount(out);
  out->args = RestOfLine(line, EndOf(line, t.tok[0]));
  switch (out->command) {
    case Command::kLru:
      out->noreply = t.LastIsNoreply();
      break;
    case Command::kWatch:
      out->noreply = t.LastIsNoreply();
      break;
    case Command::kSlabs:
      out->noreply = t.ntokens() >= 4 && t.tok[1] == "automove" && t.LastIsNoreply();
      break;
    default:
      break;
  }
  return kOkLine;
}

LineResult ParseLine(std::string_view line, Request* out) {
  const Tokens t = Tokenize(line);
  // No command is shorter than two bytes ("\r\n" alone is the line "\r").
  if (t.n == 0 || t.tok[0].size() < 2) return Fail(ParseError::kUnknownCommand);
  if (IsMetaCommandName(t.tok[0])) {
    const ParseResult meta = ParseMetaLine(line, out);
    return {meta.status, meta.error};
  }
  const Lookup lookup = LookupCommand(t.tok[0]);
  out->command = lookup.command;
  switch (lookup.command) {
    case Command::kNone:
      if (lookup.http_check && t.last().starts_with("HTTP/")) return {ParseStatus::kClose};
      return Fail(ParseError::kUnknownCommand);
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
    case Command::kDebugTime:  // memcached's WANT_TOKENS_MIN(ntokens, 2), less its crash
      if (t.ntokens() < 3) return WrongTokenCount(out);
      out->args = t.tok[1];
      return kOkLine;
    case Command::kMetaGet:  // never from LookupCommand(): ParseMetaLine() above
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

ParseResult ParseTextRequest(std::string_view input, Request* out, size_t scanned) {
  *out = Request{};
  scanned = std::min(scanned, input.size());
  const void* nl = std::memchr(input.data() + scanned, '\n', input.size() - scanned);
  if (nl == nullptr) return NoLineYet(input);
  const auto line_end = static_cast<size_t>(static_cast<const char*>(nl) - input.data());
  std::string_view line = input.substr(0, line_end);
  // memcached strips "\r" only from lines longer than one byte, then treats
  // the line as a C string: a NUL byte ends it.
  if (line.size() > 1 && line.back() == '\r') line.remove_suffix(1);
  if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
    line = line.substr(0, nul);
  }
  const LineResult r = ParseLine(line, out);
  if (r.status == ParseStatus::kClose) {
    *out = Request{};
    return {ParseStatus::kClose};
  }
  return {r.status, r.error, line_end + 1};
}

std::string_view ErrorReply(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return {};
    case ParseError::kUnknownCommand:
      return "ERROR\r\n";
    case ParseError::kBadFormat:
      return "CLIENT_ERROR bad command line format\r\n";
    case ParseError::kInvalidExptime:
      return "CLIENT_ERROR invalid exptime argument\r\n";
    case ParseError::kInvalidDelta:
      return "CLIENT_ERROR invalid numeric delta argument\r\n";
    case ParseError::kBadDeleteFormat:
      return "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
    case ParseError::kMetaInvalidFlag:
    case ParseError::kMetaDuplicateFlag:
    case ParseError::kMetaInvalidOrDuplicateFlag:
    case ParseError::kMetaBadToken:
    case ParseError::kMetaGetFlagsTooLong:
    case ParseError::kMetaFlagsTooLong:
    case ParseError::kMetaKeyDecode:
    case ParseError::kMetaOpaqueTooLong:
    case ParseError::kMetaModeLength:
    case ParseError::kMetaInitial:
    case ParseError::kMetaDelta:
    case ParseError::kMetaSetMode:
    case ParseError::kMetaArithmeticMode:
      return MetaErrorReply(error);
  }
  return "ERROR\r\n";
}

}  // namespace slabcached::proto
