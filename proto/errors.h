// Every error reply the daemon gives, in one table: the text line memcached
// 1.6.18 sends (checked against Debian's build) and the binary status with
// which a binary client is answered instead. The executor names a ReplyError;
// the composers (src/responder.h) look up its bytes here, and so do the
// parsers for the lines they reject (proto/text_parser.h ErrorReply()).
//
// Text-only errors (admin commands, meta, parse errors) carry
// kUnknownCommand as their status: the binary parser never produces the
// requests that earn them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/binary_protocol.h"

namespace slabcached::proto {

enum class ReplyError : uint8_t {
  // Storage, retrieval and arithmetic outcomes that are errors on the wire.
  kUnknownCommand,
  kNotFound,
  kExists,
  kTooLarge,
  kOutOfMemoryStoring,
  kOutOfMemory,
  kOutOfMemoryAllocating,  // ma N creating the missing item
  kNonNumeric,
  kBadDataChunk,
  kInvalidArguments,  // binary only
  kAuthError,         // binary only
  kFlushDisabled,
  // Command lines the parsers reject.
  kBadFormat,
  kInvalidExptime,
  kInvalidDelta,
  kBadDeleteFormat,
  kMetaInvalidFlag,
  kMetaDuplicateFlag,
  kMetaInvalidOrDuplicateFlag,
  kMetaBadToken,
  kMetaGetFlagsTooLong,
  kMetaFlagsTooLong,
  kMetaKeyDecode,
  kMetaOpaqueTooLong,
  kMetaModeLength,
  kMetaInitial,
  kMetaDelta,
  kMetaSetMode,
  kMetaArithmeticMode,
  // Admin commands.
  kShutdownDisabled,
  kInvalidShutdownMode,
  kReassignDisabled,
  kReassignBusy,
  kReassignBadClass,
  kReassignNoSpare,
  kReassignSame,
  kMemlimitTooSmall,
  kMemlimitNotBytes,
  kMemlimitFailed,
  kCrawlerStartFailed,
  kCrawlerDisabled,
  kCrawlerBusy,
  kCrawlerBadClass,
  kCrawlerNotStarted,
  kCrawlerUnknown,
  kCrawlerSleepTooLong,
  kMetadumpNotAllowed,
  kKeyDumpNotAllowed,
  kMetadumpOverUdp,
  kKeyDumpOverUdp,
  kDumpTakenOver,
  kCachedumpNotAllowed,
  kCachedumpBadLine,
  kCachedumpBadClass,
  kLruPercentsTooLarge,    // lru tune
  kLruFactorsNotPositive,  // lru tune
  // The connection's own.
  kReadBufferFull,      // -o read_buf_mem_limit
  kUdpGetTooLarge,      // a UDP get whose reply outgrew the datagram budget
  kTooManyConnections,  // -c reached
  kAsciiAuthFailure,    // -Y: wrong user or password
  // -Y: what an unauthenticated connection sent instead of its token.
  kAsciiAuthUnauthenticated,
  kAsciiAuthTokenTooLong,
  kAsciiAuthBadTermination,
  kAsciiAuthBadTokenFormat,
  // watch and stats detail (memcached 1.6.45's proto_text.c).
  kWatchNotAllowed,        // -W
  kWatchPipelined,         // replies of earlier requests not yet sent
  kWatcherTooMany,         // 20 watchers already
  kWatcherFailed,          // a socket the logger cannot write (TLS, UDP)
  kStatsDetailNotAllowed,  // -X
  kStatsDetailUsage,
};

struct ErrorRow {
  ReplyError error;
  std::string_view text;  // "\r\n" included
  binary::Status status;
};

namespace errors_internal {
using binary::Status;
inline constexpr std::array kTable = {
    ErrorRow{ReplyError::kUnknownCommand, "ERROR\r\n", Status::kUnknownCommand},
    ErrorRow{ReplyError::kNotFound, "NOT_FOUND\r\n", Status::kKeyNotFound},
    ErrorRow{ReplyError::kExists, "EXISTS\r\n", Status::kKeyExists},
    ErrorRow{ReplyError::kTooLarge, "SERVER_ERROR object too large for cache\r\n",
             Status::kTooLarge},
    ErrorRow{ReplyError::kOutOfMemoryStoring, "SERVER_ERROR out of memory storing object\r\n",
             Status::kOutOfMemory},
    ErrorRow{ReplyError::kOutOfMemory, "SERVER_ERROR out of memory\r\n", Status::kOutOfMemory},
    ErrorRow{ReplyError::kOutOfMemoryAllocating,
             "SERVER_ERROR Out of memory allocating new item\r\n", Status::kOutOfMemory},
    ErrorRow{ReplyError::kNonNumeric,
             "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
             Status::kDeltaBadValue},
    ErrorRow{ReplyError::kBadDataChunk, "CLIENT_ERROR bad data chunk\r\n",
             Status::kInvalidArguments},
    ErrorRow{ReplyError::kInvalidArguments, "ERROR\r\n", Status::kInvalidArguments},
    ErrorRow{ReplyError::kAuthError, "ERROR\r\n", Status::kAuthError},
    // memcached answers a refused binary flush with "Auth failure.".
    ErrorRow{ReplyError::kFlushDisabled, "CLIENT_ERROR flush_all not allowed\r\n",
             Status::kAuthError},
    ErrorRow{ReplyError::kBadFormat, "CLIENT_ERROR bad command line format\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kInvalidExptime, "CLIENT_ERROR invalid exptime argument\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kInvalidDelta, "CLIENT_ERROR invalid numeric delta argument\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kBadDeleteFormat,
             "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaInvalidFlag, "CLIENT_ERROR invalid flag\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaDuplicateFlag, "CLIENT_ERROR duplicate flag\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaInvalidOrDuplicateFlag, "CLIENT_ERROR invalid or duplicate flag\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaBadToken, "CLIENT_ERROR bad token in command line format\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaGetFlagsTooLong, "CLIENT_ERROR options flags are too long\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaFlagsTooLong, "CLIENT_ERROR options flags too long\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaKeyDecode, "CLIENT_ERROR error decoding key\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaOpaqueTooLong, "CLIENT_ERROR opaque token too long\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaModeLength, "CLIENT_ERROR incorrect length for M token\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaInitial, "CLIENT_ERROR invalid numeric initial value\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaDelta, "CLIENT_ERROR invalid numeric delta value\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaSetMode, "CLIENT_ERROR invalid mode for ms M token\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetaArithmeticMode, "CLIENT_ERROR invalid mode for ma M token\r\n",
             Status::kUnknownCommand},
    // memcached 1.6.18 sends this; later 1.6.x say "SERVER_ERROR: ...".
    ErrorRow{ReplyError::kShutdownDisabled, "ERROR: shutdown not enabled\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kInvalidShutdownMode, "CLIENT_ERROR invalid shutdown mode\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kReassignDisabled, "CLIENT_ERROR slab reassignment disabled\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kReassignBusy, "BUSY currently processing reassign request\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kReassignBadClass, "BADCLASS invalid src or dst class id\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kReassignNoSpare, "NOSPARE source class has no spare pages\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kReassignSame, "SAME src and dst class are identical\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMemlimitTooSmall,
             "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n", Status::kUnknownCommand},
    ErrorRow{ReplyError::kMemlimitNotBytes,
             "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMemlimitFailed,
             "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerStartFailed, "ERROR failed to start lru crawler thread\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerDisabled, "CLIENT_ERROR lru crawler disabled\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerBusy, "BUSY currently processing crawler request\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerBadClass, "BADCLASS invalid class id\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerNotStarted, "NOTSTARTED no items to crawl\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerUnknown, "ERROR an unknown error happened\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCrawlerSleepTooLong, "CLIENT_ERROR sleep must be one second or less\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetadumpNotAllowed, "ERROR metadump not allowed\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kKeyDumpNotAllowed, "ERROR key dump not allowed\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kMetadumpOverUdp, "ERROR metadump not allowed over UDP\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kKeyDumpOverUdp, "ERROR key dump not allowed over UDP\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kDumpTakenOver, "SERVER_ERROR dump stalled and was taken over\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCachedumpNotAllowed, "CLIENT_ERROR stats cachedump not allowed\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCachedumpBadLine, "CLIENT_ERROR bad command line\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kCachedumpBadClass, "CLIENT_ERROR Illegal slab id\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kLruPercentsTooLarge, "ERROR hot and warm pcts must not exceed 80\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kLruFactorsNotPositive,
             "ERROR hot/warm age factors must be greater than 0\r\n", Status::kUnknownCommand},
    ErrorRow{ReplyError::kReadBufferFull, "SERVER_ERROR out of memory reading request\r\n",
             Status::kOutOfMemory},
    ErrorRow{ReplyError::kUdpGetTooLarge, "SERVER_ERROR out of memory writing get response\r\n",
             Status::kOutOfMemory},
    ErrorRow{ReplyError::kTooManyConnections, "ERROR Too many open connections\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kAsciiAuthFailure, "CLIENT_ERROR authentication failure\r\n",
             Status::kAuthError},
    ErrorRow{ReplyError::kAsciiAuthUnauthenticated, "CLIENT_ERROR unauthenticated\r\n",
             Status::kAuthError},
    ErrorRow{ReplyError::kAsciiAuthTokenTooLong, "CLIENT_ERROR auth token too long\r\n",
             Status::kAuthError},
    ErrorRow{ReplyError::kAsciiAuthBadTermination, "CLIENT_ERROR bad command line termination\r\n",
             Status::kAuthError},
    ErrorRow{ReplyError::kAsciiAuthBadTokenFormat,
             "CLIENT_ERROR bad authentication token format\r\n", Status::kAuthError},
    ErrorRow{ReplyError::kWatchNotAllowed, "CLIENT_ERROR watch commands not allowed\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kWatchPipelined, "ERROR cannot pipeline other commands before watch\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kWatcherTooMany, "WATCHER_TOO_MANY log watcher limit reached\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kWatcherFailed, "WATCHER_FAILED failed to add log watcher\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kStatsDetailNotAllowed, "CLIENT_ERROR stats detail not allowed\r\n",
             Status::kUnknownCommand},
    ErrorRow{ReplyError::kStatsDetailUsage, "CLIENT_ERROR usage: stats detail on|off|dump\r\n",
             Status::kUnknownCommand},
};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].error) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kTable rows follow the order of enum ReplyError");
}  // namespace errors_internal

inline constexpr size_t kErrorCount = errors_internal::kTable.size();
static_assert(static_cast<size_t>(ReplyError::kStatsDetailUsage) + 1 == kErrorCount,
              "every ReplyError has a row");

// The text line of `error`, "\r\n" included.
constexpr std::string_view ErrorText(ReplyError error) {
  return errors_internal::kTable[static_cast<size_t>(error)].text;
}
// The status a binary client gets for `error`.
constexpr binary::Status ErrorStatus(ReplyError error) {
  return errors_internal::kTable[static_cast<size_t>(error)].status;
}

// The body memcached sends with a binary error status; empty for kSuccess
// and kAuthContinue (binary::StatusText() answers from here).
constexpr std::string_view StatusMessage(binary::Status status) {
  using binary::Status;
  switch (status) {
    case Status::kSuccess:
    case Status::kAuthContinue:
      return {};
    case Status::kKeyNotFound:
      return "Not found";
    case Status::kKeyExists:
      return "Data exists for key.";
    case Status::kTooLarge:
      return "Too large.";
    case Status::kInvalidArguments:
      return "Invalid arguments";
    case Status::kNotStored:
      return "Not stored.";
    case Status::kDeltaBadValue:
      return "Non-numeric server-side value for incr or decr";
    case Status::kAuthError:
      return "Auth failure.";
    case Status::kUnknownCommand:
      return "Unknown command";
    case Status::kOutOfMemory:
      return "Out of memory";
  }
  return {};
}

}  // namespace slabcached::proto
