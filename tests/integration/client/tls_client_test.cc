// The Client over TLS against a daemon started with -Z: reads, writes and
// multi-gets over both protocols, a client certificate when the daemon asks
// for one, and kTlsFailure for a server the CA does not vouch for, a wrong
// name, or a daemon that does not speak TLS.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

// Two CAs ("ca", "other-ca") and "server-one" and "client" signed by "ca",
// made with the openssl CLI as tests/integration/tls_test.cc does.
class Certificates {
 public:
  Certificates() {
    char pattern[] = "/tmp/slabclient-tls.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern;
    chmod(dir_.c_str(), 0755);  // the daemon runs as "nobody"
    const char* env = std::getenv("OPENSSL_BIN");
    const std::string openssl = env != nullptr && *env != '\0' ? env : "openssl";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::vector<std::string> commands;
    for (const char* ca : {"ca", "other-ca"}) {
      commands.push_back(openssl + " req -x509" + ec + " -keyout " +
                         Path(std::string(ca) + ".key") + " -out " +
                         Path(std::string(ca) + ".crt") + " -days 2 -subj /CN=" + ca);
    }
    for (const std::string n : {"server-one", "client"}) {
      commands.push_back(openssl + " req" + ec + " -keyout " + Path(n + ".key") + " -out " +
                         Path(n + ".csr") + " -subj /CN=" + n);
      commands.push_back(openssl + " x509 -req -in " + Path(n + ".csr") + " -CA " + Path("ca.crt") +
                         " -CAkey " + Path("ca.key") + " -CAcreateserial -days 2 -out " +
                         Path(n + ".crt"));
    }
    for (const std::string& command : commands) {
      if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
        error_ = "failed: " + command;
        return;
      }
    }
    std::system(("chmod 0644 " + dir_ + "/*").c_str());
  }
  ~Certificates() {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  const std::string& error() const { return error_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  std::string error_;
};

class TlsClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certificates_ = new Certificates(); }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
  }

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

  static Certificates* certificates_;
  std::string binary_;
  int port_ = 0;
  std::unique_ptr<testing::Process> daemon_;
};

Certificates* TlsClientTest::certificates_ = nullptr;

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
