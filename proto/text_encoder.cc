// memcached classic text protocol: reply (and request line) encoder.
//
// Integers go through std::to_chars into a stack buffer and are appended in
// one call; only the rusage-style double uses snprintf ("%.6f").
#include "proto/text_encoder.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "proto/commands.h"

namespace slabcached::proto {
namespace {

// Longest decimal u64 / i64 ("-9223372036854775808").
constexpr size_t kMaxDigits = 20;

// Writes the fixed-size tail of a line straight into `out`: Reserve() grows
// the string by an upper bound, Finish() trims it to what was written.
class TailWriter {
 public:
  TailWriter(std::string* out, size_t max_len) : out_(out), begin_(out->size()) {
    out_->resize(begin_ + max_len);
    p_ = out_->data() + begin_;
  }
  TailWriter(const TailWriter&) = delete;
  TailWriter& operator=(const TailWriter&) = delete;
  ~TailWriter() { out_->resize(static_cast<size_t>(p_ - out_->data())); }

  void Put(std::string_view s) {
    if (s.empty()) return;  // an empty view may carry a null pointer
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Put(char c) { *p_++ = c; }
  template <typename Int>
  void Number(Int v) {
    p_ = std::to_chars(p_, p_ + kMaxDigits, v).ptr;
  }

 private:
  std::string* out_;
  size_t begin_;
  char* p_;
};

// " <n>".
template <typename Int>
void AppendSpaceNumber(std::string* out, Int v) {
  TailWriter w(out, kMaxDigits + 1);
  w.Put(' ');
  w.Number(v);
}

void AppendNoreply(std::string* out, bool noreply) {
  if (noreply) out->append(" noreply");
}

}  // namespace

void AppendValueHeader(std::string* out, std::string_view key, uint32_t client_flags,
                       uint32_t bytes, bool with_cas, uint64_t cas) {
  TailWriter w(out, 6 + key.size() + 3 * (kMaxDigits + 1) + 2);
  w.Put("VALUE ");
  w.Put(key);
  w.Put(' ');
  w.Number(client_flags);
  w.Put(' ');
  w.Number(bytes);
  if (with_cas) {
    w.Put(' ');
    w.Number(cas);
  }
  w.Put(kCrLf);
}

void AppendNumberLine(std::string* out, uint64_t n) {
  TailWriter w(out, kMaxDigits + 2);
  w.Number(n);
  w.Put(kCrLf);
}

void AppendStat(std::string* out, std::string_view name, std::string_view value) {
  out->append("STAT ");
  out->append(name);
  out->push_back(' ');
  out->append(value);
  out->append(kCrLf);
}

namespace {
template <typename Integer>
void AppendIntegerStat(std::string* out, std::string_view name, Integer value) {
  TailWriter w(out, 5 + name.size() + 1 + kMaxDigits + 2);
  w.Put("STAT ");
  w.Put(name);
  w.Put(' ');
  w.Number(value);
  w.Put(kCrLf);
}
}  // namespace

void AppendStat(std::string* out, std::string_view name, uint64_t value) {
  AppendIntegerStat(out, name, value);
}

void AppendStat(std::string* out, std::string_view name, int64_t value) {
  AppendIntegerStat(out, name, value);
}

void AppendStat(std::string* out, std::string_view name, double value) {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.6f", value);
  if (n < 0) n = 0;
  AppendStat(out, name, std::string_view(buf, std::min(static_cast<size_t>(n), sizeof(buf) - 1)));
}

void AppendVersion(std::string* out, std::string_view version) {
  out->append("VERSION ");
  out->append(version);
  out->append(kCrLf);
}

std::string_view TextCommandName(Command command) {
  const CommandInfo& info = InfoOf(command);
  return info.Has(kClassic) && !info.Has(kTestOnly) ? info.name : std::string_view();
}

bool AppendRequestLine(std::string* out, const Request& req) {
  const CommandInfo& info = InfoOf(req.command);
  if (!info.Has(kClassic)) return false;
  out->append(info.name);
  switch (req.command) {
    case Command::kNone:
      break;
    case Command::kGat:
    case Command::kGats:
      AppendSpaceNumber(out, req.exptime);
      [[fallthrough]];
    case Command::kGet:
    case Command::kGets:
      out->push_back(' ');
      out->append(req.keys);
      break;
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kAppend:
    case Command::kPrepend:
    case Command::kCas:
      out->push_back(' ');
      out->append(req.key);
      AppendSpaceNumber(out, req.client_flags);
      AppendSpaceNumber(out, req.exptime);
      AppendSpaceNumber(out, req.value_bytes);
      if (req.command == Command::kCas) AppendSpaceNumber(out, req.cas_unique);
      break;
    case Command::kDelete:
      out->push_back(' ');
      out->append(req.key);
      break;
    case Command::kTouch:
      out->push_back(' ');
      out->append(req.key);
      AppendSpaceNumber(out, req.exptime);
      break;
    case Command::kIncr:
    case Command::kDecr:
      out->push_back(' ');
      out->append(req.key);
      AppendSpaceNumber(out, req.delta);
      break;
    case Command::kFlushAll:
      if (req.exptime != 0) AppendSpaceNumber(out, req.exptime);
      break;
    case Command::kVerbosity:
    case Command::kCacheMemlimit:
      AppendSpaceNumber(out, req.number);
      break;
    case Command::kVersion:  // no arguments, or only `args` (kArgs, below)
    case Command::kQuit:
    case Command::kStats:
    case Command::kShutdown:
    case Command::kSlabs:
    case Command::kLruCrawler:
    case Command::kLru:
    case Command::kWatch:
    case Command::kRefreshCerts:
      break;
    case Command::kMetaGet:  // not reached: not kClassic
    case Command::kMetaSet:
    case Command::kMetaDelete:
    case Command::kMetaArithmetic:
    case Command::kMetaNoop:
    case Command::kMetaDebug:
    case Command::kNoop:
    case Command::kSaslListMechs:
    case Command::kSaslAuth:
    case Command::kSaslStep:
    case Command::kDebugTime:
      break;
  }
  if (info.Has(kArgs) && !req.args.empty()) {
    out->push_back(' ');
    out->append(req.args);
  }
  if (info.Has(kNoreply)) AppendNoreply(out, req.noreply);
  out->append(kCrLf);
  return true;
}

}  // namespace slabcached::proto
