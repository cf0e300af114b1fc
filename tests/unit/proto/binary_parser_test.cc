// BinaryParser: a table of every opcode and framing error (each one checked
// against Debian's memcached 1.6.18 with a raw socket), partial-input
// checks, the fragment sweep (Seastar) and encode->parse round trips.
#include "proto/binary_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/binary_encoder.h"
#include "proto/request.h"

namespace slabcached::proto {
namespace {

using binary::Opcode;
using binary::Status;

std::string Packet(Opcode op, std::string_view extras = {}, std::string_view key = {},
                   std::string_view value = {}, uint32_t opaque = 0, uint64_t cas = 0) {
  std::string out;
  binary::AppendRequest(&out, op, extras, key, value, opaque, cas);
  return out;
}

// A raw header with lengths that need not add up.
std::string RawHeader(uint8_t opcode, uint16_t keylen, uint8_t extlen, uint32_t bodylen,
                      uint8_t magic = binary::kRequestMagic) {
  binary::RequestHeader h;
  h.magic = magic;
  h.opcode = opcode;
  h.keylen = keylen;
  h.extlen = extlen;
  h.bodylen = bodylen;
  std::string out;
  binary::AppendRequestHeader(&out, h);
  return out;
}

struct Case {
  const char* name;
  std::string input;
  ParseStatus status;
  Command command = Command::kNone;
  Status error = Status::kSuccess;
  bool close = false;
  size_t consumed = 0;
  size_t swallow = 0;
  bool quiet = false;
  bool return_key = false;
};

const std::string kStore = binary::StoreExtras(7, 100);
const std::string kArith = binary::ArithmeticExtras(5, 10, 0);
const std::string kExp = binary::ExptimeExtras(30);

std::vector<Case> Cases() {
  constexpr auto kOk = ParseStatus::kOk;
  constexpr auto kErr = ParseStatus::kError;
  const size_t h = binary::kHeaderSize;
  return {
      {"get", Packet(Opcode::kGet, {}, "k"), kOk, Command::kGet, {}, false, h + 1},
      {"getq", Packet(Opcode::kGetQ, {}, "k"), kOk, Command::kGet, {}, false, h + 1, 0, true},
      {"getk",
       Packet(Opcode::kGetK, {}, "k"),
       kOk,
       Command::kGet,
       {},
       false,
       h + 1,
       0,
       false,
       true},
      {"getkq",
       Packet(Opcode::kGetKQ, {}, "k"),
       kOk,
       Command::kGet,
       {},
       false,
       h + 1,
       0,
       true,
       true},
      {"set (value not consumed)",
       Packet(Opcode::kSet, kStore, "k", "vvv"),
       kOk,
       Command::kSet,
       {},
       false,
       h + 9},
      {"setq",
       Packet(Opcode::kSetQ, kStore, "k", "v"),
       kOk,
       Command::kSet,
       {},
       false,
       h + 9,
       0,
       true},
      {"set with cas is cas",
       Packet(Opcode::kSet, kStore, "k", "v", 0, 9),
       kOk,
       Command::kCas,
       {},
       false,
       h + 9},
      {"add", Packet(Opcode::kAdd, kStore, "k", "v"), kOk, Command::kAdd, {}, false, h + 9},
      {"addq",
       Packet(Opcode::kAddQ, kStore, "k", "v"),
       kOk,
       Command::kAdd,
       {},
       false,
       h + 9,
       0,
       true},
      {"replace", Packet(Opcode::kReplace, kStore, "k"), kOk, Command::kReplace, {}, false, h + 9},
      {"replaceq",
       Packet(Opcode::kReplaceQ, kStore, "k"),
       kOk,
       Command::kReplace,
       {},
       false,
       h + 9,
       0,
       true},
      {"append", Packet(Opcode::kAppend, {}, "k", "v"), kOk, Command::kAppend, {}, false, h + 1},
      {"appendq",
       Packet(Opcode::kAppendQ, {}, "k", "v"),
       kOk,
       Command::kAppend,
       {},
       false,
       h + 1,
       0,
       true},
      {"prepend", Packet(Opcode::kPrepend, {}, "k", "v"), kOk, Command::kPrepend, {}, false, h + 1},
      {"prependq",
       Packet(Opcode::kPrependQ, {}, "k", "v"),
       kOk,
       Command::kPrepend,
       {},
       false,
       h + 1,
       0,
       true},
      {"delete", Packet(Opcode::kDelete, {}, "k"), kOk, Command::kDelete, {}, false, h + 1},
      {"deleteq",
       Packet(Opcode::kDeleteQ, {}, "k"),
       kOk,
       Command::kDelete,
       {},
       false,
       h + 1,
       0,
       true},
      {"incr", Packet(Opcode::kIncrement, kArith, "k"), kOk, Command::kIncr, {}, false, h + 21},
      {"incrq",
       Packet(Opcode::kIncrementQ, kArith, "k"),
       kOk,
       Command::kIncr,
       {},
       false,
       h + 21,
       0,
       true},
      {"decr", Packet(Opcode::kDecrement, kArith, "k"), kOk, Command::kDecr, {}, false, h + 21},
      {"decrq",
       Packet(Opcode::kDecrementQ, kArith, "k"),
       kOk,
       Command::kDecr,
       {},
       false,
       h + 21,
       0,
       true},
      {"quit", Packet(Opcode::kQuit), kOk, Command::kQuit, {}, false, h},
      {"quitq", Packet(Opcode::kQuitQ), kOk, Command::kQuit, {}, false, h, 0, true},
      {"flush", Packet(Opcode::kFlush), kOk, Command::kFlushAll, {}, false, h},
      {"flush delay", Packet(Opcode::kFlush, kExp), kOk, Command::kFlushAll, {}, false, h + 4},
      {"flushq", Packet(Opcode::kFlushQ), kOk, Command::kFlushAll, {}, false, h, 0, true},
      {"noop", Packet(Opcode::kNoop), kOk, Command::kNoop, {}, false, h},
      {"version", Packet(Opcode::kVersion), kOk, Command::kVersion, {}, false, h},
      {"stat", Packet(Opcode::kStat), kOk, Command::kStats, {}, false, h},
      {"stat group", Packet(Opcode::kStat, {}, "items"), kOk, Command::kStats, {}, false, h + 5},
      {"stat body bytes are left for the next parse",
       Packet(Opcode::kStat, {}, "k", "XX"),
       kOk,
       Command::kStats,
       {},
       false,
       h + 1},
      {"touch", Packet(Opcode::kTouch, kExp, "k"), kOk, Command::kTouch, {}, false, h + 5},
      {"gat", Packet(Opcode::kGat, kExp, "k"), kOk, Command::kGat, {}, false, h + 5},
      {"gatq", Packet(Opcode::kGatQ, kExp, "k"), kOk, Command::kGat, {}, false, h + 5, 0, true},
      {"gatk",
       Packet(Opcode::kGatK, kExp, "k"),
       kOk,
       Command::kGat,
       {},
       false,
       h + 5,
       0,
       false,
       true},
      {"gatkq",
       Packet(Opcode::kGatKQ, kExp, "k"),
       kOk,
       Command::kGat,
       {},
       false,
       h + 5,
       0,
       true,
       true},
      {"sasl list", Packet(Opcode::kSaslListMechs), kOk, Command::kSaslListMechs, {}, false, h},
      {"sasl auth (data consumed)",
       Packet(Opcode::kSaslAuth, {}, "PLAIN", std::string("\0u\0p", 4)),
       kOk,
       Command::kSaslAuth,
       {},
       false,
       h + 9},
      {"sasl step",
       Packet(Opcode::kSaslStep, {}, "PLAIN", "x"),
       kOk,
       Command::kSaslStep,
       {},
       false,
       h + 6},
      // Unknown opcodes: 0x81, then bodylen bytes after the key are swallowed.
      {"verbosity is unknown", Packet(Opcode::kVerbosity, kExp), kErr, Command::kNone,
       Status::kUnknownCommand, false, h + 4, 4},
      {"unknown opcode 0x40", RawHeader(0x40, 0, 0, 3) + "abc", kErr, Command::kNone,
       Status::kUnknownCommand, false, h, 3},
      {"range op 0x30", RawHeader(0x30, 0, 0, 0), kErr, Command::kNone, Status::kUnknownCommand,
       false, h, 0},
      // Framing errors close the connection.
      {"keylen > bodylen", RawHeader(0x00, 3, 0, 2) + "abc", kErr, Command::kNone,
       Status::kUnknownCommand, true, h + 3},
      {"keylen + extlen > bodylen", RawHeader(0x01, 1, 8, 8) + std::string(9, 'x'), kErr,
       Command::kNone, Status::kUnknownCommand, true, h + 9},
      {"bodylen > 1 GB", RawHeader(0x00, 1, 0, binary::kMaxBodyLength + 1) + "k", kErr,
       Command::kNone, Status::kInvalidArguments, true, h + 1},
      {"key > 250", Packet(Opcode::kGet, {}, std::string(251, 'k')), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 251},
      {"get with extras", Packet(Opcode::kGet, kExp, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 5},
      {"get without key", Packet(Opcode::kGet), kErr, Command::kNone, Status::kInvalidArguments,
       true, h},
      {"get with value", Packet(Opcode::kGet, {}, "k", "v"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 1},
      {"set with 4-byte extras", Packet(Opcode::kSet, kExp, "k", "v"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 5},
      {"set without key", Packet(Opcode::kSet, kStore), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 8},
      {"delete with extras", Packet(Opcode::kDelete, kExp, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 5},
      {"incr with value", Packet(Opcode::kIncrement, kArith, "k", "v"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 21},
      {"append with extras", Packet(Opcode::kAppend, kExp, "k", "v"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 5},
      {"stat with extras", Packet(Opcode::kStat, kExp), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 4},
      {"version with key", Packet(Opcode::kVersion, {}, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 1},
      {"noop with value", Packet(Opcode::kNoop, {}, {}, "x"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h},
      {"quit with key", Packet(Opcode::kQuit, {}, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 1},
      {"flush with 3-byte extras", Packet(Opcode::kFlush, "123"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 3},
      {"flush with key", Packet(Opcode::kFlush, {}, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 1},
      {"touch without extras", Packet(Opcode::kTouch, {}, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 1},
      {"sasl auth without mechanism", Packet(Opcode::kSaslAuth, {}, {}, "x"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h},
      {"sasl list with key", Packet(Opcode::kSaslListMechs, {}, "k"), kErr, Command::kNone,
       Status::kInvalidArguments, true, h + 1},
      // Not a request at all.
      {"bad magic", RawHeader(0x00, 0, 0, 0, 0x81), ParseStatus::kClose},
      {"text line in binary mode", std::string("get foo bar baz quux abcdefg\r\n"),
       ParseStatus::kClose},
  };
}

void Check(const Case& c, const BinaryParseResult& r, const Request& req) {
  SCOPED_TRACE(c.name);
  ASSERT_EQ(r.status, c.status);
  if (c.status == ParseStatus::kClose) return;
  EXPECT_EQ(r.consumed, c.consumed);
  EXPECT_EQ(r.error, c.error);
  EXPECT_EQ(r.close, c.close);
  EXPECT_EQ(r.swallow, c.swallow);
  EXPECT_TRUE(req.binary);
  EXPECT_EQ(req.opcode, static_cast<uint8_t>(c.input[1]));
  if (c.status == ParseStatus::kOk) {
    EXPECT_EQ(req.command, c.command);
    EXPECT_EQ(req.quiet, c.quiet);
    EXPECT_EQ(req.return_key, c.return_key);
  }
}

TEST(BinaryParserTest, Table) {
  for (const Case& c : Cases()) {
    Request req;
    Check(c, ParseBinaryRequest(c.input, &req), req);
  }
}

// Every proper prefix of a request needs more and consumes nothing; the
// whole request parses.
TEST(BinaryParserTest, PartialInputNeedsMore) {
  for (const Case& c : Cases()) {
    if (c.status == ParseStatus::kClose) continue;
    // Anything shorter than header + extras + key (SASL: the whole body).
    for (size_t n = 0; n < c.consumed && n < c.input.size(); ++n) {
      Request req;
      const BinaryParseResult r = ParseBinaryRequest(std::string_view(c.input).substr(0, n), &req);
      ASSERT_EQ(r.status, ParseStatus::kNeedMore) << c.name << " cut at " << n;
      EXPECT_EQ(r.consumed, 0u);
    }
  }
}

TEST(BinaryParserTest, Fields) {
  Request req;
  std::string in =
      Packet(Opcode::kSetQ, binary::StoreExtras(0xdeadbeef, 3600), "key", "value", 0x01020304, 77);
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.command, Command::kCas);
  EXPECT_EQ(req.key, "key");
  EXPECT_EQ(req.client_flags, 0xdeadbeefu);
  EXPECT_EQ(req.exptime, 3600);
  EXPECT_EQ(req.value_bytes, 5u);
  EXPECT_EQ(req.opaque, 0x01020304u);
  EXPECT_EQ(req.cas_unique, 77u);
  EXPECT_TRUE(req.quiet);

  in = Packet(Opcode::kDecrement, binary::ArithmeticExtras(1ull << 40, 99, 0xffffffff), "c");
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.delta, 1ull << 40);
  EXPECT_EQ(req.initial, 99u);
  EXPECT_FALSE(req.create_on_miss);

  in = Packet(Opcode::kIncrement, binary::ArithmeticExtras(1, 2, 60), "c");
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_TRUE(req.create_on_miss);
  EXPECT_EQ(req.exptime, 60);

  in = Packet(Opcode::kStat, {}, "slabs");
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.args, "slabs");
  EXPECT_EQ(req.key, "slabs");  // the group
  EXPECT_FALSE(req.text_subcommands);
  EXPECT_FALSE(req.data_crlf);  // binary values carry no "\r\n"

  // memcached matches these two groups by prefix.
  in = Packet(Opcode::kStat, {}, "settingsXYZ");
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.key, "settings");
  in = Packet(Opcode::kStat, {}, "resetting");
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.key, "reset");

  in = Packet(Opcode::kSaslAuth, {}, "PLAIN", std::string("\0user\0pw", 8));
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.key, "PLAIN");
  EXPECT_EQ(req.args, std::string_view("\0user\0pw", 8));

  // Binary keys may hold spaces and any byte.
  in = Packet(Opcode::kGet, {}, std::string("a b\0c", 5));
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.key, std::string_view("a b\0c", 5));

  in = Packet(Opcode::kFlush, binary::ExptimeExtras(2));
  ASSERT_EQ(ParseBinaryRequest(in, &req).status, ParseStatus::kOk);
  EXPECT_EQ(req.exptime, 2);
}

// SASL data is read whole before it is answered, so its size is capped: an
// unauthenticated client announcing 100 MB gets "Out of memory" once the
// header and mechanism are in, and the data is swallowed, never buffered.
TEST(BinaryParserTest, OversizedSaslDataIsRefusedBeforeItIsBuffered) {
  const std::string big(kMaxSaslData + 1, 'x');
  const std::string packet = Packet(Opcode::kSaslAuth, {}, "PLAIN", big);
  const size_t prefix = binary::kHeaderSize + 5;
  Request req;
  const BinaryParseResult r = ParseBinaryRequest(std::string_view(packet).substr(0, prefix), &req);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, binary::Status::kOutOfMemory);
  EXPECT_EQ(r.consumed, prefix);
  EXPECT_EQ(r.swallow, big.size());
  EXPECT_FALSE(r.close);

  const std::string fits = Packet(Opcode::kSaslStep, {}, "PLAIN", big.substr(1));
  EXPECT_EQ(ParseBinaryRequest(std::string_view(fits).substr(0, prefix), &req).status,
            ParseStatus::kNeedMore);
  EXPECT_EQ(ParseBinaryRequest(fits, &req).status, ParseStatus::kOk);
}

// --- Fragment sweep (Seastar's test_ascii_parser for_each_fragment_size) ---

// Feeds `stream` to the parser as a connection would, `piece` bytes per
// read, skipping value bytes and swallows; returns what was parsed.
std::vector<std::string> Replay(const std::string& stream, size_t piece) {
  std::vector<std::string> events;
  std::string buffer;
  size_t fed = 0;
  size_t skip = 0;
  bool closed = false;
  while (!closed && (fed < stream.size() || !buffer.empty())) {
    if (fed < stream.size()) {
      buffer += stream.substr(fed, piece);
      fed += std::min(piece, stream.size() - fed);
    }
    for (;;) {
      const size_t drop = std::min(skip, buffer.size());
      buffer.erase(0, drop);
      skip -= drop;
      if (skip > 0 || buffer.empty()) break;
      Request req;
      const BinaryParseResult r = ParseBinaryRequest(buffer, &req);
      if (r.status == ParseStatus::kNeedMore) break;
      if (r.status == ParseStatus::kClose) {
        events.push_back("close");
        closed = true;
        break;
      }
      std::string event = std::to_string(req.opcode) + ":" + std::string(req.key) + ":" +
                          std::string(req.args) + ":" + std::to_string(req.value_bytes);
      if (r.status == ParseStatus::kError) {
        event += ":error" + std::to_string(static_cast<int>(r.error));
      }
      events.push_back(event);
      buffer.erase(0, r.consumed);
      skip = r.swallow + (r.status == ParseStatus::kOk ? req.value_bytes : 0);
      if (r.close) {
        closed = true;
        break;
      }
    }
    if (fed >= stream.size() && skip == 0) {
      Request req;
      if (buffer.empty() || ParseBinaryRequest(buffer, &req).status == ParseStatus::kNeedMore) {
        break;
      }
    }
  }
  return events;
}

TEST(BinaryParserTest, FragmentSweep) {
  std::string stream;
  for (const Case& c : Cases()) {
    // Requests that keep the stream aligned (not the closing errors, nor
    // memcached's quirks that leave or swallow bytes of the next request).
    Request req;
    const BinaryParseResult r = ParseBinaryRequest(c.input, &req);
    const size_t value = r.status == ParseStatus::kOk ? req.value_bytes : 0;
    if (r.status == ParseStatus::kClose || r.close) continue;
    if (r.consumed + r.swallow + value != c.input.size()) continue;
    stream += c.input;
  }
  stream += Packet(Opcode::kSet, kStore, "big", std::string(3000, 'v'));
  stream += Packet(Opcode::kGet, {}, "last key with spaces");
  stream += RawHeader(0x00, 300, 0, 300) + std::string(300, 'k');  // key > 250: closes
  stream += Packet(Opcode::kNoop);                                 // never parsed
  const std::vector<std::string> whole = Replay(stream, stream.size());
  ASSERT_GT(whole.size(), 40u);
  EXPECT_EQ(whole.back(), "0:::0:error4");
  for (size_t piece : {1, 2, 5, 10, 100, 1000, 100000}) {
    EXPECT_EQ(Replay(stream, piece), whole) << "piece size " << piece;
  }
}

// --- Round trips: encode a request, parse it back ---

TEST(BinaryParserTest, EncodeParseRoundTrip) {
  for (uint32_t flags : {0u, 1u, 0xffffffffu}) {
    for (uint32_t exptime : {0u, 30u, 0x7fffffffu}) {
      for (size_t key_len : {1u, 250u}) {
        const std::string key(key_len, 'x');
        Request req;
        const std::string in = Packet(Opcode::kAdd, binary::StoreExtras(flags, exptime), key,
                                      std::string(17, 'v'), flags ^ exptime);
        const BinaryParseResult r = ParseBinaryRequest(in, &req);
        ASSERT_EQ(r.status, ParseStatus::kOk);
        EXPECT_EQ(r.consumed + req.value_bytes, in.size());
        EXPECT_EQ(req.command, Command::kAdd);
        EXPECT_EQ(req.key, key);
        EXPECT_EQ(req.client_flags, flags);
        EXPECT_EQ(req.exptime, exptime);
        EXPECT_EQ(req.opaque, flags ^ exptime);
      }
    }
  }
}

}  // namespace
}  // namespace slabcached::proto
