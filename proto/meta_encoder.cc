// memcached meta protocol: reply (and request line) encoder.
#include "proto/meta_encoder.h"

#include <array>
#include <charconv>

#include "proto/base64.h"
#include "proto/commands.h"
#include "proto/meta_parser.h"

namespace slabcached::proto {
namespace {

void AppendNumber(std::string* out, std::integral auto v) {
  std::array<char, 24> buf;
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out->append(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
}

// " <c><n>", e.g. " c42".
void AppendFlagNumber(std::string* out, char flag, std::integral auto v) {
  out->push_back(' ');
  out->push_back(flag);
  AppendNumber(out, v);
}

// The key as memcached writes it: raw, or base64 of its bytes.
void AppendKeyText(std::string* out, std::string_view key, bool binary) {
  if (!binary) {
    out->append(key);
    return;
  }
  std::array<char, Base64EncodedSize(sizeof(MetaKeyBuffer))> buf;
  out->append(buf.data(), Base64Encode(key.substr(0, sizeof(MetaKeyBuffer)), buf.data()));
}

// " k<key>" or " k<base64> b" (memcached's META_KEY).
void AppendKeyFlag(std::string* out, std::string_view key, bool binary) {
  out->append(" k");
  AppendKeyText(out, key, binary);
  if (binary) out->append(" b");
}

std::string_view CodeText(MetaCode code) {
  switch (code) {
    case MetaCode::kHD:
      return "HD";
    case MetaCode::kVA:
      return "VA";
    case MetaCode::kEN:
      return "EN";
    case MetaCode::kNS:
      return "NS";
    case MetaCode::kEX:
      return "EX";
    case MetaCode::kNF:
      return "NF";
  }
  return "HD";
}

// The TTL that `t` prints, tracked along the flags: T (mg, ma) and N (on a
// created item) change it at their position.
class TtlTracker {
 public:
  explicit TtlTracker(const MetaItemView& item) : item_(item), ttl_(item.ttl) {}
  void See(char flag) {
    if (flag == 'T') ttl_ = item_.ttl_after_T;
    if (flag == 'N' && item_.created) ttl_ = item_.ttl_after_N;
  }
  int64_t ttl() const { return ttl_; }

 private:
  const MetaItemView& item_;
  int64_t ttl_;
};

// The flags of an item reply, in the request's order: those of `wanted`
// that mg (s t c f l h O k) or ma (c t O k) answer. k is base64 when the key
// is binary: the item's flag for mg, the request's for ma.
void AppendItemFlags(std::string* out, const Request& req, std::string_view key,
                     const MetaItemView& item, std::string_view wanted, bool key_binary) {
  TtlTracker ttl(item);
  ForEachMetaToken(req.meta.tokens, [&](std::string_view tok) {
    ttl.See(tok[0]);
    if (wanted.find(tok[0]) == std::string_view::npos) return;
    switch (tok[0]) {
      case 's':
        AppendFlagNumber(out, 's', item.value_length);
        break;
      case 't':
        AppendFlagNumber(out, 't', ttl.ttl());
        break;
      case 'c':
        AppendFlagNumber(out, 'c', item.cas);
        break;
      case 'f':
        AppendFlagNumber(out, 'f', item.client_flags);
        break;
      case 'l':
        AppendFlagNumber(out, 'l', item.last_access);
        break;
      case 'h':
        out->append(item.fetched ? " h1" : " h0");
        break;
      case 'O':
        out->push_back(' ');
        out->append(tok);
        break;
      case 'k':
        AppendKeyFlag(out, key, key_binary);
        break;
      default:
        break;
    }
  });
}

// The flags of an mg hit, then Z X W.
void AppendGetHitFlags(std::string* out, const Request& req, std::string_view key,
                       const MetaItemView& item) {
  AppendItemFlags(out, req, key, item, "stcflhOk", item.key_binary);
  if (item.token_sent) out->append(" Z");
  if (item.stale) out->append(" X");
  if (item.won) out->append(" W");
}

// O and k (plus c and s for ms), from the request.
void AppendRequestFlags(std::string* out, const Request& req, std::string_view key,
                        const MetaItemView* item) {
  const bool ms = req.command == Command::kMetaSet;
  ForEachMetaToken(req.meta.tokens, [&](std::string_view tok) {
    switch (tok[0]) {
      case 'O':
        out->push_back(' ');
        out->append(tok);
        break;
      case 'k':
        AppendKeyFlag(out, key, req.meta.base64_key());
        break;
      case 'c':
        if (ms) AppendFlagNumber(out, 'c', item != nullptr ? item->cas : 0);
        break;
      case 's':
        if (ms) AppendFlagNumber(out, 's', item != nullptr ? item->value_length : 0);
        break;
      default:
        break;
    }
  });
}

// Flags with a token, in the order AppendMetaRequest() writes them.
void AppendTokenFlags(std::string* out, const MetaFlags& m) {
  if (m.Has('C')) AppendFlagNumber(out, 'C', m.compare_cas);
  if (m.Has('D')) AppendFlagNumber(out, 'D', m.delta);
  if (m.Has('E')) AppendFlagNumber(out, 'E', m.new_cas);
  if (m.Has('F')) AppendFlagNumber(out, 'F', m.client_flags);
  if (m.Has('J')) AppendFlagNumber(out, 'J', m.initial);
  if (m.Has('M')) {
    out->append(" M");
    out->push_back(m.mode);
  }
  if (m.Has('N')) AppendFlagNumber(out, 'N', m.vivify_ttl);
  if (m.Has('O')) {
    out->push_back(' ');
    out->append(m.opaque);
  }
  if (m.Has('R')) AppendFlagNumber(out, 'R', m.recache_ttl);
  if (m.Has('T')) AppendFlagNumber(out, 'T', m.ttl);
}

}  // namespace

void AppendMetaReply(std::string* out, const Request& req, MetaCode code, const MetaItemView* item,
                     uint64_t number) {
  MetaKeyBuffer scratch;
  const std::string_view key = MetaKey(req, &scratch);
  out->append(CodeText(code));
  const bool mg = req.command == Command::kMetaGet;
  const bool ma = req.command == Command::kMetaArithmetic;
  std::array<char, 24> digits;
  std::string_view number_text;
  if (code == MetaCode::kVA) {
    out->push_back(' ');
    if (ma) {
      const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), number);
      number_text = std::string_view(digits.data(), static_cast<size_t>(r.ptr - digits.data()));
      AppendNumber(out, number_text.size());
    } else {
      AppendNumber(out, item != nullptr ? item->value_length : 0);
    }
  }
  if (mg && item != nullptr) {
    AppendGetHitFlags(out, req, key, *item);
  } else if (ma && item != nullptr) {
    AppendItemFlags(out, req, key, *item, "ctOk", req.meta.base64_key());
  } else {
    AppendRequestFlags(out, req, key, item);
  }
  out->append("\r\n");
  if (ma && code == MetaCode::kVA) {
    out->append(number_text);
    out->append("\r\n");
  }
}

bool MetaReplySuppressed(const Request& req, MetaCode code, bool created) {
  if (!req.meta.quiet()) return false;
  switch (req.command) {
    case Command::kMetaGet:
      return code == MetaCode::kEN;
    case Command::kMetaSet:
    case Command::kMetaDelete:
      return code == MetaCode::kHD;
    case Command::kMetaArithmetic:
      return (code == MetaCode::kHD || code == MetaCode::kVA) && !created;
    default:
      return false;
  }
}

void AppendMetaDebug(std::string* out, std::string_view key, const MetaDebugView& item) {
  out->append("ME ");
  AppendKeyText(out, key, item.key_binary);
  out->append(" exp=");
  AppendNumber(out, item.exp);
  out->append(" la=");
  AppendNumber(out, item.last_access);
  out->append(" cas=");
  AppendNumber(out, item.cas);
  out->append(item.fetched ? " fetch=yes" : " fetch=no");
  out->append(" cls=");
  AppendNumber(out, item.slab_class);
  out->append(" size=");
  AppendNumber(out, item.total_size);
  out->append("\r\n");
}

bool AppendMetaRequest(std::string* out, const Request& req) {
  const CommandInfo& info = InfoOf(req.command);
  if (!info.Has(kMeta)) return false;
  out->append(info.name);
  if (req.command == Command::kMetaNoop) {
    out->append("\r\n");
    return true;
  }
  out->push_back(' ');
  out->append(req.key);
  if (req.command == Command::kMetaDebug) {
    if (req.meta.base64_key()) out->append(" b");
    out->append("\r\n");
    return true;
  }
  if (req.command == Command::kMetaSet) {
    out->push_back(' ');
    AppendNumber(out, req.value_bytes);
  }
  const MetaFlags& m = req.meta;
  for (const char flag : std::string_view("bcfhIklqstuvxPL")) {
    if (!m.Has(flag)) continue;
    out->push_back(' ');
    out->push_back(flag);
  }
  AppendTokenFlags(out, m);
  out->append("\r\n");
  return true;
}

}  // namespace slabcached::proto
