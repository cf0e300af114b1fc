// Name resolution against real daemons: a host name whose first address has
// nothing listening reaches the daemon at its second; "localhost" works
// whichever of ::1 and 127.0.0.1 comes first (the daemon listens on
// 127.0.0.1 only); failures name the address tried last, and a name that
// does not resolve fails within the operation's deadline, saying "resolve".
#include "client/resolver.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/connection.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ClientConfig OneServer(const std::string& host, int port, milliseconds timeout) {
  ClientConfig config;
  ServerSpec server;
  server.host = host;
  server.port = static_cast<uint16_t>(port);
  config.servers.push_back(server);
  config.timeout = timeout;
  config.auto_eject = false;
  return config;
}

// A resolver that answers every name with `addresses`, as DNS would.
std::shared_ptr<Resolver> ResolvingTo(std::vector<ResolvedAddress> addresses) {
  Resolver::Options options;
  options.lookup = [addresses](const std::string&, uint16_t, LookupDone done) {
    LookupAnswer answer;
    answer.addresses = addresses;
    done(std::move(answer));
  };
  return std::make_shared<Resolver>(std::move(options));
}

class ResolverDaemonTest : public testing::OneDaemonTest {
 protected:
  // Connects `c` and asks the daemon its version, as a Client's poll loop would.
  static std::string Version(Connection* c, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    if (!c->StartConnect(deadline)) return "connect failed";
    c->output() = "version\r\n";
    for (;;) {
      const auto now = Clock::now();
      if (now >= deadline) return "timeout";
      if (c->connecting() && now >= c->attempt_deadline() && c->attempt_deadline() < deadline) {
        if (!c->TryNextAddress()) return "connect failed";
        continue;
      }
      pollfd p{c->fd(), static_cast<short>(POLLIN | (c->WantsWrite() ? POLLOUT : 0)), 0};
      const auto wait = std::chrono::ceil<milliseconds>(
          (c->connecting() ? c->attempt_deadline() : deadline) - now);
      if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) continue;
      if (c->connecting()) {
        if (!c->FinishConnect()) return "connect failed";
        continue;
      }
      if ((p.revents & POLLOUT) && c->Write() != IoResult::kOk) return "write failed";
      if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && c->Read() != IoResult::kOk) {
        return "read failed";
      }
      const std::string_view in = c->input();
      if (const size_t eol = in.find("\r\n"); eol != std::string_view::npos) {
        return std::string(in.substr(0, eol));
      }
    }
  }
};

TEST_F(ResolverDaemonTest, NameWithADeadFirstAddressConnectsToTheSecond) {
  // 127.0.0.2 is loopback too, but the daemon listens on 127.0.0.1 only.
  ServerSpec server;
  server.host = "cache.test";
  server.port = static_cast<uint16_t>(port_);
  Connection c(server, {},
               ResolvingTo({*ResolvedAddress::FromNumeric("127.0.0.2", port_),
                            *ResolvedAddress::FromNumeric("127.0.0.1", port_)}));
  const std::string version = Version(&c, milliseconds(2000));
  EXPECT_TRUE(version.starts_with("VERSION ")) << version;
  ClientError e;
  e.address = server.Address();
  c.DescribeFailure(&e);
  EXPECT_EQ(e.via, "127.0.0.1:" + std::to_string(port_));
}

TEST_F(ResolverDaemonTest, NameWithADeadFirstPortConnectsToTheSecond) {
  ServerSpec server;
  server.host = "cache.test";
  server.port = static_cast<uint16_t>(port_);
  Connection c(server, {},
               ResolvingTo({*ResolvedAddress::FromNumeric("127.0.0.1", testing::FreePort()),
                            *ResolvedAddress::FromNumeric("127.0.0.1", port_)}));
  const std::string version = Version(&c, milliseconds(2000));
  EXPECT_TRUE(version.starts_with("VERSION ")) << version;
}

TEST_F(ResolverDaemonTest, LocalhostWorksWhicheverAddressComesFirst) {
  Client cache(OneServer("localhost", port_, milliseconds(2000)));
  ASSERT_EQ(cache.Set("k", "v"), Status::kOk) << cache.last_error().Describe();
  Item item;
  ASSERT_EQ(cache.Get("k", &item), Status::kOk) << cache.last_error().Describe();
  EXPECT_EQ(item.value, "v");
}

// Through a Client: the process's shared resolver is told the name's
// addresses, as DNS would answer them.
TEST_F(ResolverDaemonTest, ClientMovesOnFromARefusedAddress) {
  const std::string host = "refused-first.test";
  Resolver::Shared()->Remember(host, static_cast<uint16_t>(port_),
                               {*ResolvedAddress::FromNumeric("127.0.0.2", port_),
                                *ResolvedAddress::FromNumeric("127.0.0.1", port_)});
  Client cache(OneServer(host, port_, milliseconds(2000)));
  ASSERT_EQ(cache.Set("k", "v"), Status::kOk) << cache.last_error().Describe();
  Item item;
  ASSERT_EQ(cache.Get("k", &item), Status::kOk) << cache.last_error().Describe();
  EXPECT_EQ(item.value, "v");
}

TEST_F(ResolverDaemonTest, ClientGivesASilentAddressItsShareOfTheTimeout) {
  testing::SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  const std::string host = "silent-first.test";
  Resolver::Shared()->Remember(host, static_cast<uint16_t>(port_),
                               {*ResolvedAddress::FromNumeric("127.0.0.1", silent.port()),
                                *ResolvedAddress::FromNumeric("127.0.0.1", port_)});
  const milliseconds timeout(600);
  Client cache(OneServer(host, port_, timeout));
  const auto start = Clock::now();
  ASSERT_EQ(cache.Set("k", "v"), Status::kOk) << cache.last_error().Describe();
  const auto took = Clock::now() - start;
  // The first address had half the timeout; the daemon answered within the rest.
  EXPECT_LT(took, timeout);
  if (took < milliseconds(250)) GTEST_SKIP() << "this kernel answered past the listen backlog";
  Item item;
  ASSERT_EQ(cache.Get("k", &item), Status::kOk) << cache.last_error().Describe();
}

TEST_F(ResolverDaemonTest, ClientNamesTheLastAddressWhenNoneAnswers) {
  testing::SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  const int dead = testing::FreePort();
  const std::string host = "none-answers.test";
  Resolver::Shared()->Remember(host, 11211,
                               {*ResolvedAddress::FromNumeric("127.0.0.1", dead),
                                *ResolvedAddress::FromNumeric("127.0.0.1", silent.port())});
  const milliseconds timeout(300);
  Client cache(OneServer(host, 11211, timeout));
  Item item;
  const auto start = Clock::now();
  EXPECT_EQ(cache.Get("k", &item), Status::kTimeout);
  EXPECT_LT(Clock::now() - start, timeout + milliseconds(250));
  EXPECT_EQ(cache.last_error().via, "127.0.0.1:" + std::to_string(silent.port()));
  EXPECT_EQ(cache.last_error().Describe(),
            "TIMEOUT: get on host " + host + ":11211 via 127.0.0.1:" +
                std::to_string(silent.port()) + " timed out after 300 ms");
}

TEST(ResolverClientTest, LocalhostWithNothingListeningNamesTheAddressTriedLast) {
  const int port = testing::FreePort();
  Client cache(OneServer("localhost", port, milliseconds(2000)));
  Item item;
  ASSERT_EQ(cache.Get("k", &item), Status::kConnectionFailure);
  const ClientError& e = cache.last_error();
  EXPECT_EQ(e.address, "localhost:" + std::to_string(port));
  EXPECT_TRUE(e.via == "127.0.0.1:" + std::to_string(port) ||
              e.via == "[::1]:" + std::to_string(port))
      << e.via;
  EXPECT_EQ(e.sys_errno, ECONNREFUSED);
  EXPECT_NE(e.Describe().find("get on host localhost:" + std::to_string(port) + " via "),
            std::string::npos)
      << e.Describe();
}

TEST(ResolverClientTest, UnknownNameFailsWithinTheDeadlineSayingResolve) {
  const milliseconds timeout(500);
  Client cache(OneServer("nosuch.invalid", 11211, timeout));
  Item item;
  const auto start = Clock::now();
  const Status s = cache.Get("k", &item);
  EXPECT_LT(Clock::now() - start, timeout + milliseconds(250));
  // NXDOMAIN at once, or no answer from DNS before the deadline.
  EXPECT_TRUE(s == Status::kConnectionFailure || s == Status::kTimeout) << StatusName(s);
  const ClientError& e = cache.last_error();
  EXPECT_FALSE(e.resolve_error.empty());
  EXPECT_NE(e.Describe().find(": resolve: "), std::string::npos) << e.Describe();
  EXPECT_EQ(e.via, "");
}

}  // namespace
}  // namespace slabcached::client
