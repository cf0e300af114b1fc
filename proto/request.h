// The decoded form of one client request, shared by every protocol codec.
//
// A Request never owns bytes: keys and argument strings are views into the
// connection's input buffer and stay valid only until the caller consumes
// that input. Value bodies are never part of a Request: the parser reports
// how many bytes follow (`value_bytes`) and the connection reads them
// straight into item memory.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "proto/meta.h"
#include "proto/tokenizer.h"

namespace slabcached::proto {

// Each command has one row in proto/commands.h (kCommands, in this order):
// its wire name, arity and traits.
enum class Command : uint8_t {
  kNone,
  // Retrieval: `keys` holds one or more space-separated keys.
  kGet,
  kGets,
  kGat,   // exptime + keys
  kGats,  // exptime + keys
  // Storage: key, client_flags, exptime, value_bytes (+ cas_unique for kCas).
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  // Single-key commands.
  kDelete,  // key
  kTouch,   // key, exptime
  kIncr,    // key, delta
  kDecr,    // key, delta
  // Administrative.
  kFlushAll,       // exptime holds the delay (0 when absent)
  kVersion,        //
  kVerbosity,      // number
  kQuit,           //
  kStats,          // key = the group ("" for general stats), args = everything after "stats "
  kShutdown,       // args holds the optional mode ("graceful")
  kCacheMemlimit,  // number (megabytes)
  kSlabs,          // args holds everything after "slabs "
  kLruCrawler,     // args holds everything after "lru_crawler "
  kLru,            // args holds everything after "lru "
  kWatch,          // args
  kRefreshCerts,   // args (all ignored but a last "noreply")
  kDebugTime,      // args = its first argument (test builds only: src/clock_control.h)
  // Binary protocol only.
  kNoop,           // flushes quiet replies; answers with an empty success packet
  kSaslListMechs,  //
  kSaslAuth,       // key = mechanism, args = the client's data
  kSaslStep,       // key = mechanism, args = the client's data
  // Meta protocol (proto/meta_parser.h): key (base64 text when meta.base64_key()),
  // `meta` holds the flags; kMetaSet also value_bytes.
  kMetaGet,         // mg <key> <flags>*
  kMetaSet,         // ms <key> <datalen> <flags>*
  kMetaDelete,      // md <key> <flags>*
  kMetaArithmetic,  // ma <key> <flags>*
  kMetaNoop,        // mn
  kMetaDebug,       // me <key> [b]
};

struct Request {
  Command command = Command::kNone;
  bool noreply = false;   // the last token was "noreply"
  std::string_view key;   // single-key commands (already checked: 1..250 bytes);
                          // kStats: the group, any one token
  std::string_view keys;  // retrieval commands: the key list, see ForEachKey()
  std::string_view args;  // kStats / kShutdown / kSlabs / ...: rest of the line
  uint32_t client_flags = 0;
  int64_t exptime = 0;       // raw protocol value, int32 range (not yet converted)
  uint32_t value_bytes = 0;  // storage: length of the data block, excluding \r\n
  uint64_t cas_unique = 0;   // kCas
  uint64_t delta = 0;        // kIncr / kDecr
  uint64_t number = 0;       // kVerbosity / kCacheMemlimit

  // Binary protocol (all zero/false for text requests). Binary keys are
  // single keys (`key`, which may hold any byte); `keys` stays empty.
  // cas_unique carries the header's CAS for every binary command: a
  // non-zero CAS turns set/add/replace into kCas and makes delete, incr/decr
  // and append/prepend compare-and-swap.
  bool binary = false;
  uint8_t opcode = 0;           // the binary opcode, echoed in the reply
  uint32_t opaque = 0;          // echoed in the reply
  bool quiet = false;           // a "Q" opcode: success replies (and get misses) are not sent
  bool return_key = false;      // GetK/GetKQ/GATK/GATKQ: the reply carries the key
  bool create_on_miss = false;  // incr/decr: seed `initial` on a miss (exptime applies)
  uint64_t initial = 0;         // incr/decr

  // Where the protocols differ, as the parsers say (the executor follows
  // these instead of asking which protocol a request came in):
  // A set whose item cannot be allocated drops the old value (text set;
  // binary Set/SetQ, with a CAS too; ms does in every mode).
  bool drop_on_failed_alloc = false;
  // flush_all counts refused flushes (-F) too (text); binary counts the
  // flushes done.
  bool count_refused_flush = false;
  // The text protocol's own subcommands are served (stats cachedump); a
  // binary client is answered as for an unknown group.
  bool text_subcommands = false;
  // A storage command's data block ends in "\r\n" the client sends (text,
  // ms: checked, else "bad data chunk"); a binary value carries none.
  bool data_crlf = false;

  // Meta protocol (kMeta*): the flags; default-constructed otherwise.
  MetaFlags meta;
};

inline constexpr size_t kMaxKeyLength = 250;

// A retrieval request's `keys` are tokens (proto/tokenizer.h): these name
// the tokenizer's calls for them.

// Takes the first key off `keys`; empty when no key is left.
inline std::string_view PopKey(std::string_view* keys) { return PopToken(keys); }

// Calls fn(std::string_view key) for each key of `keys`, in order.
template <typename Fn>
void ForEachKey(std::string_view keys, Fn&& fn) {
  ForEachToken(keys, std::forward<Fn>(fn));
}

}  // namespace slabcached::proto
