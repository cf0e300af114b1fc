#include "proto/ascii_auth.h"

#include <charconv>
#include <cstdint>

namespace slabcached::proto {
namespace {

constexpr size_t kMaxJunkLine = 2048;  // no "\n" by then: not a client, close

// Space-separated token `n` (from 0) of `line`, or an empty view.
std::string_view Token(std::string_view line, int n) {
  int index = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (index++ == n) return line.substr(start, i - start);
  }
  return {};
}

AsciiAuthRequest Outcome(AsciiAuthRequest::Status status, size_t consumed = 0) {
  AsciiAuthRequest r;
  r.status = status;
  r.consumed = consumed;
  return r;
}

AsciiAuthRequest Error(size_t consumed, ReplyError reply) {
  AsciiAuthRequest r = Outcome(AsciiAuthRequest::Status::kError, consumed);
  r.error = reply;
  return r;
}

}  // namespace

AsciiAuthRequest ParseAsciiAuth(std::string_view input) {
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() > kMaxJunkLine) return Outcome(AsciiAuthRequest::Status::kClose);
    return {};
  }
  std::string_view line = input.substr(0, newline);
  // An empty line ("\n") has no last byte: it falls through to "unauthenticated".
  if (line.ends_with('\r')) line.remove_suffix(1);
  const size_t line_bytes = newline + 1;

  uint32_t size = 0;
  const std::string_view bytes = Token(line, 4);  // set <key> <flags> <exptime> <bytes>
  const auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), size);
  if (Token(line, 0) != "set" || bytes.empty() || ec != std::errc() ||
      end != bytes.data() + bytes.size()) {
    return Error(line_bytes, ReplyError::kAsciiAuthUnauthenticated);
  }
  if (size > kMaxAuthTokenBytes) return Error(line_bytes, ReplyError::kAsciiAuthTokenTooLong);

  const size_t block_bytes = size_t{size} + 2;
  if (input.size() - line_bytes < block_bytes) return {};
  const std::string_view block = input.substr(line_bytes, block_bytes);
  const size_t consumed = line_bytes + block_bytes;
  if (!block.ends_with("\r\n")) return Error(consumed, ReplyError::kAsciiAuthBadTermination);
  const std::string_view token = block.substr(0, size);
  const size_t space = token.find(' ');
  if (space == std::string_view::npos) {
    return Error(consumed, ReplyError::kAsciiAuthBadTokenFormat);
  }
  AsciiAuthRequest r = Outcome(AsciiAuthRequest::Status::kCredentials, consumed);
  r.user = token.substr(0, space);
  r.password = token.substr(space + 1);
  return r;
}

}  // namespace slabcached::proto
