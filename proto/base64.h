// base64 for meta-protocol keys (the `b` flag), compatible with memcached.
//
// The decoder reproduces memcached's base64_decode() (base64.c, unchanged
// from 1.6.18 to HEAD) exactly, quirks included, because which keys decode
// and to what bytes is visible on the wire:
//  * bytes outside the alphabet (A-Z a-z 0-9 + / =) are skipped, not errors:
//    "Zm9v!" decodes like "Zm9v";
//  * the number of alphabet bytes ('=' included) must be a non-zero multiple
//    of four ("QQ" fails);
//  * decoding stops after the first four-byte group holding a '=': one '='
//    drops one output byte, two drop two, three or four fail ("A===");
//    anything after that group is ignored ("QQ==QUJD" is "A");
//  * '=' counts as zero bits wherever it sits ("Q=Q=" is "@"), and unused
//    low bits are not checked ("QR==" is "A", like "QQ==").
// The encoder writes canonical padded base64, as memcached's base64_encode().
#pragma once

#include <cstddef>
#include <string_view>

namespace slabcached::proto {

// Bytes base64 needs for `n` input bytes (padded).
constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }

// Writes Base64EncodedSize(in.size()) bytes to `out`; returns that count.
size_t Base64Encode(std::string_view in, char* out);

// Decodes `in` into `out` (room for `out_size` bytes; in.size() / 4 * 3 is
// always enough). Returns the decoded length, or 0 when memcached would fail
// ("CLIENT_ERROR error decoding key"): a decoded key is never empty.
size_t Base64Decode(std::string_view in, char* out, size_t out_size);

}  // namespace slabcached::proto
