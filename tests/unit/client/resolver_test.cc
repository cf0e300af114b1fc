// Resolver: numeric hosts bypass the lookup, answers are cached for their
// TTL (on a hand-driven clock), the last good answer serves while a refresh
// is slow, and a lookup that hangs gives up at the caller's deadline.
// Connection: every address of a host is tried, within the deadline.
#include "client/resolver.h"

#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/connection.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using Clock = Resolver::Clock;

ResolvedAddress Numeric(const std::string& ip, uint16_t port) {
  return *ResolvedAddress::FromNumeric(ip, port);
}

ServerSpec Spec(const std::string& host) {
  ServerSpec spec;
  spec.host = host;
  spec.port = 11211;
  return spec;
}

Clock::time_point Soon() { return Clock::now() + milliseconds(5000); }

std::vector<std::string> Texts(const std::vector<ResolvedAddress>& addresses) {
  std::vector<std::string> out;
  for (const ResolvedAddress& a : addresses) out.push_back(a.ToString());
  return out;
}

// An injected lookup: answers at once with `answer`, or, when `hold` is set,
// keeps the callback until the test calls AnswerPending().
class FakeLookup {
 public:
  AsyncLookup Function() {
    return [this](const std::string& host, uint16_t port, LookupDone done) {
      std::unique_lock lock(mu_);
      ++calls_;
      last_host_ = host + ":" + std::to_string(port);
      if (hold_) {
        pending_.push_back(std::move(done));
        return;
      }
      LookupAnswer answer = answer_;
      lock.unlock();
      done(std::move(answer));
    };
  }
  void Answer(LookupAnswer answer) {
    const std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }
  void Hold(bool hold) {
    const std::lock_guard lock(mu_);
    hold_ = hold;
  }
  void AnswerPending(const LookupAnswer& answer) {
    std::vector<LookupDone> pending;
    {
      const std::lock_guard lock(mu_);
      pending.swap(pending_);
    }
    for (LookupDone& done : pending) done(answer);
  }
  int calls() {
    const std::lock_guard lock(mu_);
    return calls_;
  }
  std::string last_host() {
    const std::lock_guard lock(mu_);
    return last_host_;
  }

 private:
  std::mutex mu_;
  LookupAnswer answer_;
  bool hold_ = false;
  std::vector<LookupDone> pending_;
  int calls_ = 0;
  std::string last_host_;
};

LookupAnswer Addresses(std::vector<ResolvedAddress> addresses) {
  LookupAnswer answer;
  answer.addresses = std::move(addresses);
  return answer;
}

class ResolverTest : public ::testing::Test {
 protected:
  std::unique_ptr<Resolver> Make(milliseconds ttl = milliseconds(1000)) {
    Resolver::Options options;
    options.ttl = ttl;
    options.lookup = fake_.Function();
    options.now = [this] { return now_; };
    return std::make_unique<Resolver>(std::move(options));
  }
  // A deadline that has passed: Resolve must answer from what it has.
  static Clock::time_point Past() { return Clock::now() - milliseconds(1); }

  FakeLookup fake_;
  Clock::time_point now_{std::chrono::hours(1)};
  std::vector<ResolvedAddress> got_;
  int gai_error_ = 0;
};

TEST_F(ResolverTest, NumericHostsNeverReachTheLookup) {
  auto resolver = Make();
  ASSERT_EQ(resolver->Resolve("127.0.0.1", 11211, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"127.0.0.1:11211"});
  ASSERT_EQ(resolver->Resolve("::1", 7, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"[::1]:7"});
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(ResolverTest, ReturnsEveryAddressInOrder) {
  fake_.Answer(Addresses({Numeric("::1", 11211), Numeric("127.0.0.1", 11211)}));
  auto resolver = Make();
  ASSERT_EQ(resolver->Resolve("cache.test", 11211, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), (std::vector<std::string>{"[::1]:11211", "127.0.0.1:11211"}));
  EXPECT_EQ(fake_.last_host(), "cache.test:11211");
}

TEST_F(ResolverTest, AnswerIsReusedUntilItsTtlEnds) {
  fake_.Answer(Addresses({Numeric("10.0.0.1", 1)}));
  auto resolver = Make(milliseconds(1000));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  now_ += milliseconds(999);
  fake_.Answer(Addresses({Numeric("10.0.0.2", 1)}));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 1);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.1:1"});

  now_ += milliseconds(1);  // the TTL is over: looked up again
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 2);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.2:1"});
}

// One cache serves every Client of the process; each ages it by its own
// ClientConfig::dns_ttl.
TEST_F(ResolverTest, EachCallerAgesTheSharedAnswerByItsOwnTtl) {
  fake_.Answer(Addresses({Numeric("10.0.0.1", 1)}));
  auto resolver = Make(milliseconds(1000));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  now_ += milliseconds(5000);
  fake_.Answer(Addresses({Numeric("10.0.0.2", 1)}));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_, milliseconds(10'000)),
            ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 1);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.1:1"});

  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_, milliseconds(4999)),
            ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 2);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.2:1"});
}

TEST_F(ResolverTest, RememberedAnswerServesWithoutALookupForItsTtl) {
  auto resolver = Make(milliseconds(1000));
  resolver->Remember("pinned.test", 1, {Numeric("10.0.0.7", 1), Numeric("10.0.0.8", 1)});
  ASSERT_EQ(resolver->Resolve("pinned.test", 1, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), (std::vector<std::string>{"10.0.0.7:1", "10.0.0.8:1"}));
  EXPECT_EQ(fake_.calls(), 0);
  now_ += milliseconds(1000);
  fake_.Answer(Addresses({Numeric("10.0.0.9", 1)}));
  ASSERT_EQ(resolver->Resolve("pinned.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.9:1"});
}

TEST_F(ResolverTest, PortsAreCachedApart) {
  fake_.Answer(Addresses({Numeric("10.0.0.1", 1)}));
  auto resolver = Make();
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  fake_.Answer(Addresses({Numeric("10.0.0.1", 2)}));
  ASSERT_EQ(resolver->Resolve("cache.test", 2, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.1:2"});
  EXPECT_EQ(fake_.calls(), 2);
}

TEST_F(ResolverTest, LastGoodAnswerServesWhileARefreshIsSlow) {
  fake_.Answer(Addresses({Numeric("10.0.0.1", 1)}));
  auto resolver = Make(milliseconds(1000));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  fake_.Hold(true);
  now_ += milliseconds(5000);
  // Expired: the refresh starts, and the old answer serves without waiting
  // (the deadline has passed already).
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.1:1"});
  // One refresh at a time, however many connections ask.
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 2);

  fake_.AnswerPending(Addresses({Numeric("10.0.0.9", 1)}));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.9:1"});
  EXPECT_EQ(fake_.calls(), 2);
}

TEST_F(ResolverTest, DnsOutageKeepsTheLastGoodAnswer) {
  fake_.Answer(Addresses({Numeric("10.0.0.1", 1)}));
  auto resolver = Make(milliseconds(1000));
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  now_ += milliseconds(5000);
  LookupAnswer outage;
  outage.gai_error = EAI_AGAIN;
  fake_.Answer(outage);
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(Texts(got_), std::vector<std::string>{"10.0.0.1:1"});
  // Still expired: the next call asks DNS again.
  ASSERT_EQ(resolver->Resolve("cache.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 3);
}

TEST_F(ResolverTest, UnknownNameFailsWithItsErrorAndIsNotCached) {
  LookupAnswer no;
  no.gai_error = EAI_NONAME;
  fake_.Answer(no);
  auto resolver = Make();
  ASSERT_EQ(resolver->Resolve("nosuch.test", 1, Soon(), &got_, &gai_error_),
            ResolveStatus::kFailed);
  EXPECT_EQ(gai_error_, EAI_NONAME);
  fake_.Answer(Addresses({Numeric("10.0.0.1", 1)}));
  ASSERT_EQ(resolver->Resolve("nosuch.test", 1, Soon(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 2);
}

TEST_F(ResolverTest, HungLookupTimesOutAtTheDeadlineAndStillFillsTheCache) {
  fake_.Hold(true);
  auto resolver = Make();
  const auto start = Clock::now();
  const auto deadline = start + milliseconds(100);
  EXPECT_EQ(resolver->Resolve("slow.test", 1, deadline, &got_, &gai_error_),
            ResolveStatus::kTimeout);
  const auto end = Clock::now();
  EXPECT_GE(end, deadline);
  EXPECT_LT(end - deadline, milliseconds(500));
  // The lookup answers later: the next connect finds it in the cache.
  fake_.AnswerPending(Addresses({Numeric("10.0.0.1", 1)}));
  ASSERT_EQ(resolver->Resolve("slow.test", 1, Past(), &got_, &gai_error_), ResolveStatus::kOk);
  EXPECT_EQ(fake_.calls(), 1);
}

TEST_F(ResolverTest, LookupAnsweringAfterTheResolverIsGoneIsHarmless) {
  fake_.Hold(true);
  auto resolver = Make();
  EXPECT_EQ(resolver->Resolve("slow.test", 1, Past(), &got_, &gai_error_), ResolveStatus::kTimeout);
  resolver.reset();
  fake_.AnswerPending(Addresses({Numeric("10.0.0.1", 1)}));
}

TEST(GetaddrinfoLookupTest, ResolvesLocalhostOffThread) {
  Resolver resolver;
  std::vector<ResolvedAddress> got;
  int gai_error = 0;
  ASSERT_EQ(
      resolver.Resolve("localhost", 11211, Clock::now() + milliseconds(10'000), &got, &gai_error),
      ResolveStatus::kOk)
      << gai_strerror(gai_error);
  bool loopback = false;
  for (const ResolvedAddress& a : got) {
    loopback = loopback || a.ToString() == "127.0.0.1:11211" || a.ToString() == "[::1]:11211";
  }
  EXPECT_TRUE(loopback) << ::testing::PrintToString(Texts(got));
}

TEST(GetaddrinfoLookupTest, UnknownNameFailsOrTimesOutWithinTheDeadline) {
  Resolver resolver;
  std::vector<ResolvedAddress> got;
  int gai_error = 0;
  const auto deadline = Clock::now() + milliseconds(300);
  const ResolveStatus status = resolver.Resolve("nosuch.invalid", 1, deadline, &got, &gai_error);
  EXPECT_TRUE(status == ResolveStatus::kFailed || status == ResolveStatus::kTimeout);
  EXPECT_LT(Clock::now(), deadline + milliseconds(250));
}

TEST(ResolverConcurrencyTest, ThreadsResolvingAndRefreshingShareOneCache) {
  Resolver::Options options;
  options.ttl = milliseconds(0);  // every call finds the answer expired
  options.lookup = [](const std::string&, uint16_t port, LookupDone done) {
    LookupAnswer answer;
    answer.addresses.push_back(*ResolvedAddress::FromNumeric("10.0.0.1", port));
    done(std::move(answer));
  };
  Resolver resolver(std::move(options));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<ResolvedAddress> got;
      int gai_error = 0;
      for (int i = 0; i < 500; ++i) {
        const bool ok = resolver.Resolve("cache.test", static_cast<uint16_t>(i % 3), Soon(), &got,
                                         &gai_error) == ResolveStatus::kOk &&
                        got.size() == 1;
        if (!ok) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// A loopback listener, and a port where nothing listens.
class ConnectionAddressesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = Listen(16);
    ASSERT_GE(listener_, 0);
    port_ = PortOf(listener_);
    const int closed = Listen(1);
    closed_port_ = PortOf(closed);
    close(closed);
  }
  void TearDown() override {
    if (listener_ >= 0) close(listener_);
    for (int fd : extra_) close(fd);
  }

  static int Listen(int backlog) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd, backlog) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  static uint16_t PortOf(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }
  std::shared_ptr<Resolver> ResolvingTo(std::vector<ResolvedAddress> addresses) {
    fake_.Answer(Addresses(std::move(addresses)));
    Resolver::Options options;
    options.lookup = fake_.Function();
    return std::make_shared<Resolver>(std::move(options));
  }
  // Drives a connect as Client::Execute does: poll until the attempt's share
  // ends, then the next address. True when connected.
  static bool Drive(Connection* c, Clock::time_point deadline) {
    while (c->connecting()) {
      const auto now = Clock::now();
      if (now >= deadline) return false;
      if (now >= c->attempt_deadline() && c->attempt_deadline() < deadline) {
        if (!c->TryNextAddress()) return false;
        continue;
      }
      pollfd p{c->fd(), POLLOUT, 0};
      const auto wait = std::chrono::ceil<milliseconds>(c->attempt_deadline() - now).count();
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(wait, 0))) > 0 && !c->FinishConnect()) {
        return false;
      }
    }
    return c->open();
  }

  FakeLookup fake_;
  int listener_ = -1;
  uint16_t port_ = 0;
  uint16_t closed_port_ = 0;
  std::vector<int> extra_;
};

TEST_F(ConnectionAddressesTest, RefusedAddressIsFollowedByTheNext) {
  Connection c(Spec("two.test"), {},
               ResolvingTo({Numeric("127.0.0.1", closed_port_), Numeric("127.0.0.1", port_)}));
  const auto deadline = Clock::now() + milliseconds(5000);
  ASSERT_TRUE(c.StartConnect(deadline));
  ASSERT_TRUE(Drive(&c, deadline));
  ClientError e;
  e.address = "two.test:11211";
  c.DescribeFailure(&e);
  EXPECT_EQ(e.via, "127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(e.resolve_error, "");
}

TEST_F(ConnectionAddressesTest, DnsTtlFromTheSettingsDecidesWhenToLookUpAgain) {
  auto resolver = ResolvingTo({Numeric("127.0.0.1", port_)});
  const auto connect_twice = [&](const ConnectionSettings& settings) {
    for (int i = 0; i < 2; ++i) {
      Connection c(Spec("ttl.test"), settings, resolver);
      const auto deadline = Clock::now() + milliseconds(5000);
      ASSERT_TRUE(c.StartConnect(deadline));
      ASSERT_TRUE(Drive(&c, deadline));
    }
  };
  connect_twice(ConnectionSettings{});  // the default: one lookup for both
  EXPECT_EQ(fake_.calls(), 1);
  ClientConfig config;
  config.dns_ttl = milliseconds(0);  // every new connection looks up again
  connect_twice(MakeConnectionSettings(config));
  EXPECT_EQ(fake_.calls(), 3);
}

TEST_F(ConnectionAddressesTest, EveryAddressRefusedFailsNamingTheLast) {
  const int other = Listen(1);
  const uint16_t other_port = PortOf(other);
  close(other);
  Connection c(Spec("two.test"), {},
               ResolvingTo({Numeric("127.0.0.1", closed_port_), Numeric("127.0.0.1", other_port)}));
  const auto deadline = Clock::now() + milliseconds(5000);
  const bool started = c.StartConnect(deadline);
  EXPECT_FALSE(started && Drive(&c, deadline));
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_FALSE(c.open());
  ClientError e;
  c.DescribeFailure(&e);
  EXPECT_EQ(e.via, "127.0.0.1:" + std::to_string(other_port));
}

TEST_F(ConnectionAddressesTest, SilentAddressGetsItsShareOfTheDeadlineThenTheNext) {
  // A listener whose accept queue is full drops SYNs: connect() to it hangs.
  const int full = Listen(0);
  ASSERT_GE(full, 0);
  extra_.push_back(full);
  const uint16_t full_port = PortOf(full);
  for (int i = 0; i < 4; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(full_port);
    connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    extra_.push_back(fd);
  }
  Connection c(Spec("two.test"), {},
               ResolvingTo({Numeric("127.0.0.1", full_port), Numeric("127.0.0.1", port_)}));
  const auto start = Clock::now();
  const auto deadline = start + milliseconds(400);
  ASSERT_TRUE(c.StartConnect(deadline));
  if (!c.connecting()) GTEST_SKIP() << "this kernel accepted past the listen backlog";
  // Half of what is left for the first of two addresses.
  EXPECT_LE(c.attempt_deadline(), start + milliseconds(201));
  EXPECT_GE(c.attempt_deadline(), start + milliseconds(150));
  ASSERT_TRUE(Drive(&c, deadline));
  EXPECT_LT(Clock::now(), deadline);
  ClientError e;
  c.DescribeFailure(&e);
  EXPECT_EQ(e.via, "127.0.0.1:" + std::to_string(port_));
}

TEST_F(ConnectionAddressesTest, HungLookupFailsTheConnectAtTheDeadline) {
  fake_.Hold(true);
  Resolver::Options options;
  options.lookup = fake_.Function();
  Connection c(Spec("slow.test"), {}, std::make_shared<Resolver>(std::move(options)));
  const auto deadline = Clock::now() + milliseconds(100);
  EXPECT_FALSE(c.StartConnect(deadline));
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_LT(Clock::now(), deadline + milliseconds(500));
  EXPECT_TRUE(c.resolve_timed_out());
  ClientError e;
  c.DescribeFailure(&e);
  EXPECT_EQ(e.resolve_error, "timed out");
  EXPECT_EQ(e.via, "");
  fake_.AnswerPending(Addresses({Numeric("127.0.0.1", port_)}));
}

}  // namespace
}  // namespace slabcached::client
