// WriteBehind against a real daemon standing in for the source of truth:
// the "database" (one slabcached) stops answering (SIGSTOP) while writes
// are queued; batches fail, are retried, and once it answers again every
// write lands and nothing is counted lost. Waits poll with a deadline.
#include "client/write_behind.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

bool PollUntil(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

class WriteBehindDaemonTest : public testing::FleetTest<> {
 protected:
  void TearDown() override {
    if (stopped_ > 0) kill(stopped_, SIGCONT);
  }
  ClientConfig Database() const {
    ClientConfig config;
    config.servers = {fleet_.servers[0]};
    config.timeout = milliseconds(200);
    config.auto_eject = false;
    return config;
  }
  pid_t stopped_ = 0;
};

TEST_F(WriteBehindDaemonTest, OutageOfTheSourceOfTruthIsRetriedWithoutLoss) {
  constexpr int kWrites = 2000;
  Client db(Database());  // used by the writer only (one batch at a time)
  WriteBehindConfig config;
  config.batch_size = 50;
  config.max_delay = milliseconds(5);
  config.retry_delay = milliseconds(50);
  config.max_attempts = 1000;  // outlive the outage
  config.capacity = kWrites;
  WriteBehind queue(config, [&db](const std::vector<PendingWrite>& batch) {
    for (const PendingWrite& w : batch) {
      if (db.Set(w.key, w.value) != Status::kOk) return false;
    }
    return true;
  });
  auto key = [](int i) { return "row:" + std::to_string(i); };
  for (int i = 0; i < kWrites / 2; ++i) ASSERT_EQ(queue.Enqueue(key(i), "v"), Status::kOk);
  stopped_ = fleet_.daemons[0]->pid();
  kill(stopped_, SIGSTOP);
  for (int i = kWrites / 2; i < kWrites; ++i) ASSERT_EQ(queue.Enqueue(key(i), "v"), Status::kOk);
  ASSERT_TRUE(PollUntil([&] { return queue.counts().retried > 0; }, milliseconds(20000)));
  kill(stopped_, SIGCONT);
  stopped_ = 0;

  const WriteBehindCounts counts = queue.Flush();
  EXPECT_EQ(counts.enqueued, uint64_t{kWrites});
  EXPECT_EQ(counts.written, uint64_t{kWrites});
  EXPECT_GT(counts.retried, 0u);
  EXPECT_EQ(counts.lost, 0u);
  EXPECT_EQ(counts.dropped, 0u);
  Client reader(Database());
  int found = 0;
  for (int i = 0; i < kWrites; ++i) {
    Item item;
    found += reader.Get(key(i), &item) == Status::kOk;
  }
  EXPECT_EQ(found, kWrites);
}

}  // namespace
}  // namespace slabcached::client
