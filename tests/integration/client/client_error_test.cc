// A failed operation's detail (Client::last_error, slabclient_last_error)
// against real daemons: a dead port names ECONNREFUSED and the address, a
// frozen (SIGSTOP) daemon names the timeout and the server, a value too
// large carries the server's SERVER_ERROR text, over either protocol.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include "client/client.h"
#include "client/slabclient_c.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

ClientConfig OneServer(int port, milliseconds timeout = milliseconds(2000)) {
  ClientConfig config;
  ServerSpec server;
  server.host = "127.0.0.1";
  server.port = static_cast<uint16_t>(port);
  config.servers.push_back(server);
  config.timeout = timeout;
  config.auto_eject = false;
  return config;
}

TEST(ClientErrorTest, DeadPortNamesConnectionRefusedAndTheServer) {
  const int port = testing::FreePort();
  Client cache(OneServer(port));
  Item item;
  ASSERT_EQ(cache.Get("k", &item), Status::kConnectionFailure);
  const ClientError& e = cache.last_error();
  EXPECT_EQ(e.status, Status::kConnectionFailure);
  EXPECT_EQ(e.server, 0u);
  EXPECT_EQ(e.address, "127.0.0.1:" + std::to_string(port));
  EXPECT_STREQ(e.operation, "get");
  EXPECT_EQ(e.sys_errno, ECONNREFUSED);
  EXPECT_EQ(e.Describe(), "CONNECTION_FAILURE: get on host 127.0.0.1:" + std::to_string(port) +
                              ": Connection refused (errno " + std::to_string(ECONNREFUSED) + ")");
}

TEST(ClientErrorTest, CApiDescribesTheLastFailureAndTruncates) {
  const int port = testing::FreePort();
  const std::string spec = "127.0.0.1:" + std::to_string(port);
  slabclient* c = nullptr;
  ASSERT_EQ(slabclient_create(spec.c_str(), nullptr, 500, &c), SLABCLIENT_OK);
  char buf[256];
  int err = -1;
  EXPECT_EQ(slabclient_last_error(c, buf, sizeof(buf), &err), SLABCLIENT_OK);  // nothing failed
  EXPECT_STREQ(buf, "");
  EXPECT_EQ(err, 0);
  EXPECT_EQ(slabclient_set(c, "k", 1, "v", 1, 0, 0), SLABCLIENT_CONNECTION_FAILURE);
  EXPECT_EQ(slabclient_last_error(c, buf, sizeof(buf), &err), SLABCLIENT_CONNECTION_FAILURE);
  EXPECT_EQ(err, ECONNREFUSED);
  EXPECT_NE(std::string(buf).find("set on host " + spec + ": Connection refused"),
            std::string::npos)
      << buf;
  char small[8];
  slabclient_last_error(c, small, sizeof(small), nullptr);
  EXPECT_STREQ(small, "CONNECT");
  slabclient_destroy(c);
}

class ClientErrorDaemonTest : public testing::OneDaemonTest {
 protected:
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
};

TEST_F(ClientErrorDaemonTest, FrozenDaemonNamesTheTimeoutAndTheServer) {
  Client cache(OneServer(port_, milliseconds(100)));
  ASSERT_EQ(cache.Set("k", "v"), Status::kOk);
  ASSERT_EQ(::kill(daemon_->pid(), SIGSTOP), 0);
  Item item;
  const Status s = cache.Get("k", &item);
  ASSERT_EQ(::kill(daemon_->pid(), SIGCONT), 0);
  ASSERT_EQ(s, Status::kTimeout);
  const ClientError& e = cache.last_error();
  EXPECT_EQ(e.server, 0u);
  EXPECT_EQ(e.timeout_ms, 100);
  EXPECT_EQ(e.Describe(), "TIMEOUT: get on host " + Address() + " timed out after 100 ms");
}

TEST_F(ClientErrorDaemonTest, ValueTooLargeCarriesTheServerErrorText) {
  for (const Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    ClientConfig config = OneServer(port_);
    config.protocol = protocol;
    Client cache(config);
    const std::string big(2 << 20, 'x');  // over the 1 MiB item limit
    ASSERT_EQ(cache.Set("big", big), Status::kServerError);
    const ClientError& e = cache.last_error();
    EXPECT_EQ(e.status, Status::kServerError);
    EXPECT_EQ(e.address, Address());
    EXPECT_STREQ(e.operation, "set");
    EXPECT_EQ(e.sys_errno, 0);
    EXPECT_EQ(e.reply, protocol == Protocol::kText ? "object too large for cache" : "Too large.");
    // Answers are not failures: the detail stays the set's.
    Item item;
    EXPECT_EQ(cache.Get("absent", &item), Status::kNotFound);
    const std::string key = protocol == Protocol::kText ? "added:text" : "added:binary";
    EXPECT_EQ(cache.Add(key, "small"), Status::kOk);
    EXPECT_EQ(cache.Add(key, "small"), Status::kNotStored);
    EXPECT_EQ(cache.last_error().status, Status::kServerError);
    EXPECT_STREQ(cache.last_error().operation, "set");
  }
}

TEST_F(ClientErrorDaemonTest, ClientErrorReplyTextIsKept) {
  Client cache(OneServer(port_));
  ASSERT_EQ(cache.Set("word", "abc"), Status::kOk);
  ASSERT_EQ(cache.Incr("word", 1), Status::kClientError);
  EXPECT_STREQ(cache.last_error().operation, "incr");
  EXPECT_EQ(cache.last_error().reply, "cannot increment or decrement non-numeric value");
}

}  // namespace
}  // namespace slabcached::client
