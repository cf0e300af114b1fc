// Meta reply encoder: exact bytes. Unless a test says otherwise, each
// expected line is what memcached 1.6.18 sent for the same request and item
// state (raw socket against Debian's build; the request is in the test).
#include "proto/meta_encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/text_parser.h"

namespace slabcached::proto {
namespace {

Request Parse(std::string_view line) {
  Request r;
  EXPECT_EQ(ParseTextRequest(line, &r).status, ParseStatus::kOk) << line;
  return r;
}

// The reply to `line` (parsed) with `code` and `item`; the Request views
// into `line`, so it is parsed here, where `line` lives.
std::string Reply(std::string_view line, MetaCode code, const MetaItemView* item,
                  uint64_t number = 0) {
  const Request r = Parse(line);
  std::string out;
  AppendMetaReply(&out, r, code, item, number);
  return out;
}

TEST(MetaEncoderTest, GetHitFlagsInRequestOrder) {
  // After "ms foo 3 T0 F5": the first mg, then the second.
  MetaItemView item{.cas = 2, .client_flags = 5, .value_length = 3, .last_access = 1};
  EXPECT_EQ(Reply("mg foo v c f s t k O1 h l\r\n", MetaCode::kVA, &item),
            "VA 3 c2 f5 s3 t-1 kfoo O1 h0 l1\r\n");
  item.fetched = true;
  EXPECT_EQ(Reply("mg foo v k c f s t h l O1 q u\r\n", MetaCode::kVA, &item),
            "VA 3 kfoo c2 f5 s3 t-1 h1 l1 O1\r\n");
  EXPECT_EQ(Reply("mg foo\r\n", MetaCode::kHD, &item), "HD\r\n");
  EXPECT_EQ(Reply("mg foo O\r\n", MetaCode::kHD, &item), "HD O\r\n");
  // Flags of other commands are ignored on mg.
  EXPECT_EQ(Reply("mg foo F7 C1 J2 D3 MA P L I u q\r\n", MetaCode::kHD, &item), "HD\r\n");
}

TEST(MetaEncoderTest, GetMissHasOnlyOpaqueAndKey) {
  EXPECT_EQ(Reply("mg nokey k O9 v s c\r\n", MetaCode::kEN, nullptr), "EN knokey O9\r\n");
  EXPECT_EQ(Reply("mg nokey O9 k\r\n", MetaCode::kEN, nullptr), "EN O9 knokey\r\n");
  EXPECT_EQ(Reply("mg nokey v\r\n", MetaCode::kEN, nullptr), std::string(kMetaMissReply));
}

TEST(MetaEncoderTest, Base64KeysAreReencoded) {
  EXPECT_EQ(Reply("mg Zm9v b k O1\r\n", MetaCode::kEN, nullptr), "EN kZm9v b O1\r\n");
  EXPECT_EQ(Reply("mg QR== b k\r\n", MetaCode::kEN, nullptr), "EN kQQ== b\r\n");
  EXPECT_EQ(Reply("mg Q=Q= b k\r\n", MetaCode::kEN, nullptr), "EN kQA== b\r\n");
  // A hit answers in the item's encoding: "ms Zm9v 3 b" then "mg foo k v".
  MetaItemView binary{.value_length = 3, .key_binary = true};
  EXPECT_EQ(Reply("mg foo k v\r\n", MetaCode::kVA, &binary), "VA 3 kZm9v b\r\n");
  // "ms foo 3" then "mg Zm9v b k": stored as text, so the key is text.
  MetaItemView text{.value_length = 3};
  EXPECT_EQ(Reply("mg Zm9v b k\r\n", MetaCode::kHD, &text), "HD kfoo\r\n");
  MetaItemView zeros{.value_length = 1, .key_binary = true};
  EXPECT_EQ(Reply("mg AAAA b k v\r\n", MetaCode::kVA, &zeros), "VA 1 kAAAA b\r\n");
}

TEST(MetaEncoderTest, VivifyWinThenZ) {
  // "mg viv1 N30 t s c f v k O1 h l" twice on an empty cache.
  MetaItemView first{.cas = 40, .ttl = -1, .ttl_after_N = 30, .created = true, .won = true};
  EXPECT_EQ(Reply("mg viv1 N30 t s c f v k O1 h l\r\n", MetaCode::kVA, &first),
            "VA 0 t30 s0 c40 f0 kviv1 O1 h0 l0 W\r\n");
  MetaItemView second{.cas = 40, .ttl = 30, .fetched = true, .token_sent = true};
  EXPECT_EQ(Reply("mg viv1 N30 t s c f v k O1 h l\r\n", MetaCode::kVA, &second),
            "VA 0 t30 s0 c40 f0 kviv1 O1 h1 l0 Z\r\n");
  // "mg viv3 s v N0": s before N, W after the flags.
  MetaItemView viv3{.created = true, .won = true};
  EXPECT_EQ(Reply("mg viv3 s v N0\r\n", MetaCode::kVA, &viv3), "VA 0 s0 W\r\n");
  // t before N shows the created item's TTL before N (none): -1.
  MetaItemView viv4{.ttl = -1, .ttl_after_N = 30, .created = true, .won = true};
  EXPECT_EQ(Reply("mg viv4 t N30\r\n", MetaCode::kHD, &viv4), "HD t-1 W\r\n");
  // N on an existing item changes nothing.
  MetaItemView old{.ttl = 12, .ttl_after_N = 30};
  EXPECT_EQ(Reply("mg k N30 t\r\n", MetaCode::kHD, &old), "HD t12\r\n");
}

TEST(MetaEncoderTest, TtlFollowsTouchPosition) {
  // "ms foo 3 c", then "mg foo t T30 v", then "mg foo t".
  MetaItemView item{.value_length = 3, .ttl = -1, .ttl_after_T = 30};
  EXPECT_EQ(Reply("mg foo t T30 v\r\n", MetaCode::kVA, &item), "VA 3 t-1\r\n");
  EXPECT_EQ(Reply("mg foo T30 t\r\n", MetaCode::kHD, &item), "HD t30\r\n");
}

TEST(MetaEncoderTest, StaleWinnerThenZX) {
  // "md foo I T30 k O1" then "mg foo v c t" twice.
  EXPECT_EQ(Reply("md foo I T30 k O1\r\n", MetaCode::kHD, nullptr), "HD kfoo O1\r\n");
  MetaItemView item{.cas = 16, .value_length = 1, .ttl = 30, .stale = true, .won = true};
  EXPECT_EQ(Reply("mg foo v c t\r\n", MetaCode::kVA, &item), "VA 1 c16 t30 X W\r\n");
  item.won = false;
  item.token_sent = true;
  EXPECT_EQ(Reply("mg foo v c t\r\n", MetaCode::kVA, &item), "VA 1 c16 t30 Z X\r\n");
}

TEST(MetaEncoderTest, SetReplies) {
  MetaItemView stored{.cas = 2, .value_length = 3};
  // 1.6.18 sends "HD c2 kfoo O123": it ignores s, which HEAD answers.
  EXPECT_EQ(Reply("ms foo 3 T0 F5 c k O123 s\r\n", MetaCode::kHD, &stored),
            "HD c2 kfoo O123 s3\r\n");
  EXPECT_EQ(Reply("ms foo 3 T0 F5 c k O123\r\n", MetaCode::kHD, &stored), "HD c2 kfoo O123\r\n");
  MetaItemView failed{};
  EXPECT_EQ(Reply("ms foo 3 ME c k\r\n", MetaCode::kNS, &failed), "NS c0 kfoo\r\n");
  EXPECT_EQ(Reply("ms foo 3 C1 c\r\n", MetaCode::kEX, &failed), "EX c0\r\n");
  EXPECT_EQ(Reply("ms nokey2 3 MR k O1 q\r\n", MetaCode::kNS, nullptr), "NS knokey2 O1\r\n");
  MetaItemView bin{.cas = 10, .value_length = 3};
  EXPECT_EQ(Reply("ms Zm9v 3 b k c\r\n", MetaCode::kHD, &bin), "HD kZm9v b c10\r\n");
  EXPECT_EQ(Reply("ms foo 3 v h l t f u\r\n", MetaCode::kHD, &stored), "HD\r\n");
  EXPECT_EQ(Reply("ms foo 3 C5 I q\r\n", MetaCode::kNF, &failed), "NF\r\n");
}

TEST(MetaEncoderTest, DeleteReplies) {
  EXPECT_EQ(Reply("md foo P L k c O1 T0 F0 I s t f h l v u C0 q\r\n", MetaCode::kEX, nullptr),
            "EX kfoo O1\r\n");
  EXPECT_EQ(Reply("md nokey k O5 q\r\n", MetaCode::kNF, nullptr), "NF knokey O5\r\n");
  EXPECT_EQ(Reply("md foo\r\n", MetaCode::kHD, nullptr), "HD\r\n");
  EXPECT_EQ(Reply("md Zm9v b k\r\n", MetaCode::kNF, nullptr), "NF kZm9v b\r\n");
}

TEST(MetaEncoderTest, ArithmeticReplies) {
  MetaItemView vivified{.ttl = -1, .created = true};
  EXPECT_EQ(Reply("ma cnt N0 J10 v\r\n", MetaCode::kVA, &vivified, 10), "VA 2\r\n10\r\n");
  MetaItemView cnt{.cas = 19};
  EXPECT_EQ(Reply("ma cnt v D5 MD t c k O1\r\n", MetaCode::kVA, &cnt, 6),
            "VA 1 t-1 c19 kcnt O1\r\n6\r\n");
  EXPECT_EQ(Reply("ma cnt c\r\n", MetaCode::kHD, &cnt), "HD c19\r\n");
  EXPECT_EQ(
      Reply("ma nocnt2 N0 J18446744073709551615 v t\r\n", MetaCode::kVA, &vivified, UINT64_MAX),
      "VA 20 t-1\r\n18446744073709551615\r\n");
  // N then t then T: t shows N's TTL; N then T then t: T's.
  MetaItemView viv{.ttl = -1, .ttl_after_T = -1, .ttl_after_N = 30, .created = true};
  EXPECT_EQ(Reply("ma nocnt3 N30 v t T0\r\n", MetaCode::kVA, &viv, 0), "VA 1 t30\r\n0\r\n");
  viv.ttl_after_T = 60;
  EXPECT_EQ(Reply("ma nocnt4 N30 T60 v t\r\n", MetaCode::kVA, &viv, 0), "VA 1 t60\r\n0\r\n");
  EXPECT_EQ(Reply("ma nocnt k O1 v\r\n", MetaCode::kNF, nullptr), "NF knocnt O1\r\n");
  EXPECT_EQ(Reply("ma cnt C1 q k\r\n", MetaCode::kEX, nullptr), "EX kcnt\r\n");
  EXPECT_EQ(Reply("ma cnt C1 v\r\n", MetaCode::kEX, nullptr), "EX\r\n");
  // s and f are not ma return flags.
  EXPECT_EQ(Reply("ma cnt s f\r\n", MetaCode::kHD, &cnt), "HD\r\n");
}

TEST(MetaEncoderTest, NoopAndDebug) {
  EXPECT_EQ(kMetaNoopReply, "MN\r\n");
  std::string out;
  AppendMetaDebug(&out, "foo",
                  {.exp = -21,
                   .last_access = 9,
                   .cas = 16,
                   .fetched = true,
                   .slab_class = 1,
                   .total_size = 63});
  EXPECT_EQ(out, "ME foo exp=-21 la=9 cas=16 fetch=yes cls=1 size=63\r\n");
  out.clear();
  // "ms AAAA 1 b" then "me AAAA b": the key bytes are three NULs, printed in
  // base64 without " b".
  AppendMetaDebug(&out, std::string(3, '\0'),
                  {.exp = -1,
                   .cas = 28,
                   .fetched = true,
                   .slab_class = 1,
                   .total_size = 63,
                   .key_binary = true});
  EXPECT_EQ(out, "ME AAAA exp=-1 la=0 cas=28 fetch=yes cls=1 size=63\r\n");
  out.clear();
  AppendMetaDebug(&out, "k", {});
  EXPECT_EQ(out, "ME k exp=-1 la=0 cas=0 fetch=no cls=0 size=0\r\n");
}

// Which replies q hides, from 1.6.18 pipelines ending in "mn".
TEST(MetaEncoderTest, QuietSuppression) {
  const Request mg = Parse("mg k q v\r\n");
  EXPECT_TRUE(MetaReplySuppressed(mg, MetaCode::kEN));
  EXPECT_FALSE(MetaReplySuppressed(mg, MetaCode::kHD));  // "mg foo q" -> HD
  EXPECT_FALSE(MetaReplySuppressed(mg, MetaCode::kVA));
  const Request ms = Parse("ms k 1 q\r\n");
  EXPECT_TRUE(MetaReplySuppressed(ms, MetaCode::kHD));
  EXPECT_FALSE(MetaReplySuppressed(ms, MetaCode::kNS));  // "ms foo 3 ME q" -> NS
  EXPECT_FALSE(MetaReplySuppressed(ms, MetaCode::kEX));
  EXPECT_FALSE(MetaReplySuppressed(ms, MetaCode::kNF));
  const Request md = Parse("md k q\r\n");
  EXPECT_TRUE(MetaReplySuppressed(md, MetaCode::kHD));
  EXPECT_FALSE(MetaReplySuppressed(md, MetaCode::kNF));
  EXPECT_FALSE(MetaReplySuppressed(md, MetaCode::kEX));
  const Request ma = Parse("ma k q v\r\n");
  EXPECT_TRUE(MetaReplySuppressed(ma, MetaCode::kHD));
  EXPECT_TRUE(MetaReplySuppressed(ma, MetaCode::kVA));  // "ma cnt2 q v" -> nothing
  EXPECT_FALSE(MetaReplySuppressed(ma, MetaCode::kVA, /*created=*/true));  // "N0 q v" -> VA
  EXPECT_FALSE(MetaReplySuppressed(ma, MetaCode::kNF));
  EXPECT_FALSE(MetaReplySuppressed(ma, MetaCode::kEX));
  EXPECT_FALSE(MetaReplySuppressed(Parse("mg k v\r\n"), MetaCode::kEN));
  EXPECT_FALSE(MetaReplySuppressed(Parse("mn\r\n"), MetaCode::kHD));
}

// compose -> parse -> compose gives the same line.
TEST(MetaEncoderTest, RequestLineIsCanonical) {
  std::string line;
  ASSERT_TRUE(AppendMetaRequest(&line, Parse("mg  k   O1 v T5\tx c\r\n")));
  EXPECT_EQ(line, "mg k c v O1 T5\r\n");
  std::string again;
  ASSERT_TRUE(AppendMetaRequest(&again, Parse(line)));
  EXPECT_EQ(again, line);
  line.clear();
  ASSERT_TRUE(AppendMetaRequest(&line, Parse("ma n MD D7 J1 N0 q\r\n")));
  EXPECT_EQ(line, "ma n q D7 J1 MD N0\r\n");
  line.clear();
  ASSERT_TRUE(AppendMetaRequest(&line, Parse("me Zm9v b\r\n")));
  EXPECT_EQ(line, "me Zm9v b\r\n");
  line.clear();
  ASSERT_TRUE(AppendMetaRequest(&line, Parse("md k P L x\r\n")));
  EXPECT_EQ(line, "md k x P L\r\n");
}

}  // namespace
}  // namespace slabcached::proto
