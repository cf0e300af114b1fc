// libFuzzer target for the text protocol parser. Build and run: scripts/fuzz.
//
// Feeds the input as a connection would (parse, drop `consumed`, skip a
// storage command's data block) and checks the contract on every call:
// consumption bounds, views inside the input, key limits, error strings,
// and that each parsed request survives compose -> parse unchanged. A second
// pass feeds the same bytes in pieces and must see the same requests. Meta
// commands (mg ms md ma mn me) go through the same entry point; ms data
// blocks (and those memcached swallows after a rejected ms) are skipped.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/meta_encoder.h"
#include "proto/meta_parser.h"
#include "proto/request.h"
#include "proto/text_encoder.h"
#include "proto/text_parser.h"
#include "proto/tokenizer.h"

namespace {

using slabcached::proto::Command;
using slabcached::proto::ParseResult;
using slabcached::proto::ParseStatus;
using slabcached::proto::Request;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

bool IsStorage(Command c) {
  return (c >= Command::kSet && c <= Command::kCas) || c == Command::kMetaSet;
}

bool IsMeta(Command c) { return c >= Command::kMetaGet && c <= Command::kMetaDebug; }

bool SameMeta(const Request& a, const Request& b) {
  const auto& x = a.meta;
  const auto& y = b.meta;
  return a.command == b.command && a.key == b.key && a.value_bytes == b.value_bytes &&
         x.set == y.set && x.opaque == y.opaque && x.mode == y.mode && x.ttl == y.ttl &&
         x.vivify_ttl == y.vivify_ttl && x.recache_ttl == y.recache_ttl &&
         x.client_flags == y.client_flags && x.compare_cas == y.compare_cas &&
         x.new_cas == y.new_cas && x.initial == y.initial && x.delta == y.delta;
}

// Meta-specific checks on an accepted request: flag values, the base64 key,
// and compose -> parse.
void CheckMeta(const Request& r, std::string_view buf) {
  Check(Inside(r.meta.tokens, buf) && Inside(r.meta.opaque, buf));
  Check(r.meta.opaque.size() <= slabcached::proto::kMaxMetaOpaque);
  Check(!r.meta.swallow_data);
  slabcached::proto::MetaKeyBuffer scratch;
  const std::string_view key = slabcached::proto::MetaKey(r, &scratch);
  if (r.command != Command::kMetaNoop) Check(!key.empty() && key.size() <= 250);
  if (r.meta.base64_key()) Check(key.size() <= 187);
  std::string line;
  Check(slabcached::proto::AppendMetaRequest(&line, r));
  Request back;
  const ParseResult again = slabcached::proto::ParseTextRequest(line, &back);
  Check(again.status == ParseStatus::kOk && again.consumed == line.size());
  Check(SameMeta(r, back));
  // Every reply shape encodes without trouble.
  std::string out;
  slabcached::proto::MetaItemView item{.created = true, .won = true};
  slabcached::proto::AppendMetaReply(&out, r, slabcached::proto::MetaCode::kVA, &item, 42);
  slabcached::proto::AppendMetaReply(&out, r, slabcached::proto::MetaCode::kNF, nullptr);
}

bool SameFields(const Request& a, const Request& b) {
  return a.command == b.command && a.noreply == b.noreply && a.key == b.key && a.keys == b.keys &&
         a.args == b.args && a.client_flags == b.client_flags && a.exptime == b.exptime &&
         a.value_bytes == b.value_bytes && a.cas_unique == b.cas_unique && a.delta == b.delta &&
         a.number == b.number;
}

// One parse with all per-call checks; returns the result.
ParseResult ParseChecked(std::string_view buf, Request* r) {
  const ParseResult res = slabcached::proto::ParseTextRequest(buf, r);
  Check(res.consumed <= buf.size());
  switch (res.status) {
    case ParseStatus::kNeedMore:
    case ParseStatus::kClose:
      Check(res.consumed == 0);
      Check(r->command == Command::kNone);
      break;
    case ParseStatus::kError:
      Check(res.consumed > 0 && buf[res.consumed - 1] == '\n');
      Check(!slabcached::proto::ErrorReply(res.error).empty());
      if (IsMeta(r->command)) Check(!r->noreply);  // meta errors are always sent
      if (r->meta.swallow_data) Check(r->command == Command::kMetaSet);
      break;
    case ParseStatus::kOk: {
      Check(res.consumed > 0 && buf[res.consumed - 1] == '\n');
      Check(r->command != Command::kNone);
      Check(Inside(r->key, buf) && Inside(r->keys, buf) && Inside(r->args, buf));
      // A stats group is any one token the line holds, not an item key.
      if (r->command != Command::kStats) {
        Check(r->key.size() <= slabcached::proto::kMaxKeyLength);
      }
      slabcached::proto::ForEachKey(r->keys, [](std::string_view k) {
        Check(!k.empty() && k.size() <= slabcached::proto::kMaxKeyLength);
      });
      Check(r->value_bytes <= 2147483645u);
      Check(r->exptime >= INT32_MIN && r->exptime <= INT32_MAX);
      if (IsMeta(r->command)) {
        CheckMeta(*r, buf);
        break;
      }
      // compose -> parse gives the same fields
      std::string line;
      Check(slabcached::proto::AppendRequestLine(&line, *r));
      Request back;
      const ParseResult again = slabcached::proto::ParseTextRequest(line, &back);
      Check(again.status == ParseStatus::kOk && again.consumed == line.size());
      Check(SameFields(*r, back));
      break;
    }
  }
  return res;
}

struct Event {
  ParseStatus status;
  Command command;
  std::string line;  // the consumed bytes
};

// Returns the events; `piece` == 0 means all at once.
std::vector<Event> Drive(std::string_view input, size_t piece) {
  std::vector<Event> events;
  std::string buf;
  size_t owed = 0;  // data block bytes still to skip
  size_t fed = 0;
  while (fed < input.size()) {
    const size_t n = piece == 0 ? input.size() : std::min(piece, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
    while (true) {
      if (owed > 0) {
        const size_t skip = std::min(owed, buf.size());
        buf.erase(0, skip);
        owed -= skip;
        if (owed > 0) break;
      }
      Request r;
      const ParseResult res = ParseChecked(buf, &r);
      if (res.status == ParseStatus::kNeedMore) break;
      events.push_back({res.status, r.command, buf.substr(0, res.consumed)});
      if (res.status == ParseStatus::kClose) return events;
      buf.erase(0, res.consumed);
      const bool block = res.status == ParseStatus::kOk && IsStorage(r.command);
      if (block || r.meta.swallow_data) owed = size_t{r.value_bytes} + 2;
    }
  }
  return events;
}

// LineTokens splits a line in one pass; it must agree with PopToken(), the
// rule key lists, meta flags and argument words are split by.
void CheckTokenizer(std::string_view text) {
  const slabcached::proto::LineTokens line(text);
  size_t i = 0;
  slabcached::proto::ForEachToken(text, [&](std::string_view token) {
    if (i < line.size()) Check(line[i] == token);
    ++i;
  });
  Check(line.size() == std::min(i, slabcached::proto::kMaxLineTokens));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckTokenizer(input);
  const std::vector<Event> whole = Drive(input, 0);
  // The split size comes from the input; results must not depend on it,
  // except for lines over kMaxCommandLine (memcached-compatible, see tests).
  bool has_long_line = false;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); ++i) {
    if (i == input.size() || input[i] == '\n') {
      if (i - start > slabcached::proto::kMaxCommandLine) has_long_line = true;
      start = i + 1;
    }
  }
  if (!has_long_line && size > 0) {
    const size_t piece = 1 + data[0] % 7;
    const std::vector<Event> split = Drive(input, piece);
    Check(split.size() == whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      Check(split[i].status == whole[i].status && split[i].command == whole[i].command &&
            split[i].line == whole[i].line);
    }
  }
  return 0;
}
