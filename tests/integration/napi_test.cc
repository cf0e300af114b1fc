// -N (NAPI ids, issue #12 item 4) on both servers. Over loopback no
// connection carries a NAPI id, so with -N every connection falls back to
// round robin and counts in round_robin_fallback; the NAPI-id table itself is
// unit-tested (tests/unit/src/worker_picker_test.cc). Where Debian's memcached
// 1.6.18 crashes (its "stats settings" with -N), the test says so and checks
// slabcached alone.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

class NapiTest : public ServerTest {
 protected:
  std::vector<std::string> FlagsWith(std::vector<std::string> extra) {
    std::vector<std::string> flags = DefaultFlags();  // -t 2
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }
  static uint64_t Number(Client& client, const std::string& stat) {
    return std::strtoull(client.Stats()[stat].c_str(), nullptr, 10);
  }
  // Opens `count` connections and has each one answered, so each has been
  // handed to a worker.
  void OpenServedConnections(const Daemon& d, int count) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < count; ++i) {
      clients.push_back(Connect(&d));
      ASSERT_NE(clients.back(), nullptr);
      ASSERT_TRUE(clients.back()->RoundtripPrefix("version\r\n", "VERSION "));
    }
  }
};

TEST_P(NapiTest, LoopbackConnectionsFallBackToRoundRobinAndAreCounted) {
  SKIP_IF_ATTACHED();
  auto d = StartDaemon(FlagsWith({"-N", "2"}));
  ASSERT_NE(d, nullptr);
  auto admin = Connect(d.get());
  ASSERT_NE(admin, nullptr);
  // The start-up probe's connections counted too: compare with now.
  const uint64_t before = Number(*admin, "round_robin_fallback");
  EXPECT_GE(before, 1u);  // this connection
  OpenServedConnections(*d, 5);
  EXPECT_EQ(Number(*admin, "round_robin_fallback"), before + 5);
  EXPECT_EQ(admin->Stats()["unexpected_napi_ids"], "0");

  // "stats reset" zeroes both, as memcached's memset of its stats does.
  ASSERT_TRUE(admin->Roundtrip("stats reset\r\n", "RESET\r\n"));
  EXPECT_EQ(admin->Stats()["round_robin_fallback"], "0");
  OpenServedConnections(*d, 2);
  EXPECT_EQ(admin->Stats()["round_robin_fallback"], "2");
}

TEST_P(NapiTest, WithoutNapiIdsNothingFallsBack) {
  OpenServedConnections(daemon(), 3);
  const std::map<std::string, std::string> stats = client().Stats();
  EXPECT_EQ(stats.at("round_robin_fallback"), "0");
  EXPECT_EQ(stats.at("unexpected_napi_ids"), "0");
}

// The two names sit where memcached puts them: after the logger's counters
// (and the TLS ones with -Z), with or without -N.
TEST_P(NapiTest, CountersFollowTheLoggersInStats) {
  ASSERT_TRUE(client().Send("stats\r\n"));
  std::istringstream reply(client().ReadUntilEnd());
  std::vector<std::string> names;
  for (std::string line; std::getline(reply, line);) {
    if (line.starts_with("STAT ")) names.push_back(line.substr(5, line.find(' ', 5) - 5));
  }
  const auto at = std::find(names.begin(), names.end(), "unexpected_napi_ids");
  ASSERT_NE(at, names.end());
  ASSERT_NE(at, names.begin());
  ASSERT_NE(at + 1, names.end());
  EXPECT_EQ(*(at - 1), "log_watchers");
  EXPECT_EQ(*(at + 1), "round_robin_fallback");
}

TEST_P(NapiTest, RangeChecksAndTheirMessages) {
  SKIP_IF_ATTACHED();
  const ExitResult zero = RunToExit(binary(), FlagsWith({"-N", "0"}));
  EXPECT_TRUE(zero.exited && WIFEXITED(zero.wait_status) && WEXITSTATUS(zero.wait_status) != 0)
      << zero.Describe();
  EXPECT_NE(zero.output.find("Maximum number of NAPI IDs must be greater than 0"),
            std::string::npos)
      << zero.output;

  const ExitResult more = RunToExit(binary(), FlagsWith({"-N", "3"}));  // -t 2
  EXPECT_TRUE(more.exited && WIFEXITED(more.wait_status) && WEXITSTATUS(more.wait_status) == 64)
      << more.Describe();
  EXPECT_NE(more.output.find("Number of napi_ids(3) cannot be greater than number of threads(2)"),
            std::string::npos)
      << more.output;
}

// memcached 1.6.18 dies of SIGSEGV on "stats settings" with -N (it prints
// num_napi_ids with the wrong format); 1.6.45 prints the number, as here.
TEST_P(NapiTest, SettingsShowTheNumberOfNapiIds) {
  if (IsReference()) GTEST_SKIP() << "memcached 1.6.18 crashes on stats settings with -N";
  SKIP_IF_ATTACHED();
  EXPECT_EQ(client().Stats("settings")["num_napi_ids"], "0");
  auto d = StartDaemon(FlagsWith({"--napi-ids=2"}));
  ASSERT_NE(d, nullptr);
  auto c = Connect(d.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Stats("settings")["num_napi_ids"], "2");
}

INSTANTIATE_TEST_SUITE_P(Napi, NapiTest, ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
