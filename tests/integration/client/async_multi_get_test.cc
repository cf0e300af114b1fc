// AsyncMultiGet driven by a real libevent loop against three slabcached
// daemons: two Clients' multi-gets run in one loop at once, items arrive
// through the loop's callbacks, and a silent server is given up at the
// deadline by a loop timer.
#include "client/async_multi_get.h"

#include <event2/event.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"
#include "client/resolver.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using EventPtr = std::unique_ptr<event, decltype(&event_free)>;
using BasePtr = std::unique_ptr<event_base, decltype(&event_base_free)>;

// Registers an AsyncMultiGet's waits with a libevent base, re-registering
// after every step (what it waits for changes as requests go out), plus a
// timer at its next timeout.
class LibeventDriver {
 public:
  LibeventDriver(event_base* base, AsyncMultiGet* get) : base_(base), get_(get) {
    timer_.reset(evtimer_new(base_, &LibeventDriver::OnTimer, this));
    Arm();
  }

  int steps() const { return steps_; }

 private:
  void Arm() {
    events_.clear();
    if (get_->done()) {
      timer_.reset();
      return;
    }
    const auto left = std::chrono::ceil<std::chrono::microseconds>(
        get_->next_timeout() - std::chrono::steady_clock::now());
    const auto us = std::max<int64_t>(0, left.count());
    const timeval tv{.tv_sec = us / 1000000, .tv_usec = us % 1000000};
    evtimer_add(timer_.get(), &tv);  // re-adding moves it
    for (const AsyncMultiGet::Wait& w : get_->Waits()) {
      const short what = static_cast<short>(((w.events & POLLIN) ? EV_READ : 0) |
                                            ((w.events & POLLOUT) ? EV_WRITE : 0));
      events_.emplace_back(event_new(base_, w.fd, what, &LibeventDriver::OnEvent, this),
                           &event_free);
      event_add(events_.back().get(), nullptr);
    }
  }

  static void OnEvent(evutil_socket_t fd, short what, void* arg) {
    auto* self = static_cast<LibeventDriver*>(arg);
    ++self->steps_;
    const short revents =
        static_cast<short>(((what & EV_READ) ? POLLIN : 0) | ((what & EV_WRITE) ? POLLOUT : 0));
    self->get_->OnReady(fd, revents);
    self->Arm();
  }

  static void OnTimer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<LibeventDriver*>(arg);
    self->get_->OnTimeout();
    self->Arm();
  }

  event_base* base_;
  AsyncMultiGet* get_;
  EventPtr timer_{nullptr, &event_free};
  std::vector<EventPtr> events_;
  int steps_ = 0;
};

class AsyncMultiGetTest : public testing::FleetTest<::testing::TestWithParam<Protocol>> {
 protected:
  ClientConfig Config() const {
    ClientConfig config;
    config.servers = fleet_.servers;
    config.timeout = milliseconds(2000);
    config.protocol = GetParam();
    return config;
  }

  BasePtr base_{event_base_new(), &event_base_free};
};

TEST_P(AsyncMultiGetTest, TwoClientsMultiGetsRunInOneLibeventLoop) {
  Client writer(Config());
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) {
    names.push_back("async:" + std::to_string(i));
    if (i % 4 != 3) {
      ASSERT_EQ(writer.Set(names.back(), "value-" + std::to_string(i)), Status::kOk);
    }
  }
  const std::vector<std::string_view> first(names.begin(), names.begin() + 100);
  const std::vector<std::string_view> second(names.begin() + 100, names.end());

  Client a(Config());
  Client b(Config());
  std::map<std::string, std::string> got_a;
  std::map<std::string, std::string> got_b;
  AsyncMultiGet get_a(&a, first,
                      [&](const ItemView& item) { got_a.emplace(item.key, item.value); });
  AsyncMultiGet get_b(&b, second,
                      [&](const ItemView& item) { got_b.emplace(item.key, item.value); });
  // Nothing has arrived yet: the items come through the loop.
  EXPECT_TRUE(got_a.empty());
  EXPECT_FALSE(get_a.done());
  LibeventDriver drive_a(base_.get(), &get_a);
  LibeventDriver drive_b(base_.get(), &get_b);
  ASSERT_EQ(event_base_dispatch(base_.get()), 1);  // 1: no events left, both done

  ASSERT_TRUE(get_a.done());
  ASSERT_TRUE(get_b.done());
  EXPECT_EQ(get_a.status(), Status::kOk);
  EXPECT_EQ(get_b.status(), Status::kOk);
  EXPECT_GE(drive_a.steps(), 1);
  EXPECT_EQ(got_a.size(), 75u);
  EXPECT_EQ(got_b.size(), 75u);
  for (int i = 0; i < 200; ++i) {
    const auto& got = i < 100 ? got_a : got_b;
    const auto it = got.find(names[i]);
    if (i % 4 == 3) {
      EXPECT_EQ(it, got.end()) << names[i];
    } else {
      ASSERT_NE(it, got.end()) << names[i];
      EXPECT_EQ(it->second, "value-" + std::to_string(i));
    }
  }
  // The Clients are usable again afterwards.
  Item item;
  EXPECT_EQ(a.Get(names[0], &item), Status::kOk);
  EXPECT_EQ(item.value, "value-0");
}

TEST_P(AsyncMultiGetTest, ASilentServerIsGivenUpAtTheDeadline) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ClientConfig config = Config();
  config.servers = {ServerSpec{"127.0.0.1", ntohs(addr.sin_port), 1, ""}};
  config.timeout = milliseconds(300);
  config.auto_eject = false;
  Client c(config);

  const std::vector<std::string_view> keys = {"k1", "k2"};
  int delivered = 0;
  AsyncMultiGet get(&c, keys, [&](const ItemView&) { ++delivered; });
  const auto start = std::chrono::steady_clock::now();
  LibeventDriver drive(base_.get(), &get);
  event_base_dispatch(base_.get());
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(get.done());
  EXPECT_EQ(get.status(), Status::kSomeErrors);
  EXPECT_EQ(delivered, 0);
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2000));
  close(fd);
}

// A host name whose first address never answers the connect: the loop's
// timer moves the get on to the second address (the daemon) within the
// deadline, as the blocking MultiGet does.
TEST_P(AsyncMultiGetTest, AHostsSilentFirstAddressIsLeftForTheNext) {
  testing::SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  const uint16_t port = fleet_.servers[0].port;
  const std::string host = "async-silent-first.test";
  Resolver::Shared()->Remember(host, port,
                               {*ResolvedAddress::FromNumeric("127.0.0.1", silent.port()),
                                *ResolvedAddress::FromNumeric("127.0.0.1", port)});
  ClientConfig direct = Config();
  direct.servers = {fleet_.servers[0]};
  ASSERT_EQ(Client(direct).Set("via-second", "found"), Status::kOk);

  ClientConfig config = Config();
  config.servers = {ServerSpec{host, port, 1, ""}};
  config.timeout = milliseconds(1000);
  config.auto_eject = false;
  Client c(config);
  const std::vector<std::string_view> keys = {"via-second"};
  std::string value;
  AsyncMultiGet get(&c, keys, [&](const ItemView& item) { value = item.value; });
  const auto start = std::chrono::steady_clock::now();
  LibeventDriver drive(base_.get(), &get);
  event_base_dispatch(base_.get());
  ASSERT_TRUE(get.done());
  EXPECT_EQ(get.status(), Status::kOk) << c.last_error().Describe();
  EXPECT_EQ(value, "found");
  EXPECT_LT(std::chrono::steady_clock::now() - start, config.timeout);
}

TEST_P(AsyncMultiGetTest, AnInvalidKeyIsDoneAtOnceAndSendsNothing) {
  Client c(Config());
  const std::vector<std::string_view> keys = {"ok", "bad key"};
  AsyncMultiGet get(&c, keys, [](const ItemView&) {});
  EXPECT_TRUE(get.done());
  EXPECT_TRUE(get.Waits().empty());
  EXPECT_EQ(get.status(), Status::kInvalidArgument);
}

TEST_P(AsyncMultiGetTest, DroppingAnUnfinishedOneLeavesTheClientInSync) {
  Client c(Config());
  ASSERT_EQ(c.Set("left", "behind"), Status::kOk);
  {
    const std::vector<std::string_view> keys = {"left"};
    AsyncMultiGet get(&c, keys, [](const ItemView&) {});
    EXPECT_FALSE(get.done());
  }  // its reply must not be taken for the next operation's
  // A missing key on the same server (connection): a stale "VALUE left"
  // would be read as its hit.
  std::string other = "other";
  while (c.ServerFor(other) != c.ServerFor("left")) other += "+";
  Item item;
  EXPECT_EQ(c.Get(other, &item), Status::kNotFound);
  EXPECT_EQ(c.Get("left", &item), Status::kOk);
  EXPECT_EQ(item.value, "behind");
  EXPECT_FALSE(c.IsEjected(0));
  EXPECT_FALSE(c.IsEjected(1));
  EXPECT_FALSE(c.IsEjected(2));
}

INSTANTIATE_TEST_SUITE_P(Protocols, AsyncMultiGetTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary),
                         [](const auto& info) {
                           return info.param == Protocol::kText ? "Text" : "Binary";
                         });

}  // namespace
}  // namespace slabcached::client
