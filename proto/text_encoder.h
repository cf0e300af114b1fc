// Encoder for memcached's classic text protocol replies. Appends to a
// std::string; value bodies are not copied here (the connection sends them
// straight from item memory).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "proto/errors.h"
#include "proto/request.h"

namespace slabcached::proto {

inline constexpr std::string_view kStored = "STORED\r\n";
inline constexpr std::string_view kNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kDeleted = "DELETED\r\n";
inline constexpr std::string_view kTouched = "TOUCHED\r\n";
inline constexpr std::string_view kOk = "OK\r\n";
inline constexpr std::string_view kEnd = "END\r\n";
inline constexpr std::string_view kReset = "RESET\r\n";
inline constexpr std::string_view kCrLf = "\r\n";
// Error lines, from the one error table (proto/errors.h).
inline constexpr std::string_view kExists = ErrorText(ReplyError::kExists);
inline constexpr std::string_view kNotFound = ErrorText(ReplyError::kNotFound);
inline constexpr std::string_view kError = ErrorText(ReplyError::kUnknownCommand);
inline constexpr std::string_view kBadDataChunk = ErrorText(ReplyError::kBadDataChunk);
inline constexpr std::string_view kNonNumeric = ErrorText(ReplyError::kNonNumeric);
inline constexpr std::string_view kTooLarge = ErrorText(ReplyError::kTooLarge);
inline constexpr std::string_view kOutOfMemoryStoring = ErrorText(ReplyError::kOutOfMemoryStoring);
inline constexpr std::string_view kOutOfMemory = ErrorText(ReplyError::kOutOfMemory);
inline constexpr std::string_view kTooManyConnections = ErrorText(ReplyError::kTooManyConnections);
inline constexpr std::string_view kShutdownDisabled = ErrorText(ReplyError::kShutdownDisabled);
inline constexpr std::string_view kFlushDisabled = ErrorText(ReplyError::kFlushDisabled);

// "VALUE <key> <flags> <bytes>\r\n", or with " <cas>" before \r\n when with_cas.
void AppendValueHeader(std::string* out, std::string_view key, uint32_t client_flags,
                       uint32_t bytes, bool with_cas, uint64_t cas);

// "<n>\r\n" (incr/decr replies).
void AppendNumberLine(std::string* out, uint64_t n);

// "STAT <name> <value>\r\n".
void AppendStat(std::string* out, std::string_view name, std::string_view value);
void AppendStat(std::string* out, std::string_view name, uint64_t value);
void AppendStat(std::string* out, std::string_view name, int64_t value);
void AppendStat(std::string* out, std::string_view name, double value);  // "%.6f" like memcached

// Integer types other than int64_t/uint64_t (int, unsigned, uint32_t, size_t,
// long long, int8_t, ...). bool and the character types (char, wchar_t,
// char8/16/32_t) are excluded on purpose.
template <typename T>
concept OtherStatInteger =
    std::integral<T> && !std::same_as<T, int64_t> && !std::same_as<T, uint64_t> &&
    !std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, wchar_t> &&
    !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

// Routes any other integer to the 64-bit overload of its signedness, so
// AppendStat(out, "x", 1) and AppendStat(out, "x", size_t{1}) are not ambiguous.
template <OtherStatInteger T>
void AppendStat(std::string* out, std::string_view name, T value) {
  if constexpr (std::is_signed_v<T>) {
    AppendStat(out, name, static_cast<int64_t>(value));
  } else {
    AppendStat(out, name, static_cast<uint64_t>(value));
  }
}

// "VERSION <version>\r\n".
void AppendVersion(std::string* out, std::string_view version);

// --- Requests (client side; also the parser's round-trip tests) ---

// The text protocol name of a command ("get", "flush_all", ...); "" for kNone.
std::string_view TextCommandName(Command command);

// Appends the command line that ParseTextRequest() parses back into `req`'s
// fields, "\r\n" included (for storage commands the caller then sends the
// value_bytes of data and "\r\n"). Integers are written in canonical decimal;
// flush_all writes its delay only when non-zero; stats/shutdown/slabs/lru/
// lru_crawler/watch write `args` verbatim (their noreply lives in args).
// Returns false, appending nothing, for kNone.
bool AppendRequestLine(std::string* out, const Request& req);

}  // namespace slabcached::proto
