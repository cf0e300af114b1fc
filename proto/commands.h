// The one table of commands: each Command's wire name, arity and traits.
//
// The text parser recognises names with FindCommand() and checks token
// counts against the arity; the encoders write InfoOf(command).name; the
// executor asks InfoOf(command) what kind of command it runs (a retrieval,
// a storage command with a data block, ...). A new command is one row here
// (plus its parse and execute code).
//
// Arity is in memcached's `ntokens` (LineTokens::ntokens(): the tokens plus
// one), as proto_text.c writes its WANT_TOKENS rules: "get k" is 3.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/request.h"
#include "proto/tokenizer.h"

namespace slabcached::proto {

enum CommandFlag : uint16_t {
  kClassic = 1 << 0,     // a classic text command (AppendRequestLine() writes it)
  kMeta = 1 << 1,        // a meta command (ParseMetaLine(), AppendMetaRequest())
  kRetrieval = 1 << 2,   // a list of keys follows (get gets gat gats)
  kStorage = 1 << 3,     // a data block follows the line
  kReturnsCas = 1 << 4,  // VALUE lines carry the CAS (gets gats)
  kTouches = 1 << 5,     // an exptime precedes the keys and is applied (gat gats)
  kNoreply = 1 << 6,     // a last "noreply" is Request::noreply, written by the encoder
  kArgs = 1 << 7,        // the rest of the line is Request::args, read by the executor
  kTestOnly = 1 << 8,    // served by test builds only (debugtime); never encoded
};

// Any token count up to memcached's limit.
inline constexpr uint8_t kAnyNtokens = kMaxLineTokens + 1;

struct CommandInfo {
  // On the wire ("get", "mg"); empty for kNone and binary-only commands.
  std::string_view name;
  Command command = Command::kNone;
  // Fewer tokens than min_ntokens is "ERROR". More than max_ntokens is
  // "ERROR" for a classic command and "options flags too long" for a meta
  // one (memcached's MFLAG_MAX_OPT_LENGTH).
  uint8_t min_ntokens = 0;
  uint8_t max_ntokens = 0;
  uint16_t flags = 0;

  constexpr bool Has(CommandFlag flag) const { return (flags & flag) != 0; }
  constexpr bool ArityOk(size_t ntokens) const {
    return ntokens >= min_ntokens && ntokens <= max_ntokens;
  }
};

// One row per Command, in the enum's order (InfoOf() indexes it).
inline constexpr auto kCommands = std::to_array<CommandInfo>({
    {"", Command::kNone, 0, 0, 0},
    {"get", Command::kGet, 3, kAnyNtokens, kClassic | kRetrieval},
    {"gets", Command::kGets, 3, kAnyNtokens, kClassic | kRetrieval | kReturnsCas},
    {"gat", Command::kGat, 3, kAnyNtokens, kClassic | kRetrieval | kTouches},
    {"gats", Command::kGats, 3, kAnyNtokens, kClassic | kRetrieval | kTouches | kReturnsCas},
    {"set", Command::kSet, 6, 7, kClassic | kStorage | kNoreply},
    {"add", Command::kAdd, 6, 7, kClassic | kStorage | kNoreply},
    {"replace", Command::kReplace, 6, 7, kClassic | kStorage | kNoreply},
    {"append", Command::kAppend, 6, 7, kClassic | kStorage | kNoreply},
    {"prepend", Command::kPrepend, 6, 7, kClassic | kStorage | kNoreply},
    {"cas", Command::kCas, 7, 8, kClassic | kStorage | kNoreply},
    {"delete", Command::kDelete, 3, 5, kClassic | kNoreply},
    {"touch", Command::kTouch, 4, 5, kClassic | kNoreply},
    {"incr", Command::kIncr, 4, 5, kClassic | kNoreply},
    {"decr", Command::kDecr, 4, 5, kClassic | kNoreply},
    {"flush_all", Command::kFlushAll, 2, 4, kClassic | kNoreply},
    {"version", Command::kVersion, 2, kAnyNtokens, kClassic},
    {"verbosity", Command::kVerbosity, 3, 4, kClassic | kNoreply},
    {"quit", Command::kQuit, 2, kAnyNtokens, kClassic},
    {"stats", Command::kStats, 2, kAnyNtokens, kClassic | kArgs},
    {"shutdown", Command::kShutdown, 2, kAnyNtokens, kClassic | kArgs},
    {"cache_memlimit", Command::kCacheMemlimit, 3, 4, kClassic | kNoreply},
    {"slabs", Command::kSlabs, 2, kAnyNtokens, kClassic | kArgs},
    {"lru_crawler", Command::kLruCrawler, 2, kAnyNtokens, kClassic | kArgs},
    {"lru", Command::kLru, 3, kAnyNtokens, kClassic | kArgs},
    {"watch", Command::kWatch, 2, kAnyNtokens, kClassic | kArgs},
    {"refresh_certs", Command::kRefreshCerts, 2, kAnyNtokens, kClassic | kArgs},
    {"debugtime", Command::kDebugTime, 3, kAnyNtokens, kClassic | kTestOnly},
    {"", Command::kNoop, 0, 0, 0},  // binary protocol only
    {"", Command::kSaslListMechs, 0, 0, 0},
    {"", Command::kSaslAuth, 0, 0, 0},
    {"", Command::kSaslStep, 0, 0, 0},
    {"mg", Command::kMetaGet, 3, 20, kMeta},
    {"ms", Command::kMetaSet, 3, 20, kMeta | kStorage},
    {"md", Command::kMetaDelete, 3, 20, kMeta},
    {"ma", Command::kMetaArithmetic, 3, 20, kMeta},
    {"mn", Command::kMetaNoop, 2, kAnyNtokens, kMeta},
    {"me", Command::kMetaDebug, 2, kAnyNtokens, kMeta},  // a missing key is "bad format"
});

// Other names memcached accepts for a command (never written by an encoder).
struct CommandAlias {
  std::string_view name;
  Command command;
};
inline constexpr auto kCommandAliases = std::to_array<CommandAlias>({
    {"bget", Command::kGet},  // ancient, still accepted by memcached
});

constexpr const CommandInfo& InfoOf(Command command) {
  const auto index = static_cast<size_t>(command);
  return index < kCommands.size() ? kCommands[index] : kCommands[0];
}

// The row of a classic or meta command name (aliases included), or null.
const CommandInfo* FindCommand(std::string_view name);

}  // namespace slabcached::proto
