// Warm restart (-e <file>): a daemon stopped with SIGUSR1 leaves its items in
// the memory file, and the next daemon on that file with the same memory
// geometry serves every one of them again, byte for byte, with its flags and
// CAS. A daemon killed without that stop, or restarted with another -m,
// starts cold and serves.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

constexpr int kItems = 1'000'000;
constexpr int kBatch = 500;  // keys per multi-get

std::string Key(int i) { return "warm:" + std::to_string(i); }
// Values of 10..42 bytes that differ in every key.
std::string ValueOf(int i) {
  std::string value = "v" + std::to_string(i) + ":";
  value.resize(10 + i % 33, static_cast<char>('a' + i % 26));
  return value;
}
uint32_t FlagsOf(int i) { return i % 7 == 0 ? static_cast<uint32_t>(i) : 0; }

class WarmRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    std::optional<std::string> binary = OwnSlabcachedBinary(&why);
    if (!binary) GTEST_SKIP() << why;
    binary_ = *binary;
    std::string dir = (std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp") +
                      std::string("/warm_restart_test.XXXXXX");
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    // As root the daemon runs as nobody (-u), which must be able to create the
    // file, as with memcached (it drops root before opening the file).
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
  }
  void TearDown() override {
    daemon_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string file() const { return dir_ + "/memory_file"; }

  // Starts a daemon on the memory file with `megabytes` of item memory.
  void Start(int megabytes) {
    daemon_.reset();
    std::string error;
    daemon_ = Daemon::Start(
        binary_,
        {"-U", "0", "-t", "2", "-c", "1024", "-v", "-m", std::to_string(megabytes), "-e", file()},
        &error);
    ASSERT_NE(daemon_, nullptr) << error;
    client_ = Client::Connect(daemon_->host(), daemon_->port(), &error);
    ASSERT_NE(client_, nullptr) << error;
  }
  // Sends `signal` and waits for a clean exit.
  void Stop(int signal) {
    client_.reset();
    ASSERT_EQ(::kill(daemon_->pid(), signal), 0);
    int status = 0;
    ASSERT_TRUE(daemon_->WaitForExit(kStopTimeout, &status)) << "still running after " << signal;
    if (signal != SIGKILL) {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status << "\n"
                                                                 << daemon_->Output();
    }
  }
  // Pipelined noreply sets of keys [first, last), then one reply to wait on.
  void SetItems(int first, int last) {
    std::string batch;
    for (int i = first; i < last; ++i) {
      batch += StorageCommand("set", Key(i), ValueOf(i), FlagsOf(i), 0, /*noreply=*/true);
      if (batch.size() > (1 << 20) || i + 1 == last) {
        ASSERT_TRUE(client_->Send(batch));
        batch.clear();
      }
    }
    ASSERT_TRUE(client_->Roundtrip("mn\r\n", "MN\r\n"));
  }
  // Every key of [first, last) reads back byte for byte, in multi-gets.
  void ExpectItems(int first, int last) {
    for (int start = first; start < last; start += kBatch) {
      std::string request = "get";
      std::string expected;
      for (int i = start; i < std::min(start + kBatch, last); ++i) {
        request += " " + Key(i);
        expected += ValueReply(Key(i), ValueOf(i), FlagsOf(i));
      }
      expected += "END\r\n";
      ASSERT_TRUE(client_->Send(request + "\r\n"));
      const std::string reply = client_->ReadExactly(expected.size());
      ASSERT_EQ(reply, expected) << "keys " << start << " on";
    }
  }
  // "gets" of key i: its CAS, or 0 on a miss.
  uint64_t CasOf(int i) {
    EXPECT_TRUE(client_->Send("gets " + Key(i) + "\r\n"));
    const std::string line = client_->ReadLine();
    if (!line.starts_with("VALUE ")) return 0;
    client_->ReadUntilEnd();
    return std::stoull(line.substr(line.rfind(' ') + 1));
  }
  std::string Stat(const std::string& name) { return client_->Stats()[name]; }

  std::string binary_;
  std::string dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(WarmRestartTest, AMillionItemsSurviveAGracefulRestart) {
  ASSERT_NO_FATAL_FAILURE(Start(256));
  ASSERT_NO_FATAL_FAILURE(SetItems(0, kItems));
  ASSERT_EQ(Stat("curr_items"), std::to_string(kItems));
  ASSERT_TRUE(client_->Roundtrip(StorageCommand("set", "ttl", "t", 0, 1000), "STORED\r\n"));
  std::map<int, uint64_t> cas;
  for (int i = 0; i < kItems; i += 997) cas[i] = CasOf(i);
  ASSERT_NO_FATAL_FAILURE(Stop(SIGUSR1));
  const std::string stop_log = daemon_->Output();
  const size_t saved = stop_log.find("saved for a warm restart");
  ASSERT_NE(saved, std::string::npos) << stop_log;
  std::printf("%s\n", stop_log.substr(saved, stop_log.find('\n', saved) - saved).c_str());

  const auto started = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(Start(256));
  const auto restart_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  std::printf("warm restart with %d items: serving after %lld ms\n", kItems + 1,
              static_cast<long long>(restart_ms));
  RecordProperty("restart_ms", static_cast<int>(restart_ms));
  const std::string log = daemon_->Output();
  const size_t restored = log.find(std::to_string(kItems + 1) + " items restored");
  ASSERT_NE(restored, std::string::npos) << log;
  const size_t line_start = log.rfind('\n', restored) + 1;
  std::printf("%s\n", log.substr(line_start, log.find('\n', restored) - line_start).c_str());
  EXPECT_EQ(Stat("curr_items"), std::to_string(kItems + 1));
  ASSERT_NO_FATAL_FAILURE(ExpectItems(0, kItems));
  for (const auto& [i, before] : cas) ASSERT_EQ(CasOf(i), before) << Key(i);
  // The TTL kept its remaining seconds (1000 at the set, a few passed since).
  ASSERT_TRUE(client_->Send("mg ttl t v\r\n"));
  const std::string line = client_->ReadLine();
  ASSERT_TRUE(line.starts_with("VA 1 t")) << line;
  const int ttl = std::stoi(line.substr(6));
  EXPECT_LE(ttl, 1000);
  EXPECT_GE(ttl, 900);
  client_->ReadLine();
  // New writes get CAS values above the restored ones.
  ASSERT_TRUE(client_->Roundtrip(StorageCommand("set", "after", "x"), "STORED\r\n"));
  uint64_t highest = 0;
  for (const auto& [i, value] : cas) highest = std::max(highest, value);
  ASSERT_TRUE(client_->Send("gets after\r\n"));
  const std::string after = client_->ReadLine();
  EXPECT_GT(std::stoull(after.substr(after.rfind(' ') + 1)), highest) << after;
}

TEST_F(WarmRestartTest, AKilledDaemonRestartsColdAndServes) {
  ASSERT_NO_FATAL_FAILURE(Start(64));
  ASSERT_NO_FATAL_FAILURE(SetItems(0, 1000));
  ASSERT_NO_FATAL_FAILURE(Stop(SIGKILL));
  ASSERT_NO_FATAL_FAILURE(Start(64));
  EXPECT_NE(daemon_->Output().find("not stopped gracefully"), std::string::npos)
      << daemon_->Output();
  EXPECT_EQ(Stat("curr_items"), "0");
  ASSERT_TRUE(client_->Roundtrip("get " + Key(1) + "\r\n", "END\r\n"));
  ASSERT_NO_FATAL_FAILURE(SetItems(0, 1000));
  ASSERT_NO_FATAL_FAILURE(ExpectItems(0, 1000));
}

TEST_F(WarmRestartTest, AnotherMemoryLimitRestartsCold) {
  ASSERT_NO_FATAL_FAILURE(Start(64));
  ASSERT_NO_FATAL_FAILURE(SetItems(0, 1000));
  ASSERT_NO_FATAL_FAILURE(Stop(SIGUSR1));
  ASSERT_NO_FATAL_FAILURE(Start(128));
  EXPECT_NE(daemon_->Output().find("starting cold: the memory limit (-m"), std::string::npos)
      << daemon_->Output();
  EXPECT_EQ(Stat("curr_items"), "0");
  ASSERT_NO_FATAL_FAILURE(SetItems(0, 1000));
  ASSERT_NO_FATAL_FAILURE(ExpectItems(0, 1000));
  // Back to the first size: the cold start emptied the file, nothing comes back.
  ASSERT_NO_FATAL_FAILURE(Stop(SIGTERM));
  ASSERT_NO_FATAL_FAILURE(Start(64));
  EXPECT_EQ(Stat("curr_items"), "0");
}

TEST_F(WarmRestartTest, SigtermDoesNotSaveTheFile) {
  ASSERT_NO_FATAL_FAILURE(Start(64));
  ASSERT_NO_FATAL_FAILURE(SetItems(0, 10));
  ASSERT_NO_FATAL_FAILURE(Stop(SIGTERM));
  ASSERT_NO_FATAL_FAILURE(Start(64));
  EXPECT_EQ(Stat("curr_items"), "0");
  ASSERT_NO_FATAL_FAILURE(Stop(SIGUSR1));  // and SIGUSR1 exits 0
}

// memcached's graceful stop holds without a memory file too: the queued reply
// still goes out, then the daemon exits 0.
TEST_F(WarmRestartTest, SigusrOneWithoutAMemoryFileStopsGracefully) {
  std::string error;
  daemon_ = Daemon::Start(binary_, DefaultFlags(), &error);
  ASSERT_NE(daemon_, nullptr) << error;
  client_ = Client::Connect(daemon_->host(), daemon_->port(), &error);
  ASSERT_NE(client_, nullptr) << error;
  const std::string value(512 * 1024, 'x');
  ASSERT_TRUE(client_->Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  ASSERT_TRUE(client_->Send("get big\r\n"));
  ASSERT_TRUE(client_->WaitReadable(kIoTimeout));
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  EXPECT_EQ(client_->ReadExactly(ValueReply("big", value).size() + 5),
            ValueReply("big", value) + "END\r\n");
  int status = 0;
  ASSERT_TRUE(daemon_->WaitForExit(kStopTimeout, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(daemon_->Output().find("memory file"), std::string::npos) << daemon_->Output();
}

}  // namespace
}  // namespace slabcached::testing
