// libslabclient against three real slabcached daemons: placement agrees with
// libmemcached (KETAMA_WEIGHTED) and twemproxy (ketama + md5) on live
// servers, every text command works through the client, and a daemon killed
// mid-run is ejected and later restored.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmemcached/memcached.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/client_checks.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using testing::Process;

constexpr uint32_t kWeights[3] = {1, 2, 3};

class ShardingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = testing::SlabcachedBinary();
    if (binary_.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    for (int i = 0; i < 3; ++i) {
      std::string error;
      const int port = testing::FreePort();
      auto daemon = testing::StartSlabcached(binary_, port, &error);
      ASSERT_NE(daemon, nullptr) << error;
      daemons_.push_back(std::move(daemon));
      servers_.push_back(ServerSpec{"127.0.0.1", static_cast<uint16_t>(port), kWeights[i], ""});
    }
  }

  ClientConfig Config() const {
    ClientConfig config;
    config.servers = servers_;
    config.timeout = milliseconds(2000);
    return config;
  }

  // A client talking to server `i` alone: where a key really is.
  std::unique_ptr<Client> Direct(size_t i) const {
    ClientConfig config;
    config.servers = {servers_[i]};
    config.auto_eject = false;
    return std::make_unique<Client>(config);
  }

  // libmemcached configured as the interop target: KETAMA_WEIGHTED.
  std::unique_ptr<memcached_st, decltype(&memcached_free)> Libmemcached() const {
    std::unique_ptr<memcached_st, decltype(&memcached_free)> memc(memcached_create(nullptr),
                                                                  &memcached_free);
    memcached_behavior_set(memc.get(), MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
    for (const ServerSpec& s : servers_) {
      memcached_server_add_with_weight(memc.get(), s.host.c_str(), s.port, s.weight);
    }
    return memc;
  }

  std::string binary_;
  std::vector<std::unique_ptr<Process>> daemons_;
  std::vector<ServerSpec> servers_;
};

TEST_F(ShardingTest, OurWritesAreFoundByLibmemcachedAndOnThePredictedDaemon) {
  Client client(Config());
  auto memc = Libmemcached();
  std::vector<std::unique_ptr<Client>> direct;
  for (size_t i = 0; i < servers_.size(); ++i) direct.push_back(Direct(i));
  std::vector<int> per_server(servers_.size());
  for (int i = 0; i < 300; ++i) {
    const std::string key = "ours:" + std::to_string(i) + ":\xc3\xa9";
    const std::string value = "v" + std::to_string(i * 7);
    ASSERT_EQ(client.Set(key, value, 42, 0), Status::kOk) << key;

    const uint32_t owner = client.ServerFor(key);
    ASSERT_EQ(owner, memcached_generate_hash(memc.get(), key.data(), key.size()));
    ++per_server[owner];
    Item item;
    ASSERT_EQ(direct[owner]->Get(key, &item), Status::kOk) << "not on the predicted daemon";
    EXPECT_EQ(item.value, value);
    for (size_t other = 0; other < servers_.size(); ++other) {
      if (other != owner) {
        EXPECT_EQ(direct[other]->Get(key, &item), Status::kNotFound);
      }
    }

    size_t len = 0;
    uint32_t flags = 0;
    memcached_return_t rc;
    char* got = memcached_get(memc.get(), key.data(), key.size(), &len, &flags, &rc);
    ASSERT_EQ(rc, MEMCACHED_SUCCESS) << memcached_strerror(memc.get(), rc) << " " << key;
    EXPECT_EQ(std::string(got, len), value);
    EXPECT_EQ(flags, 42u);
    free(got);
  }
  for (int n : per_server) EXPECT_GT(n, 20) << "every daemon should own some keys";
}

TEST_F(ShardingTest, LibmemcachedWritesAreFoundByUs) {
  Client client(Config());
  auto memc = Libmemcached();
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "theirs/" + std::to_string(i * 31);
    const std::string value = std::string(static_cast<size_t>(i % 50), 'x') + std::to_string(i);
    ASSERT_EQ(memcached_set(memc.get(), key.data(), key.size(), value.data(), value.size(), 0, 7),
              MEMCACHED_SUCCESS);
    keys.push_back(key);
    Item item;
    ASSERT_EQ(client.Get(key, &item), Status::kOk) << key;
    EXPECT_EQ(item.value, value);
    EXPECT_EQ(item.flags, 7u);
  }
  std::map<std::string, Item> found;
  ASSERT_EQ(client.MultiGet(keys, &found), Status::kOk);
  EXPECT_EQ(found.size(), keys.size());
}

TEST_F(ShardingTest, EveryTextCommand) {
  Client c(Config());
  testing::ExpectEveryCommandAnswers(c);
  Item item;

  EXPECT_EQ(c.Set("", "x"), Status::kInvalidArgument);
  EXPECT_EQ(c.Set("has space", "x"), Status::kInvalidArgument);
  EXPECT_EQ(c.Set(std::string(251, 'k'), "x"), Status::kInvalidArgument);
  EXPECT_EQ(c.Set(std::string(250, 'k'), "x"), Status::kOk);
  EXPECT_EQ(c.Set("big", std::string(2 << 20, 'b')), Status::kServerError);
  EXPECT_EQ(c.Set("empty", ""), Status::kOk);
  EXPECT_EQ(c.Get("empty", &item), Status::kOk);
  EXPECT_EQ(item.value, "");
  const std::string binary("a\r\nEND\r\n\0b", 11);
  EXPECT_EQ(c.Set("bin", binary), Status::kOk);
  EXPECT_EQ(c.Get("bin", &item), Status::kOk);
  EXPECT_EQ(item.value, binary);

  std::vector<std::pair<std::string, std::string>> stats;
  ASSERT_EQ(c.Stats(0, "", &stats), Status::kOk);
  EXPECT_FALSE(stats.empty());
}

TEST_F(ShardingTest, MultiGetFansOutToAllServers) {
  ClientConfig config = Config();
  config.max_keys_per_get = 7;  // several pipelined gets per server
  Client c(config);
  std::vector<std::string> keys;
  std::vector<int> per_server(servers_.size());
  for (int i = 0; i < 500; ++i) {
    keys.push_back("mg-" + std::to_string(i));
    if (i % 5 != 0) {
      ASSERT_EQ(c.Set(keys.back(), "value-" + std::to_string(i)), Status::kOk);
    }
    ++per_server[c.ServerFor(keys.back())];
  }
  keys.push_back("mg-1");  // duplicates are fetched once
  std::map<std::string, Item> found;
  ASSERT_EQ(c.MultiGet(keys, &found, /*with_cas=*/true), Status::kOk);
  EXPECT_EQ(found.size(), 400u);
  EXPECT_EQ(found["mg-3"].value, "value-3");
  EXPECT_NE(found["mg-3"].cas, 0u);
  EXPECT_EQ(found.count("mg-5"), 0u);
  for (int n : per_server) EXPECT_GT(n, 0);
}

TEST_F(ShardingTest, DeadServerIsEjectedAndRestoredAfterTheRetryInterval) {
  ClientConfig config = Config();
  config.timeout = milliseconds(500);
  config.failure_limit = 2;
  config.retry_interval = milliseconds(1500);
  Client c(config);
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("ej-" + std::to_string(i));
    ASSERT_EQ(c.Set(keys.back(), keys.back()), Status::kOk);
  }
  constexpr uint32_t kVictim = 1;
  std::vector<std::string> victim_keys, other_keys;
  for (const std::string& k : keys) {
    (c.ServerFor(k) == kVictim ? victim_keys : other_keys).push_back(k);
  }
  ASSERT_GT(victim_keys.size(), 10u);

  daemons_[kVictim]->Kill(SIGKILL);
  Item item;
  // The first failures are reported; then the server is ejected.
  int failures = 0;
  for (const std::string& k : victim_keys) {
    const Status s = c.Get(k, &item);
    if (s == Status::kConnectionFailure || s == Status::kTimeout) {
      ++failures;
    } else {
      break;
    }
  }
  EXPECT_EQ(failures, 2);
  ASSERT_TRUE(c.IsEjected(kVictim));

  // Its keys fall to the next points, exactly as libmemcached's ring without it.
  std::vector<ServerSpec> rest = servers_;
  rest.erase(rest.begin() + kVictim);
  const Continuum without(rest, {});
  for (const std::string& k : victim_keys) {
    const uint32_t now_on = c.ServerFor(k);
    ASSERT_NE(now_on, kVictim);
    EXPECT_EQ(servers_[now_on], rest[without.Pick(k)]);
    EXPECT_EQ(c.Get(k, &item), Status::kNotFound);  // a miss, not an error
    EXPECT_EQ(c.Set(k, "moved"), Status::kOk);
  }
  // The other servers keep serving their keys.
  for (const std::string& k : other_keys) {
    ASSERT_EQ(c.Get(k, &item), Status::kOk) << k;
    EXPECT_EQ(item.value, k);
  }
  std::map<std::string, Item> found;
  EXPECT_EQ(c.MultiGet(keys, &found), Status::kOk);
  EXPECT_EQ(found.size(), keys.size());

  // Restart it on the same port; after the retry interval it is back.
  std::string error;
  daemons_[kVictim] = testing::StartSlabcached(binary_, servers_[kVictim].port, &error);
  ASSERT_NE(daemons_[kVictim], nullptr) << error;
  std::this_thread::sleep_for(config.retry_interval + milliseconds(100));
  for (const std::string& k : victim_keys) {
    ASSERT_EQ(c.ServerFor(k), kVictim);
    EXPECT_EQ(c.Get(k, &item), Status::kNotFound);  // a fresh daemon
    EXPECT_EQ(c.Set(k, "back"), Status::kOk);
    EXPECT_EQ(c.Get(k, &item), Status::kOk);
    EXPECT_EQ(item.value, "back");
  }
  EXPECT_FALSE(c.IsEjected(kVictim));
}

// twemproxy (Debian's nutcracker) with "distribution: ketama" in front of the
// same three daemons: every key written through the proxy is on the daemon our
// ketama-weighted continuum (with the same key hash) predicts, and keys we
// write directly are found through the proxy.
void CheckTwemproxy(const std::vector<ServerSpec>& servers, KeyHash hash,
                    const std::function<std::unique_ptr<Client>(size_t)>& direct_client) {
  const std::string nutcracker = testing::NutcrackerBinary();
  if (nutcracker.empty()) GTEST_SKIP() << "nutcracker (twemproxy) is not installed";
  char dir[] = "/tmp/slabclient-twemproxy.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string conf = std::string(dir) + "/nutcracker.yml";
  const int port = testing::FreePort(), stats_port = testing::FreePort();
  {
    std::ofstream yml(conf);
    yml << "slabcache:\n  listen: 127.0.0.1:" << port << "\n  hash: " << KeyHashName(hash)
        << "\n  distribution: ketama\n  auto_eject_hosts: false\n"
        << "  timeout: 2000\n  servers:\n";
    for (const ServerSpec& s : servers) {
      yml << "    - " << s.host << ":" << s.port << ":" << s.weight << "\n";
    }
  }
  std::string error;
  auto proxy = Process::Spawn({nutcracker, "-c", conf, "-s", std::to_string(stats_port), "-a",
                               "127.0.0.1", "-o", std::string(dir) + "/nutcracker.log"},
                              "", &error);
  ASSERT_NE(proxy, nullptr) << error;
  ASSERT_TRUE(testing::WaitForPort(port, milliseconds(5000))) << "nutcracker did not start";

  ClientConfig via;
  via.servers = {ServerSpec{"127.0.0.1", static_cast<uint16_t>(port), 1, ""}};
  via.timeout = milliseconds(3000);
  Client through_proxy(via);
  ClientConfig config;
  config.servers = servers;
  config.placement.key_hash = hash;
  Client sharded(config);
  std::vector<std::unique_ptr<Client>> direct;
  for (size_t i = 0; i < servers.size(); ++i) direct.push_back(direct_client(i));
  std::vector<int> per_server(servers.size());
  for (int i = 0; i < 300; ++i) {
    const std::string key = "tw:" + std::to_string(i * 13) + (i % 3 ? "" : "\xe2\x82\xac");
    ASSERT_EQ(through_proxy.Set(key, "via-proxy"), Status::kOk) << key;
    const uint32_t predicted = sharded.ServerFor(key);
    ++per_server[predicted];
    Item item;
    EXPECT_EQ(direct[predicted]->Get(key, &item), Status::kOk) << key << ": not where we predict";
    const std::string mine = "mine:" + std::to_string(i) + KeyHashName(hash).data();
    ASSERT_EQ(sharded.Set(mine, "direct"), Status::kOk);
    ASSERT_EQ(through_proxy.Get(mine, &item), Status::kOk) << mine;
    EXPECT_EQ(item.value, "direct");
  }
  for (int n : per_server) EXPECT_GT(n, 20);
  proxy.reset();
  std::system(("rm -rf '" + std::string(dir) + "'").c_str());
}

TEST_F(ShardingTest, TwemproxyKetamaMd5PutsKeysWhereWePredict) {
  CheckTwemproxy(servers_, KeyHash::kMd5, [this](size_t i) { return Direct(i); });
}

// twemproxy's default key hash, fnv1a_64 (32-bit arithmetic, sign-extended bytes).
TEST_F(ShardingTest, TwemproxyKetamaFnv1a64PutsKeysWhereWePredict) {
  CheckTwemproxy(servers_, KeyHash::kFnv1a64, [this](size_t i) { return Direct(i); });
}

// slabcache-cli get/set/delete/stats against the three daemons.
TEST_F(ShardingTest, CliCommands) {
  const char* cli = std::getenv("SLABCACHE_CLI");
  if (cli == nullptr || access(cli, X_OK) != 0) GTEST_SKIP() << "SLABCACHE_CLI is not set";
  std::string list;
  for (const ServerSpec& s : servers_) {
    list += (list.empty() ? "" : ",") + s.host + ":" + std::to_string(s.port) + ":" +
            std::to_string(s.weight);
  }
  char path[] = "/tmp/slabcache-cli-out.XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto run = [&](const std::string& args, std::string* out) {
    const int rc = std::system(
        ("'" + std::string(cli) + "' " + args + " --servers " + list + " >'" + path + "'").c_str());
    std::ifstream f(path, std::ios::binary);
    out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  std::string out;
  EXPECT_EQ(run("set cli-key cli-value --flags 9", &out), 0);
  EXPECT_EQ(out, "OK\n");
  Client c(Config());
  Item item;
  ASSERT_EQ(c.Get("cli-key", &item), Status::kOk);
  EXPECT_EQ(item.value, "cli-value");
  EXPECT_EQ(item.flags, 9u);
  EXPECT_EQ(run("get cli-key", &out), 0);
  EXPECT_EQ(out, "VALUE cli-key 9 9\ncli-value\n");
  EXPECT_EQ(run("get cli-key missing", &out), 1);
  EXPECT_EQ(run("delete cli-key", &out), 0);
  EXPECT_EQ(c.Get("cli-key", &item), Status::kNotFound);
  EXPECT_EQ(run("stats", &out), 0);
  EXPECT_NE(out.find("# 127.0.0.1:" + std::to_string(servers_[2].port) + " OK\npid "),
            std::string::npos);
  unlink(path);
}

// A server that accepts connections but never answers: the operation returns
// kTimeout within its deadline instead of hanging.
TEST(ClientTimeoutTest, SilentServerTimesOut) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ClientConfig config;
  config.servers = {ServerSpec{"127.0.0.1", ntohs(addr.sin_port), 1, ""}};
  config.timeout = milliseconds(300);
  config.auto_eject = false;
  Client c(config);
  Item item;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.Get("k", &item), Status::kTimeout);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2000));
  close(fd);
}

TEST(ClientTimeoutTest, NothingListeningIsAConnectionFailure) {
  ClientConfig config;
  config.servers = {ServerSpec{"127.0.0.1", static_cast<uint16_t>(testing::FreePort()), 1, ""}};
  Client c(config);
  Item item;
  EXPECT_EQ(c.Get("k", &item), Status::kConnectionFailure);
  EXPECT_EQ(c.Get("k", &item), Status::kConnectionFailure);
  EXPECT_TRUE(c.IsEjected(0));
  EXPECT_EQ(c.Get("k", &item), Status::kNoServer);
}

}  // namespace
}  // namespace slabcached::client
