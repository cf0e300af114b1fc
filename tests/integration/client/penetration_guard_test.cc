// The penetration guard in front of cache-aside, against three real
// daemons: a key that cannot exist costs no server request and no loader
// call; existing keys load and cache as before.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/bloom_filter.h"
#include "client/cache_aside.h"
#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class PenetrationGuardTest : public testing::FleetTest<> {
 protected:
  void SetUp() override {
    testing::FleetTest<>::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (int i = 0; i < 1000; ++i) rows_.insert("user:" + std::to_string(i));
    PenetrationGuardConfig config{.expected_keys = 1000, .false_positive_rate = 0.001, .now = {}};
    guard_ = std::make_shared<PenetrationGuard>(config, [this](const KeySink& emit) {
      for (const std::string& key : rows_) emit(key);
      return true;
    });
    ASSERT_TRUE(guard_->Rebuild());
    aside_.guard = guard_;
  }

  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    return config;
  }

  Loader Database() {
    return [this](std::string_view key, std::string* value) {
      ++loader_calls_;
      if (rows_.count(std::string(key)) == 0) return LoadResult::kNotFound;
      *value = "row of " + std::string(key);
      return LoadResult::kFound;
    };
  }

  // Bytes every daemon has read from clients, as seen by a separate client
  // (its own "stats" lines are counted too, the same amount each time).
  uint64_t BytesRead() {
    Client observer(Config());
    uint64_t total = 0;
    for (uint32_t s = 0; s < fleet_.servers.size(); ++s) {
      std::vector<std::pair<std::string, std::string>> stats;
      EXPECT_EQ(observer.Stats(s, "", &stats), Status::kOk);
      for (const auto& [name, value] : stats) {
        if (name == "bytes_read") total += std::stoull(value);
      }
    }
    return total;
  }

  std::set<std::string> rows_;
  std::shared_ptr<PenetrationGuard> guard_;
  CacheAsideConfig aside_;
  int loader_calls_ = 0;
};

TEST_F(PenetrationGuardTest, AnAbsentKeyCostsNoServerRequestAndNoLoaderCall) {
  Client cache(Config());
  CacheAside patterns(aside_);
  // The guard's verdict on an absent key is deterministic (fixed hash seed).
  std::string absent = "ghost:0";
  for (int i = 1; guard_->MightExist(absent); ++i) absent = "ghost:" + std::to_string(i);

  const uint64_t control_first = BytesRead();
  const uint64_t control_second = BytesRead();
  const uint64_t per_observation = control_second - control_first;
  std::string value;
  for (int i = 0; i < 100; ++i) {
    LoadInfo info;
    ASSERT_EQ(patterns.GetOrLoad(cache, absent, Database(), 60, &value, &info), Status::kNotFound);
    EXPECT_TRUE(info.guarded);
    EXPECT_TRUE(info.negative);
    EXPECT_EQ(info.loader_calls, 0u);
  }
  EXPECT_EQ(BytesRead() - control_second, per_observation) << "no request reached a server";
  EXPECT_EQ(loader_calls_, 0);
}

TEST_F(PenetrationGuardTest, ExistingKeysLoadOnceAndAbsentOnesAreMostlyStopped) {
  Client cache(Config());
  CacheAside patterns(aside_);
  std::string value;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) {
      LoadInfo info;
      ASSERT_EQ(
          patterns.GetOrLoad(cache, "user:" + std::to_string(i), Database(), 60, &value, &info),
          Status::kOk);
      EXPECT_FALSE(info.guarded);
      EXPECT_EQ(value, "row of user:" + std::to_string(i));
    }
  }
  EXPECT_EQ(loader_calls_, 100) << "every existing key loaded once, then cached";

  loader_calls_ = 0;
  const uint64_t rejected_before = guard_->stats().rejected;
  int passed = 0;
  for (int i = 0; i < 10000; ++i) {
    LoadInfo info;
    ASSERT_EQ(
        patterns.GetOrLoad(cache, "ghost:" + std::to_string(i), Database(), 60, &value, &info),
        Status::kNotFound);
    passed += info.guarded ? 0 : 1;
  }
  std::printf("absent keys past the guard: %d of 10000 (target rate 0.1%%)\n", passed);
  EXPECT_EQ(loader_calls_, passed) << "only false positives reach the database";
  EXPECT_EQ(guard_->stats().rejected - rejected_before, static_cast<uint64_t>(10000 - passed));
  EXPECT_LE(passed, 30);
}

TEST_F(PenetrationGuardTest, ARowCreatedAfterTheBuildIsFoundOnceAdded) {
  Client cache(Config());
  CacheAside patterns(aside_);
  std::string value;
  rows_.insert("user:new");
  LoadInfo info;
  // Not in the filter yet: ruled out (the documented cost of skipping Add).
  EXPECT_EQ(patterns.GetOrLoad(cache, "user:new", Database(), 60, &value, &info),
            Status::kNotFound);
  EXPECT_TRUE(info.guarded);
  guard_->Add("user:new");
  EXPECT_EQ(patterns.GetOrLoad(cache, "user:new", Database(), 60, &value, &info), Status::kOk);
  EXPECT_EQ(value, "row of user:new");
  EXPECT_FALSE(info.guarded);
  EXPECT_EQ(loader_calls_, 1);
}

}  // namespace
}  // namespace slabcached::client
