#include "proto/ascii_auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
    EXPECT_EQ(ErrorText(r.error), "CLIENT_ERROR unauthenticated\r\n") << line;
    EXPECT_EQ(r.consumed, line.size()) << line;  // only the line
  }
}

TEST(AsciiAuthTest, TokenLargerThanSixteenKilobytesIsRefused) {
  const AsciiAuthRequest r = ParseAsciiAuth("set k 0 0 16385\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(ErrorText(r.error), "CLIENT_ERROR auth token too long\r\n");
  EXPECT_EQ(r.consumed, 17u);
  EXPECT_EQ(ParseAsciiAuth("set k 0 0 16384\r\n").status, Status::kNeedMore);
}

TEST(AsciiAuthTest, BadBlocksAreConsumedWithTheirError) {
  AsciiAuthRequest r = ParseAsciiAuth("set k 0 0 9\r\nuser passXX");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(ErrorText(r.error), "CLIENT_ERROR bad command line termination\r\n");
  EXPECT_EQ(r.consumed, 24u);
  r = ParseAsciiAuth("set k 0 0 8\r\nuserpass\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(ErrorText(r.error), "CLIENT_ERROR bad authentication token format\r\n");
  EXPECT_EQ(r.consumed, 23u);
}

TEST(AsciiAuthTest, JunkClosesTheConnection) {
  EXPECT_EQ(ParseAsciiAuth(std::string(2049, 'x')).status, Status::kClose);
  EXPECT_EQ(ParseAsciiAuth(std::string(2048, 'x')).status, Status::kNeedMore);
}

// Parses a heap copy of exactly `input`, so ASan sees any read outside it.
AsciiAuthRequest ParseCopy(std::string_view input) {
  const auto bytes = std::make_unique<char[]>(input.size());
  std::copy(input.begin(), input.end(), bytes.get());
  AsciiAuthRequest r = ParseAsciiAuth(std::string_view(bytes.get(), input.size()));
  r.user = r.password = {};  // they pointed into the copy
  return r;
}

TEST(AsciiAuthTest, EmptyLineIsUnauthenticated) {
  // memcached answers an empty line before authentication like any other
  // command. "\n" used to read before the buffer and wrap the line length.
  for (const std::string line : {"\n", "\r\n"}) {
    for (const std::string& input : {line, line + "more", line + "set k 0 0 3\r\na b\r\n"}) {
      const AsciiAuthRequest r = ParseCopy(input);
      EXPECT_EQ(r.status, Status::kError) << line.size();
      EXPECT_EQ(ErrorText(r.error), "CLIENT_ERROR unauthenticated\r\n") << line.size();
      EXPECT_EQ(r.consumed, line.size()) << line.size();
    }
  }
}

// Feeds `input` as a connection does, in pieces ending at the set bits of
// `cuts` (bit i: a cut after byte i), and returns the reply lines.
std::vector<std::string> Replies(const std::string& input, uint32_t cuts) {
  std::vector<std::string> replies;
  std::string buffer;
  for (size_t i = 0; i < input.size(); ++i) {
    buffer += input[i];
    if (i + 1 < input.size() && (cuts & (1u << i)) == 0) continue;
    while (true) {
      const AsciiAuthRequest r = ParseCopy(buffer);
      if (r.status == Status::kNeedMore) break;
      EXPECT_NE(r.status, Status::kClose);
      EXPECT_LE(r.consumed, buffer.size());
      replies.emplace_back(r.status == Status::kError ? ErrorText(r.error) : "credentials");
      buffer.erase(0, r.consumed);
      if (buffer.empty()) break;
    }
  }
  return replies;
}

TEST(AsciiAuthTest, EmptyLineAfterABadBlockInEverySplit) {
  // Found under ASan through the connection: the bad block ends at "\r\r",
  // which leaves a lone "\n" as the next line.
  const std::string input = "set a 0 0 0\r\n\r\r\n";
  ASSERT_EQ(input.size(), 16u);
  const std::vector<std::string> expected = {"CLIENT_ERROR bad command line termination\r\n",
                                             "CLIENT_ERROR unauthenticated\r\n"};
  for (uint32_t cuts = 0; cuts < (1u << (input.size() - 1)); ++cuts) {
    ASSERT_EQ(Replies(input, cuts), expected) << "cuts " << cuts;
  }
}

}  // namespace
}  // namespace slabcached::proto
