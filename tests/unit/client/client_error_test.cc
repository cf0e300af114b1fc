// ClientError::Describe: one line naming the failure, the operation, the
// server and whichever detail applies (errno, deadline, server's text).
#include "client/client_error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "client/client.h"

namespace slabcached::client {
namespace {

ClientError Failure(Status status, std::string address, const char* operation) {
  ClientError e;
  e.status = status;
  e.server = address.empty() ? Continuum::kNoServer : 0;
  e.address = std::move(address);
  e.operation = operation;
  return e;
}

TEST(ClientErrorTest, NothingFailedDescribesAsEmpty) { EXPECT_EQ(ClientError{}.Describe(), ""); }

TEST(ClientErrorTest, TimeoutNamesTheDeadline) {
  ClientError e = Failure(Status::kTimeout, "10.0.0.3:11211", "get");
  e.timeout_ms = 250;
  EXPECT_EQ(e.Describe(), "TIMEOUT: get on host 10.0.0.3:11211 timed out after 250 ms");
}

TEST(ClientErrorTest, ErrnoIsNamedAndNumbered) {
  ClientError e = Failure(Status::kConnectionFailure, "[::1]:11211", "set");
  e.sys_errno = ECONNRESET;
  EXPECT_EQ(e.Describe(),
            "CONNECTION_FAILURE: set on host [::1]:11211: Connection reset by peer "
            "(errno " +
                std::to_string(ECONNRESET) + ")");
}

TEST(ClientErrorTest, ServerTextAndNoServer) {
  ClientError reply = Failure(Status::kServerError, "h:1", "set");
  reply.reply = "out of memory storing object";
  EXPECT_EQ(reply.Describe(), "SERVER_ERROR: set on host h:1: out of memory storing object");
  const ClientError none = Failure(Status::kNoServer, "", "delete");
  EXPECT_EQ(none.Describe(), "NO_SERVER: delete");
}

TEST(ClientErrorTest, ResolvedAddressTriedLastIsNamed) {
  ClientError e = Failure(Status::kConnectionFailure, "localhost:1", "get");
  e.via = "127.0.0.1:1";
  e.sys_errno = ECONNREFUSED;
  EXPECT_EQ(e.Describe(), "CONNECTION_FAILURE: get on host localhost:1 via 127.0.0.1:1: " +
                              std::string(std::strerror(ECONNREFUSED)) + " (errno " +
                              std::to_string(ECONNREFUSED) + ")");
}

TEST(ClientErrorTest, LookupThatOutlivedTheDeadlineSaysResolve) {
  ClientError e = Failure(Status::kTimeout, "db.test:11211", "get");
  e.timeout_ms = 100;
  e.resolve_error = "timed out";
  EXPECT_EQ(e.Describe(),
            "TIMEOUT: get on host db.test:11211 timed out after 100 ms: resolve: timed out");
}

}  // namespace
}  // namespace slabcached::client
