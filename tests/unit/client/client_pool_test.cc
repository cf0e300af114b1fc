// ClientPool without servers (Clients connect lazily): leases are exclusive
// under eight threads, an exhausted pool waits and times out, a released
// Client goes to a waiting thread, and the pool's Clients share one health.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "client/pool.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

ClientConfig ThreeServers() {
  ClientConfig config;
  for (uint16_t port : {11, 12, 13}) config.servers.push_back({"127.0.0.1", port, 1, ""});
  return config;
}

TEST(ClientPoolTest, EachClientIsLeasedToOneThreadAtATime) {
  ClientPool pool(ThreeServers(), {.clients = 3, .wait_timeout = milliseconds(10000)});
  std::map<const Client*, std::atomic<int>> holders;
  {
    std::vector<ClientPool::Lease> all;
    for (int i = 0; i < 3; ++i) all.push_back(pool.Acquire());
    for (const ClientPool::Lease& lease : all) holders[&*lease];
  }
  ASSERT_EQ(holders.size(), 3u);  // three distinct Clients, all given back
  std::atomic<int> overlaps{0};
  std::atomic<int> leases{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        ClientPool::Lease lease = pool.Acquire();
        if (!lease) continue;
        leases.fetch_add(1);
        std::atomic<int>& holding = holders.at(&*lease);
        if (holding.fetch_add(1) != 0) overlaps.fetch_add(1);
        (void)lease->ServerFor("key");  // no I/O: the ring only
        holding.fetch_sub(1);
      }
    });
  }
  threads.clear();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(leases.load(), 8 * 2000);
  EXPECT_EQ(pool.available(), 3u);
}

TEST(ClientPoolTest, AnExhaustedPoolWaitsThenGivesAnEmptyLease) {
  ClientPool pool(ThreeServers(), {.clients = 1});
  ClientPool::Lease held = pool.Acquire();
  ASSERT_TRUE(held);
  EXPECT_EQ(pool.available(), 0u);
  const auto start = std::chrono::steady_clock::now();
  ClientPool::Lease none = pool.Acquire(milliseconds(50));
  EXPECT_FALSE(none);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
  held.Release();
  EXPECT_TRUE(pool.Acquire(milliseconds(0)));
}

TEST(ClientPoolTest, AReleasedClientGoesToAWaitingThread) {
  ClientPool pool(ThreeServers(), {.clients = 1});
  ClientPool::Lease held = pool.Acquire();
  const Client* mine = &*held;
  const Client* theirs = nullptr;
  std::jthread waiter([&] {
    ClientPool::Lease lease = pool.Acquire(milliseconds(60000));
    theirs = lease ? &*lease : nullptr;
  });
  held = ClientPool::Lease();  // move-assigning an empty lease releases
  waiter.join();
  EXPECT_EQ(theirs, mine);
}

TEST(ClientPoolTest, ThePooledClientsShareOneHealth) {
  ClientPool pool(ThreeServers(), {.clients = 2});
  ClientPool::Lease a = pool.Acquire();
  ClientPool::Lease b = pool.Acquire();
  EXPECT_EQ(&a->health(), &pool.health());
  EXPECT_EQ(&b->health(), &pool.health());
}

}  // namespace
}  // namespace slabcached::client
