// Which worker a connection goes to (src/worker_picker.h): round robin, and
// with -N the NAPI-id table memcached keeps, its fallback and its reset.
#include "src/worker_picker.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <vector>

namespace slabcached {
namespace {

using Reason = WorkerPicker::Reason;

// NAPI ids are the kernel's numbers (they start above 8192, past the
// sender-cpu ids), not worker indexes.
constexpr uint32_t kQueueA = 8193;
constexpr uint32_t kQueueB = 8194;
constexpr uint32_t kQueueC = 8195;

TEST(WorkerPickerTest, WithoutNapiIdsEveryConnectionTakesTheNextWorker) {
  WorkerPicker picker(3, /*by_napi_id=*/false);
  std::vector<uint32_t> workers;
  for (uint32_t napi_id : {kQueueA, kQueueA, 0u, kQueueB}) {
    const WorkerPicker::Pick pick = picker.ForConnection(napi_id);
    EXPECT_EQ(pick.reason, Reason::kRoundRobin);
    workers.push_back(pick.worker);
  }
  EXPECT_EQ(workers, (std::vector<uint32_t>{0, 1, 2, 0}));
}

TEST(WorkerPickerTest, EachNewIdGoesToTheNextWorkerAndStaysThere) {
  WorkerPicker picker(3, /*by_napi_id=*/true);
  EXPECT_EQ(picker.ForConnection(kQueueB).worker, 0u);
  EXPECT_EQ(picker.ForConnection(kQueueA).worker, 1u);
  EXPECT_EQ(picker.ForConnection(kQueueB).worker, 0u);
  EXPECT_EQ(picker.ForConnection(kQueueC).worker, 2u);
  for (int i = 0; i < 5; ++i) {
    const WorkerPicker::Pick pick = picker.ForConnection(kQueueA);
    EXPECT_EQ(pick.worker, 1u);
    EXPECT_EQ(pick.reason, Reason::kNapiId);
  }
}

TEST(WorkerPickerTest, ConnectionsWithoutAnIdFallBackToRoundRobin) {
  WorkerPicker picker(2, /*by_napi_id=*/true);
  EXPECT_EQ(picker.ForConnection(kQueueA).worker, 0u);
  std::vector<uint32_t> workers;
  for (int i = 0; i < 3; ++i) {
    const WorkerPicker::Pick pick = picker.ForConnection(0);
    EXPECT_EQ(pick.reason, Reason::kFallback);
    workers.push_back(pick.worker);
  }
  EXPECT_EQ(workers, (std::vector<uint32_t>{0, 1, 0}));
  // The fallback leaves the learned ids alone.
  EXPECT_EQ(picker.ForConnection(kQueueA).worker, 0u);
  EXPECT_EQ(picker.ForConnection(kQueueB).worker, 1u);
}

// One id more than there are workers (more queues than -t, or a driver
// reload): counted, the table is cleared, and the new id takes worker 0.
TEST(WorkerPickerTest, AnIdOnceEveryWorkerHasOneIsUnexpectedAndStartsAfresh) {
  WorkerPicker picker(2, /*by_napi_id=*/true);
  EXPECT_EQ(picker.ForConnection(kQueueA).reason, Reason::kNapiId);
  EXPECT_EQ(picker.ForConnection(kQueueB).reason, Reason::kNapiId);
  const WorkerPicker::Pick c = picker.ForConnection(kQueueC);
  EXPECT_EQ(c.reason, Reason::kUnexpected);
  EXPECT_EQ(c.worker, 0u);
  // A is new again: it is learned by the next worker.
  const WorkerPicker::Pick a = picker.ForConnection(kQueueA);
  EXPECT_EQ(a.reason, Reason::kNapiId);
  EXPECT_EQ(a.worker, 1u);
  EXPECT_EQ(picker.ForConnection(kQueueB).reason, Reason::kUnexpected);
}

// Whatever ids arrive (the kernel's, but a client may pick among a NIC's
// queues by its source port), the worker is a real one and each id that
// stays known keeps its worker.
TEST(WorkerPickerTest, AnySequenceOfIdsPicksExistingWorkersConsistently) {
  constexpr uint32_t kWorkers = 4;
  WorkerPicker picker(kWorkers, /*by_napi_id=*/true);
  std::mt19937 random(12);
  std::uniform_int_distribution<uint32_t> id(0, 6);
  std::vector<int64_t> worker_of(7, -1);
  for (int i = 0; i < 10'000; ++i) {
    const uint32_t napi_id = id(random);
    const WorkerPicker::Pick pick = picker.ForConnection(napi_id);
    ASSERT_LT(pick.worker, kWorkers);
    if (napi_id == 0) continue;
    if (pick.reason == Reason::kUnexpected) std::fill(worker_of.begin(), worker_of.end(), -1);
    if (worker_of[napi_id] >= 0) {
      EXPECT_EQ(pick.worker, static_cast<uint32_t>(worker_of[napi_id]));
    }
    worker_of[napi_id] = pick.worker;
  }
}

TEST(WorkerPickerTest, UdpSocketsAndConnectionsShareTheTurn) {
  WorkerPicker picker(2, /*by_napi_id=*/false);
  EXPECT_EQ(picker.RoundRobin(), 0u);
  EXPECT_EQ(picker.ForConnection(0).worker, 1u);
}

// A socket without a receive queue (here a socketpair, as a UNIX socket
// client; loopback TCP is the same) counts as round_robin_fallback with -N
// and counts nothing without it.
TEST(WorkerPickerTest, PickWorkerCountsFallbacksOnlyWithNapiIds) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_EQ(IncomingNapiId(fds[0]), 0u);

  ServerStats stats(2, 0);
  WorkerPicker round_robin(2, /*by_napi_id=*/false);
  EXPECT_EQ(PickWorker(round_robin, fds[0], &stats), 0u);
  EXPECT_EQ(stats.round_robin_fallback.load(), 0u);

  WorkerPicker by_napi_id(2, /*by_napi_id=*/true);
  EXPECT_EQ(PickWorker(by_napi_id, fds[0], &stats), 0u);
  EXPECT_EQ(PickWorker(by_napi_id, fds[0], &stats), 1u);
  EXPECT_EQ(stats.round_robin_fallback.load(), 2u);
  EXPECT_EQ(stats.unexpected_napi_ids.load(), 0u);
  stats.Reset();  // memcached's "stats reset" zeroes both
  EXPECT_EQ(stats.round_robin_fallback.load(), 0u);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace slabcached
