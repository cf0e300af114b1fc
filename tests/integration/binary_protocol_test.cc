// memcached's binary protocol over raw sockets, exact bytes, against both servers (every
// expectation here was first observed on Debian's memcached 1.6.18). CAS values are compared
// between replies, never as absolute numbers: the two servers count CAS ids differently.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/pattern.h"
#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

// --- a self-contained binary codec (black box: it does not use proto/) ---

enum Op : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncr = 0x05,
  kDecr = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrQ = 0x15,
  kDecrQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kVerbosity = 0x1b,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslList = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

void Put(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Get(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

struct Req {
  uint8_t op = 0;
  std::string extras, key, value;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  // Overrides for framing tests.
  int64_t keylen = -1;
  int64_t bodylen = -1;
  uint8_t magic = 0x80;
};

std::string Encode(const Req& r) {
  std::string out;
  Put(&out, r.magic, 1);
  Put(&out, r.op, 1);
  Put(&out, r.keylen >= 0 ? r.keylen : r.key.size(), 2);
  Put(&out, r.extras.size(), 1);
  Put(&out, 0, 1);
  Put(&out, 0, 2);
  Put(&out, r.bodylen >= 0 ? r.bodylen : r.extras.size() + r.key.size() + r.value.size(), 4);
  Put(&out, r.opaque, 4);
  Put(&out, r.cas, 8);
  return out + r.extras + r.key + r.value;
}

std::string Packet(uint8_t op, std::string key = {}, std::string value = {},
                   std::string extras = {}, uint32_t opaque = 0, uint64_t cas = 0) {
  return Encode({op, std::move(extras), std::move(key), std::move(value), opaque, cas});
}
std::string StoreExtras(uint32_t flags, uint32_t exptime) {
  std::string e;
  Put(&e, flags, 4);
  Put(&e, exptime, 4);
  return e;
}
std::string DeltaExtras(uint64_t delta, uint64_t initial, uint32_t exptime) {
  std::string e;
  Put(&e, delta, 8);
  Put(&e, initial, 8);
  Put(&e, exptime, 4);
  return e;
}
std::string Exptime(uint32_t exptime) {
  std::string e;
  Put(&e, exptime, 4);
  return e;
}
std::string Be64(uint64_t v) {
  std::string e;
  Put(&e, v, 8);
  return e;
}

struct Resp {
  uint8_t magic = 0, op = 0;
  uint16_t status = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string extras, key, value;
  bool ok = false;  // a whole packet arrived
};

Resp Read(Client& c) {
  Resp r;
  const std::string h = c.ReadExactly(24);
  if (h.size() != 24) return r;
  r.magic = static_cast<uint8_t>(h[0]);
  r.op = static_cast<uint8_t>(h[1]);
  const size_t keylen = Get(h, 2, 2), extlen = Get(h, 4, 1);
  r.status = static_cast<uint16_t>(Get(h, 6, 2));
  const size_t bodylen = Get(h, 8, 4);
  r.opaque = static_cast<uint32_t>(Get(h, 12, 4));
  r.cas = Get(h, 16, 8);
  const std::string body = c.ReadExactly(bodylen);
  if (body.size() != bodylen || keylen + extlen > bodylen) return r;
  r.extras = body.substr(0, extlen);
  r.key = body.substr(extlen, keylen);
  r.value = body.substr(extlen + keylen);
  r.ok = true;
  return r;
}

// The parts of a reply both servers agree on byte for byte (everything but the CAS value).
std::string Show(const Resp& r) {
  if (!r.ok) return "<no reply>";
  char head[64];
  std::snprintf(head, sizeof(head), "op=%02x status=%02x opaque=%u cas=%s", r.op, r.status,
                r.opaque, r.cas != 0 ? "set" : "0");
  return std::string(head) + " extras=" + Escape(r.extras) + " key=" + Escape(r.key) +
         " value=" + Escape(r.value);
}
std::string Expect(uint8_t op, uint16_t status, uint32_t opaque, bool cas, std::string extras,
                   std::string key, std::string value) {
  Resp r;
  r.ok = true;
  r.op = op;
  r.status = status;
  r.opaque = opaque;
  r.cas = cas ? 1 : 0;
  r.extras = std::move(extras);
  r.key = std::move(key);
  r.value = std::move(value);
  return Show(r);
}
std::string Ok(uint8_t op, uint32_t opaque = 0, bool cas = false) {
  return Expect(op, 0, opaque, cas, "", "", "");
}
std::string Err(uint8_t op, uint16_t status, std::string text, uint32_t opaque = 0) {
  return Expect(op, status, opaque, false, "", "", std::move(text));
}
std::string Hit(uint8_t op, uint32_t flags, std::string value, std::string key = {},
                uint32_t opaque = 0) {
  std::string f;
  Put(&f, flags, 4);
  return Expect(op, 0, opaque, true, f, std::move(key), std::move(value));
}

class BinaryProtocolTest : public ServerTest {
 protected:
  // Sends `request` and returns the next `n` replies, shown.
  std::vector<std::string> Exchange(Client& c, const std::string& request, size_t n) {
    EXPECT_TRUE(c.Send(request));
    std::vector<std::string> replies;
    for (size_t i = 0; i < n; ++i) replies.push_back(Show(Read(c)));
    return replies;
  }
  std::string One(const std::string& request) { return Exchange(client(), request, 1)[0]; }

  // A "stat" series as name -> value, checking the opaque of every packet.
  std::map<std::string, std::string> Stats(Client& c, const std::string& group, uint32_t opaque) {
    EXPECT_TRUE(c.Send(Packet(kStat, group, {}, {}, opaque)));
    std::map<std::string, std::string> stats;
    for (int i = 0; i < 1000; ++i) {
      const Resp r = Read(c);
      EXPECT_TRUE(r.ok);
      if (!r.ok) break;
      EXPECT_EQ(r.op, kStat);
      EXPECT_EQ(r.opaque, opaque);
      EXPECT_EQ(r.status, 0);
      if (r.key.empty() && r.value.empty()) break;
      stats[r.key] = r.value;
    }
    return stats;
  }
};

// Tests that let time pass on the server's clock (AdvanceClock).
class BinaryProtocolClockTest : public BinaryProtocolTest {
 protected:
  bool UsesTestClock() const override { return true; }
};

TEST_P(BinaryProtocolTest, SetGetVersionNoop) {
  EXPECT_EQ(One(Packet(kSet, "k", "hello", StoreExtras(7, 0), 1)), Ok(kSet, 1, true));
  EXPECT_EQ(One(Packet(kGet, "k", {}, {}, 2)), Hit(kGet, 7, "hello", {}, 2));
  EXPECT_EQ(One(Packet(kGetK, "k", {}, {}, 3)), Hit(kGetK, 7, "hello", "k", 3));
  EXPECT_EQ(One(Packet(kGet, "nope", {}, {}, 4)), Err(kGet, 1, "Not found", 4));
  // A GetK miss carries the key instead of the error text.
  EXPECT_EQ(One(Packet(kGetK, "nope")), Expect(kGetK, 1, 0, false, "", "nope", ""));
  EXPECT_EQ(One(Packet(kVersion)), Expect(kVersion, 0, 0, false, "", "", MemcachedVersion()));
  EXPECT_EQ(One(Packet(kNoop, {}, {}, {}, 0xdeadbeef)), Ok(kNoop, 0xdeadbeef));
  // Binary keys may hold spaces; an empty value round-trips.
  EXPECT_EQ(One(Packet(kSet, "a b", "", StoreExtras(3, 0))), Ok(kSet, 0, true));
  EXPECT_EQ(One(Packet(kGetK, "a b")), Hit(kGetK, 3, "", "a b"));
}

TEST_P(BinaryProtocolTest, StorageOutcomes) {
  EXPECT_EQ(One(Packet(kAdd, "k", "1", StoreExtras(0, 0))), Ok(kAdd, 0, true));
  EXPECT_EQ(One(Packet(kAdd, "k", "1", StoreExtras(0, 0))), Err(kAdd, 2, "Data exists for key."));
  EXPECT_EQ(One(Packet(kReplace, "nope", "1", StoreExtras(0, 0))), Err(kReplace, 1, "Not found"));
  EXPECT_EQ(One(Packet(kReplace, "k", "2", StoreExtras(5, 0))), Ok(kReplace, 0, true));
  EXPECT_EQ(One(Packet(kAppend, "k", "AA")), Ok(kAppend, 0, true));
  EXPECT_EQ(One(Packet(kPrepend, "k", "PP")), Ok(kPrepend, 0, true));
  EXPECT_EQ(One(Packet(kAppend, "nope", "x")), Err(kAppend, 5, "Not stored."));
  EXPECT_EQ(One(Packet(kPrepend, "nope", "x")), Err(kPrepend, 5, "Not stored."));
  EXPECT_EQ(One(Packet(kGet, "k")), Hit(kGet, 5, "PP2AA"));
}

TEST_P(BinaryProtocolTest, CasEverywhere) {
  ASSERT_TRUE(client().Send(Packet(kSet, "k", "v1", StoreExtras(0, 0))));
  const Resp stored = Read(client());
  ASSERT_TRUE(stored.ok);
  ASSERT_NE(stored.cas, 0u);
  ASSERT_TRUE(client().Send(Packet(kGet, "k")));
  EXPECT_EQ(Read(client()).cas, stored.cas) << "get returns the CAS the set answered";
  const uint64_t stale = stored.cas + 1000;
  EXPECT_EQ(One(Packet(kSet, "k", "x", StoreExtras(0, 0), 0, stale)),
            Err(kSet, 2, "Data exists for key."));
  EXPECT_EQ(One(Packet(kSet, "nope", "x", StoreExtras(0, 0), 0, stale)), Err(kSet, 1, "Not found"));
  // A CAS turns add/replace into compare-and-swap too; refusals say "Not stored.".
  EXPECT_EQ(One(Packet(kAdd, "k", "x", StoreExtras(0, 0), 0, stale)),
            Err(kAdd, 2, "Data exists for key."));
  EXPECT_EQ(One(Packet(kAppend, "k", "x", {}, 0, stale)), Err(kAppend, 2, "Data exists for key."));
  EXPECT_EQ(One(Packet(kDelete, "k", {}, {}, 0, stale)), Err(kDelete, 2, "Data exists for key."));
  EXPECT_EQ(One(Packet(kIncr, "k", {}, DeltaExtras(1, 0, 0), 0, stale)),
            Err(kIncr, 2, "Data exists for key."));
  ASSERT_TRUE(client().Send(Packet(kSet, "k", "v2", StoreExtras(0, 0), 0, stored.cas)));
  const Resp swapped = Read(client());
  EXPECT_EQ(Show(swapped), Ok(kSet, 0, true));
  EXPECT_NE(swapped.cas, stored.cas);
  EXPECT_EQ(One(Packet(kDelete, "k", {}, {}, 0, swapped.cas)), Ok(kDelete));
  EXPECT_EQ(One(Packet(kDelete, "k")), Err(kDelete, 1, "Not found"));
}

TEST_P(BinaryProtocolTest, QuietPipelineEndedByNoop) {
  // Quiet opcodes send only errors and hits; the Noop flushes and ends the pipeline.
  std::string pipeline = Packet(kSetQ, "q", "v", StoreExtras(1, 0), 1) +
                         Packet(kAddQ, "q", "v", StoreExtras(0, 0), 2) +         // exists
                         Packet(kGetQ, "q", {}, {}, 3) +                         // hit: sent
                         Packet(kGetQ, "miss", {}, {}, 4) +                      // silent
                         Packet(kGetKQ, "q", {}, {}, 5) +                        // hit: sent
                         Packet(kGetKQ, "miss", {}, {}, 6) +                     // silent
                         Packet(kReplaceQ, "miss", "v", StoreExtras(0, 0), 7) +  // not found
                         Packet(kAppendQ, "q", "A", {}, 8) + Packet(kPrependQ, "q", "P", {}, 9) +
                         Packet(kIncrQ, "n", {}, DeltaExtras(1, 5, 0), 10) +  // created: silent
                         Packet(kIncrQ, "n", {}, DeltaExtras(1, 5, 0), 11) +  // silent
                         Packet(kDecrQ, "none", {}, DeltaExtras(1, 5, 0xffffffff), 12) +
                         Packet(kIncrQ, "q", {}, DeltaExtras(1, 0, 0), 13) +  // non-numeric
                         Packet(kGatQ, "q", {}, Exptime(0), 14) +             // hit: sent
                         Packet(kGatKQ, "miss", {}, Exptime(0), 15) +         // silent
                         Packet(kDeleteQ, "q", {}, {}, 16) +                  // silent
                         Packet(kDeleteQ, "q", {}, {}, 17) +                  // not found
                         Packet(kFlushQ, {}, {}, {}, 18) +                    // silent
                         Packet(kGetQ, "n", {}, {}, 19) +                     // flushed: silent
                         Packet(kNoop, {}, {}, {}, 20);
  EXPECT_EQ(Exchange(client(), pipeline, 9),
            (std::vector<std::string>{
                Err(kAddQ, 2, "Data exists for key.", 2),
                Hit(kGetQ, 1, "v", {}, 3),
                Hit(kGetKQ, 1, "v", "q", 5),
                Err(kReplaceQ, 1, "Not found", 7),
                Err(kDecrQ, 1, "Not found", 12),
                Err(kIncrQ, 6, "Non-numeric server-side value for incr or decr", 13),
                Hit(kGatQ, 1, "PvA", {}, 14),
                Err(kDeleteQ, 1, "Not found", 17),
                Ok(kNoop, 20),
            }));
  EXPECT_TRUE(client().ExpectSilence(std::chrono::milliseconds(200)));
}

TEST_P(BinaryProtocolTest, IncrDecrInitialValueAndNoCreate) {
  EXPECT_EQ(One(Packet(kIncr, "c", {}, DeltaExtras(5, 10, 0xffffffff))),
            Err(kIncr, 1, "Not found"));
  EXPECT_EQ(One(Packet(kIncr, "c", {}, DeltaExtras(5, 10, 0))),
            Expect(kIncr, 0, 0, true, "", "", Be64(10)));
  EXPECT_EQ(One(Packet(kIncr, "c", {}, DeltaExtras(5, 10, 0))),
            Expect(kIncr, 0, 0, true, "", "", Be64(15)));
  EXPECT_EQ(One(Packet(kDecr, "c", {}, DeltaExtras(100, 0, 0))),
            Expect(kDecr, 0, 0, true, "", "", Be64(0)));
  EXPECT_EQ(One(Packet(kDecr, "d", {}, DeltaExtras(1, 7, 0))),
            Expect(kDecr, 0, 0, true, "", "", Be64(7)));
  // The created item is the decimal text with flags 0.
  EXPECT_EQ(One(Packet(kGet, "d")), Hit(kGet, 0, "7"));
  EXPECT_EQ(One(Packet(kSet, "w", "18446744073709551615", StoreExtras(0, 0))), Ok(kSet, 0, true));
  EXPECT_EQ(One(Packet(kIncr, "w", {}, DeltaExtras(2, 0, 0))),
            Expect(kIncr, 0, 0, true, "", "", Be64(1)));
  EXPECT_EQ(One(Packet(kSet, "t", "abc", StoreExtras(0, 0))), Ok(kSet, 0, true));
  EXPECT_EQ(One(Packet(kIncr, "t", {}, DeltaExtras(1, 0, 0))),
            Err(kIncr, 6, "Non-numeric server-side value for incr or decr"));
  const auto stats = Stats(client(), "", 1);
  EXPECT_EQ(stats.at("incr_misses"), "1");  // only the no-create miss
  EXPECT_EQ(stats.at("incr_hits"), "2");
  EXPECT_EQ(stats.at("decr_hits"), "1");
}

TEST_P(BinaryProtocolTest, TouchAndGat) {
  EXPECT_EQ(One(Packet(kSet, "k", "val", StoreExtras(9, 0))), Ok(kSet, 0, true));
  // Touch answers with the flags and CAS but no value.
  EXPECT_EQ(One(Packet(kTouch, "k", {}, Exptime(100))),
            Expect(kTouch, 0, 0, true, std::string("\0\0\0\x09", 4), "", ""));
  EXPECT_EQ(One(Packet(kTouch, "nope", {}, Exptime(100))), Err(kTouch, 1, "Not found"));
  EXPECT_EQ(One(Packet(kGat, "k", {}, Exptime(100))), Hit(kGat, 9, "val"));
  EXPECT_EQ(One(Packet(kGatK, "k", {}, Exptime(100))), Hit(kGatK, 9, "val", "k"));
  EXPECT_EQ(One(Packet(kGatK, "nope", {}, Exptime(100))),
            Expect(kGatK, 1, 0, false, "", "nope", ""));
  const auto stats = Stats(client(), "", 2);
  EXPECT_EQ(stats.at("cmd_touch"), "5");
  EXPECT_EQ(stats.at("touch_hits"), "3");
  EXPECT_EQ(stats.at("cmd_get"), "0");  // GAT counts as a touch only
}

TEST_P(BinaryProtocolClockTest, FlushWithDelay) {
  EXPECT_EQ(One(Packet(kSet, "k", "v", StoreExtras(0, 0))), Ok(kSet, 0, true));
  EXPECT_EQ(One(Packet(kFlush, {}, {}, Exptime(2))), Ok(kFlush));
  EXPECT_EQ(One(Packet(kGet, "k")), Hit(kGet, 0, "v")) << "still there before the delay";
  ASSERT_TRUE(AdvanceClock(2));
  EXPECT_EQ(One(Packet(kGet, "k")), Err(kGet, 1, "Not found"));
  EXPECT_EQ(One(Packet(kSet, "k", "v", StoreExtras(0, 0))), Ok(kSet, 0, true));
  EXPECT_EQ(One(Packet(kFlush)), Ok(kFlush));
  EXPECT_EQ(One(Packet(kGet, "k")), Err(kGet, 1, "Not found"));
  EXPECT_EQ(Stats(client(), "", 0).at("cmd_flush"), "2");
}

TEST_P(BinaryProtocolTest, StatGroups) {
  EXPECT_EQ(One(Packet(kSet, "k", "v", StoreExtras(0, 0))), Ok(kSet, 0, true));
  auto general = Stats(client(), "", 11);
  EXPECT_EQ(general.at("version"), MemcachedVersion());
  EXPECT_EQ(general.at("cmd_set"), "1");
  EXPECT_EQ(general.at("curr_items"), "1");
  // Class 1 in memcached (96 bytes); slabcached's default classes (32, 40, ...:
  // finer, to waste less memory per item) put this 40-byte item in class 2.
  const std::string cls = IsReference() ? "1" : "2";
  EXPECT_EQ(Stats(client(), "items", 12).at("items:" + cls + ":number"), "1");
  EXPECT_EQ(Stats(client(), "slabs", 13).at("active_slabs"), "1");
  auto settings = Stats(client(), "settings", 14);
  EXPECT_EQ(settings.at("item_size_max"), "1048576");
  EXPECT_EQ(settings.at("binding_protocol"), "auto-negotiate");
  EXPECT_EQ(settings.at("auth_enabled_sasl"), "no");
  EXPECT_EQ(Stats(client(), "sizes", 15),
            (std::map<std::string, std::string>{{"sizes_status", "disabled"}}));
  EXPECT_TRUE(Stats(client(), "reset", 16).empty());
  EXPECT_EQ(Stats(client(), "", 17).at("cmd_set"), "0");
  EXPECT_EQ(One(Packet(kStat, "bogus")), Err(kStat, 1, "Not found"));
}

TEST_P(BinaryProtocolTest, BigValuesAtTheItemLimit) {
  // -I 1m: the item (header + key + value + 2) must fit in 1 MiB.
  const std::string fits = PatternValue(1024 * 1024 - 512);  // chained from 512 KB chunks
  EXPECT_EQ(One(Packet(kSet, "big", fits, StoreExtras(0, 0))), Ok(kSet, 0, true));
  ASSERT_TRUE(client().Send(Packet(kGet, "big")));
  const Resp hit = Read(client());
  ASSERT_TRUE(hit.ok);
  EXPECT_EQ(hit.value.size(), fits.size());
  EXPECT_EQ(hit.value, fits);
  // Too large: E2BIG, the value is swallowed, and a failed set drops the old value.
  const std::string too_big(1024 * 1024, 'y');
  EXPECT_EQ(Exchange(client(), Packet(kSet, "big", too_big, StoreExtras(0, 0)) + Packet(kNoop), 2),
            (std::vector<std::string>{Err(kSet, 3, "Too large."), Ok(kNoop)}));
  EXPECT_EQ(One(Packet(kGet, "big")), Err(kGet, 1, "Not found"));
  EXPECT_EQ(Exchange(client(), Packet(kAppend, "big", too_big) + Packet(kNoop), 2),
            (std::vector<std::string>{Err(kAppend, 3, "Too large."), Ok(kNoop)}));
}

TEST_P(BinaryProtocolTest, UnknownOpcodesAnswer0x81AndContinue) {
  EXPECT_EQ(Exchange(client(), Packet(0x40, {}, "abc", {}, 7) + Packet(kNoop, {}, {}, {}, 8), 2),
            (std::vector<std::string>{Err(0x40, 0x81, "Unknown command", 7), Ok(kNoop, 8)}));
  EXPECT_EQ(One(Packet(0x30)), Err(0x30, 0x81, "Unknown command"));
  // Verbosity is not implemented. memcached swallows bodylen bytes counted from the end of the
  // key (here 4 more bytes than the request had), so pad before the next request.
  EXPECT_EQ(Exchange(client(), Packet(kVerbosity, {}, {}, Exptime(1)) + "PADD" + Packet(kNoop), 2),
            (std::vector<std::string>{Err(kVerbosity, 0x81, "Unknown command"), Ok(kNoop)}));
  // Without -S the SASL opcodes are unknown too.
  EXPECT_EQ(One(Packet(kSaslList)), Err(kSaslList, 0x81, "Unknown command"));
  EXPECT_EQ(
      Exchange(client(), Packet(kSaslAuth, "PLAIN", std::string("\0u\0p", 4)) + Packet(kNoop), 2),
      (std::vector<std::string>{Err(kSaslAuth, 0x81, "Unknown command"), Ok(kNoop)}));
}

struct FramingCase {
  const char* name;
  std::string request;
  std::string reply;  // empty: closed without a reply
};

TEST_P(BinaryProtocolTest, FramingErrorsCloseTheConnection) {
  Req keylen_over_body;
  keylen_over_body.op = kGet;
  keylen_over_body.key = "abc";
  keylen_over_body.bodylen = 2;
  Req huge_body;
  huge_body.op = kGet;
  huge_body.key = "k";
  huge_body.bodylen = (1 << 30) + 1;
  Req bad_magic;
  bad_magic.op = kGet;
  bad_magic.key = "k";
  bad_magic.magic = 0x81;
  const std::vector<FramingCase> cases = {
      {"keylen > bodylen", Encode(keylen_over_body), Err(kGet, 0x81, "Unknown command")},
      {"bodylen > 1 GB", Encode(huge_body), Err(kGet, 4, "Invalid arguments")},
      {"key > 250", Packet(kGet, std::string(251, 'k')), Err(kGet, 4, "Invalid arguments")},
      {"get with extras", Packet(kGet, "k", {}, Exptime(0)), Err(kGet, 4, "Invalid arguments")},
      {"set without extras", Packet(kSet, "k", "v"), Err(kSet, 4, "Invalid arguments")},
      {"delete with a value", Packet(kDelete, "k", "v"), Err(kDelete, 4, "Invalid arguments")},
      {"incr with 8-byte extras", Packet(kIncr, "k", {}, StoreExtras(0, 0)),
       Err(kIncr, 4, "Invalid arguments")},
      {"noop with a key", Packet(kNoop, "k"), Err(kNoop, 4, "Invalid arguments")},
      {"flush with 3-byte extras", Packet(kFlush, {}, {}, "abc"),
       Err(kFlush, 4, "Invalid arguments")},
      {"touch without extras", Packet(kTouch, "k"), Err(kTouch, 4, "Invalid arguments")},
      // After a binary request (a first byte of 0x81 would mean text).
      {"bad magic", Packet(kNoop) + Encode(bad_magic), Ok(kNoop)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(conn->Send(c.request));
    if (!c.reply.empty()) {
      EXPECT_EQ(Show(Read(*conn)), c.reply);
    }
    EXPECT_TRUE(conn->ExpectClosed());
  }
}

TEST_P(BinaryProtocolTest, QuitAndQuitQ) {
  ASSERT_TRUE(client().Send(Packet(kQuit, {}, {}, {}, 5)));
  EXPECT_EQ(Show(Read(client())), Ok(kQuit, 5));
  EXPECT_TRUE(client().ExpectClosed());
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(Packet(kQuitQ)));
  EXPECT_TRUE(c->ExpectClosed());
}

TEST_P(BinaryProtocolTest, TextAndBinaryShareOneStore) {
  EXPECT_EQ(One(Packet(kSet, "shared", "42", StoreExtras(3, 0))), Ok(kSet, 0, true));
  auto text = Connect();
  ASSERT_NE(text, nullptr);
  EXPECT_TRUE(text->Roundtrip("incr shared 8\r\n", "50\r\n"));
  EXPECT_EQ(One(Packet(kGet, "shared")), Hit(kGet, 3, "50"));
}

// -B picks the protocol per daemon: ascii treats 0x80 as a (bad) text line, binary closes a
// text client once 24 bytes have arrived.
TEST_P(BinaryProtocolTest, ProtocolFlag) {
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-B", "ascii"});
  auto ascii = StartDaemon(flags);
  ASSERT_NE(ascii, nullptr);
  auto c = Connect(ascii.get());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip(Packet(kGet, "k") + "\r\n", "ERROR\r\n"));
  EXPECT_TRUE(c->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));

  flags = DefaultFlags();
  flags.insert(flags.end(), {"-B", "binary"});
  auto binary = StartDaemon(flags);
  ASSERT_NE(binary, nullptr);
  c = Connect(binary.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Exchange(*c, Packet(kVersion), 1)[0],
            Expect(kVersion, 0, 0, false, "", "", MemcachedVersion()));
  auto t = Connect(binary.get());
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->Send("get aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"));
  EXPECT_TRUE(t->ExpectClosed());
}

TEST_P(BinaryProtocolTest, SaslRefusesTheAsciiProtocol) {
  SKIP_IF_ATTACHED();
  for (const char* protocol : {"ascii", "auto"}) {
    const ExitResult r = RunToExit(binary(), {"-S", "-B", protocol, "-p", "0", "-U", "0"});
    ASSERT_TRUE(r.exited) << r.Describe();
    EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 64) << r.Describe();
    EXPECT_NE(r.output.find("You cannot allow the ASCII protocol while using SASL"),
              std::string::npos)
        << r.output;
  }
}

INSTANTIATE_TEST_SUITE_P(BinaryProtocol, BinaryProtocolTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);
INSTANTIATE_TEST_SUITE_P(BinaryProtocol, BinaryProtocolClockTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

// SASL PLAIN. Only against slabcached: Debian's memcached authenticates through libsasl2, which
// needs a sasldb (saslpasswd2 from sasl2-bin, not a test dependency) or saslauthd.
class SaslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    const auto bin = FindServerBinary(Server::kSlabcached, &why);
    if (!bin) GTEST_SKIP() << why;
    binary_ = *bin;
    char path[] = "/tmp/slabcached-sasl-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    pwdb_ = path;
    std::ofstream(pwdb_) << "# test users\nalice:s3cret:with:colons\nbob:hunter2\n";
  }
  void TearDown() override {
    if (!pwdb_.empty()) unlink(pwdb_.c_str());
  }
  std::string binary_;
  std::string pwdb_;
};

std::string Plain(std::string_view user, std::string_view password) {
  return std::string(1, '\0') + std::string(user) + '\0' + std::string(password);
}

TEST_F(SaslTest, PlainWithRightAndWrongPasswords) {
  std::vector<std::string> flags = DefaultFlags();
  flags.insert(flags.end(), {"-S", "-o", "sasl_pwdb=" + pwdb_});
  std::string error;
  auto d = Daemon::Start(binary_, flags, &error);
  ASSERT_NE(d, nullptr) << error;
  auto c = Client::Connect(d->host(), d->port(), &error);
  ASSERT_NE(c, nullptr) << error;

  ASSERT_TRUE(c->Send(Packet(kSaslList) + Packet(kVersion)));
  EXPECT_EQ(Show(Read(*c)), Expect(kSaslList, 0, 0, false, "", "", "PLAIN"));
  EXPECT_EQ(Show(Read(*c)), Expect(kVersion, 0, 0, false, "", "", "1.6.45"));
  ASSERT_TRUE(c->Send(Packet(kSaslAuth, "PLAIN", Plain("alice", "wrong"), {}, 1) +
                      Packet(kSaslAuth, "PLAIN", Plain("mallory", "x"), {}, 2) +
                      Packet(kSaslAuth, "CRAM-MD5", "x", {}, 3) +
                      Packet(kSaslStep, "PLAIN", "x", {}, 4) +
                      Packet(kSaslAuth, std::string(33, 'M'), "x", {}, 5) +
                      Packet(kSaslAuth, "PLAIN", Plain("alice", "s3cret:with:colons"), {}, 6)));
  EXPECT_EQ(Show(Read(*c)), Err(kSaslAuth, 0x20, "Auth failure.", 1));
  EXPECT_EQ(Show(Read(*c)), Err(kSaslAuth, 0x20, "Auth failure.", 2));
  EXPECT_EQ(Show(Read(*c)), Err(kSaslAuth, 0x20, "Auth failure.", 3));
  EXPECT_EQ(Show(Read(*c)), Err(kSaslStep, 0x20, "Auth failure.", 4));
  EXPECT_EQ(Show(Read(*c)), Err(kSaslAuth, 4, "Invalid arguments", 5));
  EXPECT_EQ(Show(Read(*c)), Expect(kSaslAuth, 0, 6, false, "", "", "Authenticated"));
  ASSERT_TRUE(c->Send(Packet(kSet, "k", "v", StoreExtras(0, 0)) + Packet(kGet, "k")));
  EXPECT_EQ(Show(Read(*c)), Ok(kSet, 0, true));
  EXPECT_EQ(Show(Read(*c)), Hit(kGet, 0, "v"));
  ASSERT_TRUE(c->Send(Packet(kStat)));
  std::map<std::string, std::string> stats;
  for (Resp r = Read(*c); r.ok && !r.key.empty(); r = Read(*c)) stats[r.key] = r.value;
  EXPECT_EQ(stats["auth_cmds"], "5");
  EXPECT_EQ(stats["auth_errors"], "4");

  // An unauthenticated request gets "Auth failure." and the connection is closed.
  auto u = Client::Connect(d->host(), d->port(), &error);
  ASSERT_NE(u, nullptr) << error;
  ASSERT_TRUE(u->Send(Packet(kGet, "k", {}, {}, 9)));
  EXPECT_EQ(Show(Read(*u)), Err(kGet, 0x20, "Auth failure.", 9));
  EXPECT_TRUE(u->ExpectClosed());
  // -S alone means -B binary: a text client is cut off.
  auto t = Client::Connect(d->host(), d->port(), &error);
  ASSERT_NE(t, nullptr) << error;
  ASSERT_TRUE(t->Send("get kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\r\n"));
  EXPECT_TRUE(t->ExpectClosed());
}

TEST_F(SaslTest, NeedsAPasswordFile) {
  const ExitResult r =
      RunToExit(binary_, {"-S", "-p", "0", "-U", "0", "-o", "sasl_pwdb=/nonexistent"});
  ASSERT_TRUE(r.exited) << r.Describe();
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 64) << r.Describe();
  EXPECT_NE(r.output.find("/nonexistent"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace slabcached::testing
