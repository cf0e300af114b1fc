// The composers (src/responder.h) alone: each outcome to the exact bytes of
// its protocol, every row of the error table (proto/errors.h) in text and in
// binary, and each protocol's reply suppression (noreply, quiet opcodes,
// meta q). Expected bytes are written out here, not taken from the table.
#include "src/responder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "proto/binary_protocol.h"
#include "proto/errors.h"
#include "proto/meta_encoder.h"
#include "proto/meta_parser.h"
#include "proto/request.h"
#include "proto/text_parser.h"
#include "slabs/clock.h"
#include "slabs/store.h"
#include "src/output_queue.h"
#include "src/response.h"
#include "src/transport.h"
#include "tests/unit/src/sent_bytes.h"

namespace slabcached {
namespace {

using proto::ReplyError;
namespace bin = proto::binary;

using testing::Sent;

struct Row {
  ReplyError error;
  std::string_view text;
  uint16_t status;
  std::string_view message;
};

// memcached 1.6.18's bytes for every error it answers.
constexpr Row kRows[] = {
    {ReplyError::kUnknownCommand, "ERROR\r\n", 0x81, "Unknown command"},
    {ReplyError::kNotFound, "NOT_FOUND\r\n", 0x01, "Not found"},
    {ReplyError::kExists, "EXISTS\r\n", 0x02, "Data exists for key."},
    {ReplyError::kTooLarge, "SERVER_ERROR object too large for cache\r\n", 0x03, "Too large."},
    {ReplyError::kOutOfMemoryStoring, "SERVER_ERROR out of memory storing object\r\n", 0x82,
     "Out of memory"},
    {ReplyError::kOutOfMemory, "SERVER_ERROR out of memory\r\n", 0x82, "Out of memory"},
    {ReplyError::kOutOfMemoryAllocating, "SERVER_ERROR Out of memory allocating new item\r\n", 0x82,
     "Out of memory"},
    {ReplyError::kNonNumeric, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
     0x06, "Non-numeric server-side value for incr or decr"},
    {ReplyError::kBadDataChunk, "CLIENT_ERROR bad data chunk\r\n", 0x04, "Invalid arguments"},
    {ReplyError::kInvalidArguments, "ERROR\r\n", 0x04, "Invalid arguments"},
    {ReplyError::kAuthError, "ERROR\r\n", 0x20, "Auth failure."},
    {ReplyError::kFlushDisabled, "CLIENT_ERROR flush_all not allowed\r\n", 0x20, "Auth failure."},
    {ReplyError::kBadFormat, "CLIENT_ERROR bad command line format\r\n", 0x81, "Unknown command"},
    {ReplyError::kInvalidExptime, "CLIENT_ERROR invalid exptime argument\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kInvalidDelta, "CLIENT_ERROR invalid numeric delta argument\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kBadDeleteFormat,
     "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaInvalidFlag, "CLIENT_ERROR invalid flag\r\n", 0x81, "Unknown command"},
    {ReplyError::kMetaDuplicateFlag, "CLIENT_ERROR duplicate flag\r\n", 0x81, "Unknown command"},
    {ReplyError::kMetaInvalidOrDuplicateFlag, "CLIENT_ERROR invalid or duplicate flag\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaBadToken, "CLIENT_ERROR bad token in command line format\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaGetFlagsTooLong, "CLIENT_ERROR options flags are too long\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaFlagsTooLong, "CLIENT_ERROR options flags too long\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaKeyDecode, "CLIENT_ERROR error decoding key\r\n", 0x81, "Unknown command"},
    {ReplyError::kMetaOpaqueTooLong, "CLIENT_ERROR opaque token too long\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaModeLength, "CLIENT_ERROR incorrect length for M token\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaInitial, "CLIENT_ERROR invalid numeric initial value\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaDelta, "CLIENT_ERROR invalid numeric delta value\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaSetMode, "CLIENT_ERROR invalid mode for ms M token\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetaArithmeticMode, "CLIENT_ERROR invalid mode for ma M token\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kShutdownDisabled, "ERROR: shutdown not enabled\r\n", 0x81, "Unknown command"},
    {ReplyError::kInvalidShutdownMode, "CLIENT_ERROR invalid shutdown mode\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kReassignDisabled, "CLIENT_ERROR slab reassignment disabled\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kReassignBusy, "BUSY currently processing reassign request\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kReassignBadClass, "BADCLASS invalid src or dst class id\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kReassignNoSpare, "NOSPARE source class has no spare pages\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kReassignSame, "SAME src and dst class are identical\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMemlimitTooSmall, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n",
     0x81, "Unknown command"},
    {ReplyError::kMemlimitNotBytes, "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n",
     0x81, "Unknown command"},
    {ReplyError::kMemlimitFailed, "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n",
     0x81, "Unknown command"},
    {ReplyError::kCrawlerStartFailed, "ERROR failed to start lru crawler thread\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kCrawlerDisabled, "CLIENT_ERROR lru crawler disabled\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kCrawlerBusy, "BUSY currently processing crawler request\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kCrawlerBadClass, "BADCLASS invalid class id\r\n", 0x81, "Unknown command"},
    {ReplyError::kCrawlerNotStarted, "NOTSTARTED no items to crawl\r\n", 0x81, "Unknown command"},
    {ReplyError::kCrawlerUnknown, "ERROR an unknown error happened\r\n", 0x81, "Unknown command"},
    {ReplyError::kCrawlerSleepTooLong, "CLIENT_ERROR sleep must be one second or less\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kMetadumpNotAllowed, "ERROR metadump not allowed\r\n", 0x81, "Unknown command"},
    {ReplyError::kKeyDumpNotAllowed, "ERROR key dump not allowed\r\n", 0x81, "Unknown command"},
    {ReplyError::kMetadumpOverUdp, "ERROR metadump not allowed over UDP\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kKeyDumpOverUdp, "ERROR key dump not allowed over UDP\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kDumpTakenOver, "SERVER_ERROR dump stalled and was taken over\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kCachedumpNotAllowed, "CLIENT_ERROR stats cachedump not allowed\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kCachedumpBadLine, "CLIENT_ERROR bad command line\r\n", 0x81, "Unknown command"},
    {ReplyError::kCachedumpBadClass, "CLIENT_ERROR Illegal slab id\r\n", 0x81, "Unknown command"},
    {ReplyError::kLruPercentsTooLarge, "ERROR hot and warm pcts must not exceed 80\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kLruFactorsNotPositive, "ERROR hot/warm age factors must be greater than 0\r\n",
     0x81, "Unknown command"},
    {ReplyError::kReadBufferFull, "SERVER_ERROR out of memory reading request\r\n", 0x82,
     "Out of memory"},
    {ReplyError::kUdpGetTooLarge, "SERVER_ERROR out of memory writing get response\r\n", 0x82,
     "Out of memory"},
    {ReplyError::kTooManyConnections, "ERROR Too many open connections\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kAsciiAuthFailure, "CLIENT_ERROR authentication failure\r\n", 0x20,
     "Auth failure."},
    {ReplyError::kAsciiAuthUnauthenticated, "CLIENT_ERROR unauthenticated\r\n", 0x20,
     "Auth failure."},
    {ReplyError::kAsciiAuthTokenTooLong, "CLIENT_ERROR auth token too long\r\n", 0x20,
     "Auth failure."},
    {ReplyError::kAsciiAuthBadTermination, "CLIENT_ERROR bad command line termination\r\n", 0x20,
     "Auth failure."},
    {ReplyError::kAsciiAuthBadTokenFormat, "CLIENT_ERROR bad authentication token format\r\n", 0x20,
     "Auth failure."},
    {ReplyError::kWatchNotAllowed, "CLIENT_ERROR watch commands not allowed\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kWatchPipelined, "ERROR cannot pipeline other commands before watch\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kWatcherTooMany, "WATCHER_TOO_MANY log watcher limit reached\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kWatcherFailed, "WATCHER_FAILED failed to add log watcher\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kStatsDetailNotAllowed, "CLIENT_ERROR stats detail not allowed\r\n", 0x81,
     "Unknown command"},
    {ReplyError::kStatsDetailUsage, "CLIENT_ERROR usage: stats detail on|off|dump\r\n", 0x81,
     "Unknown command"},
};
static_assert(std::size(kRows) == proto::kErrorCount, "a row here for every error of the table");

// A binary response header (24 bytes) and body, byte by byte.
std::string BinaryReply(uint8_t opcode, uint16_t status, uint32_t opaque, uint64_t cas,
                        std::string_view extras, std::string_view key, std::string_view value) {
  std::string r;
  auto put = [&r](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) r.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  r.push_back(static_cast<char>(0x81));
  r.push_back(static_cast<char>(opcode));
  put(key.size(), 2);
  put(extras.size(), 1);
  put(0, 1);
  put(status, 2);
  put(extras.size() + key.size() + value.size(), 4);
  put(opaque, 4);
  put(cas, 8);
  r.append(extras).append(key).append(value);
  return r;
}

proto::Request TextRequest(std::string_view line) {
  proto::Request request;
  EXPECT_EQ(proto::ParseTextRequest(line, &request).status, proto::ParseStatus::kOk) << line;
  return request;
}

proto::Request BinaryRequest(bin::Opcode opcode, uint32_t opaque) {
  proto::Request request;
  request.binary = true;
  request.opcode = static_cast<uint8_t>(opcode);
  request.opaque = opaque;
  // As the binary parser marks the quiet opcodes.
  request.quiet = opcode == bin::Opcode::kSetQ;
  return request;
}

// ------------------------------------------------------------------ text

TEST(TextComposerTest, EveryErrorOfTheTableHasMemcachedsLine) {
  const proto::Request request = TextRequest("set k 0 0 1\r\n");
  for (const Row& row : kRows) {
    OutputQueue out;
    TextResponder(request, &out).Fail(row.error);
    EXPECT_EQ(Sent(out), row.text) << static_cast<int>(row.error);
  }
}

TEST(TextComposerTest, NoreplySilencesEveryReplyOfTheLine) {
  const proto::Request request = TextRequest("set k 0 0 1 noreply\r\n");
  OutputQueue out;
  TextResponder reply(request, &out);
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kStored, .cas = 1});
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kLinkTooLarge});
  reply.Fail(ReplyError::kBadDataChunk);
  reply.Reply(ArithmeticResponse{.value = 5});
  reply.CertsNotReloaded("Error TLS not enabled");
  EXPECT_EQ(Sent(out), "");
}

TEST(TextComposerTest, OutcomesHaveTheirLines) {
  const proto::Request request = TextRequest("incr k 1\r\n");
  OutputQueue out;
  TextResponder reply(request, &out);
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kStored, .cas = 1});
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kNotStored});
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kLinkTooLarge});
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kLinkNoMemory});
  reply.Reply(DeleteResponse{DeleteOutcome::kDeleted});
  reply.Reply(ArithmeticResponse{.value = 18446744073709551615u});
  reply.Ok();
  reply.Version("1.6.18");
  reply.Stat("pid", "42");
  reply.EndStats();
  reply.StatsReset();
  reply.UnknownStatsGroup();
  reply.CertsNotReloaded("Error TLS not enabled");
  reply.Cachedump("ITEM k [1 b; 0 s]\r\n");
  reply.Goodbye();
  EXPECT_EQ(Sent(out),
            "STORED\r\nNOT_STORED\r\nSERVER_ERROR object too large for cache\r\n"
            "SERVER_ERROR out of memory storing object\r\nDELETED\r\n"
            "18446744073709551615\r\nOK\r\nVERSION 1.6.18\r\nSTAT pid 42\r\nEND\r\nRESET\r\n"
            "ERROR\r\nError TLS not enabled\r\nITEM k [1 b; 0 s]\r\nEND\r\n");
}

// Has `reply` answer each store outcome in turn.
void ReplyStores(Responder& reply, std::initializer_list<StoreOutcome> outcomes) {
  for (const StoreOutcome outcome : outcomes) reply.Reply(StoreResponse{.outcome = outcome});
}
// The same for failed incr/decr/ma outcomes.
void ReplyArithmetic(Responder& reply, std::initializer_list<ArithmeticOutcome> outcomes) {
  for (const ArithmeticOutcome outcome : outcomes) {
    reply.Reply(ArithmeticResponse{.outcome = outcome});
  }
}

TEST(TextComposerTest, FailedOutcomesAreTheirErrorLines) {
  const proto::Request request = TextRequest("cas k 0 0 1 5\r\n");
  OutputQueue out;
  TextResponder reply(request, &out);
  ReplyStores(reply, {StoreOutcome::kExists, StoreOutcome::kNotFound, StoreOutcome::kTooLarge,
                      StoreOutcome::kNoMemory, StoreOutcome::kBadDataChunk});
  EXPECT_EQ(Sent(out),
            "EXISTS\r\nNOT_FOUND\r\nSERVER_ERROR object too large for cache\r\n"
            "SERVER_ERROR out of memory storing object\r\nCLIENT_ERROR bad data chunk\r\n");
  reply.Reply(DeleteResponse{DeleteOutcome::kNotFound});
  reply.Reply(DeleteResponse{DeleteOutcome::kExists});
  reply.Reply(TouchResponse{});
  ReplyArithmetic(reply, {ArithmeticOutcome::kNotFound, ArithmeticOutcome::kNonNumeric,
                          ArithmeticOutcome::kNoMemoryCreating});
  EXPECT_EQ(Sent(out),
            "NOT_FOUND\r\nEXISTS\r\nNOT_FOUND\r\nNOT_FOUND\r\n"
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
            "SERVER_ERROR out of memory\r\n");
}

// Composers that carry items: a real store (no threads) holds them.
class ItemComposerTest : public ::testing::Test {
 protected:
  slabs::ItemHandle Item(std::string_view key, std::string_view value, uint32_t flags) {
    slabs::AllocResult alloc = store_.Allocate(key, flags, 0, static_cast<uint32_t>(value.size()));
    EXPECT_EQ(alloc.status, slabs::AllocStatus::kOk);
    alloc.item.WriteValue(0, value);
    alloc.item.WriteValue(value.size(), "\r\n");
    EXPECT_EQ(store_.Link(std::move(alloc.item), {}).status, slabs::StoreStatus::kStored);
    return store_.Get(key).item;
  }

  static slabs::StoreConfig Config() {
    slabs::StoreConfig config;
    config.background_threads = false;
    return config;
  }

  slabs::Clock clock_{1'700'000'000};
  slabs::Store store_{Config(), &clock_};
};

TEST_F(ItemComposerTest, TextValuesThenEnd) {
  const proto::Request request = TextRequest("gets a b\r\n");
  OutputQueue out;
  TextResponder reply(request, &out);
  slabs::ItemHandle a = Item("a", "xyz", 7);
  const uint64_t cas = a.cas();
  reply.Reply(RetrievalResponse{.key = "a", .item = std::move(a), .with_cas = true});
  reply.Reply(RetrievalResponse{.key = "b"});  // a miss says nothing
  reply.EndValues();
  EXPECT_EQ(Sent(out), "VALUE a 7 3 " + std::to_string(cas) + "\r\nxyz\r\nEND\r\n");
  reply.Reply(TouchResponse{Item("t", "1", 0)});
  EXPECT_EQ(Sent(out), "TOUCHED\r\n");
}

TEST_F(ItemComposerTest, MetaGetSendsTheValueOnlyWithV) {
  OutputQueue out;
  const proto::Request with_value = TextRequest("mg k v f\r\n");
  MetaResponder(with_value, &out)
      .Reply(MetaGetResponse{Item("k", "hello", 3), {.client_flags = 3, .value_length = 5}});
  const proto::Request without = TextRequest("mg k s\r\n");
  MetaResponder(without, &out).Reply(MetaGetResponse{Item("k", "hello", 3), {.value_length = 5}});
  MetaResponder(without, &out).Reply(MetaGetResponse{});
  EXPECT_EQ(Sent(out), "VA 5 f3\r\nhello\r\nHD s5\r\nEN\r\n");
}

TEST_F(ItemComposerTest, BinaryHitsMissesAndTouch) {
  proto::Request getk = BinaryRequest(bin::Opcode::kGetK, 9);
  getk.return_key = true;
  OutputQueue out;
  BinaryResponder(getk, &out)
      .Reply(RetrievalResponse{.key = "k", .item = Item("k", "v", 0x01020304)});
  const uint64_t cas = store_.Get("k").item.cas();
  BinaryResponder(getk, &out).Reply(RetrievalResponse{.key = "gone"});
  const proto::Request touch = BinaryRequest(bin::Opcode::kTouch, 10);
  BinaryResponder(touch, &out).Reply(TouchResponse{store_.Get("k").item});
  const std::string flags("\x01\x02\x03\x04", 4);
  EXPECT_EQ(Sent(out), BinaryReply(0x0c, 0, 9, cas, flags, "k", "v") +
                           BinaryReply(0x0c, 0x01, 9, 0, {}, "gone", {}) +
                           BinaryReply(0x1c, 0, 10, cas, flags, {}, {}));
}

// ------------------------------------------------------------------ meta

TEST(MetaComposerTest, RepliesEchoTheFlagsAsked) {
  const proto::Request request = TextRequest("md k q O123 k\r\n");
  OutputQueue out;
  MetaResponder reply(request, &out);
  // q: HD is suppressed, NF sent.
  reply.Reply(DeleteResponse{DeleteOutcome::kDeleted});
  reply.Reply(DeleteResponse{DeleteOutcome::kNotFound});
  reply.Ok();                        // mn
  reply.Reply(MetaDebugResponse{});  // me miss
  EXPECT_EQ(Sent(out), "NF O123 kk\r\nMN\r\nEN\r\n");
}

TEST(MetaComposerTest, ErrorsAreSentEvenWithQ) {
  const proto::Request request = TextRequest("ms k 2 q\r\n");
  OutputQueue out;
  MetaResponder(request, &out).Reply(StoreResponse{.outcome = StoreOutcome::kNoMemory});
  EXPECT_EQ(Sent(out), "SERVER_ERROR out of memory storing object\r\n");
}

TEST(MetaComposerTest, StoreOutcomesAreCodes) {
  const proto::Request request = TextRequest("ms k 2 O9\r\n");
  OutputQueue out;
  MetaResponder reply(request, &out);
  ReplyStores(reply,
              {StoreOutcome::kStored, StoreOutcome::kNotStored, StoreOutcome::kExists,
               StoreOutcome::kNotFound, StoreOutcome::kLinkTooLarge, StoreOutcome::kBadDataChunk});
  EXPECT_EQ(Sent(out),
            "HD O9\r\nNS O9\r\nEX O9\r\nNF O9\r\nSERVER_ERROR object too large for cache\r\n"
            "CLIENT_ERROR bad data chunk\r\n");
}

TEST(MetaComposerTest, ArithmeticOutcomes) {
  const proto::Request request = TextRequest("ma k v\r\n");
  OutputQueue out;
  MetaResponder reply(request, &out);
  reply.Reply(ArithmeticResponse{.value = 42});
  ReplyArithmetic(reply, {ArithmeticOutcome::kNotFound, ArithmeticOutcome::kNonNumeric,
                          ArithmeticOutcome::kNoMemory, ArithmeticOutcome::kNoMemoryCreating});
  EXPECT_EQ(Sent(out),
            "VA 2\r\n42\r\nNF\r\n"
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
            "SERVER_ERROR out of memory\r\nSERVER_ERROR Out of memory allocating new item\r\n");
}

TEST(ComposerForTest, PicksTheRequestsProtocol) {
  OutputQueue out;
  const proto::Request meta = TextRequest("mn\r\n");
  const proto::Request text = TextRequest("version\r\n");
  const proto::Request binary = BinaryRequest(bin::Opcode::kNoop, 1);
  ComposerFor(meta, &out).get().Ok();
  ComposerFor(text, &out).get().Ok();
  ComposerFor(binary, &out).get().Ok();
  EXPECT_EQ(Sent(out), "MN\r\nOK\r\n" + BinaryReply(0x0a, 0, 1, 0, {}, {}, {}));
}

// ---------------------------------------------------------------- binary

TEST(BinaryComposerTest, EveryErrorOfTheTableHasItsStatusAndMessage) {
  const proto::Request request = BinaryRequest(bin::Opcode::kSetQ, 0x0a0b0c0d);
  for (const Row& row : kRows) {
    OutputQueue out;
    BinaryResponder(request, &out).Fail(row.error);
    // Errors are sent even for quiet opcodes.
    EXPECT_EQ(Sent(out), BinaryReply(0x11, row.status, 0x0a0b0c0d, 0, {}, {}, row.message))
        << static_cast<int>(row.error);
  }
}

TEST(BinaryComposerTest, QuietOpcodesSilenceSuccessOnly) {
  const proto::Request request = BinaryRequest(bin::Opcode::kSetQ, 7);
  OutputQueue out;
  BinaryResponder reply(request, &out);
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kStored, .cas = 99});
  reply.Reply(DeleteResponse{DeleteOutcome::kDeleted});
  reply.Reply(ArithmeticResponse{.value = 1});
  reply.Ok();
  EXPECT_EQ(Sent(out), "");
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kLinkNoMemory});
  EXPECT_EQ(Sent(out), BinaryReply(0x11, 0x05, 7, 0, {}, {}, "Not stored."));
}

TEST(BinaryComposerTest, NotStoredAnswersByCommand) {
  proto::Request add = BinaryRequest(bin::Opcode::kAdd, 1);
  add.command = proto::Command::kAdd;
  proto::Request replace = BinaryRequest(bin::Opcode::kReplace, 2);
  replace.command = proto::Command::kReplace;
  OutputQueue out;
  BinaryResponder(add, &out).Reply(StoreResponse{.outcome = StoreOutcome::kLinkTooLarge});
  BinaryResponder(replace, &out).Reply(StoreResponse{.outcome = StoreOutcome::kNotStored});
  EXPECT_EQ(Sent(out), BinaryReply(0x02, 0x02, 1, 0, {}, {}, "Data exists for key.") +
                           BinaryReply(0x03, 0x01, 2, 0, {}, {}, "Not found"));
}

TEST(BinaryComposerTest, SuccessRepliesCarryCasAndValues) {
  const proto::Request set = BinaryRequest(bin::Opcode::kSet, 3);
  const proto::Request version = BinaryRequest(bin::Opcode::kVersion, 4);
  OutputQueue out;
  BinaryResponder(set, &out).Reply(StoreResponse{.outcome = StoreOutcome::kStored, .cas = 0x1122});
  BinaryResponder(version, &out).Version("1.6.18");
  EXPECT_EQ(Sent(out), BinaryReply(0x01, 0, 3, 0x1122, {}, {}, {}) +
                           BinaryReply(0x0b, 0, 4, 0, {}, {}, "1.6.18"));
}

TEST(BinaryComposerTest, TextOnlyRepliesAreUnknownCommands) {
  const proto::Request request = BinaryRequest(bin::Opcode::kNoop, 5);
  OutputQueue out;
  BinaryResponder reply(request, &out);
  reply.Reply(MetaDebugResponse{});
  reply.Cachedump("x\r\n");
  const std::string unknown = BinaryReply(0x0a, 0x81, 5, 0, {}, {}, "Unknown command");
  EXPECT_EQ(Sent(out), unknown + unknown);
}

TEST(BinaryComposerTest, AllocationFailuresKeepTheirStatus) {
  const proto::Request request = BinaryRequest(bin::Opcode::kSet, 6);
  OutputQueue out;
  BinaryResponder reply(request, &out);
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kTooLarge});
  reply.Reply(StoreResponse{.outcome = StoreOutcome::kNoMemory});
  EXPECT_EQ(Sent(out), BinaryReply(0x01, 0x03, 6, 0, {}, {}, "Too large.") +
                           BinaryReply(0x01, 0x82, 6, 0, {}, {}, "Out of memory"));
}

TEST(BinaryComposerTest, ArithmeticAnswersTheNumberAndCas) {
  const proto::Request request = BinaryRequest(bin::Opcode::kIncrement, 8);
  OutputQueue out;
  BinaryResponder reply(request, &out);
  reply.Reply(ArithmeticResponse{.value = 0x0102, .item = {.cas = 77}});
  reply.Reply(ArithmeticResponse{.outcome = ArithmeticOutcome::kNonNumeric});
  EXPECT_EQ(Sent(out), BinaryReply(0x05, 0, 8, 77, {}, {}, std::string("\0\0\0\0\0\0\x01\x02", 8)) +
                           BinaryReply(0x05, 0x06, 8, 0, {}, {},
                                       "Non-numeric server-side value for incr or decr"));
}

}  // namespace
}  // namespace slabcached
