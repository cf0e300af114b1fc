// -Y: memcached's ASCII authentication, on both servers. A text connection
// must first send "set <key> <flags> <exptime> <n>\r\n<user> <password>\r\n";
// anything else is answered "CLIENT_ERROR unauthenticated". SIGHUP re-reads
// the file.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using std::chrono::milliseconds;

class AsciiAuthTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char path[] = "/tmp/slabcached-authfile-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::close(fd);
    auth_file_ = path;
    WriteUsers("alice:s3cret\nbob:hunter2\n");
  }
  void TearDown() override {
    if (!auth_file_.empty()) ::unlink(auth_file_.c_str());
    ServerTest::TearDown();
  }
  // Readable by the unprivileged user the server runs as (SIGHUP reloads it).
  void WriteUsers(const std::string& users) {
    std::ofstream(auth_file_) << users;
    ::chmod(auth_file_.c_str(), 0644);
  }
  // Starts a server with -Y (own_) and connects to it; nullptr on failure.
  std::unique_ptr<Client> StartWithAuth() {
    std::vector<std::string> flags = DefaultFlags();
    flags.insert(flags.end(), {"-Y", auth_file_});
    own_ = StartDaemon(flags);
    return own_ != nullptr ? Connect(own_.get()) : nullptr;
  }
  static std::string Auth(const std::string& token) {
    return "set auth 0 0 " + std::to_string(token.size()) + "\r\n" + token + "\r\n";
  }

  std::string auth_file_;
  std::unique_ptr<Daemon> own_;
};

TEST_P(AsciiAuthTest, CommandsNeedAuthenticationFirst) {
  SKIP_IF_ATTACHED();
  auto c = StartWithAuth();
  ASSERT_NE(c, nullptr);
  for (const char* request : {"get foo\r\n", "version\r\n", "stats\r\n", "mg foo v\r\n",
                              "sets k 0 0 3\r\n", "set k 0 0\r\n", "abc\r\n"}) {
    EXPECT_TRUE(c->Roundtrip(request, "CLIENT_ERROR unauthenticated\r\n")) << request;
  }
  EXPECT_TRUE(c->Roundtrip(Auth("alice wrong"), "CLIENT_ERROR authentication failure\r\n"));
  EXPECT_TRUE(c->Roundtrip(Auth("nobody s3cret"), "CLIENT_ERROR authentication failure\r\n"));
  EXPECT_TRUE(
      c->Roundtrip(Auth("alices3cret"), "CLIENT_ERROR bad authentication token format\r\n"));
  EXPECT_TRUE(c->Roundtrip("set k 0 0 12\r\nalice s3cretXX",
                           "CLIENT_ERROR bad command line termination\r\n"));
  EXPECT_TRUE(c->Roundtrip("get k\r\n", "CLIENT_ERROR unauthenticated\r\n"));
  // The key, flags and exptime of the auth request mean nothing; its data is
  // not stored.
  EXPECT_TRUE(c->Roundtrip(Auth("alice s3cret"), "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("get auth\r\n", "END\r\n"));
  EXPECT_TRUE(c->Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"));
  auto c2 = Connect(own_.get());
  ASSERT_NE(c2, nullptr);
  EXPECT_TRUE(c2->Roundtrip(Auth("bob hunter2"), "STORED\r\n"));
  EXPECT_TRUE(c2->Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"));

  const auto stats = c->Stats();
  EXPECT_EQ(stats.at("auth_cmds"), "4");
  EXPECT_EQ(stats.at("auth_errors"), "2");
  EXPECT_EQ(c->Stats("settings").at("auth_enabled_ascii"), auth_file_);
}

TEST_P(AsciiAuthTest, AuthenticationSpansSeveralReads) {
  SKIP_IF_ATTACHED();
  auto c = StartWithAuth();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send("set k 0 0 12\r\n"));
  EXPECT_TRUE(c->ExpectSilence(milliseconds(100)));
  ASSERT_TRUE(c->Send("alice s3"));
  EXPECT_TRUE(c->ExpectSilence(milliseconds(100)));
  EXPECT_TRUE(c->Roundtrip("cret\r\n", "STORED\r\n"));
}

TEST_P(AsciiAuthTest, SighupRereadsTheAuthFile) {
  SKIP_IF_ATTACHED();
  ASSERT_NE(StartWithAuth(), nullptr);
  WriteUsers("alice:changed\n");
  ASSERT_EQ(::kill(own_->pid(), SIGHUP), 0);
  // The reload happens on the server's own schedule (memcached: its clock
  // tick); wait for it, bounded.
  bool reloaded = false;
  for (int i = 0; i < 40 && !reloaded; ++i) {
    auto c = Connect(own_.get());
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Send(Auth("alice changed")));
    reloaded = c->ReadLine() == "STORED\r\n";
    if (!reloaded) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(reloaded);
  auto c = Connect(own_.get());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip(Auth("alice s3cret"), "CLIENT_ERROR authentication failure\r\n"));
  EXPECT_TRUE(c->Roundtrip(Auth("alice changed"), "STORED\r\n"));
}

TEST_P(AsciiAuthTest, RefusesBinaryProtocolAndMissingFile) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"-B", "binary"}, std::vector<std::string>{"-B", "auto"}}) {
    std::vector<std::string> args = {"-p", "0", "-U", "0", "-l", "127.0.0.1", "-Y", auth_file_};
    if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
    args.insert(args.end(), extra.begin(), extra.end());
    const ExitResult r = RunToExit(binary(), args);
    ASSERT_TRUE(r.exited) << r.Describe();
    EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0) << r.Describe();
    EXPECT_NE(r.output.find("ascii authentication"), std::string::npos) << r.Describe();
  }
  if (!IsReference()) {
    // memcached would serve UDP requests without credentials; slabcached
    // refuses the combination.
    std::vector<std::string> udp = {"-p", "0", "-U", "22999", "-l", "127.0.0.1", "-Y", auth_file_};
    if (::geteuid() == 0) udp.insert(udp.end(), {"-u", "nobody"});
    const ExitResult r = RunToExit(binary(), udp);
    ASSERT_TRUE(r.exited) << r.Describe();
    EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 64) << r.Describe();
    EXPECT_NE(r.output.find("-Y cannot be combined with -U"), std::string::npos) << r.Describe();
  }
  std::vector<std::string> args = {"-p", "0",         "-U", "0",
                                   "-l", "127.0.0.1", "-Y", "/nonexistent/authfile"};
  if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
  const ExitResult r = RunToExit(binary(), args);
  ASSERT_TRUE(r.exited) << r.Describe();
  EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0) << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(AsciiAuth, AsciiAuthTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
