// The native Prometheus endpoint (-o metrics_port): what a scrape returns
// against what "stats" says, the format checked by Prometheus's own tools
// (promtool, and a real Prometheus server scraping it and answering a query),
// and the endpoint's bounds against hostile clients (connection cap, giant
// headers, a trickler, a client that never reads).
//
// slabcached only: memcached has no such endpoint. The Prometheus tests
// need Debian's prometheus package (scripts/install-deps installs it); they
// skip, saying so, only when its binaries are absent.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kPromtool[] = "/usr/bin/promtool";
constexpr char kPrometheus[] = "/usr/bin/prometheus";

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct HttpReply {
  int status = 0;  // 0: no status line arrived
  std::string headers;
  std::string body;
};

// One HTTP/1.0 request (the server closes after the reply), read to EOF
// within `timeout`.
HttpReply Http(int port, std::string_view method, std::string_view path,
               milliseconds timeout = kIoTimeout) {
  HttpReply reply;
  const int fd = ConnectLoopback(port);
  if (fd < 0) return reply;
  const std::string request =
      std::string(method) + " " + std::string(path) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string raw;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) break;
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (raw.starts_with("HTTP/1.") && raw.size() > 12) reply.status = std::atoi(raw.c_str() + 9);
  if (end != std::string::npos) {
    reply.headers = raw.substr(0, end);
    reply.body = raw.substr(end + 4);
  }
  return reply;
}

// "name{labels}" → value, from the exposition text.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

std::string TempDir() {
  std::string path = (std::filesystem::temp_directory_path() / "slabcached-metrics.XXXXXX");
  if (::mkdtemp(path.data()) == nullptr) return "";
  return path;
}

// poll() for the peer's close: FIN (POLLRDHUP, even with unread data
// queued) or a reset (POLLHUP/POLLERR).
bool PeerClosesWithin(int fd, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLRDHUP, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) > 0 &&
        (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
      return true;
    }
  }
  return false;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    std::optional<std::string> binary = OwnSlabcachedBinary(&why);
    if (!binary) GTEST_SKIP() << why;
    binary_ = *binary;
  }

  // A daemon with the endpoint on a free port (metrics_port()).
  void StartDaemon(std::vector<std::string> extra = {}) {
    metrics_port_ = PickFreePort();
    ASSERT_GT(metrics_port_, 0);
    std::vector<std::string> flags = DefaultFlags();
    flags.insert(flags.end(), {"-o", "metrics_port=" + std::to_string(metrics_port_)});
    flags.insert(flags.end(), extra.begin(), extra.end());
    std::string error;
    daemon_ = Daemon::Start(binary_, flags, &error);
    ASSERT_NE(daemon_, nullptr) << error;
    client_ = Client::Connect(daemon_->host(), daemon_->port(), &error);
    ASSERT_NE(client_, nullptr) << error;
  }

  int metrics_port() const { return metrics_port_; }
  Client& client() { return *client_; }

  // Some traffic: 3 sets, 4 hits, 2 misses, a cas that fails.
  void MakeTraffic() {
    for (const char* key : {"a", "b", "c"}) {
      ASSERT_TRUE(client().Roundtrip(StorageCommand("set", key, "value"), "STORED\r\n"));
    }
    ASSERT_TRUE(client().Roundtrip(
        "get a b\r\n", ValueReply("a", "value") + ValueReply("b", "value") + "END\r\n"));
    ASSERT_TRUE(
        client().Roundtrip("get a c nope1 nope2\r\n",
                           ValueReply("a", "value") + ValueReply("c", "value") + "END\r\n"));
    ASSERT_TRUE(client().Roundtrip("cas a 0 0 1 999999\r\nx\r\n", "EXISTS\r\n"));
  }

  std::string binary_;
  int metrics_port_ = -1;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

// --- what a scrape says ---

TEST_F(MetricsTest, ScrapeAgreesWithStats) {
  StartDaemon();
  MakeTraffic();
  const HttpReply reply = Http(metrics_port(), "GET", "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.headers;
  EXPECT_NE(reply.headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
      << reply.headers;
  const auto stats = client().Stats();
  const auto slabs = client().Stats("slabs");
  const auto items = client().Stats("items");
  const auto settings = client().Stats("settings");
  const auto m = Samples(reply.body);

  EXPECT_EQ(m.at("memcached_up"), "1");
  EXPECT_EQ(m.at("memcached_commands_total{command=\"get\",status=\"hit\"}"), "4");
  EXPECT_EQ(m.at("memcached_commands_total{command=\"get\",status=\"hit\"}"), stats.at("get_hits"));
  EXPECT_EQ(m.at("memcached_commands_total{command=\"get\",status=\"miss\"}"),
            stats.at("get_misses"));
  EXPECT_EQ(m.at("memcached_commands_total{command=\"cas\",status=\"badval\"}"), "1");
  // cmd_set (4) counts the cas too; the exporter reports sets without it.
  EXPECT_EQ(stats.at("cmd_set"), "4");
  EXPECT_EQ(m.at("memcached_commands_total{command=\"set\",status=\"hit\"}"), "3");
  EXPECT_EQ(m.at("memcached_current_items"), stats.at("curr_items"));
  EXPECT_EQ(m.at("memcached_current_items"), "3");
  EXPECT_EQ(m.at("memcached_items_total"), stats.at("total_items"));
  EXPECT_EQ(m.at("memcached_current_bytes"), stats.at("bytes"));
  EXPECT_EQ(m.at("memcached_limit_bytes"), stats.at("limit_maxbytes"));
  EXPECT_EQ(m.at("memcached_limit_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(m.at("memcached_connections_total"), stats.at("total_connections"));
  EXPECT_EQ(m.at("memcached_max_connections"), settings.at("maxconns"));
  EXPECT_EQ(m.at("memcached_malloced_bytes"), slabs.at("total_malloced"));
  EXPECT_EQ(m.at("memcached_version{version=\"" + stats.at("version") + "\"}"), "1");
  // Per slab class: the one class the three small items went to (which one
  // depends on the class layout: "stats items" names it).
  std::string cls;
  for (const auto& [name, value] : items) {
    if (name.ends_with(":number") && value == "3") cls = name.substr(6, name.size() - 6 - 7);
  }
  ASSERT_FALSE(cls.empty()) << "no class holds the three items";
  const std::string slab = "{slab=\"" + cls + "\"}";
  EXPECT_EQ(m.at("memcached_slab_current_items" + slab), items.at("items:" + cls + ":number"));
  EXPECT_EQ(m.at("memcached_slab_chunk_size_bytes" + slab), slabs.at(cls + ":chunk_size"));
  EXPECT_EQ(m.at("memcached_slab_chunks_used" + slab), slabs.at(cls + ":used_chunks"));
  EXPECT_EQ(m.at("memcached_slab_current_pages" + slab), slabs.at(cls + ":total_pages"));
  EXPECT_EQ(m.at("memcached_slab_mem_requested_bytes" + slab),
            items.at("items:" + cls + ":mem_requested"));
}

TEST_F(MetricsTest, OtherPathsAreNotFoundAndOtherMethodsNotAllowed) {
  StartDaemon();
  EXPECT_EQ(Http(metrics_port(), "GET", "/").status, 404);
  EXPECT_EQ(Http(metrics_port(), "GET", "/metricsx").status, 404);
  EXPECT_EQ(Http(metrics_port(), "GET", "/metrics?name[]=x").status, 200);
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}) {
    const HttpReply reply = Http(metrics_port(), method, "/metrics");
    EXPECT_EQ(reply.status, 405) << method;
  }
  // Not HTTP at all: refused, and the endpoint still serves.
  const int fd = ConnectLoopback(metrics_port());
  ASSERT_GE(fd, 0);
  ASSERT_GT(::send(fd, "\x16\x03\x01junk\r\n\r\n", 12, MSG_NOSIGNAL), 0);
  EXPECT_TRUE(PeerClosesWithin(fd, kIoTimeout));
  ::close(fd);
  EXPECT_EQ(Http(metrics_port(), "GET", "/metrics").status, 200);
}

TEST_F(MetricsTest, OffUnlessAPortIsGiven) {
  std::string error;
  auto daemon = Daemon::Start(binary_, DefaultFlags(), &error);
  ASSERT_NE(daemon, nullptr) << error;
  auto client = Client::Connect(daemon->host(), daemon->port(), &error);
  ASSERT_NE(client, nullptr) << error;
  // No "stats settings" line: memcached has none for it.
  EXPECT_EQ(client->Stats("settings").count("metrics_port"), 0u);
  const ExitResult bad = RunToExit(binary_, {"-o", "metrics_port=70000"});
  EXPECT_TRUE(bad.exited && WIFEXITED(bad.wait_status) && WEXITSTATUS(bad.wait_status) == 64)
      << bad.Describe();
  EXPECT_NE(bad.output.find("metrics_port must be 0..65535"), std::string::npos) << bad.output;
}

// A port that cannot be bound stops the daemon at startup, saying which.
TEST_F(MetricsTest, UnbindablePortIsAStartupError) {
  const int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  std::vector<std::string> args = {"-p", std::to_string(PickFreePort()), "-l", "127.0.0.1",
                                   "-o", "metrics_port=" + port};
  if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
  const ExitResult result = RunToExit(binary_, args);
  ::close(taken);
  EXPECT_TRUE(result.exited && WIFEXITED(result.wait_status) &&
              WEXITSTATUS(result.wait_status) != 0)
      << result.Describe();
  EXPECT_NE(result.output.find("metrics: cannot listen on 127.0.0.1:" + port), std::string::npos)
      << result.output;
}

// --- Prometheus's own tools ---

TEST_F(MetricsTest, PromtoolChecksTheOutput) {
  if (::access(kPromtool, X_OK) != 0) {
    GTEST_SKIP() << kPromtool << " is absent (Debian's prometheus package; scripts/install-deps)";
  }
  StartDaemon();
  MakeTraffic();
  const HttpReply reply = Http(metrics_port(), "GET", "/metrics");
  ASSERT_EQ(reply.status, 200);
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/metrics.txt";
  std::ofstream(path) << reply.body;
  const ExitResult check =
      RunToExit("/bin/sh", {"-c", std::string(kPromtool) + " check metrics < '" + path + "'"});
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(check.exited && WIFEXITED(check.wait_status) && WEXITSTATUS(check.wait_status) == 0)
      << check.Describe();
}

// A child process killed (SIGTERM, then SIGKILL) by its PID when the test ends.
class Child {
 public:
  Child(const std::string& binary, const std::vector<std::string>& args, const std::string& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out >= 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
      }
      std::vector<char*> argv{const_cast<char*>(binary.c_str())};
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

// The value of an instant query's first sample, or "" (the API's JSON,
// {"status":"success","data":{"resultType":"vector","result":[{...,"value":[<t>,"<v>"]}]}}).
std::string QueryValue(int port, const std::string& encoded_query) {
  const HttpReply reply = Http(port, "GET", "/api/v1/query?query=" + encoded_query);
  static const std::regex kValue(R"re("value":\[[0-9.e+]+,"([^"]*)"\])re");
  std::smatch match;
  if (reply.status != 200 || !std::regex_search(reply.body, match, kValue)) return "";
  return match[1];
}

TEST_F(MetricsTest, ARealPrometheusScrapesIt) {
  if (::access(kPrometheus, X_OK) != 0) {
    GTEST_SKIP() << kPrometheus << " is absent (Debian's prometheus package; scripts/install-deps)";
  }
  StartDaemon();
  MakeTraffic();
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  const int web_port = PickFreePort();
  ASSERT_GT(web_port, 0);
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
      << "scrape_configs:\n  - job_name: slabcached\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << metrics_port() << "']\n";
  std::string value;
  std::string up;
  {
    Child prometheus(
        kPrometheus,
        {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
         "--web.listen-address=127.0.0.1:" + std::to_string(web_port)},
        dir + "/prometheus.log");
    // Bounded: Prometheus starts, scrapes once a second, and the query
    // answers the value the daemon counted.
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && prometheus.running()) {
      value = QueryValue(web_port,
                         "memcached_commands_total%7Bcommand%3D%22get%22%2Cstatus%3D%22hit%22%7D");
      up = QueryValue(web_port, "memcached_up");
      if (!value.empty() && !up.empty()) break;
      std::this_thread::sleep_for(milliseconds(200));
    }
  }
  std::string log;
  std::getline(std::ifstream(dir + "/prometheus.log"), log, '\0');
  std::filesystem::remove_all(dir);
  EXPECT_EQ(value, "4") << "Prometheus's log:\n"
                        << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  EXPECT_EQ(up, "1");
}

// --- hostile clients ---

// At the cap (16) the endpoint stops accepting: a 17th client waits, the
// memcached port is not affected, and the client is served once one of the
// others goes away.
TEST_F(MetricsTest, ConnectionCapHoldsAndFreesUp) {
  StartDaemon({"-o", "metrics_timeout=30"});
  std::vector<int> idle;
  for (int i = 0; i < 16; ++i) {
    const int fd = ConnectLoopback(metrics_port());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  // The 17th connects (the kernel's backlog) but is not served.
  const int waiting = ConnectLoopback(metrics_port());
  ASSERT_GE(waiting, 0);
  const std::string request = "GET /metrics HTTP/1.0\r\n\r\n";
  ASSERT_EQ(::send(waiting, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  pollfd p{waiting, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 1000), 0) << "served past the connection cap";
  EXPECT_TRUE(client().RoundtripPrefix("version\r\n", "VERSION "));
  ::close(idle.back());
  idle.pop_back();
  p = {waiting, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, static_cast<int>(kIoTimeout.count())), 1);
  char head[16] = {};
  EXPECT_GT(::recv(waiting, head, sizeof(head) - 1, 0), 0);
  EXPECT_EQ(std::string_view(head).substr(8, 4), " 200") << head;
  ::close(waiting);
  for (int fd : idle) ::close(fd);
}

// Headers past 8 KiB: the request is refused and the connection closed
// long before the client has sent what it meant to (4 MiB).
TEST_F(MetricsTest, GiantHeadersAreRefused) {
  StartDaemon();
  const int fd = ConnectLoopback(metrics_port());
  ASSERT_GE(fd, 0);
  const std::string start = "GET /metrics HTTP/1.1\r\nX-Big: ";
  ASSERT_GT(::send(fd, start.data(), start.size(), MSG_NOSIGNAL), 0);
  const std::string chunk(64 * 1024, 'a');
  size_t sent = 0;
  while (sent < (size_t{4} << 20)) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 2000) <= 0 || (p.revents & (POLLERR | POLLHUP)) != 0) break;
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  EXPECT_LT(sent, size_t{4} << 20) << "the endpoint kept reading a 4 MiB header";
  EXPECT_TRUE(PeerClosesWithin(fd, kIoTimeout));
  ::close(fd);
  EXPECT_EQ(Http(metrics_port(), "GET", "/metrics").status, 200);
}

// A client that trickles a header a byte every 300 ms never goes idle long
// enough for an inactivity timeout; metrics_timeout closes it anyway.
TEST_F(MetricsTest, TricklerIsClosedAtTheTimeout) {
  StartDaemon({"-o", "metrics_timeout=2"});
  const int fd = ConnectLoopback(metrics_port());
  ASSERT_GE(fd, 0);
  const std::string start = "GET /metrics HTTP/1.1\r\nX-Slow: ";
  ASSERT_GT(::send(fd, start.data(), start.size(), MSG_NOSIGNAL), 0);
  const auto began = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - began < std::chrono::seconds(8)) {
    closed = ::send(fd, "a", 1, MSG_NOSIGNAL) != 1 || PeerClosesWithin(fd, milliseconds(300));
  }
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - began);
  EXPECT_TRUE(closed) << "still open after " << took.count() << " ms";
  EXPECT_GE(took.count(), 1500) << "closed before the timeout";
  EXPECT_LT(took.count(), 5000);
  ::close(fd);
}

// The TCP state of the daemon's end of `fd` (a loopback connection to
// `server_port`), from /proc/net/tcp: "01" while ESTABLISHED, "" if gone.
std::string ServerSideState(int fd, int server_port) {
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return "";
  char want_local[16];
  char want_remote[16];
  std::snprintf(want_local, sizeof(want_local), ":%04X", server_port);
  std::snprintf(want_remote, sizeof(want_remote), ":%04X", ntohs(local.sin_port));
  std::ifstream tcp("/proc/net/tcp");
  for (std::string line; std::getline(tcp, line);) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    if (local_address.ends_with(want_local) && remote_address.ends_with(want_remote)) {
      return state;
    }
  }
  return "";
}

// A client that pipelines 2000 requests and never reads: once the replies
// fill the socket, the endpoint closes it at the timeout instead of waiting
// (its FIN then sits behind the unread bytes, so the daemon's side of the
// connection is what the test watches), and it answered far fewer than 2000.
TEST_F(MetricsTest, ClientThatNeverReadsIsClosedAtTheTimeout) {
  StartDaemon({"-o", "metrics_timeout=2"});
  const size_t reply_size = Http(metrics_port(), "GET", "/metrics").body.size();
  const int fd = ConnectLoopback(metrics_port());
  ASSERT_GE(fd, 0);
  std::string requests;
  for (int i = 0; i < 2000; ++i) requests += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_GT(::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL | MSG_DONTWAIT), 0);
  const auto began = Clock::now();
  std::string state = ServerSideState(fd, metrics_port());
  EXPECT_EQ(state, "01");
  while (state == "01" && Clock::now() - began < std::chrono::seconds(8)) {
    std::this_thread::sleep_for(milliseconds(50));
    state = ServerSideState(fd, metrics_port());
  }
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - began);
  EXPECT_NE(state, "01") << "the daemon still holds the connection after " << took.count() << " ms";
  EXPECT_GE(took.count(), 1500) << "closed before the timeout";
  // What was queued drains, then EOF.
  size_t received = 0;
  for (char buf[65536];;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kIoTimeout.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    received += static_cast<size_t>(n);
  }
  EXPECT_LT(received, 1000 * reply_size);
  ::close(fd);
  // The memcached port was never affected, and the endpoint serves again.
  EXPECT_TRUE(client().RoundtripPrefix("version\r\n", "VERSION "));
  EXPECT_EQ(Http(metrics_port(), "GET", "/metrics").status, 200);
}

}  // namespace
}  // namespace slabcached::testing
