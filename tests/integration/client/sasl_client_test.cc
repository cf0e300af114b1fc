// SASL PLAIN from the Client against a daemon started with -S: the login
// goes out first on each connection; a refused one fails with kAuthFailure
// and nothing is answered unauthenticated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "client/bulk_writer.h"
#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

class SaslClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = testing::SlabcachedBinary();
    if (binary.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    char path[] = "/tmp/slabclient-sasl-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    pwdb_ = path;
    std::ofstream(pwdb_) << "alice:s3cret:with:colons\nbob:hunter2\n";
    chmod(pwdb_.c_str(), 0644);  // readable after the daemon drops root
    port_ = testing::FreePort();
    std::vector<std::string> argv = {binary, "-S",
                                     "-o",   "sasl_pwdb=" + pwdb_,
                                     "-p",   std::to_string(port_),
                                     "-l",   "127.0.0.1",
                                     "-U",   "0",
                                     "-t",   "2",
                                     "-m",   "64"};
    if (geteuid() == 0) {
      argv.push_back("-u");
      argv.push_back("nobody");
    }
    std::string error;
    daemon_ = testing::Process::Spawn(argv, "", &error);
    ASSERT_NE(daemon_, nullptr) << error;
    ASSERT_TRUE(testing::WaitForPort(port_, milliseconds(5000))) << binary << " did not start";
  }

  void TearDown() override {
    daemon_.reset();
    if (!pwdb_.empty()) unlink(pwdb_.c_str());
  }

  ClientConfig Config(std::string user, std::string password) const {
    ClientConfig config;
    config.servers = {ServerSpec{"127.0.0.1", static_cast<uint16_t>(port_), 1, ""}};
    config.protocol = Protocol::kBinary;
    config.timeout = milliseconds(2000);
    config.auto_eject = false;
    config.sasl_username = std::move(user);
    config.sasl_password = std::move(password);
    return config;
  }

  std::string pwdb_;
  int port_ = 0;
  std::unique_ptr<testing::Process> daemon_;
};

TEST_F(SaslClientTest, AuthenticatedRequestsWork) {
  ClientConfig config = Config("alice", "s3cret:with:colons");
  config.connections_per_server = 2;  // each connection logs in
  Client c(config);
  Item item;
  ASSERT_EQ(c.Set("k", "v", 3), Status::kOk);
  ASSERT_EQ(c.Get("k", &item), Status::kOk);
  EXPECT_EQ(item.value, "v");
  EXPECT_EQ(item.flags, 3u);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("m" + std::to_string(i));
    ASSERT_EQ(c.Set(keys.back(), "value-" + keys.back()), Status::kOk);
  }
  std::map<std::string, Item> found;
  ASSERT_EQ(c.MultiGet(keys, &found), Status::kOk);
  ASSERT_EQ(found.size(), keys.size());
  EXPECT_EQ(found["m299"].value, "value-m299");

  // Another user sees the same cache (memcached's SASL has no namespaces).
  Client bob(Config("bob", "hunter2"));
  ASSERT_EQ(bob.Get("k", &item), Status::kOk);
  EXPECT_EQ(item.value, "v");
}

TEST_F(SaslClientTest, WrongPasswordFailsWithAuthStatus) {
  {
    Client good(Config("alice", "s3cret:with:colons"));
    ASSERT_EQ(good.Set("secret", "kept"), Status::kOk);
  }
  Client bad(Config("alice", "wrong"));
  Item item;
  EXPECT_EQ(bad.Get("secret", &item), Status::kAuthFailure);
  EXPECT_EQ(item.value, "");
  EXPECT_EQ(bad.Set("secret", "overwritten"), Status::kAuthFailure);
  EXPECT_EQ(Client(Config("mallory", "x")).Delete("secret"), Status::kAuthFailure);

  // The refused requests never reached the cache.
  Client good(Config("bob", "hunter2"));
  ASSERT_EQ(good.Get("secret", &item), Status::kOk);
  EXPECT_EQ(item.value, "kept");
}

TEST_F(SaslClientTest, BulkWriterLogsInAndLoads) {
  Client c(Config("alice", "s3cret:with:colons"));
  std::vector<std::string> keys;
  {
    BulkWriter writer(&c, /*flush_bytes=*/8192);
    for (int i = 0; i < 2000; ++i) {
      keys.push_back("bulk" + std::to_string(i));
      ASSERT_EQ(writer.Set(keys.back(), "value-" + keys.back()), Status::kOk);
    }
    const BulkCounts counts = writer.Flush();
    EXPECT_EQ(counts.stored, 2000u);
    EXPECT_EQ(counts.failed, 0u);
  }
  std::map<std::string, Item> found;
  ASSERT_EQ(Client(Config("bob", "hunter2")).MultiGet(keys, &found), Status::kOk);
  ASSERT_EQ(found.size(), keys.size());
  EXPECT_EQ(found["bulk1999"].value, "value-bulk1999");
}

TEST_F(SaslClientTest, BulkWriterReportsARefusedLogin) {
  Client bad(Config("alice", "wrong"));
  {
    BulkWriter writer(&bad);
    ASSERT_EQ(writer.Set("bulk-secret", "v"), Status::kOk);  // queued behind the login
    const BulkCounts counts = writer.Flush();
    EXPECT_EQ(counts.stored, 0u);
    EXPECT_EQ(counts.failed, 1u);
    EXPECT_EQ(writer.last_error().status, Status::kAuthFailure);
    EXPECT_EQ(writer.Set("bulk-other", "v"), Status::kAuthFailure);  // held down
  }
  Item item;
  EXPECT_EQ(Client(Config("bob", "hunter2")).Get("bulk-secret", &item), Status::kNotFound);
}

TEST_F(SaslClientTest, CliLoadLogsIn) {
  const std::string cli = testing::CliBinary();
  if (cli.empty()) GTEST_SKIP() << "SLABCACHE_CLI is not set";
  const std::string server = "127.0.0.1:" + std::to_string(port_);
  const std::vector<std::string> args = {"load", "--servers", server, "--sasl-user", "bob"};
  const testing::CliRun good =
      testing::RunCli(cli, args, "cli-a\tone\ncli-b\ttwo\n", {"SLABCACHE_SASL_PASSWORD=hunter2"});
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(good.out, "stored 2 failed 0 malformed 0\n");
  Item item;
  ASSERT_EQ(Client(Config("alice", "s3cret:with:colons")).Get("cli-b", &item), Status::kOk);
  EXPECT_EQ(item.value, "two");

  const testing::CliRun refused =
      testing::RunCli(cli, args, "cli-c\tthree\n", {"SLABCACHE_SASL_PASSWORD=wrong"});
  EXPECT_EQ(refused.status, 3);
  EXPECT_EQ(refused.out, "stored 0 failed 1 malformed 0\n");
  EXPECT_NE(refused.err.find("AUTH_FAILURE: bulk set"), std::string::npos) << refused.err;
}

TEST_F(SaslClientTest, CliInvalidateLogsIn) {
  const std::string cli = testing::CliBinary();
  if (cli.empty()) GTEST_SKIP() << "SLABCACHE_CLI is not set";
  Client alice(Config("alice", "s3cret:with:colons"));
  ASSERT_EQ(alice.Set("inv-a", "1"), Status::kOk);
  const testing::TempDir spool;
  ASSERT_FALSE(spool.path().empty());
  const std::vector<std::string> args = {
      "invalidate", "--servers",       "127.0.0.1:" + std::to_string(port_),
      "--spool",    spool.path(),      "--sasl-user",
      "bob",        "--drain-timeout", "300"};
  const testing::CliRun refused =
      testing::RunCli(cli, args, "inv-a\n", {"SLABCACHE_SASL_PASSWORD=wrong"});
  EXPECT_EQ(refused.status, 3) << refused.err;
  EXPECT_EQ(refused.out, "events 1 deleted 0 spooled 1 retried 0 pending 1 malformed 0\n");
  Item item;
  EXPECT_EQ(alice.Get("inv-a", &item), Status::kOk);

  const testing::CliRun good = testing::RunCli(cli, args, "", {"SLABCACHE_SASL_PASSWORD=hunter2"});
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(good.out, "events 0 deleted 0 spooled 0 retried 1 pending 0 malformed 0\n");
  EXPECT_EQ(alice.Get("inv-a", &item), Status::kNotFound);
}

TEST_F(SaslClientTest, WithoutCredentialsTheDaemonRefuses) {
  Client anonymous(Config("", ""));
  Item item;
  EXPECT_NE(anonymous.Get("k", &item), Status::kOk);
  EXPECT_NE(anonymous.Set("k", "v"), Status::kOk);
}

}  // namespace
}  // namespace slabcached::client
