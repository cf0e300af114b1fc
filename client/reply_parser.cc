#include "client/reply_parser.h"

#include <charconv>

namespace slabcached::client {
namespace {

template <typename T>
bool ParseDecimal(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Splits off the next space-separated token of `*s`.
std::string_view NextToken(std::string_view* s) {
  while (!s->empty() && s->front() == ' ') s->remove_prefix(1);
  size_t end = s->find(' ');
  if (end == std::string_view::npos) end = s->size();
  std::string_view token = s->substr(0, end);
  s->remove_prefix(end);
  return token;
}

// "VALUE <key> <flags> <bytes> [<cas>]" then the data block.
ReplyParse ParseValue(std::string_view in, std::string_view args, size_t line_end, Reply* reply,
                      size_t* consumed) {
  reply->kind = ReplyKind::kValue;
  reply->key = NextToken(&args);
  uint32_t bytes = 0;
  if (reply->key.empty() || !ParseDecimal(NextToken(&args), &reply->flags) ||
      !ParseDecimal(NextToken(&args), &bytes)) {
    return ReplyParse::kInvalid;
  }
  std::string_view cas = NextToken(&args);
  reply->has_cas = !cas.empty();
  reply->cas = 0;
  if (reply->has_cas && !ParseDecimal(cas, &reply->cas)) return ReplyParse::kInvalid;
  if (!NextToken(&args).empty()) return ReplyParse::kInvalid;
  const size_t data_start = line_end + 1;
  if (in.size() < data_start + bytes + 2) return ReplyParse::kNeedMore;
  if (in.substr(data_start + bytes, 2) != "\r\n") return ReplyParse::kInvalid;
  reply->data = in.substr(data_start, bytes);
  *consumed = data_start + bytes + 2;
  return ReplyParse::kOk;
}

// The meta protocol's reply codes (memcached 1.6).
constexpr std::string_view kMetaCodes[] = {"HD", "VA", "EN", "NS", "EX", "NF", "MN"};

// "VA <size> <flags>*" then the data block; the other codes are one line.
ReplyParse ParseMeta(std::string_view in, std::string_view word, std::string_view rest,
                     size_t line_end, Reply* reply, size_t* consumed) {
  reply->kind = ReplyKind::kMeta;
  reply->meta_code = word;
  if (word != "VA") {
    reply->meta_flags = rest;
    return ReplyParse::kOk;
  }
  uint32_t bytes = 0;
  if (!ParseDecimal(NextToken(&rest), &bytes)) return ReplyParse::kInvalid;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  reply->meta_flags = rest;
  const size_t data_start = line_end + 1;
  if (in.size() < data_start + bytes + 2) return ReplyParse::kNeedMore;
  if (in.substr(data_start + bytes, 2) != "\r\n") return ReplyParse::kInvalid;
  reply->data = in.substr(data_start, bytes);
  *consumed = data_start + bytes + 2;
  return ReplyParse::kOk;
}

struct Simple {
  std::string_view word;
  ReplyKind kind;
};
constexpr Simple kSimple[] = {
    {"END", ReplyKind::kEnd},
    {"STORED", ReplyKind::kStored},
    {"NOT_STORED", ReplyKind::kNotStored},
    {"EXISTS", ReplyKind::kExists},
    {"NOT_FOUND", ReplyKind::kNotFound},
    {"DELETED", ReplyKind::kDeleted},
    {"TOUCHED", ReplyKind::kTouched},
    {"OK", ReplyKind::kOk},
};

}  // namespace

ReplyParse ParseReply(std::string_view in, Reply* reply, size_t* consumed) {
  const size_t nl = in.find('\n');
  if (nl == std::string_view::npos) {
    return in.size() > kMaxReplyLine ? ReplyParse::kInvalid : ReplyParse::kNeedMore;
  }
  if (nl > kMaxReplyLine) return ReplyParse::kInvalid;
  std::string_view line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  *reply = Reply();
  *consumed = nl + 1;

  std::string_view rest = line;
  const std::string_view word = NextToken(&rest);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (word == "VALUE") return ParseValue(in, rest, nl, reply, consumed);
  for (const std::string_view code : kMetaCodes) {
    if (word == code) return ParseMeta(in, word, rest, nl, reply, consumed);
  }
  for (const Simple& s : kSimple) {
    if (word == s.word) {
      reply->kind = s.kind;
      return rest.empty() ? ReplyParse::kOk : ReplyParse::kInvalid;
    }
  }
  if (word == "ERROR" || word == "ERROR:") {
    reply->kind = ReplyKind::kError;
    reply->data = rest;
    return ReplyParse::kOk;
  }
  if (word == "CLIENT_ERROR" || word == "SERVER_ERROR") {
    reply->kind = word == "CLIENT_ERROR" ? ReplyKind::kClientError : ReplyKind::kServerError;
    reply->data = rest;
    return ReplyParse::kOk;
  }
  if (word == "VERSION") {
    reply->kind = ReplyKind::kVersion;
    reply->data = rest;
    return ReplyParse::kOk;
  }
  if (word == "STAT") {
    reply->kind = ReplyKind::kStat;
    reply->key = NextToken(&rest);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    reply->data = rest;
    return reply->key.empty() ? ReplyParse::kInvalid : ReplyParse::kOk;
  }
  // incr/decr: the new value. Trailing spaces are tolerated.
  std::string_view digits = line;
  while (!digits.empty() && digits.back() == ' ') digits.remove_suffix(1);
  if (ParseDecimal(digits, &reply->number)) {
    reply->kind = ReplyKind::kNumber;
    return ReplyParse::kOk;
  }
  return ReplyParse::kInvalid;
}

}  // namespace slabcached::client
