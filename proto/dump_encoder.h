// Encoders for memcached's key-dump replies: "lru_crawler metadump" and
// "lru_crawler mgdump" lines, and "stats cachedump" lines. Pure formatting:
// the caller supplies what the store knows of an item, with times already
// converted to Unix seconds.
//
// Framing, as memcached 1.6.18 writes it (crawler.c, items.c):
//   metadump   "key=<uri-encoded key> exp=<unix|-1> la=<unix> cas=<n>
//              fetch=<yes|no> cls=<id> size=<bytes>\n" per item (a bare \n),
//              then "END\r\n".
//   mgdump     (memcached 1.6.19 to 1.6.42) "mg <key>\r\n", or
//              "mg <base64 key> b\r\n" for a binary key, then "EN\r\n".
//   cachedump  "ITEM <key> [<value bytes> b; <unix exptime|0> s]\r\n", then
//              "END\r\n".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace slabcached::proto {

inline constexpr std::string_view kMetadumpEnd = "END\r\n";
inline constexpr std::string_view kMgdumpEnd = "EN\r\n";

// memcached's uriencode(): every byte but A-Z a-z 0-9 - . _ ~ becomes "%XX"
// (upper-case hex).
void AppendUriEncoded(std::string* out, std::string_view bytes);

// One metadump line. `exptime_unix` is -1 for an item that never expires.
struct MetadumpFields {
  std::string_view key;
  int64_t exptime_unix = -1;
  int64_t last_access_unix = 0;
  uint64_t cas = 0;
  bool fetched = false;
  uint32_t slab_class = 0;
  uint64_t total_size = 0;
  uint32_t client_flags = 0;  // memcached 1.6.45's "flags=" field
};
void AppendMetadumpLine(std::string* out, const MetadumpFields& item);

// One mgdump line; a binary key (stored by "ms <base64> b") goes out in base64.
void AppendMgdumpLine(std::string* out, std::string_view key, bool key_binary);

// One cachedump line. `exptime_unix` is 0 for an item that never expires.
// memcached copies the key with strncpy(), so a key holding a NUL byte (only
// the binary protocol can store one) is cut there.
void AppendCachedumpLine(std::string* out, std::string_view key, uint32_t value_bytes,
                         uint64_t exptime_unix);

}  // namespace slabcached::proto
