#include "proto/watch_format.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::proto {
namespace {

constexpr LogStamp kStamp{.sec = 1700000000, .usec = 4021, .gid = 17};

TEST(WatchArgsTest, NoWordMeansFetchers) {
  EXPECT_EQ(ParseWatchArgs(""), kWatchFetchers);
  EXPECT_EQ(ParseWatchArgs("   "), kWatchFetchers);
}

TEST(WatchArgsTest, EveryKindByName) {
  EXPECT_EQ(
      ParseWatchArgs("fetchers mutations evictions connevents deletions"),
      kWatchFetchers | kWatchMutations | kWatchEvictions | kWatchConnevents | kWatchDeletions);
  EXPECT_EQ(
      ParseWatchArgs("rawcmds sysevents proxyreqs proxyevents proxyuser"),
      kWatchRawcmds | kWatchSysevents | kWatchProxyreqs | kWatchProxyevents | kWatchProxyuser);
}

TEST(WatchArgsTest, PrefixesMatchInMemcachedsOrder) {
  EXPECT_EQ(ParseWatchArgs("fetch"), kWatchFetchers);
  EXPECT_EQ(ParseWatchArgs("e"), kWatchEvictions);
  EXPECT_EQ(ParseWatchArgs("proxy"), kWatchProxyreqs);
}

// slabcached's own kind: tried after memcached's, so "h" names it but no
// word memcached knows changes meaning.
TEST(WatchArgsTest, HotkeysIsSlabcachedsOwnKind) {
  EXPECT_EQ(ParseWatchArgs("hotkeys"), kWatchHotkeys);
  EXPECT_EQ(ParseWatchArgs("h"), kWatchHotkeys);
  EXPECT_EQ(ParseWatchArgs("fetchers hotkeys"), kWatchFetchers | kWatchHotkeys);
  EXPECT_EQ(ParseWatchArgs("hotkeysx"), std::nullopt);
}

TEST(WatchArgsTest, UnknownWordIsRefused) {
  EXPECT_EQ(ParseWatchArgs("fetchers bogus"), std::nullopt);
  EXPECT_EQ(ParseWatchArgs("fetchersx"), std::nullopt);
}

TEST(WatchFormatTest, KeysAreUriEncodedAsMemcached) {
  std::string out;
  AppendDeletionLine(&out, kStamp, {.key = std::string_view("a b:c/\x01\xff-._~Z9", 14)});
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=deleted key=a%20b%3Ac%2F%01%FF-._~Z9 cmd=delete "
            "clsid=0 size=0\n");
}

TEST(WatchFormatTest, ItemGetLine) {
  std::string out;
  AppendItemGetLine(&out, kStamp,
                    {.key = "foo", .status = GetStatus::kFound, .clsid = 1, .cfd = 23, .size = 5});
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=item_get key=foo status=found clsid=1 cfd=23 "
            "size=5\n");
  out.clear();
  AppendItemGetLine(&out, kStamp, {.key = "a b", .status = GetStatus::kNotFound, .cfd = 9});
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=item_get key=a%20b status=not_found clsid=0 "
            "cfd=9 size=0\n");
}

TEST(WatchFormatTest, ItemStoreLine) {
  std::string out;
  AppendItemStoreLine(&out, kStamp,
                      {.key = "k",
                       .status = StoreLogStatus::kNotStored,
                       .cmd = StoreLogCmd::kAdd,
                       .ttl = 100,
                       .clsid = 2,
                       .cfd = 7,
                       .size = 3});
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=item_store key=k status=not_stored cmd=add "
            "ttl=100 clsid=2 cfd=7 size=3\n");
}

TEST(WatchFormatTest, EvictionLine) {
  std::string out;
  AppendEvictionLine(
      &out, kStamp,
      {.key = "e", .fetched = true, .ttl = -1, .last_access = 4, .clsid = 3, .size = 10});
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=eviction key=e fetch=yes ttl=-1 la=4 clsid=3 "
            "size=10\n");
}

TEST(WatchFormatTest, DeletionLine) {
  std::string out;
  AppendDeletionLine(&out, kStamp,
                     {.key = "d", .cmd = DeleteLogCmd::kMetaDelete, .clsid = 1, .size = 2});
  EXPECT_EQ(out, "ts=1700000000.4021 gid=17 type=deleted key=d cmd=md clsid=1 size=2\n");
}

TEST(WatchFormatTest, ConnectionLines) {
  std::string out;
  const ConnLog conn{.remote_ip = "127.0.0.1", .remote_port = 40000, .cfd = 30};
  AppendConnNewLine(&out, kStamp, conn);
  AppendConnCloseLine(&out, kStamp, conn, CloseReason::kIdleTimeout);
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=conn_new rip=127.0.0.1 rport=40000 transport=tcp "
            "cfd=30\n"
            "ts=1700000000.4021 gid=17 type=conn_close rip=127.0.0.1 rport=40000 transport=tcp "
            "reason=idle_timeout cfd=30\n");
}

TEST(WatchFormatTest, HotKeyLine) {
  std::string out;
  AppendHotKeyLine(&out, kStamp, {.key = "user:1", .rank = 2, .requests = 4096, .rate = 68.2666});
  EXPECT_EQ(out,
            "ts=1700000000.4021 gid=17 type=hotkey rank=2 key=user%3A1 requests=4096 "
            "rate=68.27\n");
  out.clear();
  AppendHotKeyLine(&out, kStamp, {.key = "gone"});
  EXPECT_EQ(out, "ts=1700000000.4021 gid=17 type=hotkey rank=0 key=gone requests=0 rate=0.00\n");
}

TEST(WatchFormatTest, SkippedLine) {
  std::string out;
  AppendSkippedLine(&out, 12);
  EXPECT_EQ(out, "skipped=12\n");
}

}  // namespace
}  // namespace slabcached::proto
