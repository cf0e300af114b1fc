// What went wrong in a Client's most recent failed operation: the server
// (index and host:port), the operation, and either the errno of a socket
// call (connect, send, recv), the deadline that passed, or the text of the
// server's SERVER_ERROR / CLIENT_ERROR / ERROR reply.
//
// Recorded only when an operation fails, and formatted only by Describe():
// the success path costs nothing. Answers such as NOT_FOUND, NOT_STORED or
// EXISTS are not failures and leave it alone.
#pragma once

#include <cstdint>
#include <string>

#include "continuum.h"

namespace slabcached::client {

enum class Status : uint8_t;

struct ClientError {
  Status status{};
  uint32_t server = Continuum::kNoServer;  // index in config.servers; kNoServer: none involved
  std::string address;                     // "host:port" of that server, "" when none
  const char* operation = "";              // "get", "set", "delete", "stats", ...
  int sys_errno = 0;                       // connect/send/recv errno; 0 when none applies
  std::string reply;                       // the server's error text, "" when none
  int64_t timeout_ms = 0;                  // kTimeout: the deadline that passed
  std::string via;            // the resolved address connected to last, when not `address`
  std::string resolve_error;  // why the host name did not resolve ("timed out", ...), "" if it did

  // One line, e.g. "TIMEOUT: get on host 127.0.0.1:11311 timed out after
  // 100 ms", "CONNECTION_FAILURE: set on host 127.0.0.1:1: Connection
  // refused (errno 111)", "SERVER_ERROR: set on host ...: object too large
  // for cache", "CONNECTION_FAILURE: get on host localhost:1 via
  // 127.0.0.1:1: Connection refused (errno 111)", "TIMEOUT: get on host
  // db.example:11211 timed out after 100 ms: resolve: timed out". "" when
  // nothing failed yet.
  std::string Describe() const;
};

}  // namespace slabcached::client
