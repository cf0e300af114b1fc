// The Invalidator's delivery rules with a scripted deleter and a hand-driven
// clock: deletes go to each server of a key, failures are spooled and
// retried with doubling back-off, a reopened invalidator replays the spool.
#include "client/invalidator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// Servers that are up confirm every delete; the log records each attempt.
struct FakeServers {
  std::set<uint32_t> down;
  std::vector<std::pair<uint32_t, std::string>> attempts;
  std::map<uint32_t, std::vector<std::string>> deleted;

  Status Delete(uint32_t server, std::string_view key) {
    attempts.emplace_back(server, std::string(key));
    if (down.count(server)) return Status::kConnectionFailure;
    deleted[server].emplace_back(key);
    return Status::kNotFound;  // NOT_FOUND is a confirmation too
  }
};

class InvalidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/invalidator-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // Three servers; key "<n>..." lives on server n; keys starting with 'r' on
  // servers 0 and 1 (a replicated key).
  std::unique_ptr<Invalidator> Open(uint64_t spool_max_bytes = 1 << 20) {
    InvalidatorConfig config;
    for (uint16_t port : {1, 2, 3}) config.servers.push_back(ServerSpec{"127.0.0.1", port, 1, ""});
    config.spool_dir = dir_;
    config.spool_max_bytes = spool_max_bytes;
    config.backoff_initial = milliseconds(100);
    config.backoff_max = milliseconds(400);
    config.now = [this] { return now_; };
    config.delete_on = [this](uint32_t s, std::string_view k) { return servers_.Delete(s, k); };
    config.servers_of = [](std::string_view key, std::vector<uint32_t>* out) {
      if (key[0] == 'r') {
        *out = {0, 1};
      } else {
        *out = {static_cast<uint32_t>(key[0] - '0')};
      }
    };
    std::string error;
    auto inv = Invalidator::Open(std::move(config), &error);
    EXPECT_NE(inv, nullptr) << error;
    return inv;
  }

  std::string dir_;
  TimePoint now_{};
  FakeServers servers_;
};

TEST_F(InvalidatorTest, DeletesEachKeyOnEveryServerOfIt) {
  auto inv = Open();
  EXPECT_TRUE(inv->Invalidate("0a"));
  EXPECT_TRUE(inv->Invalidate("2b"));
  EXPECT_TRUE(inv->Invalidate("rk"));
  EXPECT_EQ(servers_.deleted[0], (std::vector<std::string>{"0a", "rk"}));
  EXPECT_EQ(servers_.deleted[1], (std::vector<std::string>{"rk"}));
  EXPECT_EQ(servers_.deleted[2], (std::vector<std::string>{"2b"}));
  EXPECT_EQ(inv->counts().deleted, 4u);
  EXPECT_EQ(inv->Pending(), 0u);
  EXPECT_FALSE(inv->NextRetry().has_value());
}

TEST_F(InvalidatorTest, FailedDeleteIsSpooledAndLaterOnesSkipTheTry) {
  auto inv = Open();
  servers_.down = {1};
  EXPECT_TRUE(inv->Invalidate("1a"));
  EXPECT_TRUE(inv->Invalidate("1b"));
  EXPECT_TRUE(inv->Invalidate("rk"));  // server 0 takes it, server 1's is spooled
  EXPECT_EQ(servers_.attempts.size(), 2u) << "one try for the down server, one for server 0";
  EXPECT_EQ(inv->PendingFor(1), 3u);
  EXPECT_EQ(inv->counts().spooled, 3u);
  EXPECT_EQ(inv->counts().deleted, 1u);
  EXPECT_EQ(inv->NextRetry(), now_ + milliseconds(100));
}

TEST_F(InvalidatorTest, RetriesBackOffDoublingToTheCapThenDrainInOrder) {
  auto inv = Open();
  servers_.down = {1};
  inv->Invalidate("1a");
  inv->Invalidate("1b");
  const std::vector<int> expected_waits = {100, 100, 200, 400, 400};
  for (int wait : expected_waits) {
    inv->RetryDue();  // not due yet: no attempt
    ASSERT_EQ(inv->NextRetry(), now_ + milliseconds(wait));
    const size_t before = servers_.attempts.size();
    now_ += milliseconds(wait);
    inv->RetryDue();
    EXPECT_EQ(servers_.attempts.size(), before + 1) << "stops at the first failure";
  }
  EXPECT_EQ(inv->counts().retry_failures, expected_waits.size());
  servers_.down.clear();
  now_ += milliseconds(400);
  inv->RetryDue();
  EXPECT_EQ(servers_.deleted[1], (std::vector<std::string>{"1a", "1b"}));
  EXPECT_EQ(inv->Pending(), 0u);
  EXPECT_EQ(inv->counts().retried, 2u);
  // Drained: the next failure starts from the initial back-off again.
  servers_.down = {1};
  inv->Invalidate("1c");
  EXPECT_EQ(inv->NextRetry(), now_ + milliseconds(100));
}

TEST_F(InvalidatorTest, NewKeysWaitBehindTheSpoolUntilItDrains) {
  auto inv = Open();
  servers_.down = {2};
  inv->Invalidate("2a");
  servers_.down.clear();  // back up, but the retry is not due yet
  inv->Invalidate("2b");  // spooled behind 2a, not tried
  EXPECT_EQ(inv->PendingFor(2), 2u);
  now_ += milliseconds(100);
  inv->RetryDue();
  EXPECT_EQ(servers_.deleted[2], (std::vector<std::string>{"2a", "2b"}));
  inv->Invalidate("2c");  // drained: deleted at once
  EXPECT_EQ(inv->PendingFor(2), 0u);
  EXPECT_EQ(servers_.deleted[2].back(), "2c");
}

TEST_F(InvalidatorTest, ReopenedInvalidatorReplaysTheSpoolAtOnce) {
  {
    auto inv = Open();
    servers_.down = {0};
    inv->Invalidate("0a");
    inv->Invalidate("0b");
  }  // the process "dies" here; the spool stays on disk
  servers_.down.clear();
  auto inv = Open();
  EXPECT_EQ(inv->PendingFor(0), 2u);
  EXPECT_EQ(inv->NextRetry(), now_);
  inv->RetryDue();
  EXPECT_EQ(servers_.deleted[0], (std::vector<std::string>{"0a", "0b"}));
  EXPECT_EQ(inv->Pending(), 0u);
  inv.reset();
  EXPECT_EQ(Open()->Pending(), 0u) << "confirmed deletes are not replayed again";
}

TEST_F(InvalidatorTest, SecondInvalidatorOnTheSameSpoolIsRefused) {
  auto first = Open();
  InvalidatorConfig config;
  config.servers.push_back(ServerSpec{"127.0.0.1", 1, 1, ""});
  config.spool_dir = dir_;
  std::string error;
  EXPECT_EQ(Invalidator::Open(config, &error), nullptr);
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
  first.reset();
  EXPECT_NE(Invalidator::Open(config, &error), nullptr) << error;
}

TEST_F(InvalidatorTest, FullSpoolRefusesUntilRetriesMakeRoom) {
  auto inv = Open(/*spool_max_bytes=*/6);
  servers_.down = {1};
  EXPECT_TRUE(inv->Invalidate("1a"));
  EXPECT_TRUE(inv->Invalidate("1b"));
  EXPECT_FALSE(inv->Invalidate("1c")) << "6 bytes hold two records";
  EXPECT_EQ(inv->PendingFor(1), 2u);
  servers_.down.clear();
  now_ += milliseconds(100);
  inv->RetryDue();
  EXPECT_TRUE(inv->Invalidate("1c"));
  EXPECT_EQ(servers_.deleted[1], (std::vector<std::string>{"1a", "1b", "1c"}));
}

TEST_F(InvalidatorTest, RunReadsEventsResumesAFileAndReportsMalformedLines) {
  const std::string input_path = dir_ + "/events";
  {
    FILE* f = std::fopen(input_path.c_str(), "w");
    std::fputs("0a\n{\"event\":\"e\",\"keys\":[\"1b\",\"2c\"]}\nbad key\n\n0d", f);
    std::fclose(f);
  }
  auto inv = Open();
  std::vector<uint64_t> bad_lines;
  Invalidator::RunOptions options;
  options.on_malformed = [&](uint64_t line, std::string_view) { bad_lines.push_back(line); };
  FILE* in = std::fopen(input_path.c_str(), "r");
  EXPECT_TRUE(inv->Run(fileno(in), options));
  std::fclose(in);
  EXPECT_EQ(bad_lines, std::vector<uint64_t>{3});
  EXPECT_EQ(inv->counts().events, 3u);
  EXPECT_EQ(servers_.attempts.size(), 4u);
  // A second run over the same file starts where the first ended.
  inv.reset();
  in = std::fopen(input_path.c_str(), "r");
  EXPECT_TRUE(Open()->Run(fileno(in), options));
  std::fclose(in);
  EXPECT_EQ(servers_.attempts.size(), 4u);
}

// With the Clients' HotKeys, a hot key's delete reaches every replica a Client
// wrote it to, and a cold key only its owner (the default servers_of).
TEST_F(InvalidatorTest, HotKeysAreDeletedOnTheReplicasClientsWriteThemTo) {
  auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 2});
  hot->Mark("viral");
  InvalidatorConfig config;
  for (uint16_t port : {1, 2, 3}) config.servers.push_back(ServerSpec{"127.0.0.1", port, 1, ""});
  config.spool_dir = dir_;
  config.now = [this] { return now_; };
  config.delete_on = [this](uint32_t s, std::string_view k) { return servers_.Delete(s, k); };
  config.hot_keys = hot;
  ClientConfig client_config;
  client_config.servers = config.servers;
  client_config.hot_keys = hot;
  Client client(client_config);
  std::string error;
  auto inv = Invalidator::Open(std::move(config), &error);
  ASSERT_NE(inv, nullptr) << error;

  EXPECT_TRUE(inv->Invalidate("viral"));
  EXPECT_TRUE(inv->Invalidate("plain"));
  std::vector<uint32_t> replicas;
  client.ServersFor("viral", &replicas);
  ASSERT_EQ(replicas.size(), 2u);
  std::vector<uint32_t> owner;
  client.ServersFor("plain", &owner);
  ASSERT_EQ(owner.size(), 1u);
  std::set<uint32_t> viral_deleted, plain_deleted;
  for (const auto& [server, key] : servers_.attempts) {
    (key == "viral" ? viral_deleted : plain_deleted).insert(server);
  }
  EXPECT_EQ(viral_deleted, std::set<uint32_t>(replicas.begin(), replicas.end()));
  EXPECT_EQ(plain_deleted, std::set<uint32_t>(owner.begin(), owner.end()));
}

}  // namespace
}  // namespace slabcached::client
