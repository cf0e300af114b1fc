// probe_before_restore against real daemons: a killed daemon is ejected by
// the first failure, then every later user request succeeds (the others
// take its keys while "version" probes to it fail), and once it is
// restarted on the same port the next request's probe brings it back, so
// its keys go to it again, all without a user request failing.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class HealthProbeTest : public testing::FleetTest<> {
 protected:
  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    config.failure_limit = 1;
    // Due at once: each request probes the dead server first (a refused
    // connect), so the test needs no waiting.
    config.retry_interval = milliseconds(0);
    config.probe_before_restore = true;
    return config;
  }

  // Sets and reads back `count` keys; returns how many operations failed.
  static int Failures(Client* cache, const std::string& prefix, int count) {
    int failed = 0;
    for (int i = 0; i < count; ++i) {
      const std::string key = prefix + std::to_string(i);
      Item item;
      if (cache->Set(key, key) != Status::kOk) ++failed;
      if (cache->Get(key, &item) != Status::kOk || item.value != key) ++failed;
    }
    return failed;
  }
};

TEST_F(HealthProbeTest, AKilledDaemonComesBackWithoutAUserRequestFailing) {
  constexpr uint32_t kVictim = 0;
  Client cache(Config());
  ASSERT_EQ(Failures(&cache, "before:", 100), 0);
  const int port = fleet_.servers[kVictim].port;
  fleet_.daemons[kVictim]->Kill(SIGKILL);

  // Until the ejection, requests owned by the victim fail (that is how it
  // is found dead); count none of those.
  int i = 0;
  while (!cache.IsEjected(kVictim) && i < 1000) {
    const std::string key = "eject:" + std::to_string(i++);
    cache.Set(key, key);
  }
  ASSERT_TRUE(cache.IsEjected(kVictim));

  EXPECT_EQ(Failures(&cache, "while-dead:", 200), 0);
  EXPECT_TRUE(cache.IsEjected(kVictim));  // every probe was refused

  std::string error;
  fleet_.daemons[kVictim] = testing::StartSlabcached(testing::SlabcachedBinary(), port, &error);
  ASSERT_NE(fleet_.daemons[kVictim], nullptr) << error;

  EXPECT_EQ(Failures(&cache, "after:", 200), 0);
  EXPECT_FALSE(cache.IsEjected(kVictim));
  EXPECT_EQ(cache.health().Ejections(kVictim), 1u);  // failed probes do not eject again

  // Its keys are its own again: a key it owns is on the restarted daemon.
  ClientConfig only_victim;
  only_victim.servers = {fleet_.servers[kVictim]};
  Client direct(only_victim);
  int owned = 0;
  for (int k = 0; k < 200; ++k) {
    const std::string key = "after:" + std::to_string(k);
    if (cache.ServerFor(key) != kVictim) continue;
    ++owned;
    Item item;
    EXPECT_EQ(direct.Get(key, &item), Status::kOk) << key;
  }
  EXPECT_GT(owned, 0);
}

}  // namespace
}  // namespace slabcached::client
