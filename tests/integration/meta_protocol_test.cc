// The meta protocol (mg ms md ma mn me) over raw sockets, exact bytes, against the daemon under
// test and Debian's memcached 1.6.18 (flags 1.6.18 lacks, E and md x, run on slabcached only).
// The stampede scenarios race several connections on one key and count the W (won), Z (somebody
// else won) and X (stale) return flags.
#include <atomic>
#include <charconv>
#include <latch>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

class MetaProtocolTest : public ServerTest {
 protected:
  // Sends `request` and returns one reply: its line, plus the data block of a VA line.
  static std::string Reply(Client& c, std::string_view request) {
    if (!c.Send(request)) return "<send failed>";
    return ReadReply(c);
  }
  static std::string ReadReply(Client& c) {
    std::string line = c.ReadLine();
    if (line.starts_with("VA ")) {
      size_t len = 0;
      const char* begin = line.data() + 3;
      std::from_chars(begin, line.data() + line.size(), len);
      line += c.ReadExactly(len + 2);
    }
    return line;
  }
  std::string Reply(std::string_view request) { return Reply(client(), request); }

  // `n` connections send `request` at the same time; returns their replies.
  std::vector<std::string> Race(int n, const std::string& request) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < n; ++i) clients.push_back(Connect());
    std::vector<std::string> replies(n);
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        replies[i] = Reply(*clients[i], request);
      });
    }
    for (auto& t : threads) t.join();
    return replies;
  }
};

bool HasFlag(const std::string& reply, char flag) {
  const std::string line = reply.substr(0, reply.find('\n'));
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    if (line[i] == ' ' && line[i + 1] == flag &&
        (i + 2 == line.size() || line[i + 2] == ' ' || line[i + 2] == '\r')) {
      return true;
    }
  }
  return false;
}

int Count(const std::vector<std::string>& replies, char flag) {
  int n = 0;
  for (const auto& r : replies) n += HasFlag(r, flag) ? 1 : 0;
  return n;
}

TEST_P(MetaProtocolTest, NoopAndDebug) {
  EXPECT_TRUE(client().Roundtrip("mn\r\n", "MN\r\n"));
  EXPECT_TRUE(client().Roundtrip("me nokey\r\n", "EN\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms dbg 2 T0\r\nhi\r\n", "HD\r\n"));
  // Class 1 in memcached (96 bytes); slabcached's default classes (32, 40, 48,
  // ...: finer, to waste less memory per item) put this 43-byte item in class 3.
  const std::string cls = IsReference() ? "1" : "3";
  EXPECT_TRUE(client().RoundtripPrefix("me dbg\r\n",
                                       "ME dbg exp=-1 la=0 cas=1 fetch=no cls=" + cls + " "));
  const auto stats = client().Stats();
  EXPECT_EQ(stats.at("cmd_meta"), "2");  // memcached counts me only
}

TEST_P(MetaProtocolTest, GetReturnFlags) {
  EXPECT_TRUE(client().Roundtrip("ms k 5 F7 T0\r\nhello\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k s v f t c Oop k\r\n"), "VA 5 s5 f7 t-1 c1 Oop kk\r\nhello\r\n");
  EXPECT_EQ(Reply("mg k\r\n"), "HD\r\n");
  EXPECT_EQ(Reply("mg missing s v Oop k\r\n"), "EN Oop kmissing\r\n");
  // T sets the TTL; t prints it at its position among the flags.
  EXPECT_EQ(Reply("mg k t T100\r\n"), "HD t-1\r\n");
  EXPECT_EQ(Reply("mg k T200 t\r\n"), "HD t200\r\n");
  const auto stats = client().Stats();
  EXPECT_EQ(stats.at("cmd_get"), "3");
  EXPECT_EQ(stats.at("get_hits"), "2");
  EXPECT_EQ(stats.at("get_misses"), "1");
  EXPECT_EQ(stats.at("cmd_touch"), "2");  // a hit with T is a touch, not a get
  EXPECT_EQ(stats.at("touch_hits"), "2");
}

TEST_P(MetaProtocolTest, HitBeforeAndLastAccessAreFromBeforeTheAccess) {
  EXPECT_TRUE(client().Roundtrip("ms k 1\r\nx\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k h l\r\n"), "HD h0 l0\r\n");
  EXPECT_EQ(Reply("mg k h\r\n"), "HD h1\r\n");
  // u: no bump, so a fresh item stays unfetched.
  EXPECT_TRUE(client().Roundtrip("ms u 1\r\nx\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg u h u\r\n"), "HD h0\r\n");
  EXPECT_EQ(Reply("mg u h\r\n"), "HD h0\r\n");
  EXPECT_EQ(Reply("mg u h\r\n"), "HD h1\r\n");
}

TEST_P(MetaProtocolTest, QuietPipelineEndsWithNoop) {
  EXPECT_TRUE(client().Roundtrip("ms a 1 q\r\nA\r\nms b 1 q\r\nB\r\nmn\r\n", "MN\r\n"));
  ASSERT_TRUE(
      client().Send("mg a v q\r\nmg nope v q\r\nmg b v q k\r\nmd nope q\r\nmd a q\r\nmn\r\n"));
  EXPECT_EQ(ReadReply(client()), "VA 1\r\nA\r\n");
  EXPECT_EQ(ReadReply(client()), "VA 1 kb\r\nB\r\n");
  EXPECT_EQ(ReadReply(client()), "NF\r\n");  // 1.6.18: q hides md HD only
  EXPECT_EQ(ReadReply(client()), "MN\r\n");
  // Errors are never hidden.
  EXPECT_TRUE(client().Roundtrip("mg a q !\r\nmn\r\n", "CLIENT_ERROR invalid flag\r\nMN\r\n"));
}

TEST_P(MetaProtocolTest, Base64KeysShareTheStoreWithClassicCommands) {
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 3 b\r\nbar\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("get foo\r\n", "VALUE foo 0 3\r\nbar\r\nEND\r\n"));
  EXPECT_EQ(Reply("mg Zm9v b k v\r\n"), "VA 3 kZm9v b\r\nbar\r\n");
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "classic", "val", 42), "STORED\r\n"));
  EXPECT_EQ(Reply("mg classic v f\r\n"), "VA 3 f42\r\nval\r\n");
  EXPECT_TRUE(client().Roundtrip("me Zm9v b\r\n", "ME Zm9v exp=-1"));
}

TEST_P(MetaProtocolTest, SetModes) {
  EXPECT_TRUE(client().Roundtrip("ms k 1 ME\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 ME\r\n2\r\n", "NS\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms nokey 1 MR\r\n2\r\n", "NS\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 MR\r\n3\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 MA\r\n4\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 MP\r\n5\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms nokey 1 MA\r\n5\r\n", "NS\r\n"));
  EXPECT_EQ(Reply("mg k v\r\n"), "VA 3\r\n534\r\n");
  EXPECT_TRUE(client().Roundtrip("ms k 1 MS c\r\n6\r\n", "HD c5\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 MX\r\n6\r\nmn\r\n",
                                 "CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1\r\n77\r\n", "CLIENT_ERROR bad data chunk\r\n"));
}

TEST_P(MetaProtocolTest, SetCompareAndSwapAndInvalidate) {
  EXPECT_TRUE(client().Roundtrip("ms k 1 C5\r\nx\r\n", "NF\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 c\r\nx\r\n", "HD c1\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 C9 c\r\ny\r\n", "EX c0\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 C1 c\r\ny\r\n", "HD c2\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 C1 MA\r\nz\r\n", "EX\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1 C2 MA\r\nz\r\n", "HD\r\n"));
  // I: a CAS older than the item's stores the value, marked stale.
  EXPECT_TRUE(client().Roundtrip("ms k 1 I C1 T30\r\nw\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k v c\r\n"), "VA 1 c4 X W\r\nw\r\n");
  EXPECT_EQ(Reply("mg k v\r\n"), "VA 1 Z X\r\nw\r\n");
  EXPECT_TRUE(client().Roundtrip("ms k 1 I C9\r\nv\r\n", "EX\r\n"));
  const auto stats = client().Stats();
  EXPECT_EQ(stats.at("cas_misses"), "1");
  EXPECT_EQ(stats.at("cas_badval"), "2");
  EXPECT_EQ(stats.at("cas_hits"), "2");
}

TEST_P(MetaProtocolTest, TooLargeSetSwallowsTheBlockAndDropsTheOldValue) {
  EXPECT_TRUE(client().Roundtrip("ms big 1\r\nx\r\n", "HD\r\n"));
  const std::string value(2 * 1024 * 1024, 'v');
  ASSERT_TRUE(
      client().Send("ms big " + std::to_string(value.size()) + " q\r\n" + value + "\r\nmn\r\n"));
  EXPECT_EQ(client().ReadLine(), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(client().ReadLine(), "MN\r\n");
  EXPECT_EQ(Reply("mg big v\r\n"), "EN\r\n");
}

TEST_P(MetaProtocolTest, Delete) {
  EXPECT_TRUE(client().Roundtrip("md k\r\n", "NF\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms k 1\r\nx\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md k C9 Oab k\r\n", "EX Oab kk\r\n"));
  EXPECT_TRUE(client().Roundtrip("md k C1 q\r\nmn\r\n", "MN\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
  const auto stats = client().Stats();
  EXPECT_EQ(stats.at("delete_hits"), "1");
  EXPECT_EQ(stats.at("delete_misses"), "2");
}

TEST_P(MetaProtocolTest, DeleteInvalidateServesStaleToAllAndOneWins) {
  EXPECT_TRUE(client().Roundtrip("ms k 3 T0\r\nold\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md k I T30\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k v c t\r\n"), "VA 3 c2 t30 X W\r\nold\r\n");
  EXPECT_EQ(Reply("mg k v c\r\n"), "VA 3 c2 Z X\r\nold\r\n");
  // The winner's new value is clean.
  EXPECT_TRUE(client().Roundtrip("ms k 3 T30\r\nnew\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k v\r\n"), "VA 3\r\nnew\r\n");
}

TEST_P(MetaProtocolTest, DeleteRemoveValueKeepsTheItem) {
  if (IsReference()) GTEST_SKIP() << "md x is memcached HEAD; 1.6.18: invalid flag";
  EXPECT_TRUE(client().Roundtrip("ms k 3 T100\r\nabc\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md k x\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k v s t\r\n"), "VA 0 s0 t100\r\n\r\n");
}

TEST_P(MetaProtocolTest, ExplicitCas) {
  if (IsReference()) GTEST_SKIP() << "E is memcached HEAD; 1.6.18: invalid flag";
  EXPECT_TRUE(client().Roundtrip("ms k 1 E500 c\r\nx\r\n", "HD c500\r\n"));
  EXPECT_EQ(Reply("mg viv N30 E77 c\r\n"), "HD c77 W\r\n");
  EXPECT_EQ(Reply("ma n N0 E900 c\r\n"), "HD c900\r\n");
  EXPECT_TRUE(client().Roundtrip("md k I E600\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg k c\r\n"), "HD c600 X W\r\n");
}

TEST_P(MetaProtocolTest, Arithmetic) {
  EXPECT_TRUE(client().Roundtrip("ma n\r\n", "NF\r\n"));
  EXPECT_EQ(Reply("ma n N0 J10 v t c\r\n"), "VA 2 t-1 c1\r\n10\r\n");
  EXPECT_EQ(Reply("ma n v\r\n"), "VA 2\r\n11\r\n");
  EXPECT_EQ(Reply("ma n D5 MI v\r\n"), "VA 2\r\n16\r\n");
  EXPECT_EQ(Reply("ma n D20 MD v\r\n"), "VA 1\r\n0\r\n");
  EXPECT_EQ(Reply("ma n M+ D3 T50 t v\r\n"), "VA 1 t50\r\n3\r\n");
  EXPECT_EQ(Reply("ma n M- q\r\nmn\r\n"), "MN\r\n");
  EXPECT_TRUE(client().Roundtrip("ma n C1\r\n", "EX\r\n"));
  // decr rewrites in place: the shorter number is padded with a space.
  EXPECT_TRUE(client().Roundtrip("get n\r\n", "VALUE n 0 2\r\n2 \r\nEND\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms s 1\r\nx\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip(
      "ma s\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"));
  EXPECT_TRUE(client().Roundtrip("ma n MX\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n"));
  const auto stats = client().Stats();
  EXPECT_EQ(stats.at("incr_hits"), "3");
  EXPECT_EQ(stats.at("incr_misses"), "1");
  EXPECT_EQ(stats.at("decr_hits"), "2");
}

// N: the first client creates an empty placeholder and wins; the others see Z until the
// winner stores the value.
TEST_P(MetaProtocolTest, VivifyRaceHasExactlyOneWinner) {
  const auto replies = Race(10, "mg hot v c N30 t\r\n");
  EXPECT_EQ(Count(replies, 'W'), 1);
  EXPECT_EQ(Count(replies, 'Z'), 9);
  for (const auto& r : replies) EXPECT_TRUE(r.starts_with("VA 0 c1 t30 ")) << Escape(r);
  EXPECT_EQ(Reply("mg hot v N30\r\n"), "VA 0 Z\r\n\r\n");
  EXPECT_TRUE(client().Roundtrip("ms hot 5 T30\r\nvalue\r\n", "HD\r\n"));
  const auto after = Race(10, "mg hot v N30\r\n");
  for (const auto& r : after) EXPECT_EQ(r, "VA 5\r\nvalue\r\n");
}

// R: once the remaining TTL drops below the token, exactly one client per cycle wins while
// the others keep getting the current value.
TEST_P(MetaProtocolTest, RecacheRaceHasOneWinnerPerCycle) {
  for (int cycle = 0; cycle < 3; ++cycle) {
    EXPECT_TRUE(client().Roundtrip("ms r 3 T5\r\nv" + std::to_string(cycle) + "x\r\n", "HD\r\n"));
    const auto replies = Race(8, "mg r v R30\r\n");
    EXPECT_EQ(Count(replies, 'W'), 1) << "cycle " << cycle;
    EXPECT_EQ(Count(replies, 'Z'), 7) << "cycle " << cycle;
    for (const auto& r : replies) {
      EXPECT_TRUE(r.ends_with("\r\nv" + std::to_string(cycle) + "x\r\n")) << Escape(r);
    }
  }
  // A TTL above the token wins nothing.
  EXPECT_TRUE(client().Roundtrip("ms r 3 T100\r\nnew\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg r v R30\r\n"), "VA 3\r\nnew\r\n");
  EXPECT_EQ(Reply("mg r v R30 T0\r\n"), "VA 3\r\nnew\r\n");  // exptime 0 never recaches
}

// md I under a 20-connection race: everybody gets the stale value with X, exactly one W per
// recompute cycle.
TEST_P(MetaProtocolTest, InvalidateRaceHasOneWinnerPerCycle) {
  EXPECT_TRUE(client().Roundtrip("ms k 1 T0\r\n0\r\n", "HD\r\n"));
  for (int cycle = 0; cycle < 5; ++cycle) {
    EXPECT_TRUE(client().Roundtrip("md k I\r\n", "HD\r\n"));
    const auto replies = Race(20, "mg k v\r\n");
    EXPECT_EQ(Count(replies, 'W'), 1) << "cycle " << cycle;
    EXPECT_EQ(Count(replies, 'X'), 20) << "cycle " << cycle;
    EXPECT_EQ(Count(replies, 'Z'), 19) << "cycle " << cycle;
    // The winner recomputes; after that nobody is told to.
    EXPECT_TRUE(client().Roundtrip("ms k 1 T0\r\n" + std::to_string(cycle) + "\r\n", "HD\r\n"));
    const auto clean = Race(5, "mg k v\r\n");
    EXPECT_EQ(Count(clean, 'W') + Count(clean, 'X') + Count(clean, 'Z'), 0);
  }
}

// Several connections recompute concurrently: each loop misses, vivifies, and only the W
// holder sets the value; every cycle (delete) produces exactly one recompute.
TEST_P(MetaProtocolTest, TwentyConnectionsRecomputeOncePerCycle) {
  constexpr int kCycles = 5;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    ASSERT_TRUE(client().Send("md job\r\n"));  // HD, or NF in the first cycle
    EXPECT_EQ(client().ReadLine().size(), 4u);
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 20; ++i) clients.push_back(Connect());
    std::atomic<int> recomputes{0};
    std::latch start(20);
    std::vector<std::thread> threads;
    for (int i = 0; i < 20; ++i) {
      threads.emplace_back([&, i] {
        Client& c = *clients[i];
        start.arrive_and_wait();
        const std::string r = Reply(c, "mg job v N30\r\n");
        if (HasFlag(r, 'W')) {
          recomputes.fetch_add(1);
          Reply(c, "ms job 4 T30\r\ndone\r\n");
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(recomputes.load(), 1) << "cycle " << cycle;
    EXPECT_EQ(Reply("mg job v\r\n"), "VA 4\r\ndone\r\n");
  }
}

// memcached marks an item stored by "ms <base64> b" (ITEM_KEY_BINARY): mg's k and me print
// its key in base64 whatever the request says, while ms, md, ma and mg misses follow the
// request's b. Only a new item from ms b has the mark: append results, items created by mg N
// or ma N, and items replaced by classic commands do not; changes in place (ma, incr, md I,
// touch) keep it. Bytes as Debian's 1.6.18 sends them.
TEST_P(MetaProtocolTest, BinaryKeysAreRememberedByTheItem) {
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 2 b\r\nhi\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg foo k v\r\n"), "VA 2 kZm9v b\r\nhi\r\n");
  EXPECT_EQ(Reply("mg Zm9v b k s\r\n"), "HD kZm9v b s2\r\n");
  EXPECT_TRUE(Reply("me foo\r\n").starts_with("ME Zm9v exp=-1 la="));
  EXPECT_TRUE(Reply("me Zm9v b\r\n").starts_with("ME Zm9v exp=-1 la="));
  // A plain item answers plainly, even to a base64 request.
  EXPECT_TRUE(client().Roundtrip("ms bar 2\r\nhi\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg YmFy b k\r\n"), "HD kbar\r\n");
  EXPECT_TRUE(Reply("me YmFy b\r\n").starts_with("ME bar exp=-1 la="));
  // Misses, ms, md and ma follow the request.
  EXPECT_EQ(Reply("mg YmF6 b k O1\r\n"), "EN kYmF6 b O1\r\n");
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 1 b k\r\n1\r\n", "HD kZm9v b\r\n"));
  EXPECT_TRUE(client().Roundtrip("ma foo k\r\n", "HD kfoo\r\n"));
  EXPECT_EQ(Reply("mg foo k v\r\n"), "VA 1 kZm9v b\r\n2\r\n");  // ma in place keeps it
  EXPECT_TRUE(client().Roundtrip("incr foo 1\r\n", "3\r\n"));
  EXPECT_TRUE(client().Roundtrip("touch foo 100\r\n", "TOUCHED\r\n"));
  EXPECT_TRUE(client().Roundtrip("md foo k I\r\n", "HD kfoo\r\n"));
  EXPECT_EQ(Reply("mg foo k v\r\n"), "VA 1 kZm9v b X W\r\n3\r\n");
  // An incr that needs a longer value makes a new item: plain again.
  EXPECT_TRUE(client().Roundtrip("incr foo 100\r\n", "103\r\n"));
  EXPECT_EQ(Reply("mg foo k\r\n"), "HD kfoo\r\n");
  // Append builds a new item, even with b.
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 1 b\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 1 b MA\r\n2\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg foo k v\r\n"), "VA 2 kfoo\r\n12\r\n");
  // A classic set replaces the item.
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 1 b\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "foo", "x"), "STORED\r\n"));
  EXPECT_EQ(Reply("mg foo k\r\n"), "HD kfoo\r\n");
  // Items that mg N and ma N create are plain, and ma answers with the request's b.
  EXPECT_EQ(Reply("mg cXV4 b k N30 O9\r\n"), "HD kqux O9 W\r\n");
  EXPECT_TRUE(client().Roundtrip("ma bnVt b N30 J5 k\r\n", "HD kbnVt b\r\n"));
  EXPECT_EQ(Reply("mg num k v\r\n"), "VA 1 knum\r\n5\r\n");
}

// "t" reports the TTL at its position among the flags; "t" within one request is exact, a
// later request may be a second later.
bool TtlIs(const std::string& reply, const std::string& prefix, int ttl, const std::string& tail) {
  return reply == prefix + std::to_string(ttl) + tail ||
         reply == prefix + std::to_string(ttl - 1) + tail;
}

// memcached applies T, N and R walking the request's flags: the last of T and N sets a created
// item's TTL, and R compares with the TTL as of its position. Bytes as 1.6.18 sends them.
TEST_P(MetaProtocolTest, TtlFlagsApplyInTheOrderSent) {
  EXPECT_EQ(Reply("mg m1 N30 T60 t\r\n"), "HD t60 W\r\n");
  EXPECT_TRUE(TtlIs(Reply("mg m1 t\r\n"), "HD t", 60, " Z\r\n"));
  EXPECT_EQ(Reply("mg m2 T60 N30 t\r\n"), "HD t30 W\r\n");
  EXPECT_TRUE(TtlIs(Reply("mg m2 t\r\n"), "HD t", 30, " Z\r\n"));
  EXPECT_EQ(Reply("mg m3 t N30 T60\r\n"), "HD t-1 W\r\n");
  EXPECT_TRUE(TtlIs(Reply("mg m3 t\r\n"), "HD t", 60, " Z\r\n"));
  // N does nothing to a hit.
  EXPECT_TRUE(client().Roundtrip("ms h1 1\r\n1\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg h1 T60 N30 t\r\n"), "HD t60\r\n");
  // R after T sees the new TTL; before T, the old one.
  EXPECT_TRUE(client().Roundtrip("ms r1 1 T10\r\n1\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg r1 T100 R30 t\r\n"), "HD t100\r\n");
  EXPECT_TRUE(client().Roundtrip("ms r2 1 T10\r\n1\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg r2 R30 T100 t\r\n"), "HD t100 W\r\n");
  EXPECT_TRUE(TtlIs(Reply("mg r2 t\r\n"), "HD t", 100, " Z\r\n"));
  // ma: the same for T and N.
  EXPECT_EQ(Reply("ma a1 N30 T60 t\r\n"), "HD t60\r\n");
  EXPECT_TRUE(TtlIs(Reply("ma a1 t\r\n"), "HD t", 60, "\r\n"));
  EXPECT_EQ(Reply("ma a2 T60 N30 t\r\n"), "HD t30\r\n");
  EXPECT_TRUE(TtlIs(Reply("ma a2 t\r\n"), "HD t", 30, "\r\n"));
}

// memcached keeps an item's stale and win bits through classic commands that change it in
// place (incr/decr in place, touch, gat, gats); an incr that needs a new item, or a set,
// starts clean. Bytes as 1.6.18 sends them.
TEST_P(MetaProtocolTest, ClassicCommandsInPlaceKeepTheStampedeState) {
  EXPECT_TRUE(client().Roundtrip("ms i1 1\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md i1 I\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr i1 1\r\n", "2\r\n"));
  EXPECT_EQ(Reply("mg i1 v\r\n"), "VA 1 X W\r\n2\r\n");
  EXPECT_TRUE(client().Roundtrip("decr i1 1\r\n", "1\r\n"));
  EXPECT_EQ(Reply("mg i1 v\r\n"), "VA 1 Z X\r\n1\r\n");
  EXPECT_TRUE(client().Roundtrip("ms i2 1\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md i2 I\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr i2 100\r\n", "101\r\n"));
  EXPECT_EQ(Reply("mg i2 v\r\n"), "VA 3\r\n101\r\n");
  EXPECT_TRUE(client().Roundtrip("ms t1 1\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md t1 I\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("touch t1 100\r\n", "TOUCHED\r\n"));
  EXPECT_EQ(Reply("mg t1\r\n"), "HD X W\r\n");
  EXPECT_TRUE(client().Roundtrip("gat 200 t1\r\n", "VALUE t1 0 1\r\n1\r\nEND\r\n"));
  EXPECT_EQ(Reply("mg t1\r\n"), "HD Z X\r\n");
  EXPECT_TRUE(client().Roundtrip("ms t2 1\r\n1\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("md t2 I\r\n", "HD\r\n"));
  ASSERT_TRUE(client().Send("gats 200 t2\r\n"));
  EXPECT_TRUE(client().ReadLine().starts_with("VALUE t2 0 1 "));
  EXPECT_EQ(client().ReadLine(), "1\r\n");
  EXPECT_EQ(client().ReadLine(), "END\r\n");
  EXPECT_EQ(Reply("mg t2\r\n"), "HD X W\r\n");
  // A recache win survives incr, a set clears it.
  EXPECT_TRUE(client().Roundtrip("ms r1 1 T10\r\n1\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg r1 R30\r\n"), "HD W\r\n");
  EXPECT_TRUE(client().Roundtrip("incr r1 1\r\n", "2\r\n"));
  EXPECT_EQ(Reply("mg r1\r\n"), "HD Z\r\n");
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "r1", "3"), "STORED\r\n"));
  EXPECT_EQ(Reply("mg r1\r\n"), "HD\r\n");
}

// With -C every CAS is 0: a new item for the same key (likely in the same chunk) must not
// pick up the stale/win/binary state of the deleted one.
TEST_P(MetaProtocolTest, WithoutCasANewItemStartsClean) {
  SKIP_IF_ATTACHED();
  std::vector<std::string> flags = DefaultFlags();
  flags.push_back("-C");
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(c->Roundtrip("ms aw== 1 b\r\n1\r\n", "HD\r\n"));
    EXPECT_TRUE(c->Roundtrip("md k I\r\n", "HD\r\n"));
    EXPECT_EQ(Reply(*c, "mg k c k\r\n"), "HD c0 kaw== b X W\r\n");
    EXPECT_TRUE(
        c->Roundtrip(i == 1 ? "md k\r\n" : "delete k\r\n", i == 1 ? "HD\r\n" : "DELETED\r\n"));
    EXPECT_TRUE(c->Roundtrip("ms k 1\r\n1\r\n", "HD\r\n"));
    EXPECT_EQ(Reply(*c, "mg k c k\r\n"), "HD c0 kk\r\n");
    EXPECT_TRUE(c->Roundtrip("delete k\r\n", "DELETED\r\n"));
  }
}

// me's line has memcached's fields in memcached's order; cls and size are our slab layout's.
TEST_P(MetaProtocolTest, DebugLineFieldsAndOrder) {
  EXPECT_TRUE(client().Roundtrip("ms Zm9v 2 b T100\r\nhi\r\n", "HD\r\n"));
  EXPECT_TRUE(client().Roundtrip("ms dbg 2\r\nhi\r\n", "HD\r\n"));
  EXPECT_EQ(Reply("mg dbg\r\n"), "HD\r\n");
  const std::regex line(
      "ME (\\S+) exp=(-?[0-9]+) la=([0-9]+) cas=([0-9]+) fetch=(yes|no) cls=([0-9]+) "
      "size=([0-9]+)\r\n");
  std::smatch m;
  const std::string binary = Reply("me foo\r\n");
  ASSERT_TRUE(std::regex_match(binary, m, line)) << binary;
  EXPECT_EQ(m[1], "Zm9v");
  // 1.6.18 prints now - exptime (so a TTL of 100 shows as about -100).
  EXPECT_TRUE(m[2] == "-100" || m[2] == "-99") << binary;
  EXPECT_EQ(m[5], "no");
  const std::string plain = Reply("me dbg\r\n");
  ASSERT_TRUE(std::regex_match(plain, m, line)) << plain;
  EXPECT_EQ(m[1], "dbg");
  EXPECT_EQ(m[2], "-1");
  EXPECT_EQ(m[5], "yes");
  EXPECT_NE(m[6], "0");
}

INSTANTIATE_TEST_SUITE_P(MetaProtocol, MetaProtocolTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
