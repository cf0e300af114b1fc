// The executor against a real store (no background threads) and a clock the
// test moves by hand, driven through the entry points a connection uses
// (src/request_dispatch.h): requests in, the exact reply bytes out, for the
// text and the binary protocol.
#include "src/executor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proto/binary_encoder.h"
#include "proto/binary_protocol.h"
#include "proto/text_parser.h"
#include "src/clock_control.h"
#include "src/output_queue.h"
#include "src/request_dispatch.h"
#include "src/response.h"
#include "src/server_config.h"
#include "src/services.h"
#include "src/stats.h"
#include "src/transport.h"
#include "tests/unit/src/sent_bytes.h"

namespace slabcached {
namespace {

namespace bin = proto::binary;
using testing::Sent;
using Next = DispatchResult::Next;

constexpr time_t kUnixNow = 1'700'000'000;

class FakeServerControl final : public ServerControl {
 public:
  void RequestShutdown(bool) override {}
  int verbosity() const override { return verbosity_; }
  void SetVerbosity(int level) override { verbosity_ = level; }

 private:
  int verbosity_ = 0;
};

ServerConfig TestConfig() {
  ServerConfig config;
  config.num_threads = 1;
  config.store.background_threads = false;
  return config;
}

class ExecutorTest : public ::testing::Test {
 protected:
  // `clock_control`: as slabcached-debug (true) or the installed daemon.
  std::unique_ptr<Executor> MakeExecutor(bool clock_control) {
    ClockControl* debugtime = clock_control ? clock_control_.get() : nullptr;
    const ExecutorContext context{.config = config_,
                                  .services = services_,
                                  .store = *store_,
                                  .clock = clock_,
                                  .server_stats = server_stats_,
                                  .control = server_control_,
                                  .clock_control = debugtime};
    return std::make_unique<Executor>(context, server_stats_.worker(0));
  }

  // Runs every request of `input` (text, or binary packets) as a connection
  // would, data blocks included, and returns everything it sent back.
  std::string Run(std::string_view input, bool binary = false) {
    OutputQueue out;
    while (!input.empty()) {
      DispatchResult r = binary
                             ? DispatchBinary(*executor_, input, session_, false, &out, &carry_, 0)
                             : DispatchText(*executor_, input, session_, &out, &carry_, 0);
      if (r.next == Next::kNeedMore) {
        ADD_FAILURE() << "incomplete request";
        break;
      }
      input.remove_prefix(r.consumed);
      if (r.next == Next::kValue || r.next == Next::kSwallow) {
        if (r.block > input.size()) {
          ADD_FAILURE() << "data block shorter than announced";
          break;
        }
        if (r.next == Next::kValue) {
          carry_.pending.Write(0, input.substr(0, r.block));
          input.remove_prefix(r.block);
          std::move(carry_.pending).Complete(&out);
        } else {
          input.remove_prefix(r.block);
        }
      }
      if (r.next == Next::kClose || r.next == Next::kAbort || r.next == Next::kPaused) break;
    }
    return Sent(out);
  }
  std::string Binary(std::string_view packets) { return Run(packets, /*binary=*/true); }

  // Chunks in use across every slab class (linked or not).
  uint64_t UsedChunks() const {
    uint64_t used = 0;
    for (const slabs::SlabClassStats& c : store_->GetSlabClassStats()) used += c.used_chunks;
    return used;
  }

  uint64_t CasOf(std::string_view key) {
    slabs::ItemHandle item = store_->Get(key).item;
    return item ? item.cas() : 0;
  }

  const ServerConfig config_ = TestConfig();
  const Services services_;
  slabs::Clock clock_{kUnixNow};
  std::unique_ptr<slabs::Store> store_ = std::make_unique<slabs::Store>(config_.store, &clock_);
  ServerStats server_stats_{1, kUnixNow};
  FakeServerControl server_control_;
  std::unique_ptr<ClockControl> clock_control_ = MakeClockControl(&clock_);
  Session session_;
  DispatchCarry carry_;  // as a connection's, reused by every request
  std::unique_ptr<Executor> executor_ = MakeExecutor(false);
};

// ------------------------------------------------------------------ text

TEST_F(ExecutorTest, SetThenGetReturnsValueAndFlags) {
  EXPECT_EQ(Run("set k 42 0 3\r\nabc\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 42 3\r\nabc\r\nEND\r\n");
  EXPECT_EQ(Run("get nope k nope\r\n"), "VALUE k 42 3\r\nabc\r\nEND\r\n");
  EXPECT_EQ(Run("get nope\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, NoreplyStoresSilently) {
  EXPECT_EQ(Run("set k 0 0 1 noreply\r\nx\r\nget k\r\n"), "VALUE k 0 1\r\nx\r\nEND\r\n");
}

TEST_F(ExecutorTest, BadDataChunkIsRejectedAndNothingStored) {
  EXPECT_EQ(Run("set k 0 0 1\r\nxy\r\n"), "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, AddOnlyStoresMissingKeys) {
  EXPECT_EQ(Run("add k 0 0 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("add k 0 0 1\r\nb\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\na\r\nEND\r\n");
}

TEST_F(ExecutorTest, CasStoresOnlyWithTheCurrentUnique) {
  EXPECT_EQ(Run("cas k 0 0 1 1\r\na\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Run("set k 0 0 1\r\na\r\n"), "STORED\r\n");
  const uint64_t cas = CasOf("k");
  ASSERT_NE(cas, 0u);
  EXPECT_EQ(Run("gets k\r\n"), "VALUE k 0 1 " + std::to_string(cas) + "\r\na\r\nEND\r\n");
  EXPECT_EQ(Run("cas k 0 0 1 " + std::to_string(cas) + "\r\nb\r\n"), "STORED\r\n");
  EXPECT_NE(CasOf("k"), cas) << "every store gives a new unique";
  EXPECT_EQ(Run("cas k 0 0 1 " + std::to_string(cas) + "\r\nc\r\n"), "EXISTS\r\n");
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\nb\r\nEND\r\n");
}

TEST_F(ExecutorTest, IncrDecrAnswerTheNewValue) {
  EXPECT_EQ(Run("incr n 1\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Run("set n 3 0 2\r\n10\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("incr n 5\r\n"), "15\r\n");
  EXPECT_EQ(Run("decr n 20\r\n"), "0\r\n") << "decr stops at zero";
  EXPECT_EQ(Run("set n 0 0 20\r\n18446744073709551615\r\nincr n 2\r\n"), "STORED\r\n1\r\n")
      << "incr wraps at 2^64";
  // As memcached, a shorter result is written over the old digits, padded with spaces.
  EXPECT_EQ(Run("get n\r\n"), "VALUE n 0 20\r\n1" + std::string(19, ' ') + "\r\nEND\r\n");
  EXPECT_EQ(Run("set s 0 0 3\r\nabc\r\nincr s 1\r\n"),
            "STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  EXPECT_EQ(Run("incr n abc\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
}

TEST_F(ExecutorTest, DeleteAnswersDeletedThenNotFound) {
  EXPECT_EQ(Run("set k 0 0 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("delete k\r\n"), "DELETED\r\n");
  EXPECT_EQ(Run("delete k\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, ItemExpiresWhenItsTtlIsReached) {
  EXPECT_EQ(Run("set k 0 10 1\r\na\r\n"), "STORED\r\n");
  clock_.Advance(9);
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\na\r\nEND\r\n");
  clock_.Advance(1);
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
  EXPECT_EQ(Run("incr k 1\r\n"), "NOT_FOUND\r\n");
}

TEST_F(ExecutorTest, NegativeTtlStoresAnAlreadyExpiredItem) {
  EXPECT_EQ(Run("set k 0 -1 1\r\na\r\nget k\r\n"), "STORED\r\nEND\r\n");
}

TEST_F(ExecutorTest, TouchMovesTheExpiry) {
  EXPECT_EQ(Run("touch k 10\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Run("set k 0 5 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("touch k 100\r\n"), "TOUCHED\r\n");
  clock_.Advance(50);
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(Run("touch k 1\r\n"), "TOUCHED\r\n");
  clock_.Advance(1);
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, GatReturnsTheValueAndMovesTheExpiry) {
  EXPECT_EQ(Run("set k 7 5 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("gat 100 k nope\r\n"), "VALUE k 7 1\r\na\r\nEND\r\n");
  clock_.Advance(50);
  const std::string cas = std::to_string(CasOf("k"));
  EXPECT_EQ(Run("gats 1 k\r\n"), "VALUE k 7 1 " + cas + "\r\na\r\nEND\r\n");
  clock_.Advance(1);
  EXPECT_EQ(Run("gat 100 k\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, FlushAllInvalidatesWhatIsStoredBeforeIt) {
  EXPECT_EQ(Run("set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\n"), "STORED\r\nSTORED\r\n");
  EXPECT_EQ(Run("flush_all\r\n"), "OK\r\n");
  EXPECT_EQ(Run("get a b\r\n"), "END\r\n");
  // Within the same second as the flush, as memcached: a new store is kept.
  EXPECT_EQ(Run("set a 0 0 1\r\n3\r\nget a\r\n"), "STORED\r\nVALUE a 0 1\r\n3\r\nEND\r\n");
}

// memcached's horizon is one second before the delay ends: "flush_all 10"
// takes effect 9 seconds later.
TEST_F(ExecutorTest, FlushAllWithDelayWaitsForTheDelay) {
  EXPECT_EQ(Run("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("flush_all 10\r\n"), "OK\r\n");
  clock_.Advance(8);
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n") << "still there before the delay";
  clock_.Advance(1);
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
  clock_.Advance(1);
  EXPECT_EQ(Run("set k 0 0 1\r\nw\r\nget k\r\n"), "STORED\r\nVALUE k 0 1\r\nw\r\nEND\r\n")
      << "items stored after the flush time are kept";
  EXPECT_EQ(Run("flush_all abc\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
}

TEST_F(ExecutorTest, FlushAllIsRefusedWhenDisabled) {
  ServerConfig config = TestConfig();
  config.flush_enabled = false;
  const ExecutorContext context{.config = config,
                                .services = services_,
                                .store = *store_,
                                .clock = clock_,
                                .server_stats = server_stats_,
                                .control = server_control_};
  executor_ = std::make_unique<Executor>(context, server_stats_.worker(0));
  EXPECT_EQ(Run("set k 0 0 1\r\nv\r\nflush_all\r\n"),
            "STORED\r\nCLIENT_ERROR flush_all not allowed\r\n");
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
}

// ---------------------------------------------------------------- debugtime

TEST_F(ExecutorTest, DebugTimeIsAnUnknownCommandInTheInstalledDaemon) {
  const slabs::RelTime before = clock_.Now();
  EXPECT_EQ(Run("debugtime 10\r\n"), "ERROR\r\n");
  EXPECT_EQ(Run("debugtime p\r\n"), "ERROR\r\n");
  EXPECT_EQ(clock_.Now(), before);
}

TEST_F(ExecutorTest, DebugTimeMovesTheClockInTestBuilds) {
  executor_ = MakeExecutor(true);
  EXPECT_EQ(Run("set k 0 10 1\r\na\r\n"), "STORED\r\n");
  const slabs::RelTime before = clock_.Now();
  EXPECT_EQ(Run("debugtime 9\r\nget k\r\n"), "OK\r\nVALUE k 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(Run("debugtime 1\r\nget k\r\n"), "OK\r\nEND\r\n");
  EXPECT_EQ(clock_.Now(), before + 10);
  EXPECT_EQ(Run("debugtime p\r\ndebugtime r\r\n"), "OK\r\nOK\r\n");
}

TEST_F(ExecutorTest, DebugTimeRejectsWhatIsNotAStep) {
  executor_ = MakeExecutor(true);
  const slabs::RelTime before = clock_.Now();
  EXPECT_EQ(Run("debugtime\r\n"), "ERROR\r\n");
  EXPECT_EQ(Run("debugtime abc\r\n"), "ERROR\r\n");
  EXPECT_EQ(Run("debugtime -5\r\n"), "ERROR\r\n") << "the clock never runs backwards";
  EXPECT_EQ(Run("debugtime 2592001\r\n"), "ERROR\r\n") << "at most 30 days a step";
  EXPECT_EQ(clock_.Now(), before);
}

// ------------------------------------------------------------------ binary

// A response header as the binary protocol lays it out (big-endian).
std::string Header(bin::Opcode opcode, uint16_t key_length, uint8_t extras_length, uint16_t status,
                   uint32_t body_length, uint32_t opaque, uint64_t cas) {
  std::string h;
  auto put = [&h](uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) h.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  };
  put(0x81, 1);
  put(static_cast<uint8_t>(opcode), 1);
  put(key_length, 2);
  put(extras_length, 1);
  put(0, 1);  // data type
  put(status, 2);
  put(body_length, 4);
  put(opaque, 4);
  put(cas, 8);
  return h;
}

std::string Request(bin::Opcode opcode, std::string_view key, std::string_view value = {},
                    std::string_view extras = {}, uint32_t opaque = 0, uint64_t cas = 0) {
  std::string packet;
  bin::AppendRequest(&packet, opcode, extras, key, value, opaque, cas);
  return packet;
}

TEST_F(ExecutorTest, BinarySetGetDelete) {
  const std::string set =
      Request(bin::Opcode::kSet, "k", "abc", bin::StoreExtras(0x01020304, 0), 7);
  const std::string stored = Binary(set);
  const uint64_t cas = CasOf("k");
  EXPECT_EQ(stored, Header(bin::Opcode::kSet, 0, 0, 0, 0, 7, cas));
  EXPECT_EQ(Binary(Request(bin::Opcode::kGet, "k", {}, {}, 8)),
            Header(bin::Opcode::kGet, 0, 4, 0, 7, 8, cas) + std::string("\x01\x02\x03\x04"
                                                                        "abc",
                                                                        7));
  EXPECT_EQ(
      Binary(Request(bin::Opcode::kGetK, "k")),
      Header(bin::Opcode::kGetK, 1, 4, 0, 8, 0, cas) + std::string("\x01\x02\x03\x04kabc", 8));
  EXPECT_EQ(Binary(Request(bin::Opcode::kDelete, "k")),
            Header(bin::Opcode::kDelete, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(Binary(Request(bin::Opcode::kGet, "k", {}, {}, 9)),
            Header(bin::Opcode::kGet, 0, 0, 1, 9, 9, 0) + "Not found");
}

TEST_F(ExecutorTest, BinaryQuietOpcodesSendOnlyErrors) {
  EXPECT_EQ(Binary(Request(bin::Opcode::kSetQ, "k", "v", bin::StoreExtras(0, 0)) +
                   Request(bin::Opcode::kGetQ, "nope") + Request(bin::Opcode::kNoop, {})),
            Header(bin::Opcode::kNoop, 0, 0, 0, 0, 0, 0));
  const uint64_t cas = CasOf("k");
  EXPECT_EQ(Binary(Request(bin::Opcode::kAddQ, "k", "w", bin::StoreExtras(0, 0))),
            Header(bin::Opcode::kAddQ, 0, 0, 2, 20, 0, 0) + "Data exists for key.");
  EXPECT_EQ(Binary(Request(bin::Opcode::kGetQ, "k")),
            Header(bin::Opcode::kGetQ, 0, 4, 0, 5, 0, cas) + std::string("\0\0\0\0v", 5));
}

TEST_F(ExecutorTest, BinaryCasMismatchAndIncrWithInitial) {
  EXPECT_EQ(Binary(Request(bin::Opcode::kSet, "k", "v", bin::StoreExtras(0, 0))).size(), 24u);
  const uint64_t cas = CasOf("k");
  EXPECT_EQ(Binary(Request(bin::Opcode::kSet, "k", "w", bin::StoreExtras(0, 0), 0, cas + 1)),
            Header(bin::Opcode::kSet, 0, 0, 2, 20, 0, 0) + "Data exists for key.");
  // A miss with an exptime other than 0xffffffff seeds the initial value.
  const std::string seeded =
      Binary(Request(bin::Opcode::kIncrement, "n", {}, bin::ArithmeticExtras(5, 40, 0)));
  EXPECT_EQ(seeded, Header(bin::Opcode::kIncrement, 0, 0, 0, 8, 0, CasOf("n")) +
                        std::string("\0\0\0\0\0\0\0\x28", 8));
  const std::string added =
      Binary(Request(bin::Opcode::kIncrement, "n", {}, bin::ArithmeticExtras(5, 40, 0)));
  EXPECT_EQ(added, Header(bin::Opcode::kIncrement, 0, 0, 0, 8, 0, CasOf("n")) +
                       std::string("\0\0\0\0\0\0\0\x2d", 8));
  EXPECT_EQ(
      Binary(Request(bin::Opcode::kDecrement, "m", {}, bin::ArithmeticExtras(1, 0, 0xffffffff))),
      Header(bin::Opcode::kDecrement, 0, 0, 1, 9, 0, 0) + "Not found");
}

TEST_F(ExecutorTest, BinaryGatAndTouchMoveTheExpiry) {
  EXPECT_EQ(Binary(Request(bin::Opcode::kSet, "k", "v", bin::StoreExtras(9, 5))).size(), 24u);
  const uint64_t cas = CasOf("k");
  EXPECT_EQ(Binary(Request(bin::Opcode::kGat, "k", {}, bin::ExptimeExtras(100))),
            Header(bin::Opcode::kGat, 0, 4, 0, 5, 0, cas) + std::string("\0\0\0\x09v", 5));
  clock_.Advance(50);
  EXPECT_EQ(Binary(Request(bin::Opcode::kTouch, "k", {}, bin::ExptimeExtras(1))),
            Header(bin::Opcode::kTouch, 0, 4, 0, 4, 0, cas) + std::string("\0\0\0\x09", 4));
  clock_.Advance(1);
  EXPECT_EQ(Binary(Request(bin::Opcode::kGat, "k", {}, bin::ExptimeExtras(100))),
            Header(bin::Opcode::kGat, 0, 0, 1, 9, 0, 0) + "Not found");
}

TEST_F(ExecutorTest, BinaryFlushWithDelay) {
  EXPECT_EQ(Binary(Request(bin::Opcode::kSet, "k", "v", bin::StoreExtras(0, 0))).size(), 24u);
  EXPECT_EQ(Binary(Request(bin::Opcode::kFlush, {}, {}, bin::ExptimeExtras(10))),
            Header(bin::Opcode::kFlush, 0, 0, 0, 0, 0, 0));
  clock_.Advance(8);
  EXPECT_EQ(Binary(Request(bin::Opcode::kGet, "k")).size(), 24u + 5u) << "still there";
  clock_.Advance(1);
  EXPECT_EQ(Binary(Request(bin::Opcode::kGet, "k")),
            Header(bin::Opcode::kGet, 0, 0, 1, 9, 0, 0) + "Not found");
}

// ------------------------------------------------------- store continuation

TEST_F(ExecutorTest, AnAbandonedStoreFreesItsItem) {
  OutputQueue out;
  {
    DispatchResult r = DispatchText(*executor_, "set k 0 0 3\r\n", session_, &out, &carry_, 0);
    ASSERT_EQ(r.next, Next::kValue);
    EXPECT_EQ(r.block, 5u);  // the value and its "\r\n"
    EXPECT_EQ(UsedChunks(), 1u);
    carry_.pending.Write(0, "ab");
    carry_ = DispatchCarry();  // the client goes away mid-value, its connection with it
  }
  EXPECT_EQ(UsedChunks(), 0u);
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, AMovedContinuationCompletesOnce) {
  OutputQueue out;
  DispatchResult r = DispatchText(*executor_, "set k 0 0 2\r\n", session_, &out, &carry_, 0);
  ASSERT_EQ(r.next, Next::kValue);
  StoreContinuation kept = std::move(carry_.pending);
  EXPECT_FALSE(carry_.pending.has_item());
  kept.Write(0, "hi\r\n");
  std::move(kept).Complete(&out);
  std::move(carry_.pending).Complete(&out);  // moved from: nothing to link or answer
  EXPECT_EQ(Sent(out), "STORED\r\n");
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 2\r\nhi\r\nEND\r\n");
}

TEST_F(ExecutorTest, ABadDataChunkFreesItsItem) {
  EXPECT_EQ(Run("set k 0 0 2\r\nabcd"), "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(UsedChunks(), 0u);
  EXPECT_EQ(Run("ms k 2\r\nabcd"), "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(UsedChunks(), 0u);
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
}

TEST_F(ExecutorTest, AFailedAllocationSwallowsTheBlock) {
  // Larger than -I (1 MB by default): answered at once, the block discarded.
  DispatchResult r;
  OutputQueue out;
  r = DispatchText(*executor_, "set k 0 0 2000000\r\n", session_, &out, &carry_, 0);
  EXPECT_EQ(r.next, Next::kSwallow);
  EXPECT_EQ(r.block, 2000002u);
  EXPECT_FALSE(carry_.pending.has_item());
  EXPECT_EQ(Sent(out), "SERVER_ERROR object too large for cache\r\n");
}

TEST_F(ExecutorTest, BinaryValuesGetTheirCrlfFromTheContinuation) {
  OutputQueue out;
  DispatchResult r =
      DispatchBinary(*executor_, Request(bin::Opcode::kSet, "k", "abc", bin::StoreExtras(0, 0)),
                     session_, false, &out, &carry_, 0);
  ASSERT_EQ(r.next, Next::kValue);
  EXPECT_EQ(r.block, 3u);  // binary values carry no "\r\n"
  // The bytes the item would otherwise end with are not the client's.
  carry_.pending.Write(0, "abc");
  std::move(carry_.pending).Complete(&out);
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 3\r\nabc\r\nEND\r\n");
}

TEST_F(ExecutorTest, ASetThatCannotAllocateDropsTheOldValue) {
  const std::string big(2000000, 'x');
  EXPECT_EQ(Run("set k 0 0 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(Run("add k 0 0 2000000\r\n" + big + "\r\n"),
            "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\na\r\nEND\r\n");  // add keeps it
  EXPECT_EQ(Run("set k 0 0 2000000\r\n" + big + "\r\n"),
            "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
  // Binary: a Set carrying a CAS drops it too.
  EXPECT_EQ(Run("set k 0 0 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(Binary(Request(bin::Opcode::kSet, "k", big, bin::StoreExtras(0, 0), 0, CasOf("k")))
                .substr(6, 2),
            std::string("\x00\x03", 2));  // Too large
  EXPECT_EQ(Run("get k\r\n"), "END\r\n");
}

// ------------------------------------------------------- typed responses
// The verbs alone: what they decide (outcome, item, numbers, counters),
// before any composer turns it into bytes.

// A text request line parsed as a connection would (the line must outlive it).
proto::Request Parsed(std::string_view line) {
  proto::Request request;
  EXPECT_EQ(proto::ParseTextRequest(line, &request).status, proto::ParseStatus::kOk) << line;
  return request;
}

TEST_F(ExecutorTest, RetrieveKeyReturnsTheItemOrAMissAndCountsIt) {
  ASSERT_EQ(Run("set k 5 0 3\r\nabc\r\n"), "STORED\r\n");
  const proto::Request gets = Parsed("gets k nope\r\n");
  RetrievalResponse hit = executor_->RetrieveKey(gets, "k");
  ASSERT_TRUE(hit.item);
  EXPECT_EQ(hit.key, "k");
  EXPECT_TRUE(hit.with_cas);
  EXPECT_EQ(hit.item.client_flags(), 5u);
  EXPECT_EQ(hit.item.value_length(), 3u);
  EXPECT_FALSE(executor_->RetrieveKey(gets, "nope").item);
  const ThreadStats& stats = *server_stats_.worker(0);
  EXPECT_EQ(stats.get_hits.Get(), 1u);
  EXPECT_EQ(stats.get_misses.Get(), 1u);
}

TEST_F(ExecutorTest, GatResponseMovesTheExpiryOnTheHandDrivenClock) {
  ASSERT_EQ(Run("set k 0 0 1\r\na\r\n"), "STORED\r\n");
  EXPECT_TRUE(executor_->RetrieveKey(Parsed("gat 10 k\r\n"), "k").item);
  const proto::Request get = Parsed("get k\r\n");
  clock_.Advance(9);
  EXPECT_TRUE(executor_->RetrieveKey(get, "k").item);
  clock_.Advance(1);
  EXPECT_FALSE(executor_->RetrieveKey(get, "k").item);
}

TEST_F(ExecutorTest, CompleteStoreReturnsTheLinkOutcome) {
  const proto::Request set = Parsed("set k 0 0 1\r\n");
  const proto::Request add = Parsed("add k 0 0 1\r\n");
  auto filled = [&](const char* value) {
    slabs::ItemHandle item = store_->Allocate("k", 0, 0, 1).item;
    item.WriteValue(0, value);
    return item;
  };
  const StoreResponse stored = executor_->CompleteStore(filled("a\r\n"), set, true);
  EXPECT_EQ(stored.outcome, StoreOutcome::kStored);
  EXPECT_EQ(stored.cas, CasOf("k"));
  EXPECT_EQ(executor_->CompleteStore(filled("b\r\n"), add, true).outcome, StoreOutcome::kNotStored);
  EXPECT_EQ(executor_->CompleteStore(filled("cXY"), set, false).outcome,
            StoreOutcome::kBadDataChunk);
  EXPECT_EQ(Run("get k\r\n"), "VALUE k 0 1\r\na\r\nEND\r\n");
}

TEST_F(ExecutorTest, DeleteTouchAndArithmeticResponses) {
  ASSERT_EQ(Run("set n 0 0 2\r\n10\r\nset s 0 0 1\r\nx\r\n"), "STORED\r\nSTORED\r\n");
  ArithmeticResponse incr = executor_->Arithmetic(Parsed("incr n 5\r\n"));
  EXPECT_EQ(incr.outcome, ArithmeticOutcome::kDone);
  EXPECT_EQ(incr.value, 15u);
  EXPECT_EQ(incr.item.cas, CasOf("n"));
  EXPECT_EQ(executor_->Arithmetic(Parsed("decr s 1\r\n")).outcome, ArithmeticOutcome::kNonNumeric);
  EXPECT_EQ(executor_->Arithmetic(Parsed("incr gone 1\r\n")).outcome, ArithmeticOutcome::kNotFound);

  EXPECT_TRUE(executor_->Touch(Parsed("touch n 5\r\n")).item);
  EXPECT_FALSE(executor_->Touch(Parsed("touch gone 5\r\n")).item);
  clock_.Advance(5);
  EXPECT_EQ(executor_->Delete(Parsed("delete n\r\n")).outcome, DeleteOutcome::kNotFound);
  EXPECT_EQ(executor_->Delete(Parsed("delete s\r\n")).outcome, DeleteOutcome::kDeleted);
  EXPECT_EQ(executor_->Delete(Parsed("delete s\r\n")).outcome, DeleteOutcome::kNotFound);
}

TEST_F(ExecutorTest, MetaResponsesCarryTheItemFacts) {
  ASSERT_EQ(Run("ms k 5 T100 F9\r\nhello\r\n"), "HD\r\n");
  clock_.Advance(30);
  MetaGetResponse got = executor_->MetaGet(Parsed("mg k t v\r\n"));
  ASSERT_TRUE(got.item);
  EXPECT_EQ(got.view.client_flags, 9u);
  EXPECT_EQ(got.view.value_length, 5u);
  EXPECT_EQ(got.view.ttl, 70);
  EXPECT_EQ(got.view.last_access, 30u);
  EXPECT_FALSE(executor_->MetaGet(Parsed("mg gone\r\n")).item);

  const ArithmeticResponse created = executor_->MetaArithmetic(Parsed("ma n N0 J7\r\n"));
  EXPECT_EQ(created.outcome, ArithmeticOutcome::kDone);
  EXPECT_TRUE(created.item.created);
  EXPECT_EQ(created.value, 7u);
  EXPECT_EQ(executor_->MetaArithmetic(Parsed("ma k\r\n")).outcome, ArithmeticOutcome::kNonNumeric);
  EXPECT_EQ(executor_->MetaArithmetic(Parsed("ma gone\r\n")).outcome, ArithmeticOutcome::kNotFound);

  const MetaDebugResponse debug = executor_->MetaDebug(Parsed("me k\r\n"));
  EXPECT_TRUE(debug.found);
  EXPECT_EQ(debug.view.exp, -70);  // 1.6.18 prints now - exptime
  EXPECT_FALSE(executor_->MetaDebug(Parsed("me gone\r\n")).found);

  EXPECT_EQ(executor_->MetaDelete(Parsed("md k I\r\n")).outcome, DeleteOutcome::kInvalidated);
  EXPECT_EQ(executor_->MetaDelete(Parsed("md k\r\n")).outcome, DeleteOutcome::kDeleted);
  EXPECT_EQ(executor_->MetaDelete(Parsed("md k\r\n")).outcome, DeleteOutcome::kNotFound);
}

TEST_F(ExecutorTest, BinaryStatsCachedumpIsAnUnknownGroup) {
  // cachedump is served to text lines only (Request::text_subcommands).
  EXPECT_EQ(Binary(Request(bin::Opcode::kStat, "cachedump")).substr(6, 2),
            std::string("\x00\x01", 2));  // Not found
  EXPECT_EQ(Run("stats cachedump 1 1\r\n"), "END\r\n");
}

}  // namespace
}  // namespace slabcached
