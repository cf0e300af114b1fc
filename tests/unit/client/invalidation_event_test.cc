// The invalidator's input lines: a bare key or {"event": ..., "keys": [...]}.
#include "client/invalidation_event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace slabcached::client {
namespace {

using Keys = std::vector<std::string>;

TEST(InvalidationEventTest, BareKeyIsOneKey) {
  const InvalidationEvent e = ParseInvalidationEvent("user:42\r");
  EXPECT_TRUE(e.error.empty());
  EXPECT_EQ(e.keys, Keys{"user:42"});
  EXPECT_EQ(e.event, "");
}

TEST(InvalidationEventTest, BlankLineHasNoKeysAndNoError) {
  for (const char* line : {"", "   ", "\r", " \t "}) {
    const InvalidationEvent e = ParseInvalidationEvent(line);
    EXPECT_TRUE(e.error.empty()) << line;
    EXPECT_TRUE(e.keys.empty()) << line;
  }
}

TEST(InvalidationEventTest, BareLineMustBeAValidKey) {
  EXPECT_FALSE(ParseInvalidationEvent("two words").error.empty());
  EXPECT_FALSE(ParseInvalidationEvent(std::string(251, 'k')).error.empty());
  EXPECT_TRUE(ParseInvalidationEvent(std::string(250, 'k')).error.empty());
}

TEST(InvalidationEventTest, JsonObjectGivesEventAndKeysInOrder) {
  const InvalidationEvent e =
      ParseInvalidationEvent(R"( { "keys" : ["a", "b:1" ,"c"], "event":"user-updated" } )");
  EXPECT_TRUE(e.error.empty()) << e.error;
  EXPECT_EQ(e.keys, (Keys{"a", "b:1", "c"}));
  EXPECT_EQ(e.event, "user-updated");
}

TEST(InvalidationEventTest, EventIsOptionalAndKeysMayBeEmpty) {
  EXPECT_EQ(ParseInvalidationEvent(R"({"keys":["k"]})").keys, Keys{"k"});
  const InvalidationEvent e = ParseInvalidationEvent(R"({"event":"noop","keys":[]})");
  EXPECT_TRUE(e.error.empty());
  EXPECT_TRUE(e.keys.empty());
}

TEST(InvalidationEventTest, EscapesAreDecoded) {
  const InvalidationEvent e =
      ParseInvalidationEvent(R"({"event":"a\"b\\c\/\u00e9\ud83d\ude00","keys":["k\u0041"]})");
  EXPECT_TRUE(e.error.empty()) << e.error;
  EXPECT_EQ(e.event, "a\"b\\c/\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(e.keys, Keys{"kA"});
}

TEST(InvalidationEventTest, AnythingElseIsMalformedAndYieldsNoKeys) {
  for (const char* line : {
           R"({"event":"x"})",                // no keys
           R"({"keys":["a"],"keys":["b"]})",  // duplicate member
           R"({"keys":["a"],"other":1})",     // unknown member
           R"({"keys":"a"})",                 // not an array
           R"({"keys":[1]})",                 // not a string
           R"({"keys":["a b"]})",             // not a memcached key
           R"({"keys":[""]})",                // empty key
           R"({"keys":["a\n"]})",             // control byte after decoding
           R"({"keys":["a",]})",              // trailing comma
           R"({"keys":["a"]} x)",             // bytes after the object
           R"({"keys":["a"])",                // unterminated object
           R"({"keys":["a)",                  // unterminated string
           R"({"keys":["\ud83d"]})",          // lone surrogate
           R"({"keys":["\x"]})",              // bad escape
           "{\"keys\":[\"a\tb\"]}",           // raw control byte in a string
           R"({'keys':['a']})",               // not JSON quotes
       }) {
    const InvalidationEvent e = ParseInvalidationEvent(line);
    EXPECT_FALSE(e.error.empty()) << line;
    EXPECT_TRUE(e.keys.empty()) << line;
  }
}

TEST(InvalidationEventTest, EveryPrefixOfAnObjectIsMalformedNotACrash) {
  const std::string line = R"({"event":"e\u00e9","keys":["a","b"]})";
  for (size_t n = 1; n < line.size(); ++n) {
    EXPECT_FALSE(ParseInvalidationEvent(line.substr(0, n)).error.empty()) << n;
  }
  EXPECT_TRUE(ParseInvalidationEvent(line).error.empty());
}

}  // namespace
}  // namespace slabcached::client
