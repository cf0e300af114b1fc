// CacheAside's meta-protocol stampede protection (mg N/R, W/X/Z) against
// real daemons: three slabcached, and Debian's memcached 1.6.18
// ($MEMCACHED_BIN) alone. Capability probing: "mn" answered MN (both) or
// ERROR (a loopback stub standing in for memcached < 1.6). Each thread has
// its own Client.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/cache_aside.h"
#include "client/client.h"
#include "tests/integration/client/client_checks.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using testing::CountingLoader;

// What a stampede of callers saw.
struct Outcome {
  std::atomic<int> ok{0};
  std::atomic<int> not_found{0};
  std::atomic<int> other{0};
  std::atomic<int> won{0};
  std::atomic<int> meta{0};
  std::mutex mu;
  std::multiset<std::string> values;
};

class MetaCacheAsideTest : public ::testing::Test {
 protected:
  // Three slabcached daemons, or (memcached = true) one $MEMCACHED_BIN.
  void Start(bool memcached) {
    const std::string binary = memcached ? testing::MemcachedBinary() : testing::SlabcachedBinary();
    if (binary.empty())
      GTEST_SKIP() << (memcached ? "MEMCACHED_BIN" : "SLABCACHED_BIN") << " unset";
    std::string error;
    ASSERT_TRUE(testing::StartFleet(binary, memcached ? 1 : 3, &fleet_, &error)) << error;
  }

  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    return config;
  }

  void Stampede(int callers, const CacheAside& patterns, const std::string& key, const Loader& load,
                int64_t ttl, Outcome* outcome) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < callers; ++i) clients.push_back(std::make_unique<Client>(Config()));
    std::latch start(callers);
    std::vector<std::jthread> threads;
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        std::string value;
        LoadInfo info;
        const Status s =
            patterns.GetOrLoad(*clients[static_cast<size_t>(i)], key, load, ttl, &value, &info);
        if (info.lock_won) ++outcome->won;
        if (info.strategy == StampedeProtection::kMeta) ++outcome->meta;
        if (s == Status::kOk) {
          ++outcome->ok;
          std::lock_guard lock(outcome->mu);
          outcome->values.insert(value);
        } else if (s == Status::kNotFound) {
          ++outcome->not_found;
        } else {
          ++outcome->other;
        }
      });
    }
  }

  static bool WaitUntilGone(Client& cache, const std::string& key) {
    const auto deadline = Clock::now() + milliseconds(5000);
    Item item;
    while (Clock::now() < deadline) {
      if (cache.Get(key, &item) == Status::kNotFound) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  testing::Fleet fleet_;
};

TEST_F(MetaCacheAsideTest, SlabcachedIsProbedAsMetaAndKAutoPicksIt) {
  Start(false);
  Client cache(Config());
  for (uint32_t s = 0; s < 3; ++s) EXPECT_EQ(cache.MetaSupportOf(s), MetaSupport::kYes);
  EXPECT_EQ(CacheAside().ProtectionFor(cache, "any"), StampedeProtection::kMeta);
  CacheAsideConfig config;
  config.protection = StampedeProtection::kAddLock;  // the per-config override
  EXPECT_EQ(CacheAside(config).ProtectionFor(cache, "any"), StampedeProtection::kAddLock);
  ClientConfig binary = Config();
  binary.protocol = Protocol::kBinary;
  Client over_binary(binary);
  EXPECT_EQ(over_binary.MetaSupportOf(0), MetaSupport::kNo);
  EXPECT_EQ(CacheAside().ProtectionFor(over_binary, "any"), StampedeProtection::kAddLock);
}

TEST_F(MetaCacheAsideTest, AMissLoadsOnceStoresWithTheTtlAndNoLockKey) {
  Start(false);
  Client cache(Config());
  CountingLoader db;
  std::string value;
  LoadInfo info;
  EXPECT_EQ(CacheAside().GetOrLoad(cache, "user:7", db.AsLoader(), 60, &value, &info), Status::kOk);
  EXPECT_EQ(info.strategy, StampedeProtection::kMeta);
  EXPECT_TRUE(info.lock_won);
  EXPECT_FALSE(info.refreshed);
  MetaItem item;
  ASSERT_EQ(cache.MetaGet("user:7", {}, &item), Status::kOk);
  EXPECT_EQ(item.value, "from-db");
  EXPECT_GT(item.ttl, 50);
  EXPECT_FALSE(item.token_sent) << "ms cleared the win token";
  Item lock;
  EXPECT_EQ(cache.Get("user:7:lock", &lock), Status::kNotFound);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(CacheAside().GetOrLoad(cache, "user:7", db.AsLoader(), 60, &value, &info),
              Status::kOk);
    EXPECT_TRUE(info.from_cache);
  }
  EXPECT_EQ(db.calls, 1);
}

TEST_F(MetaCacheAsideTest, FiftyCallersOnAMissingHotKeyCallTheLoaderOnce) {
  Start(false);
  CountingLoader db;
  db.delay = milliseconds(200);
  Outcome outcome;
  Stampede(50, CacheAside(), "hot:missing", db.AsLoader(), 60, &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.won, 1) << "one W";
  EXPECT_EQ(outcome.meta, 50);
  EXPECT_EQ(outcome.ok, 50);
  EXPECT_EQ(outcome.values.count("from-db"), 50u);
}

TEST_F(MetaCacheAsideTest, FiftyCallersOnAnExpiredHotKeyCallTheLoaderOnce) {
  Start(false);
  Client cache(Config());
  ASSERT_EQ(cache.Set("hot:expired", "old", 0, 1), Status::kOk);
  ASSERT_TRUE(WaitUntilGone(cache, "hot:expired"));
  CountingLoader db;
  db.delay = milliseconds(200);
  Outcome outcome;
  Stampede(50, CacheAside(), "hot:expired", db.AsLoader(), 60, &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.won, 1);
  EXPECT_EQ(outcome.ok, 50);
  EXPECT_EQ(outcome.values.count("from-db"), 50u);
}

TEST_F(MetaCacheAsideTest, FiftyCallersOnAMissingRowCallTheLoaderOnce) {
  Start(false);
  CountingLoader db;
  db.result = LoadResult::kNotFound;
  db.delay = milliseconds(100);
  Outcome outcome;
  Stampede(50, CacheAside(), "hot:absent", db.AsLoader(), 60, &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.not_found, 50);
  Client cache(Config());
  Item item;
  ASSERT_EQ(cache.Get("hot:absent", &item), Status::kOk);
  EXPECT_TRUE(IsNegativeEntry(item));
}

// R: near expiry one caller refreshes, the others keep the current value.
TEST_F(MetaCacheAsideTest, EarlyRefreshLoadsOnceWhileOthersGetTheOldValue) {
  Start(false);
  CacheAsideConfig config;
  config.recache_ttl = 2;
  const CacheAside patterns(config);
  Client cache(Config());
  ASSERT_EQ(cache.Set("hot:aging", "old", 0, 3), Status::kOk);
  // Wait until less than 2 s are left (the refresh window).
  MetaItem item;
  const auto deadline = Clock::now() + milliseconds(3000);
  do {
    std::this_thread::sleep_for(milliseconds(50));
    ASSERT_EQ(cache.MetaGet("hot:aging", {}, &item), Status::kOk);
  } while (item.ttl >= 2 && Clock::now() < deadline);
  ASSERT_EQ(item.ttl, 1);
  CountingLoader db;
  db.value = "new";
  db.delay = milliseconds(300);
  Outcome outcome;
  Stampede(50, patterns, "hot:aging", db.AsLoader(), 60, &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.won, 1);
  EXPECT_EQ(outcome.ok, 50) << "no caller saw a miss";
  EXPECT_EQ(outcome.values.count("old") + outcome.values.count("new"), 50u);
  EXPECT_GE(outcome.values.count("old"), 40u) << "served while the refresh ran";
  ASSERT_EQ(cache.MetaGet("hot:aging", {}, &item), Status::kOk);
  EXPECT_EQ(item.value, "new");
  EXPECT_GT(item.ttl, 50);
}

// Readers across several expiries of a short TTL never wait nor miss.
TEST_F(MetaCacheAsideTest, ReadersNeverMissAcrossExpiriesWithEarlyRefresh) {
  Start(false);
  CacheAsideConfig config;
  config.recache_ttl = 2;
  const CacheAside patterns(config);
  CountingLoader db;
  db.delay = milliseconds(50);
  {
    Client first(Config());
    std::string value;
    ASSERT_EQ(patterns.GetOrLoad(first, "hot:short", db.AsLoader(), 3, &value), Status::kOk);
  }
  std::atomic<int> bad{0}, waited{0}, reads{0};
  std::vector<std::jthread> threads;
  const auto until = Clock::now() + milliseconds(4500);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Client cache(Config());
      while (Clock::now() < until) {
        std::string value;
        LoadInfo info;
        if (patterns.GetOrLoad(cache, "hot:short", db.AsLoader(), 3, &value, &info) !=
                Status::kOk ||
            value != "from-db") {
          ++bad;
        }
        if (info.polls > 0) ++waited;
        ++reads;
        std::this_thread::sleep_for(milliseconds(5));
      }
    });
  }
  threads.clear();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(waited, 0) << "nobody waited for a load";
  EXPECT_GT(reads, 500);
  // 4.5 s of a 3 s TTL refreshed at 1 s left: one load every ~2 s.
  EXPECT_GE(db.calls, 2);
  EXPECT_LE(db.calls, 5);
}

TEST_F(MetaCacheAsideTest, ALoaderErrorDropsThePlaceholderSoTheNextCallerLoadsAtOnce) {
  Start(false);
  Client cache(Config());
  CountingLoader db;
  db.result = LoadResult::kError;
  std::string value;
  EXPECT_EQ(CacheAside().GetOrLoad(cache, "flaky", db.AsLoader(), 60, &value),
            Status::kBackendError);
  Item item;
  EXPECT_EQ(cache.Get("flaky", &item), Status::kNotFound) << "md C<cas> removed the placeholder";
  db.result = LoadResult::kFound;
  LoadInfo info;
  EXPECT_EQ(CacheAside().GetOrLoad(cache, "flaky", db.AsLoader(), 60, &value, &info), Status::kOk);
  EXPECT_EQ(info.polls, 0u);
  EXPECT_EQ(db.calls, 2);
}

// A writer deletes the key while the winner loads: the winner's ms C<cas>
// finds no placeholder, so the (possibly older) loaded row is not cached.
TEST_F(MetaCacheAsideTest, AWriteDuringTheLoadIsNotOverwritten) {
  Start(false);
  Client reader(Config());
  Client writer(Config());
  std::atomic<bool> loading{false};
  Loader slow = [&](std::string_view, std::string* v) {
    loading = true;
    std::this_thread::sleep_for(milliseconds(200));
    *v = "row-before-write";
    return LoadResult::kFound;
  };
  std::jthread read([&] {
    std::string value;
    EXPECT_EQ(CacheAside().GetOrLoad(reader, "row", slow, 60, &value), Status::kOk);
    EXPECT_EQ(value, "row-before-write");
  });
  while (!loading) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_EQ(CacheAside().WriteThrough(writer, "row", [] { return true; }), Status::kOk);
  read.join();
  Item item;
  EXPECT_EQ(writer.Get("row", &item), Status::kNotFound);
}

TEST_F(MetaCacheAsideTest, AWinnerThatNeverStoresEndsInBusyOrOneOwnLoad) {
  Start(false);
  Client cache(Config());
  MetaItem won;
  MetaGetOptions vivify;
  vivify.vivify_ttl = 60;
  ASSERT_EQ(cache.MetaGet("stuck", vivify, &won), Status::kOk);
  ASSERT_TRUE(won.won);
  CountingLoader db;
  CacheAsideConfig config;
  config.lock_wait = milliseconds(150);
  config.on_lock_timeout = LockTimeoutAction::kBusy;
  std::string value;
  LoadInfo info;
  const auto start = Clock::now();
  EXPECT_EQ(CacheAside(config).GetOrLoad(cache, "stuck", db.AsLoader(), 60, &value, &info),
            Status::kBusy);
  EXPECT_GE(Clock::now() - start, milliseconds(150));
  EXPECT_GT(info.polls, 1u);
  EXPECT_EQ(db.calls, 0);
  config.on_lock_timeout = LockTimeoutAction::kLoad;
  EXPECT_EQ(CacheAside(config).GetOrLoad(cache, "stuck", db.AsLoader(), 60, &value, &info),
            Status::kOk);
  EXPECT_EQ(value, "from-db");
  EXPECT_EQ(db.calls, 1);
}

// Debian's memcached 1.6.18 speaks meta with N/R/W/Z: kAuto uses it.
TEST_F(MetaCacheAsideTest, Memcached1618IsProbedAsMetaAndLoadsOnce) {
  Start(true);
  Client cache(Config());
  EXPECT_EQ(cache.MetaSupportOf(0), MetaSupport::kYes);
  CountingLoader db;
  db.delay = milliseconds(200);
  Outcome outcome;
  Stampede(50, CacheAside(), "hot:memcached", db.AsLoader(), 60, &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.meta, 50);
  EXPECT_EQ(outcome.won, 1);
  EXPECT_EQ(outcome.values.count("from-db"), 50u);
}

TEST_F(MetaCacheAsideTest, TheAddLockOverrideStillWorksAgainstMemcached1618) {
  Start(true);
  CacheAsideConfig config;
  config.protection = StampedeProtection::kAddLock;
  CountingLoader db;
  db.delay = milliseconds(200);
  Outcome outcome;
  Stampede(50, CacheAside(config), "hot:addlock", db.AsLoader(), 60, &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.meta, 0);
  EXPECT_EQ(outcome.values.count("from-db"), 50u);
}

// A server before memcached 1.6 answers "ERROR" to "mn": a loopback stub
// that answers ERROR to every line stands in for it.
TEST_F(MetaCacheAsideTest, AnErrorToTheProbeMeansTheAddLock) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::jthread stub([listener] {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    char buf[512];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == '\n' && send(fd, "ERROR\r\n", 7, MSG_NOSIGNAL) != 7) break;
      }
    }
    close(fd);
  });
  ClientConfig config;
  config.servers = {ServerSpec{"127.0.0.1", ntohs(addr.sin_port), 1, ""}};
  config.timeout = milliseconds(1000);
  {
    Client cache(config);
    EXPECT_EQ(cache.MetaSupportOf(0), MetaSupport::kNo);
    EXPECT_EQ(CacheAside().ProtectionFor(cache, "k"), StampedeProtection::kAddLock);
    EXPECT_FALSE(cache.IsEjected(0)) << "ERROR is an answer, not a failure";
  }
  shutdown(listener, SHUT_RDWR);
  close(listener);
}

}  // namespace
}  // namespace slabcached::client
