// libFuzzer target for -Y ascii authentication (proto/ascii_auth.h). Build
// and run: scripts/fuzz.
//
// Feeds the input as a connection would before authenticating (parse, drop
// `consumed`, stop on close), each parse on an exact heap copy of the
// buffered bytes so ASan sees any read outside them, and checks the
// contract: consumption bounds, views inside the input, the credentials
// block's framing. A second pass feeds the same bytes in pieces and must
// give the same replies, unless a line is longer than the junk limit (then,
// as in memcached, how much is buffered decides).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/ascii_auth.h"

namespace {

using slabcached::proto::AsciiAuthRequest;
using slabcached::proto::ParseAsciiAuth;
using Status = AsciiAuthRequest::Status;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

// One parse of an exact copy of `buffered`, with the per-call checks; the
// outcome as a string ("" for need-more).
std::string ParseChecked(const std::string& buffered, size_t* consumed, bool* close) {
  const auto copy = std::make_unique<char[]>(buffered.size());
  std::copy(buffered.begin(), buffered.end(), copy.get());
  const std::string_view in(copy.get(), buffered.size());
  const AsciiAuthRequest r = ParseAsciiAuth(in);
  Check(r.consumed <= in.size());
  *consumed = r.consumed;
  *close = false;
  switch (r.status) {
    case Status::kNeedMore:
      Check(r.consumed == 0);
      Check(in.size() <= 2048 || in.find('\n') != std::string_view::npos);
      return "";
    case Status::kClose:
      Check(r.consumed == 0 && in.find('\n') == std::string_view::npos);
      *close = true;
      return "close";
    case Status::kError: {
      const std::string_view line = slabcached::proto::ErrorText(r.error);
      Check(r.consumed > 0);
      Check(line.starts_with("CLIENT_ERROR "));
      Check(line.find('\n') == line.size() - 1);  // one line
      return std::string(line);
    }
    case Status::kCredentials: {
      Check(Inside(r.user, in) && Inside(r.password, in));
      Check(r.user.find(' ') == std::string_view::npos);
      // "<line>\n<user> <password>\r\n", and the token fits the limit.
      const size_t line = in.find('\n') + 1;
      Check(in.substr(0, line).find("set") != std::string_view::npos);
      Check(r.consumed >= line + 3 && in.substr(r.consumed - 2, 2) == "\r\n");
      const size_t token = r.consumed - line - 2;
      Check(token <= slabcached::proto::kMaxAuthTokenBytes);
      Check(r.user.size() + 1 + r.password.size() == token);
      Check(r.user.data() == in.data() + line);
      return "credentials " + std::string(r.user) + " " + std::string(r.password);
    }
  }
  std::abort();
}

// The replies of the whole input fed in pieces of `piece` bytes (0: at once).
std::vector<std::string> Drive(std::string_view input, size_t piece) {
  std::vector<std::string> replies;
  std::string buffered;
  size_t fed = 0;
  while (fed < input.size()) {
    const size_t n = piece == 0 ? input.size() : std::min(piece, input.size() - fed);
    buffered.append(input.substr(fed, n));
    fed += n;
    while (!buffered.empty()) {
      size_t consumed = 0;
      bool close = false;
      std::string reply = ParseChecked(buffered, &consumed, &close);
      if (reply.empty()) break;
      replies.push_back(std::move(reply));
      if (close) return replies;
      buffered.erase(0, consumed);
    }
  }
  return replies;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> whole = Drive(input, 0);
  bool has_long_line = false;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); ++i) {
    if (i == input.size() || input[i] == '\n') {
      if (i - start >= 2048) has_long_line = true;
      start = i + 1;
    }
  }
  if (!has_long_line && size > 0) Check(Drive(input, 1 + data[0] % 7) == whole);
  return 0;
}
