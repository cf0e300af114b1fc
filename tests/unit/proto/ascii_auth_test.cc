#include "proto/ascii_auth.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::proto {
namespace {

using Status = AsciiAuthRequest::Status;

TEST(AsciiAuthTest, CredentialsFromASetRequest) {
  const std::string input = "set anykey 0 0 9\r\nuser pass\r\nget k\r\n";
  const AsciiAuthRequest r = ParseAsciiAuth(input);
  ASSERT_EQ(r.status, Status::kCredentials);
  EXPECT_EQ(r.user, "user");
  EXPECT_EQ(r.password, "pass");
  EXPECT_EQ(r.consumed, input.size() - 7);  // the next request is left alone
}

TEST(AsciiAuthTest, PasswordKeepsItsSpaces) {
  const AsciiAuthRequest r = ParseAsciiAuth("set k 1 2 12\r\nu pa ss word\r\n");
  ASSERT_EQ(r.status, Status::kCredentials);
  EXPECT_EQ(r.user, "u");
  EXPECT_EQ(r.password, "pa ss word");
}

TEST(AsciiAuthTest, WaitsForTheLineAndTheWholeBlock) {
  const std::string input = "set k 0 0 9\r\nuser pass\r\n";
  for (size_t n = 0; n < input.size(); ++n) {
    EXPECT_EQ(ParseAsciiAuth(input.substr(0, n)).status, Status::kNeedMore) << n;
  }
}

TEST(AsciiAuthTest, EveryOtherCommandIsUnauthenticated) {
  for (const std::string line :
       {"get foo\r\n", "version\r\n", "delete key\r\n", "set k 0 0\r\n", "set k 0 0 x\r\n",
        "set k 0 0 -1\r\n", "mg foo v\r\n", "add k 0 0 9\r\n", "sets k 0 0 3\r\n", "abc\r\n"}) {
    const AsciiAuthRequest r = ParseAsciiAuth(line + "more");
    EXPECT_EQ(r.status, Status::kError) << line;
    EXPECT_EQ(r.error, "CLIENT_ERROR unauthenticated") << line;
    EXPECT_EQ(r.consumed, line.size()) << line;  // only the line
  }
}

TEST(AsciiAuthTest, TokenLargerThanSixteenKilobytesIsRefused) {
  const AsciiAuthRequest r = ParseAsciiAuth("set k 0 0 16385\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "CLIENT_ERROR auth token too long");
  EXPECT_EQ(r.consumed, 17u);
  EXPECT_EQ(ParseAsciiAuth("set k 0 0 16384\r\n").status, Status::kNeedMore);
}

TEST(AsciiAuthTest, BadBlocksAreConsumedWithTheirError) {
  AsciiAuthRequest r = ParseAsciiAuth("set k 0 0 9\r\nuser passXX");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "CLIENT_ERROR bad command line termination");
  EXPECT_EQ(r.consumed, 24u);
  r = ParseAsciiAuth("set k 0 0 8\r\nuserpass\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, "CLIENT_ERROR bad authentication token format");
  EXPECT_EQ(r.consumed, 23u);
}

TEST(AsciiAuthTest, JunkClosesTheConnection) {
  EXPECT_EQ(ParseAsciiAuth(std::string(2049, 'x')).status, Status::kClose);
  EXPECT_EQ(ParseAsciiAuth(std::string(2048, 'x')).status, Status::kNeedMore);
}

}  // namespace
}  // namespace slabcached::proto
