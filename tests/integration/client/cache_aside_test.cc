// CacheAside (client/cache_aside.h) against three real slabcached daemons:
// negative caching and GetOrLoad's add-based stampede lock, counted in loader
// calls. Each thread has its own Client (a Client is not thread-safe).
#include "client/cache_aside.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/client_checks.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// These tests pin the add-based lock (kAuto would pick the meta protocol
// against slabcached; meta_cache_aside_test.cc covers that).
CacheAsideConfig AddLock() {
  CacheAsideConfig config;
  config.protection = StampedeProtection::kAddLock;
  return config;
}

using testing::CountingLoader;

class CacheAsideTest : public testing::FleetTest<> {
 protected:
  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    return config;
  }

  // Waits (bounded) until `key` has expired.
  static bool WaitUntilGone(Client& cache, const std::string& key) {
    const auto deadline = Clock::now() + milliseconds(5000);
    Item item;
    while (Clock::now() < deadline) {
      if (cache.Get(key, &item) == Status::kNotFound) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  struct Outcome {
    std::atomic<int> ok{0};
    std::atomic<int> not_found{0};
    std::atomic<int> other{0};
    std::atomic<int> wrong_value{0};
  };

  // `callers` threads, each with its own Client, call GetOrLoad on `key` at once.
  void Stampede(int callers, const CacheAside& patterns, const std::string& key, const Loader& load,
                Outcome* outcome) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < callers; ++i) clients.push_back(std::make_unique<Client>(Config()));
    std::latch start(callers);
    std::vector<std::jthread> threads;
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        std::string value;
        const Status s =
            patterns.GetOrLoad(*clients[static_cast<size_t>(i)], key, load, 60, &value);
        if (s == Status::kOk) {
          ++outcome->ok;
          if (value != "from-db") ++outcome->wrong_value;
        } else if (s == Status::kNotFound) {
          ++outcome->not_found;
        } else {
          ++outcome->other;
        }
      });
    }
  }
};

TEST_F(CacheAsideTest, AHitDoesNotCallTheLoader) {
  Client cache(Config());
  ASSERT_EQ(cache.Set("user:1", "cached"), Status::kOk);
  CountingLoader db;
  CacheAside patterns(AddLock());
  std::string value;
  LoadInfo info;
  EXPECT_EQ(patterns.GetOrLoad(cache, "user:1", db.AsLoader(), 60, &value, &info), Status::kOk);
  EXPECT_EQ(value, "cached");
  EXPECT_TRUE(info.from_cache);
  EXPECT_EQ(db.calls, 0);
}

TEST_F(CacheAsideTest, AMissLoadsOnceAndStoresWithTheTtl) {
  Client cache(Config());
  CountingLoader db;
  CacheAside patterns(AddLock());
  std::string value;
  LoadInfo info;
  EXPECT_EQ(patterns.GetOrLoad(cache, "user:2", db.AsLoader(), 60, &value, &info), Status::kOk);
  EXPECT_EQ(value, "from-db");
  EXPECT_TRUE(info.lock_won);
  EXPECT_EQ(info.loader_calls, 1u);
  Item item;
  ASSERT_EQ(cache.Get("user:2", &item), Status::kOk);
  EXPECT_EQ(item.value, "from-db");
  EXPECT_EQ(item.flags, 0u);
  EXPECT_EQ(cache.Get("user:2:lock", &item), Status::kNotFound) << "the lock is released";
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(patterns.GetOrLoad(cache, "user:2", db.AsLoader(), 60, &value), Status::kOk);
  }
  EXPECT_EQ(db.calls, 1);
}

TEST_F(CacheAsideTest, NegativeCachingLoadsAMissingRowOncePerNegativeTtl) {
  Client cache(Config());
  CountingLoader db;
  db.result = LoadResult::kNotFound;
  CacheAsideConfig config = AddLock();
  config.negative_ttl = 1;
  CacheAside patterns(config);
  std::string value;
  for (int i = 0; i < 20; ++i) {
    LoadInfo info;
    EXPECT_EQ(patterns.GetOrLoad(cache, "nobody", db.AsLoader(), 60, &value, &info),
              Status::kNotFound);
    EXPECT_TRUE(info.negative);
    EXPECT_EQ(info.from_cache, i > 0);
  }
  EXPECT_EQ(db.calls, 1) << "20 lookups of a missing row, one database call";
  // The sentinel other clients see: empty value, flags exactly bit 31.
  Item item;
  ASSERT_EQ(cache.Get("nobody", &item), Status::kOk);
  EXPECT_EQ(item.value, "");
  EXPECT_EQ(item.flags, kNegativeEntryFlag);
  EXPECT_TRUE(IsNegativeEntry(item));
  // After negative_ttl the row is looked up again.
  ASSERT_TRUE(WaitUntilGone(cache, "nobody"));
  EXPECT_EQ(patterns.GetOrLoad(cache, "nobody", db.AsLoader(), 60, &value), Status::kNotFound);
  EXPECT_EQ(db.calls, 2);
  // A row that appears replaces the negative entry on the next write.
  ASSERT_EQ(cache.Set("nobody", "now here"), Status::kOk);
  EXPECT_EQ(patterns.GetOrLoad(cache, "nobody", db.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(value, "now here");
  EXPECT_EQ(db.calls, 2);
}

TEST_F(CacheAsideTest, NegativeCachingOffLoadsEveryTime) {
  Client cache(Config());
  CountingLoader db;
  db.result = LoadResult::kNotFound;
  CacheAsideConfig config = AddLock();
  config.negative_ttl = 0;
  CacheAside patterns(config);
  std::string value;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(patterns.GetOrLoad(cache, "nobody", db.AsLoader(), 60, &value), Status::kNotFound);
  }
  EXPECT_EQ(db.calls, 5);
  Item item;
  EXPECT_EQ(cache.Get("nobody", &item), Status::kNotFound);
}

TEST_F(CacheAsideTest, FiftyCallersOnAMissingHotKeyCallTheLoaderOnce) {
  CountingLoader db;
  db.delay = milliseconds(200);
  CacheAside patterns(AddLock());
  Outcome outcome;
  Stampede(50, patterns, "hot:missing", db.AsLoader(), &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.ok, 50);
  EXPECT_EQ(outcome.wrong_value, 0);
}

TEST_F(CacheAsideTest, FiftyCallersOnAnExpiredHotKeyCallTheLoaderOnce) {
  Client cache(Config());
  ASSERT_EQ(cache.Set("hot:expiring", "old", 0, 1), Status::kOk);
  ASSERT_TRUE(WaitUntilGone(cache, "hot:expiring"));
  CountingLoader db;
  db.delay = milliseconds(200);
  CacheAside patterns(AddLock());
  Outcome outcome;
  Stampede(50, patterns, "hot:expiring", db.AsLoader(), &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.ok, 50);
  EXPECT_EQ(outcome.wrong_value, 0);
}

TEST_F(CacheAsideTest, FiftyCallersOnAMissingRowCallTheLoaderOnce) {
  CountingLoader db;
  db.result = LoadResult::kNotFound;
  db.delay = milliseconds(100);
  CacheAside patterns(AddLock());
  Outcome outcome;
  Stampede(50, patterns, "hot:absent", db.AsLoader(), &outcome);
  EXPECT_EQ(db.calls, 1);
  EXPECT_EQ(outcome.not_found, 50);
}

TEST_F(CacheAsideTest, WithoutProtectionEveryCallerLoads) {
  CountingLoader db;
  db.delay = milliseconds(200);
  CacheAsideConfig config = AddLock();
  config.protection = StampedeProtection::kNone;
  CacheAside patterns(config);
  Outcome outcome;
  Stampede(50, patterns, "hot:unprotected", db.AsLoader(), &outcome);
  EXPECT_EQ(outcome.ok, 50);
  EXPECT_GT(db.calls, 10) << "the stampede the lock prevents";
}

TEST_F(CacheAsideTest, ALoaderErrorIsNotCachedAndReleasesTheLock) {
  Client cache(Config());
  CountingLoader db;
  db.result = LoadResult::kError;
  CacheAside patterns(AddLock());
  std::string value;
  EXPECT_EQ(patterns.GetOrLoad(cache, "flaky", db.AsLoader(), 60, &value), Status::kBackendError);
  Item item;
  EXPECT_EQ(cache.Get("flaky", &item), Status::kNotFound);
  EXPECT_EQ(cache.Get("flaky:lock", &item), Status::kNotFound);
  db.result = LoadResult::kFound;
  EXPECT_EQ(patterns.GetOrLoad(cache, "flaky", db.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(db.calls, 2);
}

TEST_F(CacheAsideTest, AHeldLockEndsInBusyOrInOneOwnLoad) {
  Client cache(Config());
  ASSERT_EQ(cache.Add("held:lock", "1", 0, 60), Status::kOk);  // a winner that never finishes
  CountingLoader db;
  CacheAsideConfig config = AddLock();
  config.lock_wait = milliseconds(150);
  config.on_lock_timeout = LockTimeoutAction::kBusy;
  std::string value;
  LoadInfo info;
  const auto start = Clock::now();
  EXPECT_EQ(CacheAside(config).GetOrLoad(cache, "held", db.AsLoader(), 60, &value, &info),
            Status::kBusy);
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(150));
  EXPECT_LT(waited, milliseconds(1000));
  EXPECT_GT(info.polls, 1u);
  EXPECT_EQ(db.calls, 0);

  config.on_lock_timeout = LockTimeoutAction::kLoad;
  EXPECT_EQ(CacheAside(config).GetOrLoad(cache, "held", db.AsLoader(), 60, &value, &info),
            Status::kOk);
  EXPECT_EQ(value, "from-db");
  EXPECT_FALSE(info.lock_won);
  EXPECT_EQ(db.calls, 1);
  Item item;
  ASSERT_EQ(cache.Get("held", &item), Status::kOk) << "stored with add";
}

TEST_F(CacheAsideTest, TheLockOfADeadWinnerExpiresAndAWaiterTakesOver) {
  Client cache(Config());
  ASSERT_EQ(cache.Add("orphan:lock", "1", 0, 1), Status::kOk);  // its owner crashed
  CountingLoader db;
  CacheAsideConfig config = AddLock();
  config.lock_wait = milliseconds(5000);
  std::string value;
  LoadInfo info;
  EXPECT_EQ(CacheAside(config).GetOrLoad(cache, "orphan", db.AsLoader(), 60, &value, &info),
            Status::kOk);
  EXPECT_TRUE(info.lock_won);
  EXPECT_EQ(db.calls, 1);
}

TEST_F(CacheAsideTest, FailsOpenWhenTheCacheIsDown) {
  ClientConfig config;
  config.servers = {ServerSpec{"127.0.0.1", static_cast<uint16_t>(testing::FreePort()), 1, ""}};
  config.timeout = milliseconds(300);
  Client cache(config);
  CountingLoader db;
  std::string value;
  LoadInfo info;
  EXPECT_EQ(CacheAside(AddLock()).GetOrLoad(cache, "k", db.AsLoader(), 60, &value, &info),
            Status::kOk);
  EXPECT_EQ(value, "from-db");
  EXPECT_EQ(info.cache_status, Status::kConnectionFailure);
  EXPECT_EQ(db.calls, 1);

  CacheAsideConfig strict;
  strict.load_when_cache_fails = false;
  const Status s = CacheAside(strict).GetOrLoad(cache, "k", db.AsLoader(), 60, &value);
  EXPECT_TRUE(s == Status::kConnectionFailure || s == Status::kNoServer) << StatusName(s);
  EXPECT_EQ(db.calls, 1);
}

TEST_F(CacheAsideTest, BadArgumentsCallNothing) {
  Client cache(Config());
  CountingLoader db;
  CacheAside patterns(AddLock());
  std::string value;
  EXPECT_EQ(patterns.GetOrLoad(cache, std::string(246, 'k'), db.AsLoader(), 60, &value),
            Status::kInvalidArgument);
  EXPECT_EQ(patterns.GetOrLoad(cache, "a b", db.AsLoader(), 60, &value), Status::kInvalidArgument);
  EXPECT_EQ(patterns.GetOrLoad(cache, "k", db.AsLoader(), -1, &value), Status::kInvalidArgument);
  EXPECT_EQ(patterns.GetOrLoad(cache, "k", Loader(), 60, &value), Status::kInvalidArgument);
  EXPECT_EQ(db.calls, 0);
}

// A database row the tests write and read.
struct Row {
  std::string value = "v1";
  bool fail_writes = false;
  std::atomic<int> loads{0};
  Loader AsLoader() {
    return [this](std::string_view, std::string* v) {
      ++loads;
      *v = value;
      return LoadResult::kFound;
    };
  }
  DbWriter Write(std::string v) {
    return [this, v] {
      if (fail_writes) return false;
      value = v;
      return true;
    };
  }
};

TEST_F(CacheAsideTest, WriteThroughDeleteMakesTheNextReadLoadTheNewRow) {
  Client cache(Config());
  CacheAside patterns(AddLock());
  Row row;
  std::string value;
  ASSERT_EQ(patterns.GetOrLoad(cache, "row", row.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(patterns.WriteThrough(cache, "row", row.Write("v2")), Status::kOk);
  Item item;
  EXPECT_EQ(cache.Get("row", &item), Status::kNotFound);
  ASSERT_EQ(patterns.GetOrLoad(cache, "row", row.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(row.loads, 2);
  // Deleting a key that is not cached is fine.
  EXPECT_EQ(patterns.WriteThrough(cache, "never-cached", row.Write("v3")), Status::kOk);
}

TEST_F(CacheAsideTest, WriteThroughSetStoresTheWrittenValue) {
  Client cache(Config());
  CacheAside patterns(AddLock());
  Row row;
  std::string value;
  ASSERT_EQ(patterns.GetOrLoad(cache, "row", row.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(patterns.WriteThrough(cache, "row", row.Write("v2"), WriteMode::kSet, "v2", 60),
            Status::kOk);
  ASSERT_EQ(patterns.GetOrLoad(cache, "row", row.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(row.loads, 1) << "served from the cache, not the database";
}

TEST_F(CacheAsideTest, WriteThroughReplacesANegativeEntry) {
  Client cache(Config());
  CacheAside patterns(AddLock());
  CountingLoader missing;
  missing.result = LoadResult::kNotFound;
  std::string value;
  ASSERT_EQ(patterns.GetOrLoad(cache, "new-row", missing.AsLoader(), 60, &value),
            Status::kNotFound);
  Row row;  // the row is inserted
  EXPECT_EQ(patterns.WriteThrough(cache, "new-row", row.Write("born")), Status::kOk);
  ASSERT_EQ(patterns.GetOrLoad(cache, "new-row", row.AsLoader(), 60, &value), Status::kOk);
  EXPECT_EQ(value, "born");
}

TEST_F(CacheAsideTest, AFailedDatabaseWriteLeavesTheCacheAlone) {
  Client cache(Config());
  CacheAside patterns(AddLock());
  Row row;
  std::string value;
  ASSERT_EQ(patterns.GetOrLoad(cache, "row", row.AsLoader(), 60, &value), Status::kOk);
  row.fail_writes = true;
  EXPECT_EQ(patterns.WriteThrough(cache, "row", row.Write("v2")), Status::kBackendError);
  EXPECT_EQ(patterns.WriteThrough(cache, "row", row.Write("v2"), WriteMode::kSet, "v2"),
            Status::kBackendError);
  Item item;
  ASSERT_EQ(cache.Get("row", &item), Status::kOk);
  EXPECT_EQ(item.value, "v1");
}

TEST_F(CacheAsideTest, AWriteThroughSetThatFailsDropsTheOldValue) {
  Client cache(Config());
  CacheAside patterns(AddLock());
  ASSERT_EQ(cache.Set("row", "old"), Status::kOk);
  const std::string huge(2 << 20, 'x');  // over the daemon's 1 MiB item limit
  Row row;
  EXPECT_EQ(patterns.WriteThrough(cache, "row", row.Write(huge), WriteMode::kSet, huge, 60),
            Status::kServerError);
  Item item;
  EXPECT_EQ(cache.Get("row", &item), Status::kNotFound);
  EXPECT_EQ(row.value.size(), huge.size()) << "the database write happened";
}

TEST_F(CacheAsideTest, WriteThroughRejectsBadArgumentsBeforeTheDatabase) {
  Client cache(Config());
  Row row;
  EXPECT_EQ(CacheAside(AddLock()).WriteThrough(cache, "", row.Write("x")),
            Status::kInvalidArgument);
  EXPECT_EQ(CacheAside(AddLock()).WriteThrough(cache, "k", DbWriter()), Status::kInvalidArgument);
  EXPECT_EQ(row.value, "v1");
}

}  // namespace
}  // namespace slabcached::client
