// The text protocol over raw sockets, exact bytes, one behaviour per test. Topics follow
// memcached's t/*.t files (getset, noreply, cas, incrdecr, flags, expirations, flush-all,
// bogus-commands, malicious-commands, issue_70, issue_152, stats, shutdown, maxconns, dash-M,
// item_size_max, 00-startup). Every test runs against the daemon under test (SLABCACHED_BIN) and
// against the reference (MEMCACHED_BIN, Debian's memcached 1.6.18).
//
// Where memcached 1.6.18 differs from the acceptance spec (protocol-reference.md, written from
// 1.6.x HEAD), the test names the difference and accepts both byte strings, asserting only what
// a client relies on.
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/pattern.h"
#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using std::chrono::milliseconds;

class TextProtocolTest : public ServerTest {};
// Tests that let time pass on the server's clock (AdvanceClock).
class TextProtocolClockTest : public TextProtocolTest {
 protected:
  bool UsesTestClock() const override { return true; }
};

// One parsed "VALUE <key> <flags> <bytes> [<cas>]" hit.
struct Hit {
  std::string key;
  uint64_t flags = 0;
  std::string data;
  std::optional<uint64_t> cas;
};

uint64_t ToU64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(ec == std::errc() && ptr == s.data() + s.size()) << "not a number: " << Escape(s);
  return v;
}

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    auto space = line.find(' ');
    if (space != 0) out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return out;
}

std::string_view Chomp(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// Sends a retrieval command and parses the reply into hits (fails the test on bad framing).
std::vector<Hit> Retrieve(Client& c, std::string_view request) {
  std::vector<Hit> hits;
  EXPECT_TRUE(c.Send(request));
  while (true) {
    std::string line = c.ReadLine();
    if (line == "END\r\n") break;
    auto tokens = Split(Chomp(line));
    if (tokens.size() < 4 || tokens[0] != "VALUE") {
      ADD_FAILURE() << "unexpected reply line " << Escape(line) << " to " << Escape(request);
      break;
    }
    Hit hit;
    hit.key = tokens[1];
    hit.flags = ToU64(tokens[2]);
    size_t len = ToU64(tokens[3]);
    if (tokens.size() >= 5) hit.cas = ToU64(tokens[4]);
    std::string block = c.ReadExactly(len + 2);
    if (block.size() != len + 2 || !block.ends_with("\r\n")) {
      ADD_FAILURE() << "bad data block " << Escape(block) << " for " << Escape(line);
      break;
    }
    hit.data = block.substr(0, len);
    hits.push_back(std::move(hit));
  }
  return hits;
}

std::optional<Hit> GetOne(Client& c, std::string_view cmd, std::string_view key) {
  auto hits = Retrieve(c, std::string(cmd) + " " + std::string(key) + "\r\n");
  if (hits.empty()) return std::nullopt;
  EXPECT_EQ(hits.size(), 1u);
  return hits[0];
}

uint64_t CasOf(Client& c, std::string_view key) {
  auto hit = GetOne(c, "gets", key);
  EXPECT_TRUE(hit && hit->cas) << "gets " << key << " returned no cas";
  return hit && hit->cas ? *hit->cas : 0;
}

// incr/decr may pad the stored value with spaces (in-place update): compare trimmed.
std::string TrimRight(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Arguments for a server that is expected to exit during startup (never listens).
std::vector<std::string> StartupArgs() {
  std::vector<std::string> args = {"-p", "0", "-U", "0", "-l", "127.0.0.1"};
  if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
  return args;
}

int64_t StatInt(const std::map<std::string, std::string>& stats, const std::string& name) {
  auto it = stats.find(name);
  EXPECT_NE(it, stats.end()) << "no STAT " << name;
  if (it == stats.end()) return -1;
  return static_cast<int64_t>(ToU64(it->second));
}

// ---------------------------------------------------------------- getset

TEST_P(TextProtocolTest, SetGet) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "foo", "fooval", 5), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get foo\r\n", ValueReply("foo", "fooval", 5) + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "foo", "newval", 7), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get foo\r\n", ValueReply("foo", "newval", 7) + "END\r\n"));
}

TEST_P(TextProtocolTest, GetMissReturnsOnlyEnd) {
  EXPECT_TRUE(client().Roundtrip("get nosuchkey\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, AddOnlyStoresMissingKeys) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("add", "k", "first"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("add", "k", "second"), "NOT_STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "first") + "END\r\n"));
}

TEST_P(TextProtocolTest, ReplaceOnlyStoresExistingKeys) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("replace", "k", "x"), "NOT_STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "old"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("replace", "k", "new", 3), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "new", 3) + "END\r\n"));
}

TEST_P(TextProtocolTest, AppendPrependKeepFlags) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("append", "k", "x"), "NOT_STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("prepend", "k", "x"), "NOT_STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "mid", 42), "STORED\r\n"));
  // append/prepend ignore their own flags and exptime.
  EXPECT_TRUE(client().Roundtrip(StorageCommand("append", "k", "_end", 7, -1), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("prepend", "k", "start_", 9), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "start_mid_end", 42) + "END\r\n"));
}

TEST_P(TextProtocolTest, DeleteThenNotFound) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("delete k\r\n", "DELETED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("delete k\r\n", "NOT_FOUND\r\n"));
}

// t/issue_108.t: the legacy "delete <key> 0" form is accepted.
TEST_P(TextProtocolTest, DeleteWithLegacyZeroTime) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("delete k 0\r\n", "DELETED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, GetsReturnsCasThatChangesOnEveryStore) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v1"), "STORED\r\n"));
  auto first = GetOne(client(), "gets", "k");
  ASSERT_TRUE(first && first->cas);
  EXPECT_EQ(first->data, "v1");
  EXPECT_EQ(CasOf(client(), "k"), *first->cas) << "a read must not change the cas";
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v2"), "STORED\r\n"));
  EXPECT_NE(CasOf(client(), "k"), *first->cas);
  // "get" never shows the cas field.
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "v2") + "END\r\n"));
}

TEST_P(TextProtocolTest, CasStoresOnlyWithMatchingUnique) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v1"), "STORED\r\n"));
  uint64_t cas = CasOf(client(), "k");
  std::string stale = "cas k 0 0 2 " + std::to_string(cas + 1000) + "\r\nzz\r\n";
  EXPECT_TRUE(client().Roundtrip(stale, "EXISTS\r\n"));
  std::string good = "cas k 3 0 2 " + std::to_string(cas) + "\r\nv2\r\n";
  EXPECT_TRUE(client().Roundtrip(good, "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(good, "EXISTS\r\n")) << "the cas changed with the store";
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "v2", 3) + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("cas missing 0 0 1 1\r\nx\r\n", "NOT_FOUND\r\n"));
}

// t/cas.t: two clients race on one cas unique.
TEST_P(TextProtocolTest, CasTwoConnections) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "foo", "barval"), "STORED\r\n"));
  uint64_t cas1 = CasOf(client(), "foo");
  uint64_t cas2 = CasOf(*other, "foo");
  EXPECT_EQ(cas1, cas2);
  std::string req1 = "cas foo 0 0 6 " + std::to_string(cas1) + "\r\nbarva2\r\n";
  std::string req2 = "cas foo 0 0 6 " + std::to_string(cas2) + "\r\nbarva3\r\n";
  EXPECT_TRUE(client().Roundtrip(req1, "STORED\r\n"));
  EXPECT_TRUE(other->Roundtrip(req2, "EXISTS\r\n"));
  EXPECT_TRUE(other->Roundtrip("get foo\r\n", ValueReply("foo", "barva2") + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("delete foo\r\n", "DELETED\r\n"));
  EXPECT_TRUE(other->Roundtrip(req2, "NOT_FOUND\r\n"));
}

TEST_P(TextProtocolTest, CasWithNonNumericUniqueIsRejectedWithoutSwallow) {
  // The data line is not swallowed: it is parsed (and rejected) as a command.
  EXPECT_TRUE(client().Roundtrip("cas k 0 0 1 abc\r\nx\r\n",
                                 "CLIENT_ERROR bad command line format\r\nERROR\r\n"));
}

TEST_P(TextProtocolTest, MultiGetReturnsHitsInRequestOrder) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "a", "1", 1), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "c", "333", 3), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(
      "get miss1 c a miss2 c\r\n",
      ValueReply("c", "333", 3) + ValueReply("a", "1", 1) + ValueReply("c", "333", 3) + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("get x y z\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, MultiGetsReturnsCasForEveryHit) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "a", "1"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "b", "2"), "STORED\r\n"));
  auto hits = Retrieve(client(), "gets a nope b\r\n");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].key, "a");
  EXPECT_EQ(hits[1].key, "b");
  ASSERT_TRUE(hits[0].cas && hits[1].cas);
  EXPECT_NE(*hits[0].cas, *hits[1].cas);
}

TEST_P(TextProtocolTest, PipelinedCommandsInOneWrite) {
  std::string request, expected;
  for (int i = 0; i < 200; ++i) {
    std::string key = "key" + std::to_string(i), value = "value" + std::to_string(i);
    request += StorageCommand("set", key, value, i);
    request += "get " + key + "\r\n";
    request += "delete " + key + "\r\n";
    request += "get " + key + "\r\n";
    expected += "STORED\r\n" + ValueReply(key, value, i) + "END\r\nDELETED\r\nEND\r\n";
  }
  EXPECT_TRUE(client().Roundtrip(request, expected));
}

TEST_P(TextProtocolTest, RequestSplitIntoSingleBytesIsReassembled) {
  std::string request = StorageCommand("set", "frag", "fragmented value") + "get frag\r\n";
  for (char ch : request) {
    ASSERT_TRUE(client().Send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_TRUE(
      client().Roundtrip("", "STORED\r\n" + ValueReply("frag", "fragmented value") + "END\r\n"));
}

// t/getset.t: values up to 1 MiB minus the item overhead are stored with the default -I 1m.
TEST_P(TextProtocolTest, LargestValueUnderItemSizeMax) {
  const std::string value = PatternValue(1024 * 1024 - 512);  // chained from 512 KB chunks
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  auto hit = GetOne(client(), "get", "big");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->data.size(), value.size());
  EXPECT_TRUE(hit->data == value);
}

// t/getset.t: a too-large set fails, its data is swallowed, and the old value is gone.
TEST_P(TextProtocolTest, TooLargeValueFailsDeletesOldValueAndSwallowsData) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "big", "small"), "STORED\r\n"));
  const std::string value(1024 * 1024 + 1024, 'x');
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "big", value) + "get big\r\n",
                                 "SERVER_ERROR object too large for cache\r\nEND\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "big", "ok"), "STORED\r\n"));
}

TEST_P(TextProtocolTest, TooLargeAppendKeepsOldValue) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "0123456789"), "STORED\r\n"));
  const std::string value(1024 * 1024 + 1024, 'x');
  EXPECT_TRUE(client().Roundtrip(
      StorageCommand("append", "k", value) + "get k\r\n",
      "SERVER_ERROR object too large for cache\r\n" + ValueReply("k", "0123456789") + "END\r\n"));
}

TEST_P(TextProtocolTest, ZeroLengthValue) {  // t/issue_29.t
  EXPECT_TRUE(client().Roundtrip("set empty 0 0 0\r\n\r\n", "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get empty\r\n", "VALUE empty 0 0\r\n\r\nEND\r\n"));
  EXPECT_TRUE(client().Roundtrip("append empty 0 0 0\r\n\r\n", "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get empty\r\n", "VALUE empty 0 0\r\n\r\nEND\r\n"));
}

TEST_P(TextProtocolTest, BinaryValueBytesRoundTrip) {
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += "\r\nEND\r\n";  // data is length-framed, never parsed
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "bin", value), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get bin\r\n", ValueReply("bin", value) + "END\r\n"));
}

// t/issue_70.t: a bad <bytes> is a command line error, and nothing is swallowed.
TEST_P(TextProtocolTest, BadByteCountIsRejectedWithoutSwallow) {
  for (const char* bytes : {"-1", "4294967295", "2147483647", "abc"}) {
    SCOPED_TRACE(bytes);
    EXPECT_TRUE(client().Roundtrip(std::string("set k 0 0 ") + bytes + "\r\n",
                                   "CLIENT_ERROR bad command line format\r\n"));
  }
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
}

// t/issue_152.t: keys are at most 250 bytes.
TEST_P(TextProtocolTest, KeyOf250BytesWorks) {
  const std::string key(250, 'a');
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", key, "v"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get " + key + "\r\n", ValueReply(key, "v") + "END\r\n"));
}

TEST_P(TextProtocolTest, KeyOf251BytesIsRejected) {
  const std::string key(251, 'a');
  EXPECT_TRUE(
      client().Roundtrip("get " + key + "\r\n", "CLIENT_ERROR bad command line format\r\n"));
  // One long key fails the whole multiget.
  EXPECT_TRUE(
      client().Roundtrip("get a " + key + "\r\n", "CLIENT_ERROR bad command line format\r\n"));
  // A storage command with a long key is rejected before its data, which then is a command.
  EXPECT_TRUE(client().Roundtrip("set " + key + " 0 0 1\r\nx\r\n",
                                 "CLIENT_ERROR bad command line format\r\nERROR\r\n"));
}

// The data block must be exactly <bytes> then "\r\n". memcached reads <bytes>+2, rejects the
// block, and parses whatever follows as the next command.
TEST_P(TextProtocolTest, BadDataChunkThenNextCommandIsParsed) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "old"), "STORED\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("set k 0 0 3\r\nabcde"
                         "get k\r\n",
                         "CLIENT_ERROR bad data chunk\r\n" + ValueReply("k", "old") + "END\r\n"));
}

TEST_P(TextProtocolTest, BareNewlineLineEndings) {
  // Command lines may end in "\n"; the data block still ends in "\r\n".
  EXPECT_TRUE(client().Roundtrip("set k 0 0 5\nhello\r\nget k\n",
                                 "STORED\r\n" + ValueReply("k", "hello") + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("delete k\n", "DELETED\r\n"));
}

TEST_P(TextProtocolTest, ExtraSpacesBetweenTokens) {
  EXPECT_TRUE(client().Roundtrip("set  k  1  0  1 \r\nx\r\n", "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get  k \r\n", ValueReply("k", "x", 1) + "END\r\n"));
}

// ---------------------------------------------------------------- noreply

TEST_P(TextProtocolTest, NoreplyStorageCommandsAreSilent) {
  std::string request = StorageCommand("set", "k", "1", 5, 0, true) +
                        StorageCommand("add", "k", "x", 0, 0, true) +      // NOT_STORED
                        StorageCommand("add", "a", "A", 0, 0, true) +      // STORED
                        StorageCommand("replace", "k", "2", 6, 0, true) +  // STORED
                        StorageCommand("replace", "none", "x", 0, 0, true) +
                        StorageCommand("append", "k", "3", 0, 0, true) +
                        StorageCommand("prepend", "k", "1", 0, 0, true) +
                        StorageCommand("append", "none", "x", 0, 0, true) + "get k a none\r\n";
  EXPECT_TRUE(
      client().Roundtrip(request, ValueReply("k", "123", 6) + ValueReply("a", "A") + "END\r\n"));
}

TEST_P(TextProtocolTest, NoreplyCasIsSilent) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v1"), "STORED\r\n"));
  uint64_t cas = CasOf(client(), "k");
  std::string request = "cas k 0 0 2 " + std::to_string(cas) + " noreply\r\nv2\r\n" +  // STORED
                        "cas k 0 0 2 " + std::to_string(cas) + " noreply\r\nv3\r\n" +  // EXISTS
                        "cas none 0 0 2 1 noreply\r\nv4\r\n" +                         // NOT_FOUND
                        "get k none\r\n";
  EXPECT_TRUE(client().Roundtrip(request, ValueReply("k", "v2") + "END\r\n"));
}

TEST_P(TextProtocolTest, NoreplyArithmeticDeleteTouchAreSilent) {
  std::string request = StorageCommand("set", "n", "10", 0, 0, true) +
                        "incr n 5 noreply\r\n"
                        "decr n 3 noreply\r\n"
                        "incr none 1 noreply\r\n"
                        "touch n 1000 noreply\r\n"
                        "touch none 1000 noreply\r\n" +
                        StorageCommand("set", "d", "x", 0, 0, true) +
                        "delete d noreply\r\n"
                        "delete d noreply\r\n"
                        "get n d\r\n";
  ASSERT_TRUE(client().Send(request));
  EXPECT_EQ(client().ReadLine(), "VALUE n 0 2\r\n");
  EXPECT_EQ(client().ReadLine(), "12\r\n");
  EXPECT_EQ(client().ReadLine(), "END\r\n");
}

TEST_P(TextProtocolTest, NoreplyFlushAllAndVerbosityAreSilent) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("flush_all noreply\r\nverbosity 0 noreply\r\nget k\r\n", "END\r\n"));
  EXPECT_TRUE(client().ExpectSilence(milliseconds(100)));
}

// ---------------------------------------------------------------- incrdecr

TEST_P(TextProtocolTest, IncrDecrBasics) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "num", "1"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr num 1\r\n", "2\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr num 8\r\n", "10\r\n"));
  EXPECT_TRUE(client().Roundtrip("decr num 1\r\n", "9\r\n"));
  EXPECT_TRUE(client().Roundtrip("decr num 9\r\n", "0\r\n"));
  auto hit = GetOne(client(), "get", "num");
  ASSERT_TRUE(hit);
  EXPECT_EQ(TrimRight(hit->data), "0");
}

TEST_P(TextProtocolTest, DecrFloorsAtZero) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "num", "5"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("decr num 10\r\n", "0\r\n"));
  EXPECT_TRUE(client().Roundtrip("decr num 5\r\n", "0\r\n"));
}

TEST_P(TextProtocolTest, IncrWrapsAt2To64) {
  EXPECT_TRUE(
      client().Roundtrip(StorageCommand("set", "num", "18446744073709551615"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr num 1\r\n", "0\r\n"));
  auto hit = GetOne(client(), "get", "num");
  ASSERT_TRUE(hit);
  EXPECT_EQ(TrimRight(hit->data), "0");
  EXPECT_TRUE(
      client().Roundtrip(StorageCommand("set", "num", "18446744073709551610"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr num 10\r\n", "4\r\n"));
}

TEST_P(TextProtocolTest, IncrGrowsValueLength) {  // t/issue_68.t shape
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "num", "99", 17), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr num 1\r\n", "100\r\n"));
  EXPECT_TRUE(client().Roundtrip("get num\r\n", ValueReply("num", "100", 17) + "END\r\n"));
}

TEST_P(TextProtocolTest, DecrShrinkMayPadWithSpaces) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "num", "100"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("decr num 91\r\n", "9\r\n"));
  auto hit = GetOne(client(), "get", "num");
  ASSERT_TRUE(hit);
  EXPECT_EQ(TrimRight(hit->data), "9");
  EXPECT_TRUE(client().Roundtrip("incr num 1\r\n", "10\r\n")) << "a padded value still counts";
}

TEST_P(TextProtocolTest, IncrChangesCas) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "num", "1"), "STORED\r\n"));
  uint64_t before = CasOf(client(), "num");
  EXPECT_TRUE(client().Roundtrip("incr num 1\r\n", "2\r\n"));
  EXPECT_NE(CasOf(client(), "num"), before);
}

TEST_P(TextProtocolTest, IncrMissingKeyIsNotFound) {
  EXPECT_TRUE(client().Roundtrip("incr nope 1\r\n", "NOT_FOUND\r\n"));
  EXPECT_TRUE(client().Roundtrip("decr nope 1\r\n", "NOT_FOUND\r\n"));
}

TEST_P(TextProtocolTest, IncrNonNumericValue) {
  const std::string error = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "text", "hello"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr text 1\r\n", error));
  EXPECT_TRUE(client().Roundtrip("decr text 1\r\n", error));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "empty", ""), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr empty 1\r\n", error));
  // Larger than u64 (strtoull ERANGE).
  EXPECT_TRUE(
      client().Roundtrip(StorageCommand("set", "huge", "18446744073709551616"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr huge 1\r\n", error));
  EXPECT_TRUE(client().Roundtrip("get text\r\n", ValueReply("text", "hello") + "END\r\n"));
}

TEST_P(TextProtocolTest, IncrInvalidDelta) {
  const std::string error = "CLIENT_ERROR invalid numeric delta argument\r\n";
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "num", "5"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("incr num -1\r\n", error));
  EXPECT_TRUE(client().Roundtrip("incr num abc\r\n", error));
  EXPECT_TRUE(client().Roundtrip("decr num 18446744073709551616\r\n", error));
  EXPECT_TRUE(client().Roundtrip("incr num 0\r\n", "5\r\n"));
}

// ---------------------------------------------------------------- flags

TEST_P(TextProtocolTest, ClientFlagsRoundTrip) {
  for (uint64_t flags : {0ULL, 123ULL, 65535ULL, 2147483648ULL, 4294967295ULL}) {
    SCOPED_TRACE(flags);
    std::string request = "set f " + std::to_string(flags) + " 0 1\r\nx\r\n";
    EXPECT_TRUE(client().Roundtrip(request, "STORED\r\n"));
    EXPECT_TRUE(client().Roundtrip("get f\r\n", ValueReply("f", "x", flags) + "END\r\n"));
    auto hit = GetOne(client(), "gets", "f");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->flags, flags);
  }
}

TEST_P(TextProtocolTest, NegativeFlagsAreRejected) {
  EXPECT_TRUE(client().Roundtrip("set f -1 0 1\r\n", "CLIENT_ERROR bad command line format\r\n"));
}

// Flags are 32 bits. The spec (B.2, 1.6.x HEAD) rejects 2^32 with CLIENT_ERROR (the data line
// is then not swallowed). memcached 1.6.18 parses flags with strtoul and truncates them:
// "set f 4294967296 0 1" is STORED and reads back with flags 0. Both are accepted; what a
// client may rely on is that 2^32 never comes back as 2^32.
TEST_P(TextProtocolTest, FlagsOf2To32AreNotStoredAsIs) {
  ASSERT_TRUE(client().Send("set f 4294967296 0 1\r\nx\r\n"));
  std::string reply = client().ReadLine();
  if (reply == "STORED\r\n") {
    EXPECT_TRUE(client().Roundtrip("get f\r\n", ValueReply("f", "x", 0) + "END\r\n"))
        << "memcached 1.6.18 truncates 2^32 to 0";
  } else {
    EXPECT_EQ(reply, "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(client().ReadLine(), "ERROR\r\n") << "the data line is parsed as a command";
    EXPECT_TRUE(client().Roundtrip("get f\r\n", "END\r\n"));
  }
}

// ---------------------------------------------------------------- expirations

TEST_P(TextProtocolTest, NegativeExptimeStoresButExpiresImmediately) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v", 0, -1), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("add", "k", "v2"), "STORED\r\n"))
      << "an expired item does not block add";
}

TEST_P(TextProtocolTest, AbsoluteExptimeInThePastExpiresImmediately) {
  // > 30 days is an absolute Unix time; 2001-09-09 is long gone.
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v", 0, 1000000000), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, AbsoluteExptimeInTheFutureIsKept) {
  auto stats = client().Stats();
  int64_t now = StatInt(stats, "time");
  ASSERT_GT(now, 2592000);
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v", 0, now + 3600), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"));
}

TEST_P(TextProtocolTest, TouchSetsNewExptime) {
  EXPECT_TRUE(client().Roundtrip("touch k 10\r\n", "NOT_FOUND\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("touch k 1000\r\n", "TOUCHED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("touch k -1\r\n", "TOUCHED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, GatAndGatsReturnValueAndTouch) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v", 4), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("gat 1000 k nope\r\n", ValueReply("k", "v", 4) + "END\r\n"));
  auto hits = Retrieve(client(), "gats 1000 k\r\n");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].data, "v");
  ASSERT_TRUE(hits[0].cas);
  EXPECT_EQ(*hits[0].cas, CasOf(client(), "k"));
  // A negative exptime returns the value one last time, then it is gone.
  EXPECT_TRUE(client().Roundtrip("gat -1 k\r\n", ValueReply("k", "v", 4) + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, GatInvalidExptime) {
  EXPECT_TRUE(client().Roundtrip("gat abc k\r\n", "CLIENT_ERROR invalid exptime argument\r\n"));
}

// t/expirations.t: a TTL of 1 s is gone 2 s later, whether it came from set, touch or gat.
// (The clock ticks once a second, so TTL 1 expires after 0..2 s.) One wait for all three.
TEST_P(TextProtocolClockTest, ShortTtlExpires) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "set1", "a", 0, 1), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "touch1", "b", 0, 0), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("touch touch1 1\r\n", "TOUCHED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "gat1", "c", 0, 0), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("gat 1 gat1\r\n", ValueReply("gat1", "c") + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "keep", "d", 0, 100), "STORED\r\n"));
  ASSERT_TRUE(AdvanceClock(2));
  EXPECT_TRUE(
      client().Roundtrip("get set1 touch1 gat1 keep\r\n", ValueReply("keep", "d") + "END\r\n"));
}

// ---------------------------------------------------------------- flush_all

TEST_P(TextProtocolTest, FlushAllInvalidatesEverythingNow) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "a", "1"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "b", "2"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("flush_all\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("get a b\r\n", "END\r\n"));
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "a", "3"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get a\r\n", ValueReply("a", "3") + "END\r\n"))
      << "items stored after the flush are kept";
  EXPECT_TRUE(client().Roundtrip("flush_all 0\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("get a\r\n", "END\r\n"));
}

TEST_P(TextProtocolClockTest, FlushAllWithDelay) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("flush_all 2\r\nget k\r\n", "OK\r\n" + ValueReply("k", "v") + "END\r\n"));
  ASSERT_TRUE(AdvanceClock(2));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
}

TEST_P(TextProtocolTest, FlushAllInvalidDelay) {
  EXPECT_TRUE(client().Roundtrip("flush_all abc\r\n", "CLIENT_ERROR invalid exptime argument\r\n"));
}

// ---------------------------------------------------------------- bad input

TEST_P(TextProtocolTest, BogusCommandsGetError) {  // t/bogus-commands.t
  EXPECT_TRUE(client().Roundtrip("boguscommand slkdsldkfjsd\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("GET k\r\n", "ERROR\r\n")) << "commands are case-sensitive";
  EXPECT_TRUE(client().Roundtrip("\r\n", "ERROR\r\n"));
  // An unknown command has no data block: its "data" line is one more unknown command.
  EXPECT_TRUE(client().Roundtrip("sett k 0 0 1\r\nx\r\n", "ERROR\r\nERROR\r\n"));
  EXPECT_TRUE(client().RoundtripPrefix("version\r\n", "VERSION "));
}

TEST_P(TextProtocolTest, HttpRequestLineClosesConnection) {  // t/malicious-commands.t
  ASSERT_TRUE(client().Send("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(client().ExpectClosed());
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Send("PUT /foo/bar HTTP/1.1\r\n"));
  EXPECT_TRUE(other->ExpectClosed());
}

// 2048 bytes without a newline close the connection (there is no "line too long" reply).
TEST_P(TextProtocolTest, OverlongLineWithoutNewlineClosesConnection) {
  ASSERT_TRUE(client().Send(std::string(4096, 'x')));
  EXPECT_TRUE(client().ExpectClosed());
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Send("set k 0 0 1 " + std::string(4096, '0')));
  EXPECT_TRUE(other->ExpectClosed());
}

// t/getset.t: a get line may be long (large multigets), even when mostly spaces.
TEST_P(TextProtocolTest, LongGetLineIsAccepted) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get" + std::string(2048, ' ') + "nokey\r\n", "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("get" + std::string(2048, ' ') + "k\r\n",
                                 ValueReply("k", "v") + "END\r\n"));
}

TEST_P(TextProtocolTest, LargeMultiGetOfManyKeys) {
  std::string request = "get", expected;
  for (int i = 0; i < 500; ++i) {
    std::string key = "multikey_with_a_longer_name_" + std::to_string(i);
    request += " " + key;
    if (i % 7 == 0) {
      EXPECT_TRUE(client().Roundtrip(StorageCommand("set", key, std::to_string(i)), "STORED\r\n"));
      expected += ValueReply(key, std::to_string(i));
    }
  }
  ASSERT_GT(request.size(), 10000u);
  EXPECT_TRUE(client().Roundtrip(request + "\r\n", expected + "END\r\n"));
}

// ---------------------------------------------------------------- misc commands

TEST_P(TextProtocolTest, Version) {
  EXPECT_TRUE(client().RoundtripPrefix("version\r\n", "VERSION 1.6."));
}

TEST_P(TextProtocolTest, Verbosity) {
  EXPECT_TRUE(client().Roundtrip("verbosity 1\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("verbosity 0\r\n", "OK\r\n"));
  EXPECT_TRUE(client().Roundtrip("verbosity abc\r\n", "CLIENT_ERROR bad command line format\r\n"));
}

TEST_P(TextProtocolTest, QuitClosesConnection) {  // t/quit.t
  ASSERT_TRUE(client().Send("quit\r\n"));
  EXPECT_TRUE(client().ExpectClosed());
}

TEST_P(TextProtocolTest, QuitAfterPipelinedCommandsSendsTheirReplies) {
  ASSERT_TRUE(client().Send(StorageCommand("set", "k", "v") + "get k\r\nquit\r\nget k\r\n"));
  EXPECT_EQ(client().ReadExactly(8), "STORED\r\n");
  EXPECT_EQ(client().ReadLine(), "VALUE k 0 1\r\n");
  EXPECT_EQ(client().ReadLine(), "v\r\n");
  EXPECT_EQ(client().ReadLine(), "END\r\n");
  EXPECT_TRUE(client().ExpectClosed());
}

// ---------------------------------------------------------------- stats

TEST_P(TextProtocolTest, StatsHasTheGeneralCounters) {
  auto stats = client().Stats();
  for (const char* name :
       {"pid", "uptime", "time", "version", "curr_connections", "total_connections", "cmd_get",
        "cmd_set", "get_hits", "get_misses", "curr_items", "total_items", "bytes", "evictions",
        "limit_maxbytes", "threads"}) {
    EXPECT_TRUE(stats.count(name)) << "missing STAT " << name;
  }
  if (!attached()) {
    EXPECT_EQ(StatInt(stats, "pid"), daemon().pid());
    EXPECT_EQ(StatInt(stats, "limit_maxbytes"), 64 * 1024 * 1024);
    EXPECT_EQ(StatInt(stats, "threads"), 2);
  }
  EXPECT_TRUE(stats["version"].starts_with("1.6.")) << stats["version"];
  EXPECT_GE(StatInt(stats, "curr_connections"), 1);
  int64_t now = ::time(nullptr);
  EXPECT_NEAR(StatInt(stats, "time"), now, 5);
}

TEST_P(TextProtocolTest, StatsCountersFollowSetGetMiss) {
  auto before = client().Stats();
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "counted", "12345"), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("get counted\r\n", ValueReply("counted", "12345") + "END\r\n"));
  EXPECT_TRUE(client().Roundtrip("get missing1 missing2\r\n", "END\r\n"));
  auto after = client().Stats();
  auto delta = [&](const char* name) { return StatInt(after, name) - StatInt(before, name); };
  EXPECT_EQ(delta("cmd_set"), 1);
  EXPECT_EQ(delta("cmd_get"), 3) << "cmd_get counts keys, not commands";
  EXPECT_EQ(delta("get_hits"), 1);
  EXPECT_EQ(delta("get_misses"), 2);
  EXPECT_EQ(delta("curr_items"), 1);
  EXPECT_EQ(delta("total_items"), 1);
  EXPECT_GT(delta("bytes"), 5);
  EXPECT_EQ(delta("evictions"), 0);
}

// The group is a word, not an item key: one longer than 250 bytes (or of
// non-ASCII bytes) is an unknown group like any other.
TEST_P(TextProtocolTest, UnknownStatsGroupOfAnyLengthIsError) {
  EXPECT_TRUE(client().Roundtrip("stats " + std::string(300, 'x') + " y\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats " + std::string(260, '\xf7') + "\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().RoundtripPrefix("version\r\n", "VERSION 1.6."));
}

TEST_P(TextProtocolTest, StatsSettings) {
  auto settings = client().Stats("settings");
  ASSERT_FALSE(settings.empty());
  if (!attached()) {
    EXPECT_EQ(settings["maxbytes"], "67108864");
    EXPECT_EQ(settings["maxconns"], "1024");
    EXPECT_EQ(settings["tcpport"], std::to_string(daemon().port()));
    EXPECT_EQ(settings["item_size_max"], "1048576");
    EXPECT_EQ(settings["num_threads"], "2");
  }
  EXPECT_EQ(settings["evictions"], "on");
  EXPECT_EQ(settings["cas_enabled"], "yes");
}

TEST_P(TextProtocolTest, StatsSlabsAndItemsAfterASet) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "value"), "STORED\r\n"));
  auto slabs = client().Stats("slabs");
  EXPECT_TRUE(slabs.count("active_slabs"));
  EXPECT_TRUE(slabs.count("total_malloced"));
  EXPECT_GE(StatInt(slabs, "active_slabs"), 1);
  bool has_class = false;
  for (auto& [name, value] : slabs) has_class |= name.ends_with(":chunk_size");
  EXPECT_TRUE(has_class) << "no <class>:chunk_size line";

  auto items = client().Stats("items");
  int64_t total = 0;
  for (auto& [name, value] : items) {
    if (name.starts_with("items:") && name.ends_with(":number")) total += ToU64(value);
  }
  if (attached()) {
    EXPECT_GE(total, 1);  // a reused server may still hold flushed items (reclaimed lazily)
  } else {
    EXPECT_EQ(total, 1) << "items:<class>:number should count the one item";
  }
}

TEST_P(TextProtocolTest, StatsUnknownGroupIsError) {
  EXPECT_TRUE(client().Roundtrip("stats nosuchgroup\r\n", "ERROR\r\n"));
}

// ---------------------------------------------------------------- shutdown

// The spec (B.8, 1.6.x HEAD) says "SERVER_ERROR: shutdown not enabled"; memcached 1.6.18
// replies "ERROR: shutdown not enabled". Either is accepted; the server must keep serving.
TEST_P(TextProtocolTest, ShutdownDisabledWithoutDashA) {
  ASSERT_TRUE(client().Send("shutdown\r\n"));
  std::string reply = client().ReadLine();
  EXPECT_TRUE(reply == "ERROR: shutdown not enabled\r\n" ||
              reply == "SERVER_ERROR: shutdown not enabled\r\n")
      << Escape(reply);
  if (IsReference()) {
    EXPECT_EQ(reply, "ERROR: shutdown not enabled\r\n");
  }
  EXPECT_TRUE(client().RoundtripPrefix("version\r\n", "VERSION ")) << "still serving";
}

TEST_P(TextProtocolTest, ShutdownWithDashAStopsTheServer) {
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.push_back("-A");
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip("shutdown bogus\r\n", "CLIENT_ERROR invalid shutdown mode\r\n"));
  ASSERT_TRUE(c->Send("shutdown\r\n"));
  EXPECT_TRUE(c->ExpectClosed());
  int status = 0;
  ASSERT_TRUE(d->WaitForExit(kStopTimeout, &status)) << "still running after shutdown";
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
}

// ---------------------------------------------------------------- limits and flags

// t/maxconns.t. memcached 1.6.18 sets RLIMIT_NOFILE to -c and rejects an accepted socket whose
// fd is >= maxconns - 1: it writes "ERROR Too many open connections\r\n" and closes. How many
// clients fit therefore depends on the fds the server holds itself (memcached -t 2: 15, so
// -c 48 admits 32). What a client relies on: at most -c are admitted, the rejected one gets
// that line and EOF, and a slot frees up when a client leaves.
TEST_P(TextProtocolTest, MaxConnsRejectsExtraConnections) {
  SKIP_IF_ATTACHED();
  constexpr int kMaxConns = 48;
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-c", std::to_string(kMaxConns)});  // the last -c wins
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);

  std::vector<std::unique_ptr<Client>> open;
  std::unique_ptr<Client> rejected;
  for (int i = 0; i < kMaxConns + 4 && !rejected; ++i) {
    auto c = Connect(d.get());
    ASSERT_NE(c, nullptr);
    // A rejected client must not write first: the server's close would reset the connection
    // and could discard the error line.
    if (c->WaitReadable(milliseconds(100))) {
      rejected = std::move(c);
    } else {
      ASSERT_TRUE(c->RoundtripPrefix("version\r\n", "VERSION ")) << "connection " << i;
      open.push_back(std::move(c));
    }
  }
  ASSERT_NE(rejected, nullptr) << "all " << open.size() << " connections were admitted";
  EXPECT_GE(open.size(), 1u);
  EXPECT_LE(open.size(), static_cast<size_t>(kMaxConns));
  EXPECT_EQ(rejected->ReadLine(), "ERROR Too many open connections\r\n");
  EXPECT_TRUE(rejected->ExpectClosed());
  auto stats = open.front()->Stats();
  EXPECT_GE(StatInt(stats, "rejected_connections"), 1);
  EXPECT_EQ(StatInt(stats, "max_connections"), kMaxConns);

  // Free one slot; the server notices the close asynchronously, so retry briefly.
  open.pop_back();
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    std::this_thread::sleep_for(milliseconds(20));
    auto c = Connect(d.get());
    ASSERT_NE(c, nullptr);
    if (!c->WaitReadable(milliseconds(50))) {
      admitted = c->RoundtripPrefix("version\r\n", "VERSION ");
    }
  }
  EXPECT_TRUE(admitted) << "no connection admitted after one closed";
}

TEST_P(TextProtocolTest, DashMReturnsOutOfMemoryInsteadOfEvicting) {  // t/dash-M.t
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-m", "2", "-M"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  const std::string value(100 * 1024, 'm');
  std::string reply;
  int stored = 0;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c->Send(StorageCommand("set", "key" + std::to_string(i), value)));
    reply = c->ReadLine();
    if (reply != "STORED\r\n") break;
    ++stored;
  }
  EXPECT_EQ(reply, "SERVER_ERROR out of memory storing object\r\n") << "after " << stored;
  EXPECT_GE(stored, 1);
  EXPECT_TRUE(c->Roundtrip("get key0\r\n", ValueReply("key0", value) + "END\r\n"))
      << "nothing was evicted";
  auto stats = c->Stats();
  EXPECT_EQ(StatInt(stats, "evictions"), 0);
}

TEST_P(TextProtocolTest, ItemSizeMaxTwoMegabytesAllowsLargerValues) {  // t/item_size_max.t
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-I", "2m"});
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  const std::string value = PatternValue(1536 * 1024);
  EXPECT_TRUE(c->Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  auto hit = GetOne(*c, "get", "big");
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->data == value) << "1.5 MiB value corrupted";
  EXPECT_EQ(c->Stats("settings")["item_size_max"], "2097152");
}

TEST_P(TextProtocolTest, UnknownFlagExitsNonZero) {  // t/00-startup.t
  for (const char* flag : {"--no-such-flag", "-Q"}) {
    SCOPED_TRACE(flag);
    auto args = StartupArgs();
    args.push_back(flag);
    ExitResult r = RunToExit(binary(), args);
    ASSERT_TRUE(r.exited) << r.Describe();
    EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0) << r.Describe();
  }
}

TEST_P(TextProtocolTest, InvalidFlagValueExitsNonZero) {
  auto args = StartupArgs();
  args.insert(args.end(), {"-t", "0"});
  ExitResult r = RunToExit(binary(), args);
  ASSERT_TRUE(r.exited) << r.Describe();
  EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0) << r.Describe();
}

// memcached's start-up checks of -o slab_chunk_max (1.6.18 words some
// differently). Both refuse to start; memcached 1.6.18 prints the first two
// messages and then dies of SIGSEGV / SIGFPE, slabcached exits with 64.
TEST_P(TextProtocolTest, BadSlabChunkMaxExitsNonZero) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"slab_chunk_max", "Missing slab_chunk_max argument"},
      {"slab_chunk_max=abc", "could not parse argument to slab_chunk_max"},
      {"slab_chunk_max=768000", "slab_chunk_max"},
      {"slab_chunk_max=2097152", "slab_chunk_max"},  // more than -I
  };
  for (const auto& [option, message] : cases) {
    SCOPED_TRACE(option);
    auto args = StartupArgs();
    args.insert(args.end(), {"-o", option});
    ExitResult r = RunToExit(binary(), args);
    ASSERT_TRUE(r.exited) << r.Describe();
    EXPECT_FALSE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 0) << r.Describe();
    if (!IsReference()) {
      EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 64) << r.Describe();
    }
    EXPECT_NE(r.output.find(message), std::string::npos) << r.Describe();
  }
}

TEST_P(TextProtocolTest, VeryVerboseStartsAndServes) {
  SKIP_IF_ATTACHED();
  auto flags = DefaultFlags();
  flags.push_back("-vv");
  auto d = StartDaemon(flags);
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"));
}

// ---------------------------------------------------------------- debugtime

// memcached has "debugtime" only in its MEMCACHED_DEBUG test build; so has slabcached (in
// slabcached-debug). The installed daemons answer it like any unknown command.
TEST_P(TextProtocolTest, DebugtimeIsUnknownOutsideTestBuilds) {
  EXPECT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v", 0, 1), "STORED\r\n"));
  EXPECT_TRUE(client().Roundtrip("debugtime 100\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("debugtime\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"))
      << "the clock did not move";
}

TEST_P(TextProtocolClockTest, DebugtimeMovesTheClockInTestBuilds) {
  if (IsReference()) GTEST_SKIP() << "Debian's memcached is not a MEMCACHED_DEBUG build";
  const int64_t before = std::stoll(client().Stats()["time"]);
  EXPECT_TRUE(client().Roundtrip("debugtime 1000\r\n", "OK\r\n"));
  EXPECT_GE(std::stoll(client().Stats()["time"]), before + 1000);
  EXPECT_TRUE(client().Roundtrip("debugtime p\r\ndebugtime r\r\n", "OK\r\nOK\r\n"));
  EXPECT_TRUE(client().Roundtrip("debugtime soon\r\n", "ERROR\r\n"));
}

INSTANTIATE_TEST_SUITE_P(TextProtocol, TextProtocolTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);
INSTANTIATE_TEST_SUITE_P(TextProtocol, TextProtocolClockTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
