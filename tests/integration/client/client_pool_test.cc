// ClientPool against three slabcached daemons: eight threads leasing
// Clients per operation read back what they wrote, and a daemon killed
// mid-run is ejected once, for every thread, after which every operation
// succeeds on the remaining two.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/pool.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

constexpr int kThreads = 8;

class ClientPoolTest : public testing::FleetTest<> {
 protected:
  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    config.failure_limit = 2;
    config.retry_interval = milliseconds(600000);  // stays out for the whole test
    return config;
  }
};

TEST_F(ClientPoolTest, EightThreadsReadBackWhatTheyWrote) {
  ClientPool pool(Config(), {.clients = 4, .wait_timeout = milliseconds(10000)});
  constexpr int kOps = 300;
  std::atomic<int> wrong{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const std::string key = "pool:" + std::to_string(t) + ":" + std::to_string(i);
        const std::string value = key + "=" + std::to_string(i * t);
        {
          auto cache = pool.Acquire();
          if (!cache || cache->Set(key, value, /*flags=*/t) != Status::kOk) ++wrong;
        }
        auto cache = pool.Acquire();
        Item item;
        if (!cache || cache->Get(key, &item) != Status::kOk || item.value != value ||
            item.flags != static_cast<uint32_t>(t)) {
          ++wrong;
        }
        if (i % 50 == 49) {  // a multi-get of this thread's last 50 keys
          std::vector<std::string> keys;
          for (int j = i - 49; j <= i; ++j) {
            keys.push_back("pool:" + std::to_string(t) + ":" + std::to_string(j));
          }
          std::map<std::string, Item> found;
          if (cache->MultiGet(keys, &found) != Status::kOk || found.size() != 50) ++wrong;
        }
      }
    });
  }
  threads.clear();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(pool.available(), 4u);
  for (uint32_t s = 0; s < 3; ++s) EXPECT_EQ(pool.health().Ejections(s), 0u);
}

TEST_F(ClientPoolTest, ADaemonKilledMidRunIsEjectedOnceForAllThreads) {
  ClientPool pool(Config(), {.clients = kThreads, .wait_timeout = milliseconds(10000)});
  constexpr uint32_t kVictim = 1;
  constexpr int kOpsBefore = 200;  // per thread, before the kill
  constexpr int kOpsAfter = 200;   // per thread, once the thread saw the ejection
  std::atomic<int> ready{0};
  std::atomic<bool> killed{false};
  std::atomic<int> failures{0};
  std::atomic<int> failures_after_ejection{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int after = 0;
      for (int i = 0; after < kOpsAfter; ++i) {
        if (i == kOpsBefore) {  // wait for the kill, holding no lease
          ready.fetch_add(1);
          while (!killed.load()) std::this_thread::yield();
        }
        const bool seen_ejected = pool.health().IsEjected(kVictim);
        const std::string key = "kill:" + std::to_string(t) + ":" + std::to_string(i);
        auto cache = pool.Acquire();
        const Status set = cache->Set(key, "v");
        Item item;
        const Status get = set == Status::kOk ? cache->Get(key, &item) : set;
        if (get != Status::kOk) {
          ++failures;
          if (seen_ejected) ++failures_after_ejection;
        }
        if (seen_ejected) ++after;
      }
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  fleet_.daemons[kVictim]->Kill(SIGKILL);
  killed.store(true);
  threads.clear();

  EXPECT_EQ(pool.health().Ejections(kVictim), 1u);
  EXPECT_TRUE(pool.health().IsEjected(kVictim));
  EXPECT_EQ(pool.health().Ejections(0), 0u);
  EXPECT_EQ(pool.health().Ejections(2), 0u);
  // Only operations already aimed at the dead daemon failed: at most the
  // failure limit plus one in flight per thread.
  EXPECT_GE(failures.load(), 1);
  EXPECT_LE(failures.load(), 2 + kThreads);
  EXPECT_EQ(failures_after_ejection.load(), 0);
  auto cache = pool.Acquire();
  EXPECT_NE(cache->ServerFor("any"), kVictim);
}

}  // namespace
}  // namespace slabcached::client
