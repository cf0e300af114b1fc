// The client's side of binary-protocol SASL PLAIN (what libmemcached sends
// when it has credentials): the auth request and the reading of its reply.
// Pure functions over byte strings. Internal to libslabclient (not installed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace slabcached::client {

// Appends a SASL_AUTH request for mechanism "PLAIN" with the value
// "\0username\0password" (RFC 4616, no authorization identity).
void AppendSaslPlainAuth(std::string* out, std::string_view username, std::string_view password);

enum class SaslReply : uint8_t {
  kIncomplete,     // fewer bytes than the whole reply packet
  kAuthenticated,  // status 0
  kRejected,       // any other status (0x20 "Auth failure.", 0x21 continue: PLAIN has no step)
  kMalformed,      // not a binary response to SASL_AUTH
};

// Reads the reply to AppendSaslPlainAuth's request at the front of `in`;
// sets `consumed` to its length when complete.
SaslReply ParseSaslReply(std::string_view in, size_t* consumed);

}  // namespace slabcached::client
