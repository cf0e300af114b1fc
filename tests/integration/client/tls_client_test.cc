// The Client over TLS against a daemon started with -Z: reads, writes and
// multi-gets over both protocols, a client certificate when the daemon asks
// for one, and kTlsFailure for a server the CA does not vouch for, a wrong
// name, or a daemon that does not speak TLS.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/async_multi_get.h"
#include "client/bulk_writer.h"
#include "client/client.h"
#include "client/slabclient_c.h"
#include "tests/integration/client/servers.h"
#include "tests/integration/test_certificates.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

using slabcached::testing::TestCertificates;

// Drives `get` from a poll() loop, as an application's event loop would.
void DriveWithPoll(AsyncMultiGet* get) {
  std::vector<pollfd> fds;
  while (!get->done()) {
    fds.clear();
    for (const AsyncMultiGet::Wait& w : get->Waits()) fds.push_back({w.fd, w.events, 0});
    const auto left =
        std::chrono::ceil<milliseconds>(get->next_timeout() - std::chrono::steady_clock::now());
    if (left.count() <= 0 || poll(fds.data(), fds.size(), static_cast<int>(left.count())) == 0) {
      get->OnTimeout();
      continue;
    }
    for (const pollfd& p : fds) {
      if (p.revents != 0) get->OnReady(p.fd, p.revents);
    }
  }
}

// Loads `count` keys "bulk<i>" through a BulkWriter with small buffers (many
// sends, each of several TLS records) and checks them back with a multi-get.
void ExpectBulkLoadWorks(Client& c, int count) {
  std::vector<std::string> keys;
  {
    BulkWriter writer(&c, /*flush_bytes=*/4096);
    for (int i = 0; i < count; ++i) {
      keys.push_back("bulk" + std::to_string(i));
      ASSERT_EQ(writer.Set(keys.back(), "loaded-" + keys.back(), 7), Status::kOk);
    }
    const BulkCounts counts = writer.Flush();
    EXPECT_EQ(counts.stored, static_cast<uint64_t>(count));
    EXPECT_EQ(counts.failed, 0u);
    EXPECT_EQ(writer.last_error().status, Status::kOk) << writer.last_error().Describe();
  }
  std::map<std::string, Item> found;
  ASSERT_EQ(c.MultiGet(keys, &found), Status::kOk);
  ASSERT_EQ(found.size(), keys.size());
  EXPECT_EQ(found[keys.back()].value, "loaded-" + keys.back());
  EXPECT_EQ(found[keys.back()].flags, 7u);
}

class TlsClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certificates_ = std::make_unique<TestCertificates>(); }
  static void TearDownTestSuite() { certificates_.reset(); }

  void SetUp() override {
    binary_ = testing::SlabcachedBinary();
    if (binary_.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    ASSERT_EQ(certificates_->error(), "");
  }

  // A -Z daemon with server-one's certificate plus `ssl_options`.
  void StartTlsDaemon(const std::string& ssl_options = "",
                      const std::vector<std::string>& more_flags = {}) {
    port_ = testing::FreePort();
    std::string o = "ssl_chain_cert=" + certificates_->Path("server-one.crt") +
                    ",ssl_key=" + certificates_->Path("server-one.key");
    if (!ssl_options.empty()) o += "," + ssl_options;
    std::vector<std::string> argv = {binary_, "-Z",        "-o", o,   "-p", std::to_string(port_),
                                     "-l",    "127.0.0.1", "-U", "0", "-t", "2",
                                     "-m",    "64"};
    argv.insert(argv.end(), more_flags.begin(), more_flags.end());
    if (geteuid() == 0) {
      argv.push_back("-u");
      argv.push_back("nobody");
    }
    std::string error;
    daemon_ = testing::Process::Spawn(argv, "", &error);
    ASSERT_NE(daemon_, nullptr) << error;
    ASSERT_TRUE(testing::WaitForPort(port_, milliseconds(5000))) << binary_ << " did not start";
  }

  ClientConfig Config(const std::string& ca = "ca.crt") const {
    ClientConfig config;
    config.servers = {ServerSpec{"127.0.0.1", static_cast<uint16_t>(port_), 1, ""}};
    config.timeout = milliseconds(2000);
    config.auto_eject = false;
    config.tls.enabled = true;
    config.tls.ca_file = certificates_->Path(ca);
    config.tls.server_name = "server-one";
    return config;
  }

  static void ExpectWorks(Client& c) {
    Item item;
    ASSERT_EQ(c.Set("k", "over-tls", 5), Status::kOk);
    ASSERT_EQ(c.Get("k", &item), Status::kOk);
    EXPECT_EQ(item.value, "over-tls");
    EXPECT_EQ(item.flags, 5u);
    const std::string big(300 * 1024, 'b');  // many TLS records each way
    ASSERT_EQ(c.Set("big", big), Status::kOk);
    ASSERT_EQ(c.Get("big", &item), Status::kOk);
    EXPECT_EQ(item.value, big);
    std::vector<std::string> keys;
    for (int i = 0; i < 250; ++i) {
      keys.push_back("m" + std::to_string(i));
      ASSERT_EQ(c.Set(keys.back(), "value-" + keys.back()), Status::kOk);
    }
    std::map<std::string, Item> found;
    ASSERT_EQ(c.MultiGet(keys, &found), Status::kOk);
    ASSERT_EQ(found.size(), keys.size());
    EXPECT_EQ(found["m249"].value, "value-m249");
  }

  static std::unique_ptr<TestCertificates> certificates_;
  std::string binary_;
  int port_ = 0;
  std::unique_ptr<testing::Process> daemon_;
};

std::unique_ptr<TestCertificates> TlsClientTest::certificates_;

TEST_F(TlsClientTest, GetSetAndMultiGetOverBothProtocols) {
  StartTlsDaemon();
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    ClientConfig config = Config();
    config.protocol = protocol;
    config.connections_per_server = 2;
    Client c(config);
    ExpectWorks(c);
  }
}

TEST_F(TlsClientTest, WrongCaFailsWithTlsStatus) {
  StartTlsDaemon();
  Client c(Config("other-ca.crt"));
  Item item;
  EXPECT_EQ(c.Get("k", &item), Status::kTlsFailure);
  EXPECT_EQ(c.Set("k", "v"), Status::kTlsFailure);

  ClientConfig wrong_name = Config();
  wrong_name.tls.server_name = "server-two";
  EXPECT_EQ(Client(wrong_name).Get("k", &item), Status::kTlsFailure);

  // Without verification the same server is accepted.
  ClientConfig unverified = Config("other-ca.crt");
  unverified.tls.verify_peer = false;
  Client u(unverified);
  EXPECT_EQ(u.Set("k", "v"), Status::kOk);
}

// The C API's security options reach a real -Z daemon: a handle and a pooled
// handle over both protocols, and TLS_FAILURE (with the reason) for a CA
// that does not vouch for the server.
TEST_F(TlsClientTest, CApiHandlesAndPoolsTalkTls) {
  StartTlsDaemon();
  const std::string servers = "127.0.0.1:" + std::to_string(port_);
  const std::string ca = certificates_->Path("ca.crt");
  slabclient_security security{};
  security.tls = 1;
  security.tls_ca_file = ca.c_str();
  security.tls_server_name = "server-one";
  slabclient_options options;
  slabclient_options_init(&options);
  options.servers = servers.c_str();
  options.timeout_ms = 2000;
  options.security = &security;
  for (int protocol : {SLABCLIENT_PROTOCOL_TEXT, SLABCLIENT_PROTOCOL_BINARY}) {
    options.protocol = protocol;
    slabclient* c = nullptr;
    ASSERT_EQ(slabclient_create_with(&options, &c), SLABCLIENT_OK);
    const std::string key = "c-api-" + std::to_string(protocol);
    EXPECT_EQ(slabclient_set(c, key.data(), key.size(), "over tls", 8, 3, 0), SLABCLIENT_OK);
    char buf[16];
    size_t len = 0;
    uint32_t flags = 0;
    EXPECT_EQ(slabclient_get(c, key.data(), key.size(), buf, sizeof(buf), &len, &flags),
              SLABCLIENT_OK);
    EXPECT_EQ(std::string(buf, len), "over tls");
    EXPECT_EQ(flags, 3u);
    slabclient_destroy(c);

    slabclient_pool* pool = nullptr;
    ASSERT_EQ(slabclient_pool_create(&options, 2, &pool), SLABCLIENT_OK);
    slabclient* leased = nullptr;
    ASSERT_EQ(slabclient_pool_acquire(pool, 1000, &leased), SLABCLIENT_OK);
    EXPECT_EQ(slabclient_get(leased, key.data(), key.size(), buf, sizeof(buf), &len, nullptr),
              SLABCLIENT_OK);
    slabclient_pool_release(pool, leased);
    slabclient_pool_destroy(pool);
  }

  const std::string other_ca = certificates_->Path("other-ca.crt");
  security.tls_ca_file = other_ca.c_str();
  slabclient* refused = nullptr;
  ASSERT_EQ(slabclient_create_with(&options, &refused), SLABCLIENT_OK);
  EXPECT_EQ(slabclient_set(refused, "k", 1, "v", 1, 0, 0), SLABCLIENT_TLS_FAILURE);
  char reason[256];
  EXPECT_EQ(slabclient_last_error(refused, reason, sizeof(reason), nullptr),
            SLABCLIENT_TLS_FAILURE);
  EXPECT_EQ(std::string(reason).rfind("TLS_FAILURE: set on host " + servers, 0), 0u) << reason;
  slabclient_destroy(refused);
}

TEST_F(TlsClientTest, BulkWriterLoadsOverBothProtocols) {
  StartTlsDaemon();
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    ClientConfig config = Config();
    config.protocol = protocol;
    Client c(config);
    ExpectBulkLoadWorks(c, 3000);
  }
}

// A batch small enough to go out whole when the handshake finishes: the read
// that finishes it writes the batch and reads on, so the sync reply can be
// read there rather than in Flush's wait (1 run in 10 lost it, then waited
// out the timeout). Each round is a new connection.
TEST_F(TlsClientTest, BulkWriterConfirmsASmallBatchSentWithTheHandshake) {
  StartTlsDaemon();
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    ClientConfig config = Config();
    config.protocol = protocol;
    for (int round = 0; round < 40; ++round) {
      Client c(config);
      BulkWriter writer(&c);
      for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(writer.Set("small" + std::to_string(i), "v"), Status::kOk);
      }
      const BulkCounts counts = writer.Flush();
      ASSERT_EQ(counts.stored, 20u) << "round " << round << ": " << writer.last_error().Describe();
      ASSERT_EQ(counts.failed, 0u);
    }
  }
}

TEST_F(TlsClientTest, BulkWriterReportsAFailedHandshake) {
  StartTlsDaemon();
  Client c(Config("other-ca.crt"));
  BulkWriter writer(&c);
  ASSERT_EQ(writer.Set("k1", "v"), Status::kOk);  // queued: the handshake comes with the send
  ASSERT_EQ(writer.Set("k2", "v"), Status::kOk);
  const BulkCounts counts = writer.Flush();
  EXPECT_EQ(counts.stored, 0u);
  EXPECT_EQ(counts.failed, 2u);
  EXPECT_EQ(writer.last_error().status, Status::kTlsFailure);
  EXPECT_EQ(writer.last_error().operation, std::string("bulk set"));
  EXPECT_EQ(writer.last_error().address, "127.0.0.1:" + std::to_string(port_));
  // Held down for retry_interval: counted as failed at once, with the reason.
  EXPECT_EQ(writer.Set("k3", "v"), Status::kTlsFailure);
  EXPECT_EQ(writer.Flush().failed, 3u);
}

TEST_F(TlsClientTest, AsyncMultiGetOverBothProtocols) {
  StartTlsDaemon();
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    ClientConfig config = Config();
    config.protocol = protocol;
    std::vector<std::string> keys;
    {
      Client writer(config);
      for (int i = 0; i < 200; ++i) {
        keys.push_back("async" + std::to_string(i));
        ASSERT_EQ(writer.Set(keys.back(), std::string(1000, 'a' + i % 26)), Status::kOk);
      }
    }
    keys.push_back("async-missing");
    const std::vector<std::string_view> views(keys.begin(), keys.end());
    Client c(config);  // fresh: the handshake runs inside the AsyncMultiGet
    std::map<std::string, std::string> got;
    AsyncMultiGet get(&c, views, [&](const ItemView& item) {
      got.emplace(std::string(item.key), std::string(item.value));
    });
    DriveWithPoll(&get);
    ASSERT_EQ(get.status(), Status::kOk);
    ASSERT_EQ(got.size(), 200u);
    EXPECT_EQ(got["async199"], std::string(1000, 'a' + 199 % 26));
  }
}

TEST_F(TlsClientTest, AsyncMultiGetReportsAFailedHandshake) {
  StartTlsDaemon();
  Client c(Config("other-ca.crt"));
  const std::vector<std::string_view> keys = {"a", "b"};
  int items = 0;
  AsyncMultiGet get(&c, keys, [&](const ItemView&) { ++items; });
  DriveWithPoll(&get);
  EXPECT_EQ(get.status(), Status::kSomeErrors);
  EXPECT_EQ(items, 0);
  EXPECT_EQ(c.last_error().status, Status::kTlsFailure);
}

TEST_F(TlsClientTest, CliLoadOverTls) {
  const std::string cli = testing::CliBinary();
  if (cli.empty()) GTEST_SKIP() << "SLABCACHE_CLI is not set";
  StartTlsDaemon();
  std::string input;
  for (int i = 0; i < 500; ++i)
    input += "cli" + std::to_string(i) + "\tv" + std::to_string(i) + "\n";
  const std::string server = "127.0.0.1:" + std::to_string(port_);
  auto load = [&](const std::string& ca) {
    return testing::RunCli(cli,
                           {"load", "--servers", server, "--tls", "--tls-ca",
                            certificates_->Path(ca), "--tls-name", "server-one"},
                           input);
  };
  const testing::CliRun good = load("ca.crt");
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(good.out, "stored 500 failed 0 malformed 0\n");
  Item item;
  ASSERT_EQ(Client(Config()).Get("cli499", &item), Status::kOk);
  EXPECT_EQ(item.value, "v499");

  const testing::CliRun refused = load("other-ca.crt");
  EXPECT_EQ(refused.status, 3);
  EXPECT_EQ(refused.out, "stored 0 failed 500 malformed 0\n");
  EXPECT_NE(refused.err.find("TLS_FAILURE: bulk set on host " + server), std::string::npos)
      << refused.err;
}

// invalidate's deletes go over TLS too; a server the CA does not vouch for
// keeps them in the spool.
TEST_F(TlsClientTest, CliInvalidateOverTls) {
  const std::string cli = testing::CliBinary();
  if (cli.empty()) GTEST_SKIP() << "SLABCACHE_CLI is not set";
  StartTlsDaemon();
  Client c(Config());
  ASSERT_EQ(c.Set("inv-a", "1"), Status::kOk);
  ASSERT_EQ(c.Set("inv-b", "2"), Status::kOk);
  const testing::TempDir spool;
  ASSERT_FALSE(spool.path().empty());
  const std::string server = "127.0.0.1:" + std::to_string(port_);
  auto invalidate = [&](const std::string& ca, const std::string& input) {
    return testing::RunCli(
        cli,
        {"invalidate", "--servers", server, "--spool", spool.path(), "--tls", "--tls-ca",
         certificates_->Path(ca), "--tls-name", "server-one", "--drain-timeout", "300"},
        input);
  };
  const testing::CliRun refused = invalidate("other-ca.crt", "inv-a\ninv-b\n");
  EXPECT_EQ(refused.status, 3) << refused.err;
  EXPECT_EQ(refused.out, "events 2 deleted 0 spooled 2 retried 0 pending 2 malformed 0\n");
  Item item;
  EXPECT_EQ(c.Get("inv-a", &item), Status::kOk);

  // The next run replays the spool.
  const testing::CliRun good = invalidate("ca.crt", "");
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(good.out, "events 0 deleted 0 spooled 0 retried 2 pending 0 malformed 0\n");
  EXPECT_EQ(c.Get("inv-a", &item), Status::kNotFound);
  EXPECT_EQ(c.Get("inv-b", &item), Status::kNotFound);
}

TEST_F(TlsClientTest, ClientCertificateWhenTheDaemonRequiresOne) {
  StartTlsDaemon("ssl_verify_mode=2,ssl_ca_cert=" + certificates_->Path("ca.crt"));
  ClientConfig config = Config();
  config.tls.cert_file = certificates_->Path("client.crt");
  config.tls.key_file = certificates_->Path("client.key");
  Client with_cert(config);
  ExpectWorks(with_cert);

  Item item;
  Client without(Config());
  EXPECT_NE(without.Get("k", &item), Status::kOk);
}

TEST_F(TlsClientTest, SaslLoginInsideTls) {
  const std::string pwdb = certificates_->Path("sasl.pwdb");
  std::ofstream(pwdb) << "alice:s3cret\n";
  chmod(pwdb.c_str(), 0644);
  StartTlsDaemon("", {"-S", "-o", "sasl_pwdb=" + pwdb});
  ClientConfig config = Config();
  config.protocol = Protocol::kBinary;
  config.sasl_username = "alice";
  config.sasl_password = "s3cret";
  Client c(config);
  ExpectWorks(c);
  ExpectBulkLoadWorks(c, 1000);
  config.sasl_password = "wrong";
  Item item;
  EXPECT_EQ(Client(config).Get("k", &item), Status::kAuthFailure);
}

TEST_F(TlsClientTest, PlainDaemonFailsTheHandshake) {
  std::string error;
  port_ = testing::FreePort();
  daemon_ = testing::StartSlabcached(binary_, port_, &error);
  ASSERT_NE(daemon_, nullptr) << error;
  Client c(Config());
  Item item;
  EXPECT_EQ(c.Get("k", &item), Status::kTlsFailure);
}

}  // namespace
}  // namespace slabcached::client
