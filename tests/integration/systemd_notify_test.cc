// systemd readiness (Type=notify) and watchdog: the daemon, started with
// NOTIFY_SOCKET pointing at a datagram socket this test owns, says READY=1
// once its port accepts, STOPPING=1 on SIGTERM, and pings WATCHDOG=1 (with
// WATCHDOG_USEC set) only while every worker loop is alive.
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "build_config.h"
#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using std::chrono::steady_clock;

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef HAVE_LIBSYSTEMD
    GTEST_SKIP() << "built without libsystemd (configure --without-systemd)";
#endif
    std::string why;
    std::optional<std::string> binary = FindServerBinary(Server::kSlabcached, &why, true);
    if (!binary || std::getenv("SLABCACHED_TEST_ADDR") != nullptr) {
      GTEST_SKIP() << (binary ? "SLABCACHED_TEST_ADDR is set" : why);
    }
    binary_ = *binary;
    std::string dir = "/tmp/systemd_notify_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    // The daemon drops root (-u nobody) before it notifies.
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    const std::string path = dir_ + "/notify";
    socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(socket_, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof(address.sun_path));
    path.copy(address.sun_path, path.size());
    ASSERT_EQ(::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    std::filesystem::permissions(path, std::filesystem::perms::all);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    daemon_.reset();
    if (socket_ >= 0) ::close(socket_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Start() {
    std::string error;
    daemon_ = Daemon::Start(binary_, DefaultFlags(), &error);
    ASSERT_NE(daemon_, nullptr) << error;
  }
  // The next message within `timeout`, or "" when none came.
  std::string Receive(milliseconds timeout) {
    pollfd pfd{socket_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    const ssize_t n = ::recv(socket_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }
  // Messages received within `window`.
  std::vector<std::string> ReceiveFor(milliseconds window) {
    std::vector<std::string> messages;
    const auto end = steady_clock::now() + window;
    for (auto now = steady_clock::now(); now < end; now = steady_clock::now()) {
      std::string message =
          Receive(std::chrono::duration_cast<milliseconds>(end - now) + milliseconds(1));
      if (!message.empty()) messages.push_back(std::move(message));
    }
    return messages;
  }
  // The next message containing `state`, skipping others (watchdog pings).
  std::string WaitFor(const std::string& state, milliseconds timeout = kStartTimeout) {
    const auto end = steady_clock::now() + timeout;
    while (steady_clock::now() < end) {
      std::string message = Receive(milliseconds(100));
      if (message.find(state) != std::string::npos) return message;
    }
    return "";
  }
  static int Count(const std::vector<std::string>& messages, const std::string& state) {
    int n = 0;
    for (const std::string& m : messages) n += m.find(state) != std::string::npos;
    return n;
  }

  std::string binary_;
  std::string dir_;
  int socket_ = -1;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(SystemdNotifyTest, ReadyOnceAcceptingStoppingOnSigterm) {
  ASSERT_NO_FATAL_FAILURE(Start());  // returns once the port accepts
  const std::string ready = WaitFor("READY=1");
  ASSERT_NE(ready, "") << daemon_->Output();
  EXPECT_NE(ready.find("STATUS=serving"), std::string::npos) << ready;
  // Ready means serving: a client is answered at once.
  std::string error;
  std::unique_ptr<Client> client = Client::Connect(daemon_->host(), daemon_->port(), &error);
  ASSERT_NE(client, nullptr) << error;
  ASSERT_TRUE(client->RoundtripPrefix("version\r\n", "VERSION "));
  client.reset();
  // No watchdog asked for: no pings.
  EXPECT_EQ(Count(ReceiveFor(milliseconds(300)), "WATCHDOG=1"), 0);
  ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
  EXPECT_NE(WaitFor("STOPPING=1"), "");
  int status = 0;
  ASSERT_TRUE(daemon_->WaitForExit(kStopTimeout, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(SystemdNotifyTest, WatchdogPingsOnlyWhileEveryWorkerIsAlive) {
  ::setenv("WATCHDOG_USEC", "400000", 1);  // a ping every 200 ms
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NE(WaitFor("READY=1"), "");
  EXPECT_GE(Count(ReceiveFor(milliseconds(1000)), "WATCHDOG=1"), 3);
  // A test build's SIGUSR2 blocks worker 0's loop.
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR2), 0);
  ReceiveFor(milliseconds(500));  // a ping already under way may still come
  EXPECT_EQ(Count(ReceiveFor(milliseconds(1000)), "WATCHDOG=1"), 0);
  EXPECT_NE(daemon_->Output().find("withholding the systemd watchdog ping"), std::string::npos)
      << daemon_->Output();
  // Stopping releases the stuck loop: a clean exit still.
  ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
  int status = 0;
  ASSERT_TRUE(daemon_->WaitForExit(kStopTimeout, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace slabcached::testing
