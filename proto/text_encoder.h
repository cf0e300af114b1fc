// Encoder for memcached's classic text protocol replies. Appends to a
// std::string; value bodies are not copied here (the connection sends them
// straight from item memory).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace slabcached::proto {

inline constexpr std::string_view kStored = "STORED\r\n";
inline constexpr std::string_view kNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kExists = "EXISTS\r\n";
inline constexpr std::string_view kNotFound = "NOT_FOUND\r\n";
inline constexpr std::string_view kDeleted = "DELETED\r\n";
inline constexpr std::string_view kTouched = "TOUCHED\r\n";
inline constexpr std::string_view kOk = "OK\r\n";
inline constexpr std::string_view kEnd = "END\r\n";
inline constexpr std::string_view kReset = "RESET\r\n";
inline constexpr std::string_view kError = "ERROR\r\n";
inline constexpr std::string_view kCrLf = "\r\n";
inline constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view kNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
inline constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view kOutOfMemoryStoring =
    "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kOutOfMemory = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";
inline constexpr std::string_view kShutdownDisabled = "SERVER_ERROR: shutdown not enabled\r\n";
inline constexpr std::string_view kFlushDisabled = "CLIENT_ERROR flush_all not allowed\r\n";

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

// "VERSION <version>\r\n".
void AppendVersion(std::string* out, std::string_view version);

}  // namespace slabcached::proto
