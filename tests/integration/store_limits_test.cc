// The item store's limits seen from the wire: the memory limit under heavy
// writes, slab calcification and automove, -M, "slabs reassign" / "slabs
// automove", and the "stats slabs" / "stats items" figures. Every test runs
// against the daemon under test and against Debian's memcached 1.6.18, except
// where a comment says why not.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/pattern.h"
#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

// RSS allowed above 1.3 x -m, whatever the server: the executable and shared
// libraries mapped in (~3-6 MB), thread stacks touched by the workers and
// maintenance threads, the hash table (8 MiB at hashpower 20; 0.5 MiB at the
// default 16 for the few thousand items here), connection and output buffers
// (a 200 KB value passes through them), and the malloc arenas' slack. Both
// servers measured here end at ~71 MB for -m 64, i.e. 83.2 + 16 leaves ~28 MB
// of headroom.
constexpr uint64_t kFixedOverheadBytes = uint64_t{16} << 20;
constexpr uint64_t kMemoryLimitMb = 64;

class StoreLimitsTest : public ServerTest {
 protected:
  // Starts a server of the test's own (pages move only when asked, unless
  // `flags` say otherwise) and connects to it; nullptr on failure.
  std::unique_ptr<Client> StartOwnServer(const std::vector<std::string>& flags = {
                                             "-U", "0", "-t", "2", "-m", "64", "-o",
                                             "slab_automove=0"}) {
    own_ = StartDaemon(flags);
    return own_ != nullptr ? Connect(own_.get()) : nullptr;
  }

  std::unique_ptr<Daemon> own_;
};

uint64_t ToU64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() ? v : 0;
}

uint64_t Stat(const std::map<std::string, std::string>& stats, const std::string& name) {
  auto it = stats.find(name);
  return it == stats.end() ? 0 : ToU64(it->second);
}

// VmRSS (or another "Vm*" line) of `pid` in bytes; 0 if unreadable.
uint64_t ProcStatusBytes(pid_t pid, const std::string& field = "VmRSS") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) {
      std::string_view rest(line);
      rest.remove_prefix(field.size() + 1);
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
      return ToU64(rest.substr(0, rest.find(' '))) * 1024;
    }
  }
  return 0;
}

// Waits until the server has handled everything sent before (noreply sets).
::testing::AssertionResult Sync(Client& c) {
  if (!c.Send("version\r\n")) return ::testing::AssertionFailure() << "send failed";
  std::string line = c.ReadLine(milliseconds(30000));
  if (!line.starts_with("VERSION ")) {
    return ::testing::AssertionFailure() << "expected VERSION, got " << Escape(line);
  }
  return ::testing::AssertionSuccess();
}

// One "get <key>": the value, or nullopt on a miss (framing errors fail the test).
std::optional<std::string> Get(Client& c, const std::string& key) {
  EXPECT_TRUE(c.Send("get " + key + "\r\n"));
  std::string line = c.ReadLine();
  if (line == "END\r\n") return std::nullopt;
  const std::string prefix = "VALUE " + key + " ";
  if (!line.starts_with(prefix)) {
    ADD_FAILURE() << "get " << key << ": " << Escape(line);
    return std::nullopt;
  }
  std::string_view rest(line);
  rest.remove_prefix(prefix.size());
  rest = rest.substr(rest.find(' ') + 1);  // flags
  const size_t len = ToU64(rest.substr(0, rest.find_first_of(" \r")));
  std::string block = c.ReadExactly(len + 2);
  std::string end = c.ReadLine();
  if (block.size() != len + 2 || end != "END\r\n") {
    ADD_FAILURE() << "get " << key << ": bad framing " << Escape(block) << Escape(end);
    return std::nullopt;
  }
  block.resize(len);
  return block;
}

// Slab class ids that have pages, from "stats slabs" ("<id>:total_pages").
std::vector<int> ClassesWithPages(const std::map<std::string, std::string>& slabs) {
  std::vector<int> ids;
  for (const auto& [name, value] : slabs) {
    const auto colon = name.find(':');
    if (colon != std::string::npos && name.substr(colon + 1) == "total_pages" && ToU64(value) > 0) {
      ids.push_back(static_cast<int>(ToU64(name.substr(0, colon))));
    }
  }
  return ids;
}

// The class holding exactly `used` chunks, or 0.
int ClassWithUsedChunks(const std::map<std::string, std::string>& slabs, uint64_t used) {
  for (int id : ClassesWithPages(slabs)) {
    if (Stat(slabs, std::to_string(id) + ":used_chunks") == used) return id;
  }
  return 0;
}

std::string SetNoreply(const std::string& key, std::string_view value) {
  std::string out = "set " + key + " 0 0 " + std::to_string(value.size()) + " noreply\r\n";
  out.append(value);
  out.append("\r\n");
  return out;
}

// ------------------------------------------------------ memory limit ---

TEST_P(StoreLimitsTest, MemoryLimitHoldsUnderHeavyWrites) {
  SKIP_IF_ATTACHED();  // DefaultFlags() carry -m 64; an attached server may not
  Client& c = client();
  const pid_t pid = daemon().pid();
  // Sizes log-uniform from 16 B to 1000 KB (mean ~90 KB): every slab class
  // from the smallest to the largest gets traffic, and values above 512 KB
  // (about half the bytes) are chained from several chunks. Fixed seed.
  std::mt19937_64 rng(20240601);
  std::uniform_real_distribution<double> log_size(std::log(16.0), std::log(1000.0 * 1024));
  constexpr uint64_t kTotalBytes = uint64_t{320} << 20;
  constexpr size_t kBatchBytes = 256 * 1024;
  constexpr uint64_t kSyncBytes = uint64_t{8} << 20;
  uint64_t sent = 0, since_sync = 0, max_rss = 0;
  std::vector<std::pair<std::string, size_t>> written;  // key, size
  std::string batch;
  for (uint64_t i = 0; sent < kTotalBytes; ++i) {
    const auto size = static_cast<size_t>(std::exp(log_size(rng)));
    const std::string key = "heavy:" + std::to_string(i);
    batch += SetNoreply(key, std::string(size, static_cast<char>('a' + i % 26)));
    written.emplace_back(key, size);
    sent += size;
    since_sync += size;
    if (batch.size() >= kBatchBytes) {
      ASSERT_TRUE(c.Send(batch)) << "after " << sent << " bytes";
      batch.clear();
    }
    if (since_sync >= kSyncBytes) {
      ASSERT_TRUE(Sync(c)) << "server stopped answering after " << sent << " bytes";
      since_sync = 0;
      max_rss = std::max(max_rss, ProcStatusBytes(pid));
    }
  }
  ASSERT_TRUE(c.Send(batch));
  ASSERT_TRUE(Sync(c));
  max_rss = std::max(max_rss, ProcStatusBytes(pid));

  const auto stats = c.Stats();
  const uint64_t limit = kMemoryLimitMb << 20;
  const uint64_t allowed = limit * 13 / 10 + kFixedOverheadBytes;
  std::printf(
      "[ %s ] %llu MB written in %zu sets: evictions %llu curr_items %llu bytes %llu "
      "max VmRSS %.1f MB VmHWM %.1f MB (allowed %.1f MB)\n",
      ServerName(GetParam()).c_str(), static_cast<unsigned long long>(sent >> 20), written.size(),
      static_cast<unsigned long long>(Stat(stats, "evictions")),
      static_cast<unsigned long long>(Stat(stats, "curr_items")),
      static_cast<unsigned long long>(Stat(stats, "bytes")), max_rss / 1048576.0,
      ProcStatusBytes(pid, "VmHWM") / 1048576.0, allowed / 1048576.0);
  EXPECT_GT(Stat(stats, "evictions"), 0u);
  EXPECT_EQ(Stat(stats, "limit_maxbytes"), limit);
  EXPECT_LE(Stat(stats, "bytes"), limit);
  EXPECT_GT(max_rss, 0u) << "could not read /proc/" << pid << "/status";
  EXPECT_LE(max_rss, allowed);

  // The most recent writes are there, byte for byte.
  for (size_t i = written.size() - 8; i < written.size(); ++i) {
    const auto& [key, size] = written[i];
    auto value = Get(c, key);
    ASSERT_TRUE(value.has_value()) << key << " (" << size << " bytes) was evicted";
    EXPECT_EQ(*value, std::string(size, static_cast<char>('a' + i % 26))) << key;
  }
}

// ------------------------------------------------------- calcification ---

// Fills -m 64 with 100-byte values, then writes 10 KB values over a 3000-key
// working set and reads back, after every 10 sets, the key written 1500 sets
// before. Once automove has given the 10 KB class enough pages those reads hit.
TEST_P(StoreLimitsTest, AutomoveRecoversFromCalcification) {
  SKIP_IF_ATTACHED();
  if (IsReference()) {
    // memcached 1.6.18's automove=1 decides over a 30-sample (30 s) window and
    // then moves about one page a second: measured with this workload it starts
    // moving at ~30 s and reads back 100% at ~50 s. That is too close to the
    // 60 s bound to be reliable, and would add a minute to every CI run.
    GTEST_SKIP() << "memcached needs ~50 s to recover here (30 s automove window)";
  }
  Client& c = client();
  const std::string small(100, 's');
  std::string batch;
  for (int i = 0, batches = 0; i < 600000; ++i) {
    batch += SetNoreply("small:" + std::to_string(i), small);
    if (batch.size() >= 256 * 1024) {
      ASSERT_TRUE(c.Send(batch));
      batch.clear();
      if (++batches % 32 == 0) {
        ASSERT_TRUE(Sync(c));
      }
    }
  }
  ASSERT_TRUE(c.Send(batch));
  ASSERT_TRUE(Sync(c));
  ASSERT_GT(Stat(c.Stats(), "evictions"), 0u) << "the small values must fill memory";

  constexpr int kWorkingSet = 3000;
  constexpr auto kBound = seconds(60);
  constexpr double kRecovered = 0.9;
  const std::string big(10000, 'b');
  const auto start = SteadyClock::now();
  auto window_start = start;
  uint64_t n = 0;
  int hits = 0, tries = 0;
  double best = 0;
  std::string timeline;
  bool recovered = false;
  while (!recovered && SteadyClock::now() - start < kBound) {
    ASSERT_TRUE(c.Send(SetNoreply("big:" + std::to_string(n % kWorkingSet), big)));
    ++n;
    if (n % 10 == 0 && n > kWorkingSet) {
      const std::string key = "big:" + std::to_string((n - kWorkingSet / 2) % kWorkingSet);
      auto value = Get(c, key);
      ++tries;
      if (value.has_value()) {
        ++hits;
        ASSERT_EQ(*value, big) << key;
      }
    }
    if (SteadyClock::now() - window_start >= seconds(1) && tries >= 20) {
      const double rate = static_cast<double>(hits) / tries;
      const auto at = std::chrono::duration_cast<seconds>(SteadyClock::now() - start).count();
      timeline += " " + std::to_string(at) + "s:" + std::to_string(rate).substr(0, 4);
      best = std::max(best, rate);
      recovered = rate >= kRecovered;
      hits = tries = 0;
      window_start = SteadyClock::now();
    }
  }
  const auto stats = c.Stats();
  std::printf("[ %s ] hit rate per second:%s; slabs_moved %llu rescues %llu evictions_nomem %llu\n",
              ServerName(GetParam()).c_str(), timeline.c_str(),
              static_cast<unsigned long long>(Stat(stats, "slabs_moved")),
              static_cast<unsigned long long>(Stat(stats, "slab_reassign_rescues")),
              static_cast<unsigned long long>(Stat(stats, "slab_reassign_evictions_nomem")));
  EXPECT_TRUE(recovered) << "best hit rate " << best << " within " << kBound.count() << " s";
  EXPECT_GT(Stat(stats, "slabs_moved"), 0u);
}

// ----------------------------------------------------------------- -M ---

TEST_P(StoreLimitsTest, DashMFailsWritesAndKeepsEveryStoredItem) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer({"-U", "0", "-t", "2", "-m", "8", "-M", "-o", "slab_automove=0"});
  ASSERT_NE(c, nullptr);
  const std::string value(10000, 'm');
  int stored = 0;
  std::string reply;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(c->Send(StorageCommand("set", "m:" + std::to_string(i), value)));
    reply = c->ReadLine();
    if (reply != "STORED\r\n") break;
    ++stored;
  }
  ASSERT_EQ(reply, "SERVER_ERROR out of memory storing object\r\n") << "after " << stored;
  EXPECT_GT(stored, 100);
  // Still failing, still answering, nothing evicted.
  EXPECT_TRUE(c->Roundtrip(StorageCommand("set", "one:more", value),
                           "SERVER_ERROR out of memory storing object\r\n"));
  for (int i = 0; i < stored; ++i) {
    auto got = Get(*c, "m:" + std::to_string(i));
    ASSERT_TRUE(got.has_value()) << "m:" << i << " is gone under -M";
    ASSERT_EQ(got->size(), value.size());
  }
  auto stats = c->Stats();
  EXPECT_EQ(Stat(stats, "evictions"), 0u);
  EXPECT_EQ(Stat(stats, "curr_items"), static_cast<uint64_t>(stored));
  auto items = c->Stats("items");
  auto slabs = c->Stats("slabs");
  const int cls = ClassWithUsedChunks(slabs, static_cast<uint64_t>(stored));
  ASSERT_NE(cls, 0);
  EXPECT_GT(Stat(items, "items:" + std::to_string(cls) + ":outofmemory"), 0u);
  // Deleting frees chunks that the next writes of that size reuse.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(c->Roundtrip("delete m:" + std::to_string(i) + "\r\n", "DELETED\r\n"));
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(
        c->Roundtrip(StorageCommand("set", "again:" + std::to_string(i), value), "STORED\r\n"));
  }
}

// -------------------------------------------------- slabs commands ---

TEST_P(StoreLimitsTest, SlabsAutomoveCommandReplies) {
  Client& c = client();
  EXPECT_TRUE(c.Roundtrip("slabs automove 0\r\n", "OK\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs automove 2\r\n", "OK\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs automove 1\r\n", "OK\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs automove 3\r\n", "ERROR\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs automove x\r\n", "CLIENT_ERROR bad command line format\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs automove -1\r\n", "CLIENT_ERROR bad command line format\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs foo\r\n", "ERROR\r\n"));
  EXPECT_TRUE(c.Roundtrip("slabs reassign 1\r\n", "ERROR\r\n"));
}

TEST_P(StoreLimitsTest, SlabsAutomoveShowsInStatsSettings) {
  Client& c = client();
  EXPECT_EQ(Stat(c.Stats("settings"), "slab_automove"), 1u);
  EXPECT_TRUE(c.Roundtrip("slabs automove 2\r\n", "OK\r\n"));
  EXPECT_EQ(Stat(c.Stats("settings"), "slab_automove"), 2u);
  EXPECT_TRUE(c.Roundtrip("slabs automove 0\r\n", "OK\r\n"));
  EXPECT_EQ(Stat(c.Stats("settings"), "slab_automove"), 0u);
}

TEST_P(StoreLimitsTest, SlabsReassignRefusals) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  const int cls = ClassesWithPages(c->Stats("slabs")).at(0);
  const std::string id = std::to_string(cls);
  EXPECT_TRUE(c->Roundtrip("slabs reassign " + id + " " + id + "\r\n",
                           "SAME src and dst class are identical\r\n"));
  EXPECT_TRUE(
      c->Roundtrip("slabs reassign " + id + " 99\r\n", "BADCLASS invalid src or dst class id\r\n"));
  EXPECT_TRUE(c->Roundtrip("slabs reassign " + id + " " + std::to_string(cls + 1) + "\r\n",
                           "NOSPARE source class has no spare pages\r\n"));
  // Class 0 is memcached's global page pool; it is empty here.
  EXPECT_TRUE(c->Roundtrip("slabs reassign 0 " + id + "\r\n",
                           "NOSPARE source class has no spare pages\r\n"));
  // -1: "any class with a spare page"; there is none.
  EXPECT_TRUE(c->Roundtrip("slabs reassign -1 " + std::to_string(cls + 1) + "\r\n",
                           "BADCLASS invalid src or dst class id\r\n"));
}

TEST_P(StoreLimitsTest, SlabsReassignMovesAPage) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer();
  ASSERT_NE(c, nullptr);
  const std::string value(1000, 'r');
  constexpr int kItems = 4000;  // ~4 MB: four pages or more
  std::string batch;
  for (int i = 0; i < kItems; ++i) batch += SetNoreply("r:" + std::to_string(i), value);
  ASSERT_TRUE(c->Send(batch));
  ASSERT_TRUE(Sync(*c));
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "tiny", "t"), "STORED\r\n"));
  auto slabs = c->Stats("slabs");
  const int big = ClassWithUsedChunks(slabs, kItems);
  const int tiny = ClassWithUsedChunks(slabs, 1);
  ASSERT_NE(big, 0);
  ASSERT_NE(tiny, 0);
  const uint64_t big_pages = Stat(slabs, std::to_string(big) + ":total_pages");
  ASSERT_GE(big_pages, 2u);
  EXPECT_TRUE(c->Roundtrip(
      "slabs reassign " + std::to_string(big) + " " + std::to_string(tiny) + "\r\n", "OK\r\n"));
  const auto deadline = SteadyClock::now() + seconds(10);
  while (Stat(c->Stats(), "slabs_moved") < 1 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto stats = c->Stats();
  EXPECT_EQ(Stat(stats, "slabs_moved"), 1u);
  slabs = c->Stats("slabs");
  EXPECT_EQ(Stat(slabs, std::to_string(big) + ":total_pages"), big_pages - 1);
  EXPECT_EQ(Stat(slabs, std::to_string(tiny) + ":total_pages"), 2u);
  // The page's items were evicted (the class had no free chunk to rescue them
  // into); everything still listed is readable and intact.
  uint64_t found = 0;
  for (int i = 0; i < kItems; ++i) {
    auto got = Get(*c, "r:" + std::to_string(i));
    if (got.has_value()) {
      ASSERT_EQ(*got, value);
      ++found;
    }
  }
  EXPECT_LT(found, static_cast<uint64_t>(kItems));
  EXPECT_EQ(found + 1, Stat(c->Stats(), "curr_items"));
  EXPECT_TRUE(c->Roundtrip("get tiny\r\n", ValueReply("tiny", "t") + "END\r\n"));
}

TEST_P(StoreLimitsTest, SlabsReassignToTheGlobalPagePool) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer();
  ASSERT_NE(c, nullptr);
  const std::string value(1000, 'p');
  constexpr int kItems = 3000;
  std::string batch;
  for (int i = 0; i < kItems; ++i) batch += SetNoreply("p:" + std::to_string(i), value);
  ASSERT_TRUE(c->Send(batch));
  ASSERT_TRUE(Sync(*c));
  auto slabs = c->Stats("slabs");
  const int cls = ClassWithUsedChunks(slabs, kItems);
  ASSERT_NE(cls, 0);
  const uint64_t pages = Stat(slabs, std::to_string(cls) + ":total_pages");
  EXPECT_EQ(Stat(c->Stats(), "slab_global_page_pool"), 0u);
  EXPECT_TRUE(c->Roundtrip("slabs reassign " + std::to_string(cls) + " 0\r\n", "OK\r\n"));
  const auto deadline = SteadyClock::now() + seconds(10);
  while (Stat(c->Stats(), "slabs_moved") < 1 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto stats = c->Stats();
  EXPECT_EQ(Stat(stats, "slabs_moved"), 1u);
  EXPECT_EQ(Stat(stats, "slab_global_page_pool"), 1u);
  EXPECT_EQ(Stat(c->Stats("slabs"), std::to_string(cls) + ":total_pages"), pages - 1);
  // memcached takes pages out of its pool by "slabs reassign 0 N" only when
  // it holds two or more.
  EXPECT_TRUE(c->Roundtrip("slabs reassign 0 " + std::to_string(cls) + "\r\n",
                           "NOSPARE source class has no spare pages\r\n"));
}

// ------------------------------------------------------ chunked items ---

// The classes with pages: id -> (chunk_size, used_chunks).
std::map<int, std::pair<uint64_t, uint64_t>> UsedClasses(Client& c) {
  std::map<int, std::pair<uint64_t, uint64_t>> out;
  const auto slabs = c.Stats("slabs");
  for (int id : ClassesWithPages(slabs)) {
    const std::string prefix = std::to_string(id) + ":";
    out[id] = {Stat(slabs, prefix + "chunk_size"), Stat(slabs, prefix + "used_chunks")};
  }
  return out;
}

// Items above half a page are chained from 512 KB chunks and a smaller tail,
// as memcached 1.6 does: a 700 KB value costs about 700 KB of chunks, not a
// 1 MiB one.
TEST_P(StoreLimitsTest, LargeItemsAreChainedFromHalfPageChunks) {
  Client& c = client();
  EXPECT_EQ(c.Stats("settings")["slab_chunk_max"], "524288");
  constexpr int kItems = 8;
  constexpr size_t kSize = 700'000;
  std::string batch;
  for (int i = 0; i < kItems; ++i)
    batch += SetNoreply("big:" + std::to_string(i), PatternValue(kSize, i));
  ASSERT_TRUE(c.Send(batch));
  ASSERT_TRUE(Sync(c));
  for (int i = 0; i < kItems; ++i) {
    const std::optional<std::string> got = Get(c, "big:" + std::to_string(i));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_TRUE(*got == PatternValue(kSize, i)) << "value " << i << " differs";
  }
  uint64_t largest = 0, chunk_bytes = 0;
  for (const auto& [id, info] : UsedClasses(c)) {
    largest = std::max(largest, info.first);
    chunk_bytes += info.first * info.second;
  }
  EXPECT_EQ(largest, 524288u);
  EXPECT_LT(chunk_bytes, kItems * kSize * 13 / 10);
  // Appending to a chained value, and meta reads of it.
  ASSERT_TRUE(c.Roundtrip(StorageCommand("append", "big:0", "+tail"), "STORED\r\n"));
  const std::optional<std::string> appended = Get(c, "big:0");
  ASSERT_TRUE(appended.has_value());
  EXPECT_TRUE(*appended == PatternValue(kSize, 0) + "+tail");
  ASSERT_TRUE(c.Send("mg big:1 s v\r\n"));
  EXPECT_EQ(c.ReadLine(), "VA " + std::to_string(kSize) + " s" + std::to_string(kSize) + "\r\n");
  EXPECT_TRUE(c.ReadExactly(kSize + 2) == PatternValue(kSize, 1) + "\r\n");
}

// -o slab_chunk_max sets the largest chunk (bytes here: memcached 1.6.18 reads
// bytes, current memcached kilobytes; slabcached takes both).
TEST_P(StoreLimitsTest, SlabChunkMaxOptionSetsTheLargestChunk) {
  SKIP_IF_ATTACHED();
  auto c =
      StartOwnServer({"-U", "0", "-t", "2", "-m", "64", "-I", "2m", "-o", "slab_chunk_max=65536"});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Stats("settings")["slab_chunk_max"], "65536");
  const std::string value = PatternValue(1536 * 1024, 7);
  ASSERT_TRUE(c->Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  const std::optional<std::string> got = Get(*c, "big");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == value) << "1.5 MiB value differs";
  for (const auto& [id, info] : UsedClasses(*c)) EXPECT_LE(info.first, 65536u) << id;
}

// Chained items live in ordinary pages, so pages holding them can move;
// the pieces on the moved page are copied into free chunks of their class.
TEST_P(StoreLimitsTest, SlabsReassignMovesPagesOfChainedItems) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer();
  ASSERT_NE(c, nullptr);
  constexpr int kItems = 12;
  constexpr size_t kSize = 700'000;
  std::string batch;
  for (int i = 0; i < kItems; ++i)
    batch += SetNoreply("big:" + std::to_string(i), PatternValue(kSize, i));
  ASSERT_TRUE(c->Send(batch));
  ASSERT_TRUE(Sync(*c));
  for (int i = 0; i < kItems; i += 2) {
    ASSERT_TRUE(c->Roundtrip("delete big:" + std::to_string(i) + "\r\n", "DELETED\r\n"));
  }
  int chunk_class = 0;
  for (const auto& [id, info] : UsedClasses(*c)) {
    if (info.first == 524288) chunk_class = id;
  }
  ASSERT_NE(chunk_class, 0);
  EXPECT_TRUE(c->Roundtrip("slabs reassign " + std::to_string(chunk_class) + " 0\r\n", "OK\r\n"));
  const auto deadline = SteadyClock::now() + seconds(10);
  while (Stat(c->Stats(), "slabs_moved") < 1 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(Stat(c->Stats(), "slabs_moved"), 1u);
  for (int i = 1; i < kItems; i += 2) {
    const std::optional<std::string> got = Get(*c, "big:" + std::to_string(i));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_TRUE(*got == PatternValue(kSize, i)) << "value " << i << " differs";
  }
}

// ----------------------------------------------------- stats figures ---

TEST_P(StoreLimitsTest, StatsSlabsAndItemsFollowSetsAndDeletes) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer();
  ASSERT_NE(c, nullptr);
  const std::string value(500, 'f');
  auto FKey = [](int i) {  // equal lengths: every item requests the same bytes
    char key[8];
    std::snprintf(key, sizeof(key), "f:%03d", i);
    return std::string(key);
  };
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c->Roundtrip(StorageCommand("set", FKey(i), value), "STORED\r\n"));
  }
  auto slabs = c->Stats("slabs");
  const int cls = ClassWithUsedChunks(slabs, 100);
  ASSERT_NE(cls, 0);
  const std::string p = std::to_string(cls) + ":";
  const uint64_t chunk = Stat(slabs, p + "chunk_size");
  EXPECT_GE(chunk, 500u + 8 + 2);
  EXPECT_LT(chunk, 1000u);
  EXPECT_EQ(Stat(slabs, p + "total_pages"), 1u);
  EXPECT_EQ(Stat(slabs, p + "chunks_per_page"), (uint64_t{1} << 20) / chunk);
  EXPECT_EQ(Stat(slabs, p + "total_chunks"), Stat(slabs, p + "chunks_per_page"));
  EXPECT_EQ(Stat(slabs, p + "used_chunks") + Stat(slabs, p + "free_chunks") +
                Stat(slabs, p + "free_chunks_end"),
            Stat(slabs, p + "total_chunks"));
  EXPECT_GE(Stat(slabs, "total_malloced"), uint64_t{1} << 20);
  auto items = c->Stats("items");
  const std::string q = "items:" + std::to_string(cls) + ":";
  EXPECT_EQ(Stat(items, q + "number"), 100u);
  EXPECT_EQ(Stat(items, q + "evicted"), 0u);
  const uint64_t requested = Stat(items, q + "mem_requested");
  EXPECT_GE(requested, 100u * (500 + 2));
  EXPECT_LE(requested, 100u * chunk);
  const uint64_t free_before = Stat(slabs, p + "free_chunks") + Stat(slabs, p + "free_chunks_end");

  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(c->Roundtrip("delete " + FKey(i) + "\r\n", "DELETED\r\n"));
  }
  slabs = c->Stats("slabs");
  items = c->Stats("items");
  EXPECT_EQ(Stat(items, q + "number"), 60u);
  EXPECT_EQ(Stat(slabs, p + "used_chunks"), 60u);
  EXPECT_EQ(Stat(slabs, p + "free_chunks") + Stat(slabs, p + "free_chunks_end"), free_before + 40);
  EXPECT_EQ(Stat(items, q + "mem_requested"), requested * 60 / 100);
  EXPECT_EQ(Stat(c->Stats(), "curr_items"), 60u);
}

TEST_P(StoreLimitsTest, StatsItemsCountEvictionsPerClass) {
  SKIP_IF_ATTACHED();
  auto c = StartOwnServer({"-U", "0", "-t", "2", "-m", "8", "-o", "slab_automove=0"});
  ASSERT_NE(c, nullptr);
  const std::string value(2000, 'e');
  std::string batch;
  for (int i = 0; i < 8000; ++i) batch += SetNoreply("e:" + std::to_string(i), value);
  ASSERT_TRUE(c->Send(batch));
  ASSERT_TRUE(Sync(*c));
  auto stats = c->Stats();
  auto items = c->Stats("items");
  auto slabs = c->Stats("slabs");
  uint64_t curr = Stat(stats, "curr_items");
  int cls = ClassWithUsedChunks(slabs, curr);
  ASSERT_NE(cls, 0) << "all items are in one class";
  const std::string q = "items:" + std::to_string(cls) + ":";
  // memcached's LRU maintainer may still be moving items when the three
  // groups are read one after the other: read again until they agree (a
  // bounded poll; slabcached agrees on the first read).
  for (int tries = 0; IsReference() && tries < 100 && Stat(items, q + "number") != curr; ++tries) {
    std::this_thread::sleep_for(milliseconds(20));  // the polling period
    stats = c->Stats();
    items = c->Stats("items");
    slabs = c->Stats("slabs");
    curr = Stat(stats, "curr_items");
  }
  EXPECT_EQ(Stat(items, q + "number"), curr);
  EXPECT_GT(Stat(items, q + "evicted"), 0u);
  EXPECT_EQ(Stat(items, q + "evicted"), Stat(stats, "evictions"));
  EXPECT_EQ(Stat(items, q + "evicted_unfetched"), Stat(stats, "evicted_unfetched"));
  EXPECT_EQ(curr + Stat(stats, "evictions"), 8000u);
  // The newest item is there; the oldest went first.
  EXPECT_TRUE(c->Roundtrip("get e:7999\r\n", ValueReply("e:7999", value) + "END\r\n"));
  EXPECT_TRUE(c->Roundtrip("get e:0\r\n", "END\r\n"));
}

INSTANTIATE_TEST_SUITE_P(StoreLimits, StoreLimitsTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
