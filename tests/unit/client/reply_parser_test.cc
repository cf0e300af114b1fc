#include "client/reply_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace slabcached::client {
namespace {

// Parses every reply of `in`; fails the test on kInvalid or leftover bytes.
std::vector<Reply> ParseAll(std::string_view in) {
  std::vector<Reply> out;
  while (!in.empty()) {
    Reply r;
    size_t used = 0;
    const ReplyParse p = ParseReply(in, &r, &used);
    EXPECT_EQ(p, ReplyParse::kOk) << "at: " << in.substr(0, 40);
    if (p != ReplyParse::kOk) break;
    out.push_back(r);
    in.remove_prefix(used);
  }
  return out;
}

TEST(ReplyParserTest, ValuesWithAndWithoutCas) {
  const std::string in =
      "VALUE k1 5 3\r\nabc\r\nVALUE k2 4294967295 0 18446744073709551615\r\n\r\nEND\r\n";
  const std::vector<Reply> r = ParseAll(in);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].kind, ReplyKind::kValue);
  EXPECT_EQ(r[0].key, "k1");
  EXPECT_EQ(r[0].flags, 5u);
  EXPECT_EQ(r[0].data, "abc");
  EXPECT_FALSE(r[0].has_cas);
  EXPECT_EQ(r[1].flags, 4294967295u);
  EXPECT_EQ(r[1].data, "");
  EXPECT_TRUE(r[1].has_cas);
  EXPECT_EQ(r[1].cas, 18446744073709551615u);
  EXPECT_EQ(r[2].kind, ReplyKind::kEnd);
}

TEST(ReplyParserTest, ValueDataMayContainCrLf) {
  const std::vector<Reply> r = ParseAll("VALUE k 0 6\r\na\r\nb\r\n\r\nEND\r\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].data, "a\r\nb\r\n");
}

TEST(ReplyParserTest, SimpleLinesNumbersAndErrors) {
  const std::vector<Reply> r = ParseAll(
      "STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\nOK\r\n"
      "18446744073709551615\r\n10  \r\nERROR\r\nCLIENT_ERROR bad data chunk\r\n"
      "SERVER_ERROR object too large for cache\r\nVERSION 1.6.18\r\nSTAT pid 42\r\n"
      "STAT version 1.6.18 x\r\n");
  ASSERT_EQ(r.size(), 15u);
  EXPECT_EQ(r[0].kind, ReplyKind::kStored);
  EXPECT_EQ(r[1].kind, ReplyKind::kNotStored);
  EXPECT_EQ(r[2].kind, ReplyKind::kExists);
  EXPECT_EQ(r[3].kind, ReplyKind::kNotFound);
  EXPECT_EQ(r[4].kind, ReplyKind::kDeleted);
  EXPECT_EQ(r[5].kind, ReplyKind::kTouched);
  EXPECT_EQ(r[6].kind, ReplyKind::kOk);
  EXPECT_EQ(r[7].kind, ReplyKind::kNumber);
  EXPECT_EQ(r[7].number, 18446744073709551615u);
  EXPECT_EQ(r[8].number, 10u);
  EXPECT_EQ(r[9].kind, ReplyKind::kError);
  EXPECT_EQ(r[10].kind, ReplyKind::kClientError);
  EXPECT_EQ(r[10].data, "bad data chunk");
  EXPECT_EQ(r[11].kind, ReplyKind::kServerError);
  EXPECT_EQ(r[12].kind, ReplyKind::kVersion);
  EXPECT_EQ(r[12].data, "1.6.18");
  EXPECT_EQ(r[13].key, "pid");
  EXPECT_EQ(r[13].data, "42");
  EXPECT_EQ(r[14].data, "1.6.18 x");
}

// Every prefix of a valid reply stream is kNeedMore, never a wrong reply.
TEST(ReplyParserTest, MetaCodesFlagsAndValues) {
  const std::string in =
      "VA 3 c12 f0 t30 W\r\na\r\n\r\nHD c7\r\nEN\r\nNS\r\nEX\r\nNF\r\nMN\r\nVA 0 Z X\r\n\r\n";
  const std::vector<Reply> r = ParseAll(in);
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[0].kind, ReplyKind::kMeta);
  EXPECT_EQ(r[0].meta_code, "VA");
  EXPECT_EQ(r[0].meta_flags, "c12 f0 t30 W");
  EXPECT_EQ(r[0].data, "a\r\n");
  EXPECT_EQ(r[1].meta_code, "HD");
  EXPECT_EQ(r[1].meta_flags, "c7");
  EXPECT_EQ(r[2].meta_code, "EN");
  EXPECT_EQ(r[2].meta_flags, "");
  EXPECT_EQ(r[6].meta_code, "MN");
  EXPECT_EQ(r[7].data, "");
  EXPECT_EQ(r[7].meta_flags, "Z X");
  Reply one;
  size_t used = 0;
  EXPECT_EQ(ParseReply("VA 5 c1\r\nab", &one, &used), ReplyParse::kNeedMore);
  EXPECT_EQ(ParseReply("VA x\r\n", &one, &used), ReplyParse::kInvalid);
  EXPECT_EQ(ParseReply("VA 1\r\nabc\r\n", &one, &used), ReplyParse::kInvalid);
}

TEST(ReplyParserTest, EveryPrefixNeedsMore) {
  const std::string full = "VALUE key 1 10 7\r\n0123456789\r\n";
  for (size_t n = 0; n < full.size(); ++n) {
    Reply r;
    size_t used = 0;
    EXPECT_EQ(ParseReply(std::string_view(full).substr(0, n), &r, &used), ReplyParse::kNeedMore)
        << n;
  }
  Reply r;
  size_t used = 0;
  ASSERT_EQ(ParseReply(full, &r, &used), ReplyParse::kOk);
  EXPECT_EQ(used, full.size());
  EXPECT_EQ(r.cas, 7u);
}

TEST(ReplyParserTest, GarbageIsInvalid) {
  for (std::string_view bad : {"HELLO\r\n", "VALUE k x 1\r\na\r\n", "VALUE k 0 1\r\nab\r\n",
                               "STORED extra\r\n", "-1\r\n", "VALUE\r\n"}) {
    Reply r;
    size_t used = 0;
    EXPECT_EQ(ParseReply(bad, &r, &used), ReplyParse::kInvalid) << bad;
  }
  Reply r;
  size_t used = 0;
  EXPECT_EQ(ParseReply(std::string(kMaxReplyLine + 1, 'x'), &r, &used), ReplyParse::kInvalid);
}

}  // namespace
}  // namespace slabcached::client
