// The flags of one meta-protocol request (mg ms md ma mn me), as parsed.
//
// A meta request line is `<cm> <key> [<datalen>] <flag>*`. Every flag is one
// character, optionally followed directly by a token (`T30`, `Oabc`). The
// parser (proto/meta_parser.h) checks the flags exactly as memcached 1.6.18
// does and stores them here; the executor applies them; the encoder
// (proto/meta_encoder.h) walks `tokens` again to write the return flags in
// the order the client sent them, as memcached does.
//
// Like Request, MetaFlags owns no bytes: `tokens` and `opaque` are views into
// the connection's input buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "proto/tokenizer.h"

namespace slabcached::proto {

// A set of flag letters (A-Z, a-z): one bit each.
class MetaFlagSet {
 public:
  static constexpr bool IsLetter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }
  constexpr bool Has(char c) const { return IsLetter(c) && (bits_ & Bit(c)) != 0; }
  constexpr void Add(char c) {
    if (IsLetter(c)) bits_ |= Bit(c);
  }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const MetaFlagSet&) const = default;

 private:
  static constexpr uint64_t Bit(char c) {
    return uint64_t{1} << (c <= 'Z' ? c - 'A' : 26 + (c - 'a'));
  }
  uint64_t bits_ = 0;
};

// The flags memcached knows (1.6.18, plus HEAD's E and x), as sent:
//   no token: b c f h I k l q s t u v x   (P and L take an ignored token)
//   token:    C D E F J M N O R T
// A flag's meaning depends on the command (see protocol.txt); the parser
// accepts every known flag on every command, as memcached does, and the
// executor ignores those that do not apply (`mg k F5` is a plain mg).
struct MetaFlags {
  // Every flag token after the key (after <datalen> for ms), from the first
  // to the last, spaces between them as sent. Empty when there are none.
  std::string_view tokens;
  MetaFlagSet set;  // the flags present (each at most once)

  std::string_view opaque;    // O: the whole token, "O" included (<= 32 bytes)
  char mode = '\0';           // M: the mode character ('\0' when absent)
  int32_t ttl = 0;            // T: new TTL (raw exptime: the 30-day rule still applies)
  int32_t vivify_ttl = 0;     // N: TTL of an item created on a miss
  int32_t recache_ttl = 0;    // R: win the recache when the remaining TTL is below this
  uint32_t client_flags = 0;  // F (ms; default 0)
  uint64_t compare_cas = 0;   // C: compare-and-swap value
  uint64_t new_cas = 0;       // E: CAS value to give a modified item (HEAD)
  uint64_t initial = 0;       // J (ma; default 0)
  uint64_t delta = 1;         // D (ma; default 1)

  // ms only, on a kError reply: memcached rejected the line after reading
  // <datalen>, so it also swallows the data block: the caller drops
  // Request::value_bytes + 2 bytes after the line before parsing on.
  bool swallow_data = false;

  bool Has(char c) const { return set.Has(c); }
  bool base64_key() const { return set.Has('b'); }  // Request::key is base64 text
  bool quiet() const { return set.Has('q'); }       // q: see MetaReplySuppressed()
};

// Calls fn(std::string_view token) for each flag token of `tokens`, in order
// (token[0] is the flag letter): they are tokens (proto/tokenizer.h).
template <typename Fn>
void ForEachMetaToken(std::string_view tokens, Fn&& fn) {
  ForEachToken(tokens, std::forward<Fn>(fn));
}

// Longest opaque token, "O" included (memcached's MFLAG_MAX_OPAQUE_LENGTH).
inline constexpr size_t kMaxMetaOpaque = 32;

// Room for a decoded base64 key. The key token is at most 250 bytes, so a
// decoded key is at most 187 bytes (memcached checks the encoded length).
using MetaKeyBuffer = std::array<char, 250>;

}  // namespace slabcached::proto
