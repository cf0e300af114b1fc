// slabcached's own observability over real sockets: "stats latency",
// "stats hotkeys" finding a hot key in a Zipf load, the metrics endpoint's
// histograms and hot keys (checked by promtool), and the Grafana dashboard
// checked against a real scrape (scripts/grafana/check-dashboard).
//
// slabcached only: memcached has none of these.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

constexpr char kPromtool[] = "/usr/bin/promtool";

// GET /metrics over HTTP/1.0: the body, or "" on failure.
std::string Scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string raw;
  constexpr std::string_view kRequest = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, kRequest.data(), kRequest.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(kRequest.size())) {
    char buf[16384];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) raw.append(buf, n);
  }
  ::close(fd);
  const size_t body = raw.find("\r\n\r\n");
  const bool ok = raw.starts_with("HTTP/1.") && raw.compare(8, 5, " 200 ") == 0;
  return ok && body != std::string::npos ? raw.substr(body + 4) : "";
}

std::string TempFile(const std::string& text) {
  std::string path = std::filesystem::temp_directory_path() / "slabcached-observe.XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) return "";
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

bool ExitedZero(const ExitResult& result) {
  return result.exited && WIFEXITED(result.wait_status) && WEXITSTATUS(result.wait_status) == 0;
}

double Number(const std::map<std::string, std::string>& stats, const std::string& name) {
  const auto it = stats.find(name);
  return it == stats.end() ? -1 : std::atof(it->second.c_str());
}

class ObserveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    std::optional<std::string> binary = OwnSlabcachedBinary(&why);
    if (!binary) GTEST_SKIP() << why;
    binary_ = *binary;
  }

  void StartDaemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = DefaultFlags();
    flags.insert(flags.end(), extra.begin(), extra.end());
    std::string error;
    daemon_ = Daemon::Start(binary_, flags, &error);
    ASSERT_NE(daemon_, nullptr) << error;
  }
  // Starts it with the metrics endpoint on metrics_port_.
  void StartWithMetrics(std::vector<std::string> extra = {}) {
    metrics_port_ = PickFreePort();
    ASSERT_GT(metrics_port_, 0);
    extra.insert(extra.begin(), {"-o", "metrics_port=" + std::to_string(metrics_port_)});
    StartDaemon(extra);
  }
  std::unique_ptr<Client> Connect() {
    std::string error;
    std::unique_ptr<Client> client = Client::Connect(daemon_->host(), daemon_->port(), &error);
    EXPECT_NE(client, nullptr) << error;
    return client;
  }

  std::string binary_;
  std::unique_ptr<Daemon> daemon_;
  int metrics_port_ = -1;
};

// --- stats latency ---

TEST_F(ObserveTest, StatsLatencyCountsEveryRequestWithOrderedPlausibleQuantiles) {
  StartDaemon();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        client->Roundtrip(StorageCommand("set", "k" + std::to_string(i), "v"), "STORED\r\n"));
  }
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(client->Roundtrip("get k" + std::to_string(i % 100) + "\r\n",
                                  ValueReply("k" + std::to_string(i % 100), "v") + "END\r\n"));
  }
  const std::map<std::string, std::string> stats = client->Stats("latency");
  EXPECT_EQ(Number(stats, "get_count"), 1000);
  EXPECT_EQ(Number(stats, "set_count"), 100);
  for (const std::string command : {"get", "set"}) {
    double previous = 0;
    for (const std::string q : {"p50", "p90", "p99", "p999"}) {
      const double queued = Number(stats, command + "_" + q + "_us");
      const double written = Number(stats, command + "_written_" + q + "_us");
      // Bucket bounds: at least the first one (0.256 us); a loopback
      // request under 50 ms even on a loaded sanitizer build.
      EXPECT_GE(queued, 0.256) << command << q;
      EXPECT_LT(queued, 50000) << command << q;
      EXPECT_GE(queued, previous) << command << q;
      // Every reply is written after it is queued.
      EXPECT_GE(written, queued) << command << q;
      previous = queued;
    }
  }
}

// Sampled timing (src/latency.h): counts stay exact however requests are
// batched, and a command seen only in untimed batches has no quantiles yet.
TEST_F(ObserveTest, SampledLatencyCountsEveryRequestExactly) {
  StartDaemon({"-o", "latency_sample=1000"});
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Roundtrip("get a\r\n", "END\r\n"));  // the worker's first batch: timed
  std::string gets;
  std::string ends;
  for (int i = 0; i < 25; ++i) {
    gets += "get a\r\n";
    ends += "END\r\n";
  }
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client->Roundtrip(gets, ends));
  ASSERT_TRUE(client->Roundtrip("touch a 0\r\n", "NOT_FOUND\r\n"));
  const std::map<std::string, std::string> stats = client->Stats("latency");
  EXPECT_EQ(Number(stats, "get_count"), 1001);
  EXPECT_GE(Number(stats, "get_p50_us"), 0.256);
  EXPECT_GE(Number(stats, "get_written_p999_us"), Number(stats, "get_p999_us"));
  EXPECT_EQ(Number(stats, "touch_count"), 1);
  EXPECT_EQ(Number(stats, "touch_p50_us"), 0);
}

TEST_F(ObserveTest, NoLatencyTimesNothing) {
  StartDaemon({"-o", "no_latency"});
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Roundtrip("get a\r\n", "END\r\n"));
  EXPECT_TRUE(client->Roundtrip("stats latency\r\n", "END\r\n"));
}

// --- stats hotkeys ---

TEST_F(ObserveTest, StatsHotkeysRejectsABadCount) {
  StartDaemon();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->Roundtrip("stats hotkeys 0\r\n", "CLIENT_ERROR bad command line format\r\n"));
  EXPECT_TRUE(
      client->Roundtrip("stats hotkeys 101\r\n", "CLIENT_ERROR bad command line format\r\n"));
  EXPECT_TRUE(
      client->Roundtrip("stats hotkeys 1 2\r\n", "CLIENT_ERROR bad command line format\r\n"));
}

TEST_F(ObserveTest, StatsResetStartsTheHotKeysAfresh) {
  StartDaemon({"-o", "hot_keys_sample=1"});
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->Roundtrip("get old\r\n", "END\r\n"));
  std::map<std::string, std::string> stats = client->Stats("hotkeys");
  EXPECT_EQ(stats["hotkey:1:key"], "old");
  EXPECT_EQ(stats["hotkey:1:requests"], "3");
  ASSERT_TRUE(client->Roundtrip("stats reset\r\n", "RESET\r\n"));
  ASSERT_TRUE(client->Roundtrip("get new\r\n", "END\r\n"));
  stats = client->Stats("hotkeys");
  EXPECT_EQ(stats["hotkey:1:key"], "new");
  EXPECT_EQ(stats["hotkey:1:requests"], "1");
  EXPECT_EQ(stats.count("hotkey:2:key"), 0u);
}

// 40,000 gets pipelined over 4 connections (spread over the 2 workers), the
// default sampling of 1 in 8: 98% Zipf(0.99) over 10,000 keys, 2% on one
// key. The viral key and the Zipf head must come out on top.
TEST_F(ObserveTest, StatsHotkeysFindsTheHotKeysOfAZipfLoad) {
  StartDaemon();
  constexpr size_t kKeys = 10000;
  constexpr size_t kRequests = 40000;
  constexpr size_t kBatch = 100;
  std::vector<double> cdf(kKeys);
  double total = 0;
  for (size_t rank = 0; rank < kKeys; ++rank) cdf[rank] = total += 1 / std::pow(rank + 1.0, 0.99);
  std::mt19937_64 random(13);
  std::map<std::string, uint64_t> truth;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(Connect());
    ASSERT_NE(clients.back(), nullptr);
  }
  for (size_t sent = 0; sent < kRequests; sent += kBatch) {
    std::string batch;
    for (size_t i = 0; i < kBatch; ++i) {
      std::string key = "viral";
      if (random() % 50 != 0) {
        const double u = std::uniform_real_distribution<double>(0, total)(random);
        key = "user:" + std::to_string(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      }
      ++truth[key];
      batch += "get " + key + "\r\n";
    }
    Client& client = *clients[(sent / kBatch) % clients.size()];
    ASSERT_TRUE(client.Send(batch));
    std::string replies;
    for (size_t i = 0; i < kBatch; ++i) replies += client.ReadLine();
    ASSERT_EQ(replies.size(), kBatch * 5);  // "END\r\n" each
  }
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const auto& [key, count] : truth) ranked.emplace_back(count, key);
  std::sort(ranked.rbegin(), ranked.rend());

  const std::map<std::string, std::string> stats = clients[0]->Stats("hotkeys 10");
  EXPECT_EQ(Number(stats, "hotkeys_sample_every"), 8);
  std::set<std::string> listed;
  for (int rank = 1; rank <= 10; ++rank) {
    const std::string prefix = "hotkey:" + std::to_string(rank) + ":";
    const std::string key = stats.count(prefix + "key") ? stats.at(prefix + "key") : "";
    listed.insert(key);
    if (key != "viral") continue;
    const double real = static_cast<double>(truth["viral"]);
    const double error = (Number(stats, prefix + "requests") - real) / real;
    std::printf("viral key: rank %d, %.0f requests, estimated %s (%+.1f%%)\n", rank, real,
                stats.at(prefix + "requests").c_str(), 100 * error);
    EXPECT_LT(std::abs(error), 0.25);
  }
  EXPECT_TRUE(listed.count("viral"));
  size_t hits = 0;
  for (size_t rank = 0; rank < 10; ++rank) hits += listed.count(ranked[rank].second);
  std::printf("top-10 over real sockets: precision = recall = %.2f\n", hits / 10.0);
  EXPECT_GE(hits, 7u);
  EXPECT_EQ(stats.count("hotkey:11:key"), 0u);
}

// --- the metrics endpoint ---

// A binary-protocol get of `key` (any bytes): the reply is read and dropped.
void BinaryGet(Client& client, const std::string& key) {
  std::string packet(24, '\0');
  packet[0] = '\x80';
  packet[3] = static_cast<char>(key.size());
  packet[11] = static_cast<char>(key.size());
  ASSERT_TRUE(client.Send(packet + key));
  const std::string header = client.ReadExactly(24);
  ASSERT_EQ(header.size(), 24u);
  const uint32_t body = (uint8_t(header[8]) << 24) | (uint8_t(header[9]) << 16) |
                        (uint8_t(header[10]) << 8) | uint8_t(header[11]);
  client.ReadExactly(body);
}

TEST_F(ObserveTest, ScrapeHasHistogramsAndEscapedHotKeysThatPromtoolAccepts) {
  StartWithMetrics({"-o", "hot_keys_sample=1"});
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->Roundtrip("get plain\r\n", "END\r\n"));
  // A binary key a text client could not send: quote, backslash, newline,
  // NUL and invalid UTF-8.
  const std::string hostile("a\"b\\c\nd\0e\xff", 10);
  std::unique_ptr<Client> binary = Connect();  // its first byte makes it binary
  ASSERT_NE(binary, nullptr);
  for (int i = 0; i < 30; ++i) BinaryGet(*binary, hostile);
  const std::string text = Scrape(metrics_port_);
  ASSERT_FALSE(text.empty());
  // Bytes outside '!'..'~' as %XX, then the format's escapes for " and \.
  EXPECT_NE(
      text.find("slabcached_hot_key_requests{rank=\"1\",key=\"a\\\"b\\\\c%0Ad%00e%FF\"} 30\n"),
      std::string::npos)
      << text.substr(text.find("slabcached_hot"));
  EXPECT_NE(text.find("slabcached_hot_key_requests{rank=\"2\",key=\"plain\"} 20\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("slabcached_command_duration_seconds_count{command=\"get\",stage=\"queued\"} 50\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("slabcached_command_duration_seconds_bucket{command=\"get\",stage=\"written\","
                "le=\"+Inf\"} 50\n"),
      std::string::npos);
  if (::access(kPromtool, X_OK) != 0) {
    GTEST_SKIP() << kPromtool << " is absent (Debian's prometheus package; scripts/install-deps)";
  }
  const std::string path = TempFile(text);
  const ExitResult check =
      RunToExit("/bin/sh", {"-c", std::string(kPromtool) + " check metrics < '" + path + "'"});
  std::filesystem::remove(path);
  EXPECT_TRUE(ExitedZero(check)) << check.Describe();
}

// --- the Grafana dashboard ---

TEST_F(ObserveTest, DashboardNamesOnlyMetricsTheEndpointExports) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  if (srcdir == nullptr) GTEST_SKIP() << "TEST_SRCDIR is not set";
  const std::string grafana = std::string(srcdir) + "/../scripts/grafana/";
  StartWithMetrics({"-o", "hot_keys_sample=1"});
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Roundtrip(StorageCommand("set", "k", "v"), "STORED\r\n"));
  ASSERT_TRUE(client->Roundtrip("get k\r\n", ValueReply("k", "v") + "END\r\n"));
  ASSERT_TRUE(client->Roundtrip("get nope\r\n", "END\r\n"));
  const std::string path = TempFile(Scrape(metrics_port_));
  std::vector<std::string> args{grafana + "check-dashboard", grafana + "slabcached-dashboard.json",
                                path};
  if (::access(kPromtool, X_OK) == 0) args.push_back(kPromtool);
  const ExitResult check = RunToExit("/usr/bin/python3", args);
  std::filesystem::remove(path);
  EXPECT_TRUE(ExitedZero(check)) << check.Describe();
}

}  // namespace
}  // namespace slabcached::testing
