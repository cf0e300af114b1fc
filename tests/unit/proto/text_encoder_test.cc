// TextEncoder: exact bytes of every reply helper (memcached 1.6.18's format),
// and request lines that parse back to the same fields.
#include "proto/text_encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "proto/text_parser.h"

namespace slabcached::proto {
namespace {

TEST(TextEncoderTest, ConstantsAreMemcachedReplies) {
  EXPECT_EQ(kStored, "STORED\r\n");
  EXPECT_EQ(kNotStored, "NOT_STORED\r\n");
  EXPECT_EQ(kExists, "EXISTS\r\n");
  EXPECT_EQ(kNotFound, "NOT_FOUND\r\n");
  EXPECT_EQ(kDeleted, "DELETED\r\n");
  EXPECT_EQ(kTouched, "TOUCHED\r\n");
  EXPECT_EQ(kOk, "OK\r\n");
  EXPECT_EQ(kEnd, "END\r\n");
  EXPECT_EQ(kReset, "RESET\r\n");
  EXPECT_EQ(kError, "ERROR\r\n");
  EXPECT_EQ(kBadDataChunk, "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(kNonNumeric, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  EXPECT_EQ(kTooLarge, "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(kOutOfMemoryStoring, "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(kFlushDisabled, "CLIENT_ERROR flush_all not allowed\r\n");
}

TEST(TextEncoderTest, ValueHeader) {
  std::string out;
  AppendValueHeader(&out, "k", 0, 1, false, 0);
  EXPECT_EQ(out, "VALUE k 0 1\r\n");
  out.clear();
  AppendValueHeader(&out, "key", 4294967295u, 0, true, 0);
  EXPECT_EQ(out, "VALUE key 4294967295 0 0\r\n");
  out.clear();
  AppendValueHeader(&out, std::string(250, 'k'), 123, 1048576, true, UINT64_MAX);
  EXPECT_EQ(out, "VALUE " + std::string(250, 'k') + " 123 1048576 18446744073709551615\r\n");
}

TEST(TextEncoderTest, AppendsWithoutClobbering) {
  std::string out = "VALUE a 0 1\r\na\r\n";
  AppendValueHeader(&out, "b", 2, 3, false, 0);
  out.append("bbb\r\n");
  out.append(kEnd);
  EXPECT_EQ(out, "VALUE a 0 1\r\na\r\nVALUE b 2 3\r\nbbb\r\nEND\r\n");
}

TEST(TextEncoderTest, NumberLine) {
  std::string out;
  AppendNumberLine(&out, 0);
  AppendNumberLine(&out, 10);
  AppendNumberLine(&out, UINT64_MAX);  // t/incrdecr.t: 18446744073709551615
  EXPECT_EQ(out, "0\r\n10\r\n18446744073709551615\r\n");
}

TEST(TextEncoderTest, StatOverloads) {
  std::string out;
  AppendStat(&out, "version", "1.6.18");
  AppendStat(&out, "u64", uint64_t{18446744073709551615u});
  AppendStat(&out, "i64", int64_t{-9223372036854775807 - 1});
  AppendStat(&out, "rusage_user", 1.5);
  AppendStat(&out, "rusage_system", 0.0000004);
  EXPECT_EQ(out,
            "STAT version 1.6.18\r\n"
            "STAT u64 18446744073709551615\r\n"
            "STAT i64 -9223372036854775808\r\n"
            "STAT rusage_user 1.500000\r\n"
            "STAT rusage_system 0.000000\r\n");
}

TEST(TextEncoderTest, StatIntegerTypesAreUnambiguous) {
  std::string out;
  AppendStat(&out, "int", 1);
  AppendStat(&out, "neg", -2);
  AppendStat(&out, "unsigned", 3u);
  AppendStat(&out, "size_t", size_t{4});
  AppendStat(&out, "uint32_t", uint32_t{5});
  AppendStat(&out, "long_long", -6LL);
  AppendStat(&out, "ulong_long", 7ULL);
  AppendStat(&out, "uint16_t", uint16_t{8});
  AppendStat(&out, "int8_t", int8_t{-9});
  AppendStat(&out, "uint8_t", uint8_t{10});
  AppendStat(&out, "int_min", std::numeric_limits<int>::min());
  AppendStat(&out, "float", 0.25f);
  AppendStat(&out, "string", std::string("x"));
  EXPECT_EQ(out,
            "STAT int 1\r\nSTAT neg -2\r\nSTAT unsigned 3\r\nSTAT size_t 4\r\n"
            "STAT uint32_t 5\r\nSTAT long_long -6\r\nSTAT ulong_long 7\r\n"
            "STAT uint16_t 8\r\nSTAT int8_t -9\r\nSTAT uint8_t 10\r\n"
            "STAT int_min -2147483648\r\nSTAT float 0.250000\r\nSTAT string x\r\n");
}

TEST(TextEncoderTest, Version) {
  std::string out;
  AppendVersion(&out, "1.6.18");
  EXPECT_EQ(out, "VERSION 1.6.18\r\n");
}

TEST(TextEncoderTest, CommandNames) {
  EXPECT_EQ(TextCommandName(Command::kNone), "");
  EXPECT_EQ(TextCommandName(Command::kGats), "gats");
  EXPECT_EQ(TextCommandName(Command::kFlushAll), "flush_all");
  EXPECT_EQ(TextCommandName(Command::kCacheMemlimit), "cache_memlimit");
  EXPECT_EQ(TextCommandName(Command::kLruCrawler), "lru_crawler");
  EXPECT_EQ(TextCommandName(Command::kWatch), "watch");
  EXPECT_EQ(TextCommandName(Command::kRefreshCerts), "refresh_certs");
}

struct LineCase {
  const char* name;
  Request req;
  std::string_view line;
};

Request Make(Command c) {
  Request r;
  r.command = c;
  return r;
}

TEST(TextEncoderTest, RequestLinesExactBytesAndRoundTrip) {
  std::vector<LineCase> cases;
  {
    Request r = Make(Command::kSet);
    r.key = "k";
    r.client_flags = 1;
    r.exptime = 2;
    r.value_bytes = 3;
    cases.push_back({"set", r, "set k 1 2 3\r\n"});
    r.command = Command::kPrepend;
    r.noreply = true;
    cases.push_back({"prepend_noreply", r, "prepend k 1 2 3 noreply\r\n"});
    r.command = Command::kCas;
    r.cas_unique = 77;
    cases.push_back({"cas_noreply", r, "cas k 1 2 3 77 noreply\r\n"});
  }
  {
    Request r = Make(Command::kGet);
    r.keys = "a b";
    cases.push_back({"get", r, "get a b\r\n"});
    r.command = Command::kGat;
    r.exptime = -1;
    cases.push_back({"gat", r, "gat -1 a b\r\n"});
  }
  {
    Request r = Make(Command::kDelete);
    r.key = "k";
    r.noreply = true;
    cases.push_back({"delete_noreply", r, "delete k noreply\r\n"});
    r = Make(Command::kTouch);
    r.key = "k";
    r.exptime = 2592000;
    cases.push_back({"touch", r, "touch k 2592000\r\n"});
    r = Make(Command::kDecr);
    r.key = "k";
    r.delta = UINT64_MAX;
    cases.push_back({"decr", r, "decr k 18446744073709551615\r\n"});
  }
  {
    Request r = Make(Command::kFlushAll);
    cases.push_back({"flush_all", r, "flush_all\r\n"});
    r.noreply = true;
    cases.push_back({"flush_all_noreply", r, "flush_all noreply\r\n"});
    r.exptime = 30;
    cases.push_back({"flush_all_delay_noreply", r, "flush_all 30 noreply\r\n"});
    r = Make(Command::kVerbosity);
    r.number = 2;
    cases.push_back({"verbosity", r, "verbosity 2\r\n"});
    r = Make(Command::kCacheMemlimit);
    r.number = 64;
    r.noreply = true;
    cases.push_back({"cache_memlimit", r, "cache_memlimit 64 noreply\r\n"});
    cases.push_back({"version", Make(Command::kVersion), "version\r\n"});
    cases.push_back({"quit", Make(Command::kQuit), "quit\r\n"});
    cases.push_back({"stats", Make(Command::kStats), "stats\r\n"});
    r = Make(Command::kStats);
    r.args = "slabs";
    r.key = "slabs";  // the group, as the parser reads it
    cases.push_back({"stats_slabs", r, "stats slabs\r\n"});
    r = Make(Command::kLru);
    r.args = "mode flat noreply";
    r.noreply = true;
    cases.push_back({"lru", r, "lru mode flat noreply\r\n"});
  }
  for (const LineCase& c : cases) {
    std::string line;
    ASSERT_TRUE(AppendRequestLine(&line, c.req)) << c.name;
    EXPECT_EQ(line, c.line) << c.name;
    Request back;
    const ParseResult res = ParseTextRequest(line, &back);
    ASSERT_EQ(res.status, ParseStatus::kOk) << c.name;
    EXPECT_EQ(res.consumed, line.size()) << c.name;
    EXPECT_EQ(back.command, c.req.command) << c.name;
    EXPECT_EQ(back.noreply, c.req.noreply) << c.name;
    EXPECT_EQ(back.key, c.req.key) << c.name;
    EXPECT_EQ(back.keys, c.req.keys) << c.name;
    EXPECT_EQ(back.args, c.req.args) << c.name;
    EXPECT_EQ(back.client_flags, c.req.client_flags) << c.name;
    EXPECT_EQ(back.exptime, c.req.exptime) << c.name;
    EXPECT_EQ(back.value_bytes, c.req.value_bytes) << c.name;
    EXPECT_EQ(back.cas_unique, c.req.cas_unique) << c.name;
    EXPECT_EQ(back.delta, c.req.delta) << c.name;
    EXPECT_EQ(back.number, c.req.number) << c.name;
  }
}

}  // namespace
}  // namespace slabcached::proto
