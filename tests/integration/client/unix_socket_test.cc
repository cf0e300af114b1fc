// Unix-socket servers in the Client's list: a daemon started with -s is
// reached over AF_UNIX, alongside a TCP daemon on the same ring.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

// Polls until the daemon accepts on the unix socket at `path`.
bool WaitForUnixSocket(const std::string& path, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

class UnixSocketClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = testing::SlabcachedBinary();
    if (binary.empty()) GTEST_SKIP() << "SLABCACHED_BIN is not set to the built daemon";
    char dir_template[] = "/tmp/slabclient-unix-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    // The daemon may drop root for nobody before it binds.
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    socket_path_ = dir_ + "/mc.sock";
    std::vector<std::string> argv = {binary, "-s", socket_path_, "-a", "0777",
                                     "-t",   "2",  "-m",         "64"};
    if (geteuid() == 0) {
      argv.push_back("-u");
      argv.push_back("nobody");
    }
    std::string error;
    unix_daemon_ = testing::Process::Spawn(argv, "", &error);
    ASSERT_NE(unix_daemon_, nullptr) << error;
    ASSERT_TRUE(WaitForUnixSocket(socket_path_, milliseconds(5000)))
        << binary << " did not accept on " << socket_path_;
    tcp_port_ = testing::FreePort();
    tcp_daemon_ = testing::StartSlabcached(binary, tcp_port_, &error);
    ASSERT_NE(tcp_daemon_, nullptr) << error;
  }

  void TearDown() override {
    unix_daemon_.reset();
    tcp_daemon_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  ClientConfig Config(const std::string& list) const {
    std::string error;
    auto servers = ParseServerList(list, &error);
    EXPECT_TRUE(servers) << error;
    ClientConfig config;
    if (servers) config.servers = *servers;
    config.timeout = milliseconds(2000);
    return config;
  }

  std::string dir_;
  std::string socket_path_;
  int tcp_port_ = 0;
  std::unique_ptr<testing::Process> unix_daemon_;
  std::unique_ptr<testing::Process> tcp_daemon_;
};

TEST_F(UnixSocketClientTest, EveryCommandWorksOverTheSocket) {
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    ClientConfig config = Config("unix:" + socket_path_);
    config.protocol = protocol;
    Client c(config);
    Item item;
    ASSERT_EQ(c.Set("k", "over-unix", 7), Status::kOk);
    ASSERT_EQ(c.Get("k", &item), Status::kOk);
    EXPECT_EQ(item.value, "over-unix");
    EXPECT_EQ(item.flags, 7u);
    EXPECT_EQ(c.Add("k", "again"), Status::kNotStored);
    EXPECT_EQ(c.Delete("k"), Status::kOk);
    EXPECT_EQ(c.Get("k", &item), Status::kNotFound);
  }
}

TEST_F(UnixSocketClientTest, MixedRingPlacesKeysOnBothDaemons) {
  const std::string tcp = "127.0.0.1:" + std::to_string(tcp_port_);
  Client ring(Config(socket_path_ + "," + tcp));
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("key-" + std::to_string(i));
  for (const std::string& k : keys) ASSERT_EQ(ring.Set(k, "v-" + k), Status::kOk) << k;

  std::map<std::string, Item> found;
  ASSERT_EQ(ring.MultiGet(keys, &found), Status::kOk);
  ASSERT_EQ(found.size(), keys.size());
  for (const std::string& k : keys) EXPECT_EQ(found[k].value, "v-" + k);

  // Each daemon, asked alone, holds exactly the keys the ring gave it.
  Client unix_only(Config(socket_path_));
  Client tcp_only(Config(tcp));
  size_t on_unix = 0, on_tcp = 0;
  for (const std::string& k : keys) {
    Item item;
    const bool in_unix = unix_only.Get(k, &item) == Status::kOk;
    const bool in_tcp = tcp_only.Get(k, &item) == Status::kOk;
    EXPECT_NE(in_unix, in_tcp) << k;
    on_unix += in_unix;
    on_tcp += in_tcp;
  }
  EXPECT_GT(on_unix, 40u);
  EXPECT_GT(on_tcp, 40u);
}

TEST_F(UnixSocketClientTest, MissingSocketFailsToConnect) {
  ClientConfig config = Config(dir_ + "/absent.sock");
  config.auto_eject = false;
  Client c(config);
  Item item;
  EXPECT_EQ(c.Get("k", &item), Status::kConnectionFailure);
}

}  // namespace
}  // namespace slabcached::client
