// slabcache-cli load's line format: "key<TAB>value".
#include "client/cli/load_line.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::client {
namespace {

TEST(LoadLineTest, SplitsAtTheFirstTab) {
  const LoadLine l = ParseLoadLine("user:1\tal\tice");
  EXPECT_TRUE(l.error.empty());
  EXPECT_EQ(l.key, "user:1");
  EXPECT_EQ(l.value, "al\tice");
}

TEST(LoadLineTest, EmptyValueIsAllowedAndCarriageReturnDropped) {
  const LoadLine l = ParseLoadLine("k\t\r");
  EXPECT_TRUE(l.error.empty());
  EXPECT_EQ(l.key, "k");
  EXPECT_EQ(l.value, "");
}

TEST(LoadLineTest, LineWithoutTabIsMalformed) {
  EXPECT_FALSE(ParseLoadLine("just-a-key").error.empty());
  EXPECT_FALSE(ParseLoadLine("").error.empty());
}

TEST(LoadLineTest, KeyMemcachedWouldRefuseIsMalformed) {
  EXPECT_FALSE(ParseLoadLine("\tvalue").error.empty());
  EXPECT_FALSE(ParseLoadLine("two words\tvalue").error.empty());
  EXPECT_FALSE(ParseLoadLine(std::string(251, 'k') + "\tv").error.empty());
  EXPECT_TRUE(ParseLoadLine(std::string(250, 'k') + "\tv").error.empty());
}

}  // namespace
}  // namespace slabcached::client
