// Encoder for memcached's meta-protocol replies (and request lines, for
// clients and the parser's round-trip tests). Appends to a std::string;
// mg values are not copied here: after a "VA" line the caller sends the
// value from item memory and "\r\n".
//
// Return flags follow memcached 1.6.18 byte for byte: they are written in
// the order the request sent its flags (the encoder walks meta.tokens), and
// each command answers only the flags it knows:
//   mg hit  (HD/VA): s t c f l h O k, then " Z", " X", " W" (in that order)
//   mg miss (EN):    O k
//   ms (any code):   O k c, and s (memcached HEAD; 1.6.18 ignores s)
//   md (any code):   O k
//   ma with a value (HD/VA): c t O k; VA adds "\r\n<number>"
//   ma otherwise (NF/NS/EX): O k
// `k` writes " k<key>", or " k<base64 key> b" for a binary key (the key is
// re-encoded from its bytes, so "QR==" comes back as "QQ=="). As in 1.6.18,
// an mg hit's key is binary when the item was stored by `ms ... b` (whatever
// the mg sent: "mg foo k" answers "HD kZm9v b", "mg YmFy b k" on an item set
// as "bar" answers "HD kbar"); mg misses, ms, md and ma follow the request's b.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/request.h"

namespace slabcached::proto {

inline constexpr std::string_view kMetaNoopReply = "MN\r\n";
inline constexpr std::string_view kMetaMissReply = "EN\r\n";  // mg miss / me miss, no flags

enum class MetaCode : uint8_t {
  kHD,  // success (mg hit without v, ms stored, md deleted, ma done without v)
  kVA,  // value follows (mg with v, ma with v)
  kEN,  // mg miss
  kNS,  // not stored (ms add/replace/append/prepend, ma vivify)
  kEX,  // CAS mismatch
  kNF,  // not found
};

// What the executor knows about the item, for the return flags. TTLs are
// remaining seconds as memcached prints them (-1: never expires).
struct MetaItemView {
  uint64_t cas = 0;           // c (ms: the stored CAS, 0 when not stored)
  uint32_t client_flags = 0;  // f
  uint32_t value_length = 0;  // s, and the <size> of an mg VA line
  // t: the TTL before this command; after a T flag (mg, ma); after N
  // created the item (mg, ma). `t` prints the state at its position among
  // the flags: "mg k t T30" shows the old TTL, "mg k T30 t" the new one.
  int64_t ttl = -1;
  int64_t ttl_after_T = -1;
  int64_t ttl_after_N = -1;
  bool created = false;      // N created the item on this miss (mg, ma)
  uint32_t last_access = 0;  // l: seconds since the last access, before this one
  bool fetched = false;      // h: fetched before this access
  bool key_binary = false;   // mg hit: the item was stored by ms with b (k in base64)
  bool token_sent = false;   // Z: a client already won, before this request
  bool stale = false;        // X: marked stale (md I, ms I)
  bool won = false;          // W: this request wins the recache
};

// Appends the reply line of a kMetaGet/kMetaSet/kMetaDelete/kMetaArithmetic
// request: "<CD>[ <size>]<return flags>\r\n". `item` is the item for an mg
// hit, any ms reply, and an ma that produced a value (HD/VA); null
// otherwise. For ma VA, `number` is the new value and its line follows.
void AppendMetaReply(std::string* out, const Request& req, MetaCode code, const MetaItemView* item,
                     uint64_t number = 0);

// True when q hides this reply (memcached 1.6.18): mg EN; ms, md HD; ma HD
// and VA unless N created the item (1.6.18 sends that one; HEAD hides it
// too). Errors are never hidden.
bool MetaReplySuppressed(const Request& req, MetaCode code, bool created = false);

// me: "ME <key> exp=<exp> la=<la> cas=<cas> fetch=<yes|no> cls=<cls> size=<size>\r\n".
struct MetaDebugView {
  int64_t exp = -1;  // as memcached prints it (1.6.18: now - exptime, -1 when none)
  uint64_t last_access = 0;
  uint64_t cas = 0;
  bool fetched = false;
  uint32_t slab_class = 0;
  uint64_t total_size = 0;  // item header + key + suffix + value
  bool key_binary = false;  // stored by ms with b: the key is printed in base64 (no " b")
};
void AppendMetaDebug(std::string* out, std::string_view key, const MetaDebugView& item);

// --- Requests (client side; also the parser's round-trip tests) ---

// Appends a canonical command line that ParseTextRequest() parses back into
// `req`'s command, key, value_bytes and meta fields (not meta.tokens): the
// flags in a fixed order, numbers in decimal, "\r\n" included. For
// kMetaSet the caller then sends value_bytes of data and "\r\n". Returns
// false, appending nothing, for a non-meta command.
bool AppendMetaRequest(std::string* out, const Request& req);

}  // namespace slabcached::proto
