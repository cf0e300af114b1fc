// `watch`, `stats conns` and `stats detail` over raw sockets, against the daemon under test and
// Debian's memcached 1.6.18 (memcached's t/watcher.t, t/stats-conns.t, t/stats-detail.t topics).
//
// Log lines are compared with their time stamp, global id, slab class and client descriptor
// masked (they differ between servers and runs). memcached also logs the lookups its set and
// delete make (an item_get before an item_store or a deleted line); slabcached logs the
// commands only, so the tests look for lines, not for their sequence.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "ts=1.2 gid=3 type=item_get key=k status=found clsid=4 cfd=5 size=6\n" ->
// "type=item_get key=k status=found clsid=* cfd=* size=6".
std::string Masked(std::string line) {
  static const std::regex stamp("^ts=[0-9]+\\.[0-9]+ gid=[0-9]+ ");
  static const std::regex clsid("clsid=[1-9][0-9]*");
  static const std::regex cfd("cfd=[0-9]+");
  static const std::regex la(" la=[0-9]+");
  line = std::regex_replace(line, stamp, "");
  line = std::regex_replace(line, clsid, "clsid=*");
  line = std::regex_replace(line, cfd, "cfd=*");
  line = std::regex_replace(line, la, " la=*");
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Reads the watcher's lines until one (masked) equals `wanted`; the lines read, masked.
bool WaitForLine(Client& watcher, const std::string& wanted, std::vector<std::string>* seen,
                 milliseconds timeout = milliseconds(5000)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const std::string line = watcher.ReadLine(left);
    if (line.empty()) break;
    seen->push_back(Masked(line));
    if (seen->back() == wanted) return true;
  }
  return false;
}

::testing::AssertionResult Sees(Client& watcher, const std::string& wanted) {
  std::vector<std::string> seen;
  if (WaitForLine(watcher, wanted, &seen)) return ::testing::AssertionSuccess();
  std::string all;
  for (const std::string& line : seen) all += "\n  " + line;
  return ::testing::AssertionFailure() << "no line \"" << wanted << "\" among:" << all;
}

uint16_t LocalPort(const Client& c) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  getsockname(c.fd(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

class WatchTest : public ServerTest {
 protected:
  // A new connection that is now a watcher of `kinds`.
  std::unique_ptr<Client> Watcher(std::string_view kinds) {
    std::unique_ptr<Client> watcher = Connect();
    if (watcher == nullptr) return nullptr;
    EXPECT_TRUE(watcher->Roundtrip("watch " + std::string(kinds) + "\r\n", "OK\r\n"));
    return watcher;
  }
};

TEST_P(WatchTest, FetchersMutationsAndDeletionsEachLogTheirLine) {
  // memcached 1.6.18 has no "deletions" (ERROR); slabcached follows 1.6.45.
  auto watcher = Watcher(IsReference() ? "fetchers mutations" : "fetchers mutations deletions");
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "foo", "bar", 5, 0), "STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip("get foo\r\n", ValueReply("foo", "bar", 5) + "END\r\n"));
  ASSERT_TRUE(client().Roundtrip("get missing\r\n", "END\r\n"));
  ASSERT_TRUE(client().Roundtrip(StorageCommand("add", "foo", "new"), "NOT_STORED\r\n"));
  ASSERT_TRUE(client().Roundtrip("delete foo\r\n", "DELETED\r\n"));
  EXPECT_TRUE(
      Sees(*watcher, "type=item_store key=foo status=stored cmd=set ttl=0 clsid=* cfd=* size=3"));
  EXPECT_TRUE(Sees(*watcher, "type=item_get key=foo status=found clsid=* cfd=* size=3"));
  EXPECT_TRUE(Sees(*watcher, "type=item_get key=missing status=not_found clsid=0 cfd=* size=0"));
  EXPECT_TRUE(Sees(*watcher,
                   "type=item_store key=foo status=not_stored cmd=add ttl=0 clsid=* cfd=* "
                   "size=3"));
  if (!IsReference()) EXPECT_TRUE(Sees(*watcher, "type=deleted key=foo cmd=delete clsid=* size=3"));
}

TEST_P(WatchTest, OnlyTheKindsAskedForAreSent) {
  auto watcher = Watcher("mutations");
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(client().Roundtrip("get k\r\n", "END\r\n"));
  ASSERT_TRUE(client().Roundtrip("delete k\r\n", "NOT_FOUND\r\n"));
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  std::vector<std::string> seen;
  ASSERT_TRUE(WaitForLine(
      *watcher, "type=item_store key=k status=stored cmd=set ttl=0 clsid=* cfd=* size=1", &seen));
  EXPECT_EQ(seen.size(), 1u) << seen.front();
}

// Keys are URI-encoded; a meta base64 key shows its decoded bytes, encoded (as memcached shows
// them): spaces and binary bytes become %XX.
TEST_P(WatchTest, MetaBase64KeysShowTheirBytesUriEncoded) {
  auto watcher = Watcher("fetchers");
  ASSERT_NE(watcher, nullptr);
  // "a b\x01\xff" in base64.
  ASSERT_TRUE(client().Roundtrip("mg YSBiAf8= b v\r\n", "EN\r\n"));
  EXPECT_TRUE(Sees(*watcher,
                   "type=item_get key=a%20b%01%FF status=not_found clsid=0 cfd=* "
                   "size=0"));
  ASSERT_TRUE(client().Roundtrip("get user:1/x\r\n", "END\r\n"));
  EXPECT_TRUE(Sees(*watcher,
                   "type=item_get key=user%3A1%2Fx status=not_found clsid=0 cfd=* "
                   "size=0"));
}

TEST_P(WatchTest, ConneventsNameTheClient) {
  auto watcher = Watcher("connevents");
  ASSERT_NE(watcher, nullptr);
  std::unique_ptr<Client> other = Connect();
  ASSERT_NE(other, nullptr);
  const std::string port = std::to_string(LocalPort(*other));
  EXPECT_TRUE(Sees(*watcher, "type=conn_new rip=127.0.0.1 rport=" + port + " transport=tcp cfd=*"));
  ASSERT_TRUE(other->Send("quit\r\n"));
  EXPECT_TRUE(other->ExpectClosed());
  EXPECT_TRUE(Sees(*watcher, "type=conn_close rip=127.0.0.1 rport=" + port +
                                 " transport=tcp reason=normal cfd=*"));
}

TEST_P(WatchTest, EvictionsLogTheEvictedItem) {
  SKIP_IF_ATTACHED();
  auto small = StartDaemon({"-U", "0", "-t", "2", "-m", "2"});
  ASSERT_NE(small, nullptr);
  std::unique_ptr<Client> watcher = Connect(small.get());
  ASSERT_TRUE(watcher->Roundtrip("watch evictions\r\n", "OK\r\n"));
  std::unique_ptr<Client> writer = Connect(small.get());
  const std::string value(20000, 'e');
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(
        writer->Roundtrip(StorageCommand("set", "k" + std::to_string(i), value), "STORED\r\n"));
  }
  EXPECT_TRUE(Sees(*watcher, "type=eviction key=k0 fetch=no ttl=-1 la=* clsid=* size=20000"));
}

TEST_P(WatchTest, RefusalsAsMemcached) {
  EXPECT_TRUE(client().Roundtrip("watch bogus\r\n", "ERROR\r\n"));
  EXPECT_TRUE(client().Roundtrip("watch fetchers nope\r\n", "ERROR\r\n"));
  // A reply still queued when watch runs: memcached 1.6.45 refuses rather than lose it
  // (1.6.18 does not check; slabcached follows 1.6.45).
  if (IsReference()) return;
  EXPECT_TRUE(client().Roundtrip("get a\r\nwatch\r\n",
                                 "END\r\nERROR cannot pipeline other commands before watch\r\n"));
}

TEST_P(WatchTest, DisabledWatchIsRefused) {
  SKIP_IF_ATTACHED();
  auto no_watch = StartDaemon({"-U", "0", "-t", "2", "-W"});
  ASSERT_NE(no_watch, nullptr);
  std::unique_ptr<Client> c = Connect(no_watch.get());
  EXPECT_TRUE(c->Roundtrip("watch\r\n", "CLIENT_ERROR watch commands not allowed\r\n"));
}

// The attacker's watcher: it asks for every get and never reads. The client's 100,000 gets
// still get every reply in time; the watcher's lines are skipped (counted), and the watcher
// never holds more than its buffer.
TEST_P(WatchTest, AWatcherThatNeverReadsSlowsNobody) {
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "hot", "v"), "STORED\r\n"));
  constexpr int kGets = 100000;
  constexpr int kBatch = 100;
  std::string batch;
  for (int i = 0; i < kBatch; ++i) batch += "get hot\r\n";
  const std::string one = ValueReply("hot", "v") + "END\r\n";
  std::string expected;
  for (int i = 0; i < kBatch; ++i) expected += one;
  // 100k gets, every reply checked; how long they took.
  auto run_gets = [&]() -> milliseconds {
    const auto start = Clock::now();
    for (int i = 0; i < kGets / kBatch; ++i) {
      if (!client().Send(batch)) return milliseconds::max();
      const std::string got = client().ReadExactly(expected.size());
      EXPECT_EQ(got, expected) << "batch " << i;
      if (got != expected) return milliseconds::max();
    }
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  };
  const milliseconds alone = run_gets();
  std::unique_ptr<Client> watcher = Connect();
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(watcher->Roundtrip("watch fetchers\r\n", "OK\r\n"));
  const auto before = client().Stats();
  const milliseconds watched = run_gets();
  // Generous for a shared machine: logging may cost, waiting for the watcher may not.
  EXPECT_LT(watched.count(), 3 * alone.count() + 2000)
      << "100k gets: " << alone.count() << " ms alone, " << watched.count() << " ms watched";
  // The logger runs at least once a second: wait for its counters.
  uint64_t lost = 0;
  uint64_t skipped = 0;
  for (int i = 0; i < 40 && lost == 0; ++i) {
    const auto after = client().Stats();
    skipped = std::stoull(after.at("log_watcher_skipped")) -
              std::stoull(before.at("log_watcher_skipped"));
    lost = skipped + std::stoull(after.at("log_worker_dropped")) -
           std::stoull(before.at("log_worker_dropped"));
    if (lost == 0) std::this_thread::sleep_for(milliseconds(100));
  }
  // Lines are lost where the logger cannot keep up: a worker's full buffer
  // drops them (log_worker_dropped) or the watcher's full buffer skips them
  // (log_watcher_skipped); which one depends on how often the logger thread
  // ran during the gets (on an idle machine they end before it wakes).
  EXPECT_GT(lost, 0u) << "a watcher that never reads misses lines (skipped " << skipped << ")";
  EXPECT_EQ(client().Stats().at("log_watchers"), "1");
}

TEST_P(WatchTest, StatsConnsListsListenersClientsAndWatchers) {
  std::unique_ptr<Client> idle = Connect();
  ASSERT_NE(idle, nullptr);
  ASSERT_TRUE(idle->RoundtripPrefix("version\r\n", "VERSION "));
  auto watcher = Watcher("fetchers");
  ASSERT_NE(watcher, nullptr);
  const std::string port = std::to_string(daemon().port());
  const std::string idle_addr = "tcp:127.0.0.1:" + std::to_string(LocalPort(*idle));
  // A worker publishes a connection's state just after it sends the reply: wait for it.
  std::map<std::string, std::string> conns;
  for (int i = 0; i < 50; ++i) {
    conns = client().Stats("conns");
    bool idle_read = false;
    for (const auto& [name, v] : conns) {
      if (v != idle_addr) continue;
      const auto state = conns.find(name.substr(0, name.find(':')) + ":state");
      idle_read = state != conns.end() && state->second == "conn_read";
    }
    if (idle_read) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto find = [&](const std::string& suffix, const std::string& value) {
    for (const auto& [name, v] : conns) {
      if (name.ends_with(suffix) && v == value) return name.substr(0, name.find(':'));
    }
    return std::string();
  };
  const std::string listener = find(":addr", "tcp:127.0.0.1:" + port);
  ASSERT_FALSE(listener.empty());
  EXPECT_EQ(conns.at(listener + ":state"), "conn_listening");
  EXPECT_EQ(conns.count(listener + ":listen_addr"), 0u);
  const std::string idle_fd = find(":addr", "tcp:127.0.0.1:" + std::to_string(LocalPort(*idle)));
  ASSERT_FALSE(idle_fd.empty());
  EXPECT_EQ(conns.at(idle_fd + ":listen_addr"), "tcp:127.0.0.1:" + port);
  EXPECT_EQ(conns.at(idle_fd + ":state"), "conn_read");
  EXPECT_EQ(conns.count(idle_fd + ":secs_since_last_cmd"), 1u);
  const std::string self = find(":addr", "tcp:127.0.0.1:" + std::to_string(LocalPort(client())));
  ASSERT_FALSE(self.empty());
  EXPECT_EQ(conns.at(self + ":state"), "conn_parse_cmd");
  const std::string watching =
      find(":addr", "tcp:127.0.0.1:" + std::to_string(LocalPort(*watcher)));
  ASSERT_FALSE(watching.empty());
  EXPECT_EQ(conns.at(watching + ":state"), "conn_watch");
}

TEST_P(WatchTest, StatsDetailCountsByPrefix) {
  EXPECT_TRUE(client().Roundtrip("stats detail dump\r\n", "END\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("stats detail\r\n", "CLIENT_ERROR usage: stats detail on|off|dump\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats detail bogus\r\n",
                                 "CLIENT_ERROR usage: stats detail on|off|dump\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats detail on\r\n", "OK\r\n"));
  EXPECT_EQ(client().Stats("settings").at("detail_enabled"), "yes");
  ASSERT_TRUE(client().Roundtrip(StorageCommand("set", "a:1", "x"), "STORED\r\n"));
  ASSERT_TRUE(
      client().Roundtrip("get a:1 a:2 nodelimiter\r\n", ValueReply("a:1", "x") + "END\r\n"));
  ASSERT_TRUE(client().Roundtrip("delete a:1\r\n", "DELETED\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("stats detail dump\r\n", "PREFIX a get 2 hit 1 set 1 del 1\r\nEND\r\n"));
  EXPECT_TRUE(client().Roundtrip("stats detail off\r\n", "OK\r\n"));
  EXPECT_EQ(client().Stats("settings").at("detail_enabled"), "no");
  ASSERT_TRUE(client().Roundtrip("get a:3\r\n", "END\r\n"));
  EXPECT_TRUE(
      client().Roundtrip("stats detail dump\r\n", "PREFIX a get 2 hit 1 set 1 del 1\r\nEND\r\n"));
}

TEST_P(WatchTest, DashDSetsTheDelimiterAndTurnsDetailOn) {
  SKIP_IF_ATTACHED();
  auto slash = StartDaemon({"-U", "0", "-t", "2", "-D", "/"});
  ASSERT_NE(slash, nullptr);
  std::unique_ptr<Client> c = Connect(slash.get());
  EXPECT_EQ(c->Stats("settings").at("detail_enabled"), "yes");
  ASSERT_TRUE(c->Roundtrip("get x/1 x:2\r\n", "END\r\n"));
  EXPECT_TRUE(c->Roundtrip("stats detail dump\r\n", "PREFIX x get 1 hit 0 set 0 del 0\r\nEND\r\n"));
}

TEST_P(WatchTest, StatsDetailNeedsDumping) {
  SKIP_IF_ATTACHED();
  auto no_dump = StartDaemon({"-U", "0", "-t", "2", "-X"});
  ASSERT_NE(no_dump, nullptr);
  std::unique_ptr<Client> c = Connect(no_dump.get());
  // memcached 1.6.45 refuses stats detail under -X; 1.6.18 does not (slabcached follows 1.6.45).
  EXPECT_TRUE(c->Roundtrip("stats detail on\r\n",
                           IsReference() ? "OK\r\n" : "CLIENT_ERROR stats detail not allowed\r\n"));
}

INSTANTIATE_TEST_SUITE_P(Watch, WatchTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

// "watch hotkeys", slabcached's own kind (memcached answers ERROR): a key that becomes hot over
// real sockets shows up at the top of the list, in the logger's key=value style.
class HotKeyWatchTest : public ServerTest {};

// The requests of the first "type=hotkey rank=1 key=<key>" line the watcher reads, within 5 s.
std::optional<uint64_t> WaitForHottest(Client& watcher, const std::string& escaped_key) {
  const std::regex hottest("^ts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=hotkey rank=1 key=" + escaped_key +
                           " requests=([0-9]+) rate=[0-9]+\\.[0-9]{2}\n$");
  const auto deadline = Clock::now() + milliseconds(5000);
  while (Clock::now() < deadline) {
    const std::string line =
        watcher.ReadLine(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    if (line.empty()) break;
    std::smatch match;
    if (std::regex_match(line, match, hottest)) return std::stoull(match[1].str());
  }
  return std::nullopt;
}

TEST_P(HotKeyWatchTest, AWatcherSeesAKeyBecomeTheHottest) {
  if (IsReference()) GTEST_SKIP() << "slabcached's own kind";
  SKIP_IF_ATTACHED();
  auto daemon = StartDaemon({"-U", "0", "-t", "2", "-o", "hot_keys_sample=1"});
  ASSERT_NE(daemon, nullptr);
  std::unique_ptr<Client> watcher = Connect(daemon.get());
  ASSERT_TRUE(watcher->Roundtrip("watch hotkeys\r\n", "OK\r\n"));
  std::unique_ptr<Client> loader = Connect(daemon.get());
  // First a mildly warm key tops the list.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(loader->Roundtrip("get warm\r\n", "END\r\n"));
  const std::optional<uint64_t> warm = WaitForHottest(*watcher, "warm");
  ASSERT_TRUE(warm.has_value()) << "no rank=1 line for the warm key";
  // The line comes when the key first tops the list, maybe before its last get.
  EXPECT_GE(*warm, 1u);
  EXPECT_LE(*warm, 20u);
  // Then one key takes 500 of 1,000 gets over 500 keys, pipelined 100 a line.
  ASSERT_TRUE(loader->Roundtrip(StorageCommand("set", "viral:1", "v"), "STORED\r\n"));
  for (int line = 0; line < 10; ++line) {
    std::string gets;
    std::string replies;
    for (int i = 0; i < 50; ++i) {
      gets += "get viral:1\r\nget cold:" + std::to_string(line * 50 + i) + "\r\n";
      replies += ValueReply("viral:1", "v") + "END\r\nEND\r\n";
    }
    ASSERT_TRUE(loader->Roundtrip(gets, replies));
  }
  const std::optional<uint64_t> viral = WaitForHottest(*watcher, "viral%3A1");
  ASSERT_TRUE(viral.has_value()) << "no rank=1 line for the key that became hot";
  EXPECT_GT(*viral, 20u);  // it overtook the warm key (one in one sampled: every get counted)
}

TEST_P(HotKeyWatchTest, MemcachedHasNoSuchKind) {
  std::unique_ptr<Client> watcher = Connect();
  ASSERT_NE(watcher, nullptr);
  EXPECT_TRUE(watcher->Roundtrip("watch hotkeys\r\n", IsReference() ? "ERROR\r\n" : "OK\r\n"));
}

INSTANTIATE_TEST_SUITE_P(Watch, HotKeyWatchTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

// slabcached's cap (memcached 1.6.45's 65536 prefixes): a client that sends more distinct
// prefixes is not tracked past the cap, and that is counted.
class PrefixCapTest : public ServerTest {};

TEST_P(PrefixCapTest, PrefixesPastTheCapAreCountedNotKept) {
  ASSERT_TRUE(client().Roundtrip("stats detail on\r\n", "OK\r\n"));
  constexpr int kPrefixes = 70000;
  constexpr int kPerLine = 500;
  for (int first = 0; first < kPrefixes; first += kPerLine) {
    std::string line = "get";
    for (int i = first; i < first + kPerLine; ++i) line += " p" + std::to_string(i) + ":k";
    ASSERT_TRUE(client().Roundtrip(line + "\r\n", "END\r\n"));
  }
  EXPECT_EQ(client().Stats().at("detail_untracked_ops"), std::to_string(kPrefixes - 65536));
  ASSERT_TRUE(client().Send("stats detail dump\r\n"));
  int lines = 0;
  while (client().ReadLine() != "END\r\n") ++lines;
  EXPECT_EQ(lines, 65536);
}

INSTANTIATE_TEST_SUITE_P(Watch, PrefixCapTest, ::testing::Values(Server::kSlabcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
