// Key-dump encoders: exact bytes. The metadump and cachedump lines are what
// memcached 1.6.18 sent for the same items (raw socket against Debian's
// build); mgdump lines follow memcached 1.6.19's crawler.c.
#include "proto/dump_encoder.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::proto {
namespace {

std::string Uri(std::string_view bytes) {
  std::string out;
  AppendUriEncoded(&out, bytes);
  return out;
}

TEST(DumpEncoderTest, UriEncodingKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(Uri("foo"), "foo");
  EXPECT_EQ(Uri("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(Uri("a%b\x01"), "a%25b%01");
  EXPECT_EQ(Uri("k:1/2?x=y&z"), "k%3A1%2F2%3Fx%3Dy%26z");
  EXPECT_EQ(Uri(std::string("\0\xff ", 3)), "%00%FF%20");
  EXPECT_EQ(Uri(""), "");
}

TEST(DumpEncoderTest, MetadumpLineEndsInABareNewline) {
  std::string out;
  AppendMetadumpLine(&out, {.key = "a%b\x01",
                            .exptime_unix = 1795690079,
                            .last_access_unix = 1795689979,
                            .cas = 3,
                            .fetched = false,
                            .slab_class = 1,
                            .total_size = 65});
  // memcached 1.6.45's flags= field, and its space before the newline.
  EXPECT_EQ(out,
            "key=a%25b%01 exp=1795690079 la=1795689979 cas=3 fetch=no cls=1 size=65 flags=0 \n");
  out.clear();
  AppendMetadumpLine(&out, {.key = "foo",
                            .exptime_unix = -1,
                            .last_access_unix = 1795689981,
                            .cas = 2,
                            .fetched = true,
                            .slab_class = 12,
                            .total_size = 1069,
                            .client_flags = 4294967295});
  EXPECT_EQ(out,
            "key=foo exp=-1 la=1795689981 cas=2 fetch=yes cls=12 size=1069 flags=4294967295 \n");
  EXPECT_EQ(kMetadumpEnd, "END\r\n");
}

TEST(DumpEncoderTest, MgdumpLineIsAMetaGetOfTheKey) {
  std::string out;
  AppendMgdumpLine(&out, "foo", false);
  AppendMgdumpLine(&out, "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", true);  // "テスト"
  EXPECT_EQ(out, "mg foo\r\nmg 44OG44K544OI b\r\n");
  EXPECT_EQ(kMgdumpEnd, "EN\r\n");
}

TEST(DumpEncoderTest, CachedumpLineShowsValueBytesAndAbsoluteExptime) {
  std::string out;
  AppendCachedumpLine(&out, "k2", 0, 0);
  AppendCachedumpLine(&out, "a%b\x01", 2, 1795690125);
  EXPECT_EQ(out, "ITEM k2 [0 b; 0 s]\r\nITEM a%b\x01 [2 b; 1795690125 s]\r\n");
  out.clear();
  AppendCachedumpLine(&out, std::string("nul\0after", 9), 1, 0);  // strncpy stops at the NUL
  EXPECT_EQ(out, "ITEM nul [1 b; 0 s]\r\n");
}

}  // namespace
}  // namespace slabcached::proto
