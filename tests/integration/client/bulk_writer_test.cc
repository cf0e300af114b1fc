// Pipelined bulk writes against three slabcached daemons: BulkWriter in both
// protocols and `slabcache-cli load`. Every key is read back from the server
// the ring places it on; failures are counted, never dropped.
#include "client/bulk_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

std::string KeyOf(int i) { return "bulk:" + std::to_string(i); }
std::string ValueOf(int i) { return "value-" + std::to_string(i * 7919); }

class BulkWriterTest : public testing::FleetTest<::testing::TestWithParam<Protocol>> {
 protected:
  ClientConfig Config(std::vector<ServerSpec> servers) const {
    ClientConfig config;
    config.servers = std::move(servers);
    config.timeout = milliseconds(2000);
    config.protocol = GetParam();
    return config;
  }

  // Reads keys [0, n) back, each from the one server the ring gives it:
  // returns how many were found there with their value.
  int ReadBack(Client& ring, int n, const std::vector<uint32_t>& skip_servers = {}) {
    std::vector<std::unique_ptr<Client>> single;
    for (const ServerSpec& s : fleet_.servers)
      single.push_back(std::make_unique<Client>(Config({s})));
    int found = 0;
    for (int i = 0; i < n; ++i) {
      const uint32_t server = ring.ServerFor(KeyOf(i));
      if (std::find(skip_servers.begin(), skip_servers.end(), server) != skip_servers.end())
        continue;
      Item item;
      if (single[server]->Get(KeyOf(i), &item) == Status::kOk && item.value == ValueOf(i)) ++found;
    }
    return found;
  }
};

TEST_P(BulkWriterTest, LoadsOneHundredThousandItemsOntoTheirRingServers) {
  Client client(Config(fleet_.servers));
  constexpr int kItems = 100000;
  {
    BulkWriter writer(&client, 16 * 1024);
    for (int i = 0; i < kItems; ++i) {
      ASSERT_EQ(writer.Set(KeyOf(i), ValueOf(i), 7, 0), Status::kOk) << i;
    }
    const BulkCounts counts = writer.Flush();
    EXPECT_EQ(counts.stored, kItems);
    EXPECT_EQ(counts.failed, 0u);
  }
  EXPECT_EQ(ReadBack(client, kItems), kItems);
  Item item;
  ASSERT_EQ(client.Get(KeyOf(5), &item), Status::kOk);
  EXPECT_EQ(item.flags, 7u);
}

TEST_P(BulkWriterTest, DestructorFlushesWhatIsBuffered) {
  Client client(Config(fleet_.servers));
  {
    BulkWriter writer(&client);
    for (int i = 0; i < 10; ++i) writer.Set(KeyOf(i), ValueOf(i));
  }
  EXPECT_EQ(ReadBack(client, 10), 10);
}

TEST_P(BulkWriterTest, KeysOfADeadServerAreCountedAsFailed) {
  Client client(Config(fleet_.servers));
  constexpr int kItems = 3000;
  int on_dead = 0;
  for (int i = 0; i < kItems; ++i) on_dead += client.ServerFor(KeyOf(i)) == 1;
  ASSERT_GT(on_dead, 0);
  fleet_.daemons[1]->Kill(SIGKILL);
  BulkWriter writer(&client);
  for (int i = 0; i < kItems; ++i) writer.Set(KeyOf(i), ValueOf(i));
  const BulkCounts counts = writer.Flush();
  EXPECT_EQ(counts.failed, static_cast<uint64_t>(on_dead));
  EXPECT_EQ(counts.stored, static_cast<uint64_t>(kItems - on_dead));
  EXPECT_EQ(ReadBack(client, kItems, {1}), kItems - on_dead);
}

TEST_P(BulkWriterTest, RefusedItemsAreCountedOnlyWhereTheProtocolReportsThem) {
  Client client(Config(fleet_.servers));
  BulkWriter writer(&client);
  writer.Set("small", "ok");
  writer.Set("too-big", std::string(2 << 20, 'b'));  // over the 1 MiB item limit
  const BulkCounts counts = writer.Flush();
  Item item;
  EXPECT_EQ(client.Get("too-big", &item), Status::kNotFound);
  EXPECT_EQ(client.Get("small", &item), Status::kOk);
  if (GetParam() == Protocol::kBinary) {
    EXPECT_EQ(counts.stored, 1u);  // setq answers its failure
    EXPECT_EQ(counts.failed, 1u);
  } else {
    EXPECT_EQ(counts.stored, 2u);  // noreply suppresses SERVER_ERROR: documented
    EXPECT_EQ(counts.failed, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, BulkWriterTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary),
                         [](const auto& info) {
                           return info.param == Protocol::kText ? "Text" : "Binary";
                         });

// slabcache-cli load, run as a process.
class CliLoadTest : public BulkWriterTest {
 protected:
  void SetUp() override {
    const char* cli = std::getenv("SLABCACHE_CLI");
    if (cli == nullptr || access(cli, X_OK) != 0) GTEST_SKIP() << "SLABCACHE_CLI is not set";
    cli_ = cli;
    BulkWriterTest::SetUp();
  }

  // Runs load with `input`; returns its exit status, stdout and stderr.
  int RunLoad(const std::string& input, std::string* out, std::string* err) {
    char dir[] = "/tmp/slabcache-load-test.XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    const std::string base = dir;
    std::ofstream(base + "/in", std::ios::binary) << input;
    std::string servers;
    for (const ServerSpec& s : fleet_.servers)
      servers += (servers.empty() ? "" : ",") + s.Address();
    const std::string protocol = GetParam() == Protocol::kBinary ? " --binary" : "";
    const int rc = std::system(("'" + cli_ + "' load --servers " + servers + protocol + " <'" +
                                base + "/in' >'" + base + "/out' 2>'" + base + "/err'")
                                   .c_str());
    std::stringstream o, e;
    o << std::ifstream(base + "/out").rdbuf();
    e << std::ifstream(base + "/err").rdbuf();
    *out = o.str();
    *err = e.str();
    std::system(("rm -rf '" + base + "'").c_str());
    return WEXITSTATUS(rc);
  }

  std::string cli_;
};

TEST_P(CliLoadTest, LoadsEveryLineAndReportsMalformedOnesByNumber) {
  constexpr int kItems = 100000;
  std::string input;
  for (int i = 0; i < kItems; ++i) {
    input += KeyOf(i) + '\t' + ValueOf(i) + '\n';
    if (i == 41) input += "no tab on this line\n";  // line 43
  }
  std::string out, err;
  EXPECT_EQ(RunLoad(input, &out, &err), 1);
  EXPECT_EQ(out, "stored 100000 failed 0 malformed 1\n");
  EXPECT_NE(err.find("line 43:"), std::string::npos) << err;
  Client client(Config(fleet_.servers));
  EXPECT_EQ(ReadBack(client, kItems), kItems);
}

TEST_P(CliLoadTest, DeadServerKeysAreReportedAsFailed) {
  Client client(Config(fleet_.servers));
  constexpr int kItems = 1000;
  int on_dead = 0;
  std::string input;
  for (int i = 0; i < kItems; ++i) {
    on_dead += client.ServerFor(KeyOf(i)) == 2;
    input += KeyOf(i) + '\t' + ValueOf(i) + '\n';
  }
  fleet_.daemons[2]->Kill(SIGKILL);
  std::string out, err;
  EXPECT_EQ(RunLoad(input, &out, &err), 3);
  EXPECT_EQ(out, "stored " + std::to_string(kItems - on_dead) + " failed " +
                     std::to_string(on_dead) + " malformed 0\n");
}

INSTANTIATE_TEST_SUITE_P(Protocols, CliLoadTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary),
                         [](const auto& info) {
                           return info.param == Protocol::kText ? "Text" : "Binary";
                         });

}  // namespace
}  // namespace slabcached::client
