// Tokenizer: memcached's tokenize_command() rules, which every text reader
// (classic and meta parsers, key lists, meta flags, executor arguments)
// now shares.
#include "proto/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/meta.h"
#include "proto/request.h"

namespace slabcached::proto {
namespace {

// The reference: tokenize_command()'s rule, one byte at a time.
std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  std::string token;
  for (char c : text) {
    if (c != ' ') {
      token += c;
    } else if (!token.empty()) {
      out.push_back(std::move(token));
      token.clear();
    }
  }
  if (!token.empty()) out.push_back(std::move(token));
  return out;
}

std::vector<std::string> Popped(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view token = PopToken(&text); !token.empty(); token = PopToken(&text)) {
    out.emplace_back(token);
  }
  EXPECT_TRUE(text.empty());
  return out;
}

std::vector<std::string> Each(std::string_view text) {
  std::vector<std::string> out;
  ForEachToken(text, [&](std::string_view token) { out.emplace_back(token); });
  return out;
}

std::vector<std::string> Line(std::string_view text) {
  const LineTokens tokens(text);
  std::vector<std::string> out;
  for (size_t i = 0; i < tokens.size(); ++i) out.emplace_back(tokens[i]);
  return out;
}

using Tokens = std::vector<std::string>;

TEST(TokenizerTest, EmptyAndAllSpacesHaveNoTokens) {
  for (std::string_view text : {"", " ", "     "}) {
    EXPECT_EQ(Split(text), Tokens{}) << '"' << text << '"';
    const LineTokens line(text);
    EXPECT_TRUE(line.empty());
    EXPECT_EQ(line.ntokens(), 1u);  // memcached's terminator slot
    EXPECT_EQ(line.From(0), "");
  }
}

TEST(TokenizerTest, RunsOfSpacesMakeNoEmptyTokens) {
  EXPECT_EQ(Split("  get   a  b "), (Tokens{"get", "a", "b"}));
  EXPECT_EQ(Line("  get   a  b "), (Tokens{"get", "a", "b"}));
  EXPECT_EQ(LineTokens("get a").ntokens(), 3u);
}

TEST(TokenizerTest, OnlySpaceSeparates) {
  // memcached splits on ' ' alone: tabs, \r, \v and NUL-free bytes stay in the token.
  EXPECT_EQ(Split("get\ta b\tc"), (Tokens{"get\ta", "b\tc"}));
  EXPECT_EQ(Line("\tmg k T5\tx\v"), (Tokens{"\tmg", "k", "T5\tx\v"}));
  EXPECT_EQ(Split("a\r b"), (Tokens{"a\r", "b"}));
}

TEST(TokenizerTest, PopTokenLeavesTheRest) {
  std::string_view text = "  one  two ";
  EXPECT_EQ(PopToken(&text), "one");
  EXPECT_EQ(text, "  two ");
  EXPECT_EQ(PopToken(&text), "two");
  EXPECT_EQ(text, " ");
  EXPECT_EQ(PopToken(&text), "");
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(PopToken(&text), "");
}

TEST(TokenizerTest, LineKeepsAtMostMemcachedsTokenCount) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "t" + std::to_string(i) + " ";
  const LineTokens line(text);
  ASSERT_EQ(line.size(), kMaxLineTokens);
  EXPECT_EQ(line.ntokens(), 24u);  // memcached's MAX_TOKENS
  EXPECT_EQ(line.back(), "t22");
  // What follows the last kept token is not split (nor kept).
  EXPECT_EQ(line.From(21), "t21 t22");
  // Key lists and argument words have no limit.
  EXPECT_EQ(Split(text).size(), 30u);
}

TEST(TokenizerTest, ExactlyTheLimitIsKeptWhole) {
  std::string text = "cmd";
  for (int i = 1; i < 23; ++i) text += " a";
  const LineTokens line(text);
  EXPECT_EQ(line.size(), 23u);
  EXPECT_EQ(line.From(0), text);
}

TEST(TokenizerTest, LongTokensAreViewsNotCopies) {
  const std::string key(250, 'k');
  const std::string text = "get " + key + " " + key + "x";
  const LineTokens line(text);
  ASSERT_EQ(line.size(), 3u);
  EXPECT_EQ(line[1].size(), 250u);
  EXPECT_EQ(line[2].size(), 251u);
  EXPECT_EQ(line[1].data(), text.data() + 4);
}

TEST(TokenizerTest, FromSpansTheTokensAsSent) {
  const LineTokens line("mg key  v   t  ");
  EXPECT_EQ(line.From(2), "v   t");
  EXPECT_EQ(line.From(3), "t");
  EXPECT_EQ(line.From(4), "");
}

TEST(TokenizerTest, KeyAndMetaTokenNamesUseTheSameRules) {
  std::vector<std::string> keys;
  ForEachKey(" a  b\tc ", [&](std::string_view k) { keys.emplace_back(k); });
  EXPECT_EQ(keys, (Tokens{"a", "b\tc"}));
  std::vector<std::string> flags;
  ForEachMetaToken("v  T30 ", [&](std::string_view t) { flags.emplace_back(t); });
  EXPECT_EQ(flags, (Tokens{"v", "T30"}));
  std::string_view rest = "k1 k2";
  EXPECT_EQ(PopKey(&rest), "k1");
  EXPECT_EQ(rest, " k2");
}

// Every reader of tokens must agree with the byte-at-a-time reference.
TEST(TokenizerTest, EveryReaderAgreesWithTheReference) {
  const std::string alphabet = "  a\tb";
  std::string text;
  for (int n = 0; n < 4000; ++n) {
    text.clear();
    for (int i = n, len = n % 11; len > 0; --len, i /= 5) text += alphabet[i % 5];
    const LineTokens line(text);
    EXPECT_EQ(Line(text), Split(text)) << '"' << text << '"';
    EXPECT_EQ(Each(text), Split(text)) << '"' << text << '"';
    EXPECT_EQ(Popped(text), Split(text)) << '"' << text << '"';
    EXPECT_EQ(line.From(0).empty(), line.empty());
  }
}

// Text long enough to span several 16-byte blocks of the vector scan, with
// spaces on and around block edges: ForEachToken and PopToken give the reference's tokens,
// LineTokens the same up to its limit, each a view into the text.
TEST(TokenizerTest, LongTextSplitsAcrossBlocksAsTheReferenceDoes) {
  uint32_t state = 12345;
  auto next = [&state] { return (state = state * 1103515245 + 12345) >> 16; };
  for (int n = 0; n < 3000; ++n) {
    std::string text(next() % 90, 'x');
    for (char& c : text) c = next() % 3 == 0 ? ' ' : static_cast<char>('a' + next() % 3);
    Tokens expected = Split(text);
    ASSERT_EQ(Each(text), expected) << '"' << text << '"';
    ASSERT_EQ(Popped(text), expected) << '"' << text << '"';
    if (expected.size() > kMaxLineTokens) expected.resize(kMaxLineTokens);
    const LineTokens line(text);
    ASSERT_EQ(Line(text), expected) << '"' << text << '"';
    for (size_t i = 0; i < line.size(); ++i) {
      ASSERT_GE(line[i].data(), text.data());
      ASSERT_LE(line[i].data() + line[i].size(), text.data() + text.size());
    }
  }
}

static_assert(LineTokens("a  b").size() == 2, "usable at compile time");

}  // namespace
}  // namespace slabcached::proto
