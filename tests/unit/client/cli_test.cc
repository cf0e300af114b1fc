// slabcache-cli locate/ring, run as a process, against libmemcached's answers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "client/continuum.h"
#include "tests/unit/client/libmemcached_reference.h"

namespace slabcached::client {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* cli = std::getenv("SLABCACHE_CLI");
    if (cli == nullptr || access(cli, X_OK) != 0) {
      GTEST_SKIP() << "SLABCACHE_CLI does not name the built slabcache-cli";
    }
    cli_ = cli;
    char dir[] = "/tmp/slabcache-cli-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // Runs `slabcache-cli args` with `input` on stdin; returns stdout lines.
  std::vector<std::string> Run(const std::string& args, const std::string& input, int* rc) {
    const std::string in = dir_ + "/in", out = dir_ + "/out";
    std::ofstream(in, std::ios::binary) << input;
    *rc = std::system(("'" + cli_ + "' " + args + " <'" + in + "' >'" + out + "' 2>&1").c_str());
    std::ifstream f(out, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(f, line);) lines.push_back(line);
    return lines;
  }

  std::string cli_, dir_;
};

TEST_F(CliTest, LocateMatchesLibmemcachedForEveryDistribution) {
  // Keys of raw bytes, none of them '\n' or '\r' (the line separators).
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> len(1, 60), byte(0, 255);
  std::vector<std::string> keys = {"SVa_]_V41)", "VDEAAAAA", "ключ", "\xff\xfe\x80"};
  while (keys.size() < 2000) {
    std::string k(len(rng), '\0');
    for (char& c : k) {
      do c = static_cast<char>(byte(rng));
      while (c == '\n' || c == '\r');
    }
    keys.push_back(k);
  }
  std::string input;
  for (const std::string& k : keys) input += k + "\n";

  const std::string list =
      "10.0.1.1:11211:600,10.0.1.2:11211:300,cache.example:11300:1,"
      "127.0.0.1:22122:950";
  std::string error;
  const std::vector<ServerSpec> servers = *ParseServerList(list, &error);
  for (Distribution d : {Distribution::kKetamaWeighted, Distribution::kKetamaLibmemcached,
                         Distribution::kKetamaSpy, Distribution::kModula}) {
    int rc = 0;
    const std::vector<std::string> lines =
        Run("locate --servers " + list + " --distribution " + std::string(DistributionName(d)),
            input, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(lines.size(), keys.size()) << DistributionName(d);
    const testing::LibmemcachedReference ref(servers, PlacementConfig{d, std::nullopt});
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint32_t want = ref.Pick(keys[i]);
      ASSERT_EQ(lines[i], std::to_string(want) + " " + servers[want].Address())
          << DistributionName(d) << " key #" << i;
    }
  }
}

TEST_F(CliTest, RingPrintsPointsAndShares) {
  int rc = 0;
  const std::vector<std::string> lines =
      Run("ring --servers a:1:1,b:2:1,c:3:2 --distribution ketama-weighted", "", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("# distribution ketama-weighted, key hash md5, weighted, 480 points", 0),
            0u)
      << lines[0];
  EXPECT_EQ(lines[2].rfind("0 a:1 1 120 ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[4].rfind("2 c:3 2 240 ", 0), 0u) << lines[4];
}

TEST_F(CliTest, BadArgumentsExitWithUsage) {
  int rc = 0;
  std::vector<std::string> lines = Run("locate --servers a:1 --distribution random", "", &rc);
  EXPECT_NE(rc, 0);
  lines = Run("locate", "", &rc);
  EXPECT_NE(rc, 0);
  lines = Run("locate --servers a:0", "", &rc);
  EXPECT_NE(rc, 0);
}

// invalidate with no reachable server: the delete is spooled, reported as
// pending (exit 3), and still pending for the next run on the same spool.
TEST_F(CliTest, InvalidateSpoolsWhatAnUnreachableServerCannotTake) {
  int rc = 0;
  EXPECT_FALSE(Run("invalidate --servers 127.0.0.1:1", "", &rc).empty()) << "usage printed";
  EXPECT_EQ(WEXITSTATUS(rc), 2) << "--spool is required";
  const std::string args =
      "invalidate --servers 127.0.0.1:1 --spool '" + dir_ + "' --drain-timeout 0 --timeout 200";
  std::vector<std::string> lines = Run(args, "k1\nbad key\n", &rc);
  EXPECT_EQ(WEXITSTATUS(rc), 3);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "slabcache-cli: invalidate: line 2: not a key memcached accepts, skipped");
  EXPECT_EQ(lines[2], "events 1 deleted 0 spooled 1 retried 0 pending 1 malformed 1");
  lines = Run(args, "", &rc);
  EXPECT_EQ(WEXITSTATUS(rc), 3);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "events 0 deleted 0 spooled 0 retried 0 pending 1 malformed 0");
}

}  // namespace
}  // namespace slabcached::client
