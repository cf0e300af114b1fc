// `slabcache-cli invalidate` as a process against three slabcached daemons:
// a daemon killed (SIGKILL) or frozen (SIGSTOP) while events flow, and the
// invalidator itself killed mid-stream and restarted. Afterwards every
// invalidated key reads as missing on every server. Waits poll with a
// deadline (the input offset file, the process's exit), never sleep blindly.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/integration/client/servers.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;
using testing::Process;

constexpr int kKeys = 3000;

std::string KeyOf(int i) { return "inv:" + std::to_string(i); }

// Key i as an input line: bare keys and JSON events of three keys, mixed.
std::string EventsFor(int first, int last) {
  std::string out;
  for (int i = first; i < last;) {
    if (i % 10 == 0 && i + 3 <= last) {
      out += "{\"event\": \"updated\", \"keys\": [\"" + KeyOf(i) + "\", \"" + KeyOf(i + 1) +
             "\", \"" + KeyOf(i + 2) + "\"]}\n";
      i += 3;
    } else {
      out += KeyOf(i++) + "\n";
    }
  }
  return out;
}

bool PollUntil(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

std::string ReadFile(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

class InvalidatorCliTest : public testing::FleetTest<> {
 protected:
  void SetUp() override {
    const char* cli = std::getenv("SLABCACHE_CLI");
    if (cli == nullptr || access(cli, X_OK) != 0) GTEST_SKIP() << "SLABCACHE_CLI is not set";
    cli_ = cli;
    FleetTest::SetUp();
    char dir[] = "/tmp/invalidate-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ASSERT_EQ(mkdir((dir_ + "/spool").c_str(), 0755), 0);
    for (const ServerSpec& s : fleet_.servers) {
      ClientConfig one;
      one.servers = {s};
      one.auto_eject = false;
      single_.push_back(std::make_unique<Client>(one));
    }
    for (int i = 0; i < kKeys; ++i) ASSERT_EQ(Owner(i).Set(KeyOf(i), "stale"), Status::kOk);
  }
  void TearDown() override {
    for (pid_t pid : stopped_) kill(pid, SIGCONT);
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // The client of the server the ring places key i on.
  Client& Owner(int i) {
    if (ring_ == nullptr) ring_ = std::make_unique<Continuum>(fleet_.servers, PlacementConfig{});
    return *single_[ring_->Pick(KeyOf(i))];
  }
  int OnServer(uint32_t server, int first, int last) {
    int n = 0;
    for (int i = first; i < last; ++i) n += ring_->Pick(KeyOf(i)) == server;
    return n;
  }

  std::unique_ptr<Process> StartCli(const std::string& input, const std::string& log) {
    std::string servers;
    for (const ServerSpec& s : fleet_.servers)
      servers += (servers.empty() ? "" : ",") + s.Address();
    std::string error;
    auto p = Process::Spawn({cli_, "invalidate", "--servers", servers, "--spool", dir_ + "/spool",
                             "--input", input, "--timeout", "200"},
                            log, &error);
    EXPECT_NE(p, nullptr) << error;
    return p;
  }
  uint64_t InputOffset() {
    return std::strtoull(ReadFile(dir_ + "/spool/input.offset").c_str(), nullptr, 10);
  }
  bool WaitForExit(Process* p) {
    return PollUntil([p] { return p->Exited(); }, milliseconds(30000));
  }
  void Freeze(uint32_t server) {
    stopped_.push_back(fleet_.daemons[server]->pid());
    kill(stopped_.back(), SIGSTOP);
  }
  void Thaw() {
    for (pid_t pid : stopped_) kill(pid, SIGCONT);
    stopped_.clear();
  }
  // Keys [0, kKeys) still cached anywhere.
  int StillCached() {
    int n = 0;
    for (int i = 0; i < kKeys; ++i) {
      for (auto& c : single_) {
        Item item;
        n += c->Get(KeyOf(i), &item) == Status::kOk;
      }
    }
    return n;
  }

  std::string cli_;
  std::string dir_;
  std::vector<std::unique_ptr<Client>> single_;
  std::unique_ptr<Continuum> ring_;
  std::vector<pid_t> stopped_;
};

// Events flow through a FIFO; a daemon dies in the middle and comes back on
// its port. Its deletes are spooled meanwhile and delivered after.
TEST_F(InvalidatorCliTest, DaemonKilledWhileEventsFlowGetsItsDeletesAfterRestart) {
  const std::string fifo = dir_ + "/events";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto cli = StartCli(fifo, dir_ + "/log");
  // Close-on-exec: the daemon restarted below must not hold the FIFO open.
  const int writer = open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  const std::string first = EventsFor(0, kKeys / 2), second = EventsFor(kKeys / 2, kKeys);
  ASSERT_EQ(write(writer, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  ASSERT_TRUE(PollUntil([&] { return InputOffset() == first.size(); }, milliseconds(20000)));

  const int port = fleet_.servers[1].port;
  fleet_.daemons[1]->Kill(SIGKILL);
  ASSERT_EQ(write(writer, second.data(), second.size()), static_cast<ssize_t>(second.size()));
  ASSERT_TRUE(PollUntil([&] { return InputOffset() == first.size() + second.size(); },
                        milliseconds(20000)));
  std::string error;
  fleet_.daemons[1] = testing::StartSlabcached(testing::SlabcachedBinary(), port, &error);
  ASSERT_NE(fleet_.daemons[1], nullptr) << error;
  close(writer);  // end of input: the CLI drains its spool and exits

  ASSERT_TRUE(WaitForExit(cli.get())) << ReadFile(dir_ + "/log");
  const std::string log = ReadFile(dir_ + "/log");
  const int spooled = OnServer(1, kKeys / 2, kKeys);
  ASSERT_GT(spooled, 0);
  EXPECT_NE(log.find("spooled " + std::to_string(spooled) + " retried " + std::to_string(spooled) +
                     " pending 0 malformed 0"),
            std::string::npos)
      << log;
  EXPECT_EQ(StillCached(), 0);
}

// A frozen daemon keeps its items: only the spooled deletes, delivered when
// it answers again, remove them.
TEST_F(InvalidatorCliTest, FrozenDaemonLosesItsItemsOnceItAnswersAgain) {
  const std::string fifo = dir_ + "/events";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto cli = StartCli(fifo, dir_ + "/log");
  const int writer = open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  Freeze(2);
  const std::string events = EventsFor(0, kKeys);
  ASSERT_EQ(write(writer, events.data(), events.size()), static_cast<ssize_t>(events.size()));
  ASSERT_TRUE(PollUntil([&] { return InputOffset() == events.size(); }, milliseconds(20000)));
  Thaw();
  close(writer);
  ASSERT_TRUE(WaitForExit(cli.get())) << ReadFile(dir_ + "/log");
  const std::string log = ReadFile(dir_ + "/log");
  EXPECT_NE(log.find("spooled " + std::to_string(OnServer(2, 0, kKeys))), std::string::npos) << log;
  EXPECT_NE(log.find("pending 0"), std::string::npos) << log;
  EXPECT_EQ(StillCached(), 0);
}

// The invalidator is SIGKILLed mid-stream (one daemon frozen, so part of
// the work sits in the spool) and started again on the same file and spool:
// it resumes after the last acknowledged line, replays the spool, and
// nothing is lost.
TEST_F(InvalidatorCliTest, InvalidatorKilledMidStreamLosesNothing) {
  const std::string input = dir_ + "/events";
  const std::string events = EventsFor(0, kKeys);
  std::ofstream(input, std::ios::binary) << events;
  Freeze(0);
  auto cli = StartCli(input, dir_ + "/log1");
  ASSERT_TRUE(PollUntil([&] { return InputOffset() > 0; }, milliseconds(20000)));
  cli->Kill(SIGKILL);
  const uint64_t acknowledged = InputOffset();
  RecordProperty("acknowledged_bytes_at_kill", std::to_string(acknowledged));
  RecordProperty("input_bytes", std::to_string(events.size()));
  Thaw();

  auto again = StartCli(input, dir_ + "/log2");
  ASSERT_TRUE(WaitForExit(again.get())) << ReadFile(dir_ + "/log2");
  const std::string log = ReadFile(dir_ + "/log2");
  EXPECT_NE(log.find("pending 0 malformed 0"), std::string::npos) << log;
  unsigned long long events_second_run = 0;
  ASSERT_EQ(std::sscanf(log.c_str(), "events %llu", &events_second_run), 1) << log;
  if (acknowledged < events.size()) {
    EXPECT_LT(events_second_run, static_cast<unsigned long long>(kKeys))
        << "the second run resumed after the acknowledged lines";
  }
  EXPECT_EQ(InputOffset(), events.size());
  EXPECT_EQ(StillCached(), 0);
}

}  // namespace
}  // namespace slabcached::client
