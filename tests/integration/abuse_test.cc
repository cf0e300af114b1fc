// Hostile input against the daemon under test: clients that ask for far more than they read,
// that park huge requests on idle connections, that trickle bytes onto a giant unfinished line,
// and that send junk before authenticating. Each test runs a real slabcached on 127.0.0.1 and
// checks a number a user relies on: how much memory the daemon holds (its VmRSS, read from
// /proc/<pid>/status), or how many requests an innocent client gets answered meanwhile.
//
// Only against slabcached: these are the daemon's own resource limits, and memcached 1.6.18
// (the reference) does not bound all of them either.
//
// Memory figures are RSS growth over a baseline taken on the same daemon just before the
// attack, so they hold for the jemalloc build and for the AddressSanitizer build alike. Each
// daemon here runs with MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 (jemalloc hands freed
// pages back at once instead of ~10 s later) and a small ASan quarantine (ASan otherwise keeps
// up to 256 MB of freed memory resident): the tests measure what the daemon holds, not what
// its allocator caches.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/common/pattern.h"
#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kMiB = uint64_t{1} << 20;

// --- Bounds -------------------------------------------------------------------------------

// 1. Multiget from a client that never reads. The design: replies queued inside one request
// are capped at ~1 MiB plus one reply, then the daemon takes no more keys until the socket
// drains. What may remain: the request line's buffer (the 1.2 MB line grows it to 2 MiB, plus
// the 1 MiB one it was copied from), ~1.1 MiB of queued replies, and allocator / ASan slack.
// Today every queued key costs ~120 bytes of reply bookkeeping (a 48-byte segment for its
// header text and one for its value, the item handle, the header text itself, and the
// vectors' doubling): 74-110 MiB measured for the 600,000 keys. The line names 16 distinct keys,
// 37,500 times each: an item's 16-bit refcount caps how often one item can be queued (a 65,536th
// reference is a miss).
constexpr uint64_t kMultigetRssBound = 16 * kMiB;
constexpr int kMultigetKeys = 600'000;
constexpr int kMultigetDistinctKeys = 16;
constexpr size_t kMultigetValueBytes = 100 * 1000;
// The innocent client's requests, and how long they may take altogether while the abuser's
// reply is stuck (on loopback they take a few ms; ASan is ~3x slower).
constexpr int kInnocentRequests = 200;
constexpr milliseconds kInnocentBudget{2000};

// 2. One UDP datagram naming a large value many times. A reply is at most the request's share
// of the ~1 MiB output cap plus one value; 64 MB leaves room for allocator and ASan slack.
// Today the daemon assembles the whole reply (value x repetitions) in one std::string: ~390 MiB
// measured (~415 MiB under ASan). The
// sizes are kept to 200 KB x 2,000 = 400 MB so that today's daemon cannot exhaust the
// machine (the issue's 500 KB x 30,000 would be 15 GB).
constexpr uint64_t kUdpRssBound = 64 * kMiB;
constexpr size_t kUdpValueBytes = 200 * 1000;
constexpr int kUdpRepetitions = 2'000;

// 3. Idle connections after one large request each. memcached shrinks a connection's read
// buffer back after a large request (conn_shrink); 100 idle connections then hold ~100 x 16 KB
// of buffers, plus their connection state. 16 MB leaves room for one not-yet-shrunk buffer and
// allocator slack. Today each keeps its grown 2 MiB buffer: ~200 MB.
constexpr int kIdleConnections = 100;
constexpr size_t kIdleRequestBytes = 2'000'000;
constexpr uint64_t kIdleRssBound = 16 * kMiB;
// How long RSS may take to come down after the last request (bounded poll).
constexpr milliseconds kIdleSettle{3000};

// 4. A giant unfinished line fed one byte at a time. A new byte should cost time proportional
// to the byte, not to the line: the innocent client on the same worker keeps a good share of
// the rate it had just before the attack.
constexpr size_t kGiantLineBytes = 30'000'000;
constexpr milliseconds kTrickleInterval{1};
constexpr int kMaxTrickledBytes = 3'000;
// Rates are the best of kRateWindows windows: another process taking the CPU for part of a
// second (make check runs two test programs at once) lowers a window, not the best one.
constexpr milliseconds kRateWindow{250};
constexpr int kRateWindows = 4;
// What the bound catches is a daemon that rescans the pending 30 MB line for every trickled
// byte (milliseconds each: the innocent's rate falls toward 0). A loaded machine under ASan took
// the measured ratio down to 0.46 without any such rescan, so the bound is 0.25.
constexpr double kMinInnocentRateRatio = 0.25;

// 5. Pre-authentication bodies. Before authenticating, a SASL request's body is small (a
// mechanism name and PLAIN credentials); a header announcing 100 MB must not make the daemon
// buffer what follows. 20 connections x (16 KB buffer + state) plus slack. Today each buffers
// its 2 MB of body in a read buffer grown to 2 MiB: ~40 MB.
constexpr int kPreAuthConnections = 20;
constexpr uint32_t kPreAuthAnnouncedBody = 100'000'000;
constexpr size_t kPreAuthSentBody = 2'000'000;
constexpr uint64_t kPreAuthRssBound = 10 * kMiB;

// --- Helpers --------------------------------------------------------------------------------

// VmRSS of `pid` in bytes, or 0 if it cannot be read.
uint64_t RssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;  // "VmRSS:   1234 kB"
    }
  }
  return 0;
}

uint64_t StatU64(const std::map<std::string, std::string>& stats, const std::string& name) {
  const auto it = stats.find(name);
  return it == stats.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
}

double ToMiB(uint64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(kMiB); }
uint64_t Growth(uint64_t now, uint64_t baseline) { return now > baseline ? now - baseline : 0; }

// Samples a process's RSS every few ms on a thread of its own and keeps the peak, so transient
// growth (a reply built and freed between two of the test's own looks) is seen too.
class RssPeak {
 public:
  explicit RssPeak(pid_t pid) : pid_(pid), peak_(RssBytes(pid)) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        const uint64_t now = RssBytes(pid_);
        uint64_t seen = peak_.load();
        while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(milliseconds(5));  // sampling period, not a wait
      }
    });
  }
  ~RssPeak() { Stop(); }
  RssPeak(const RssPeak&) = delete;
  RssPeak& operator=(const RssPeak&) = delete;
  uint64_t Stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
    return peak_.load();
  }

 private:
  pid_t pid_;
  std::atomic<uint64_t> peak_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A TCP or UDP socket connected to 127.0.0.1:port, its receive buffer set to `rcvbuf` (when
// positive) before connect, so a TCP peer sees the small window from the start. Closed by the
// destructor.
class RawSocket {
 public:
  RawSocket(int type, int port, int rcvbuf) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) return;
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    int one = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool ok() const { return fd_ >= 0 && connected_; }
  int fd() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Sends as much of `bytes` as the peer takes before `deadline`, giving up earlier when it
  // takes nothing for `stall` (a daemon that stopped reading) or the connection fails.
  // Returns the number of bytes sent.
  size_t SendUntil(std::string_view bytes, SteadyClock::time_point deadline, milliseconds stall) {
    size_t sent = 0;
    auto last_progress = SteadyClock::now();
    while (sent < bytes.size()) {
      const auto now = SteadyClock::now();
      if (now >= deadline || now - last_progress >= stall) break;
      const auto left = std::min(std::chrono::duration_cast<milliseconds>(deadline - now),
                                 std::chrono::duration_cast<milliseconds>(stall));
      pollfd pfd{fd_, POLLOUT, 0};
      const int r = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(1, left.count())));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      if ((pfd.revents & (POLLERR | POLLHUP)) != 0) break;
      const ssize_t n =
          ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        break;
      }
      sent += static_cast<size_t>(n);
      last_progress = SteadyClock::now();
    }
    return sent;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Sets environment variables for the daemons started while it lives (they inherit the
// environment at exec), and restores them afterwards.
class ScopedEnv {
 public:
  void Set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first, it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first);
      }
    }
  }

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

// memcached's binary protocol, just what these tests need.
constexpr uint8_t kOpGet = 0x00;
constexpr uint8_t kOpSet = 0x01;
constexpr uint8_t kOpSaslAuth = 0x21;
constexpr uint8_t kOpSaslStep = 0x22;

void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A request header announcing `bodylen`, followed by `extras`, `key` and `value`.
std::string BinaryRequest(uint8_t opcode, std::string_view key, std::string_view value,
                          std::string_view extras = {}, std::optional<uint32_t> bodylen = {}) {
  std::string out;
  out.push_back(static_cast<char>(0x80));
  out.push_back(static_cast<char>(opcode));
  PutBe(&out, key.size(), 2);
  out.push_back(static_cast<char>(extras.size()));
  out.push_back(0);   // data type
  PutBe(&out, 0, 2);  // vbucket
  PutBe(&out, bodylen.value_or(extras.size() + key.size() + value.size()), 4);
  PutBe(&out, 0, 4);  // opaque
  PutBe(&out, 0, 8);  // cas
  out.append(extras).append(key).append(value);
  return out;
}

struct BinaryReply {
  bool ok = false;  // a whole reply arrived
  uint16_t status = 0;
  std::string body;
};

BinaryReply ReadBinaryReply(Client& c) {
  BinaryReply r;
  const std::string header = c.ReadExactly(24);
  if (header.size() != 24 || static_cast<uint8_t>(header[0]) != 0x81) return r;
  auto byte = [&](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(header[i])); };
  r.status = static_cast<uint16_t>(byte(6) << 8 | byte(7));
  const uint32_t bodylen = byte(8) << 24 | byte(9) << 16 | byte(10) << 8 | byte(11);
  r.body = c.ReadExactly(bodylen);
  r.ok = r.body.size() == bodylen;
  return r;
}

class AbuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    const auto bin = OwnSlabcachedBinary(&why);
    if (!bin) GTEST_SKIP() << why;
    binary_ = *bin;
  }
  void TearDown() override {
    for (const std::string& path : temp_files_) ::unlink(path.c_str());
  }

  // Starts slabcached with `flags` (after -p/-l), with the allocator settings described at the
  // top of this file; fails the test (nullptr) if it does not come up.
  std::unique_ptr<Daemon> Start(const std::vector<std::string>& flags,
                                const PortSetup& ports = {}) {
    ScopedEnv env;
    env.Set("MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0");
    const char* asan = std::getenv("ASAN_OPTIONS");
    env.Set("ASAN_OPTIONS", std::string(asan != nullptr && *asan != '\0' ? asan : "") +
                                (asan != nullptr && *asan != '\0' ? ":" : "") +
                                "quarantine_size_mb=4:thread_local_quarantine_size_kb=64");
    std::string error;
    auto d = Daemon::Start(binary_, flags, &error, ports);
    if (d == nullptr) ADD_FAILURE() << binary_ << ": " << error;
    return d;
  }

  std::unique_ptr<Client> Connect(const Daemon& d) {
    std::string error;
    auto c = Client::Connect(d.host(), d.port(), &error);
    if (c == nullptr) ADD_FAILURE() << error;
    return c;
  }

  // A temp file holding `contents`, readable by the daemon's user, removed in TearDown.
  std::string TempFile(const std::string& contents) {
    char path[] = "/tmp/slabcached-abuse-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) {
      ADD_FAILURE() << "mkstemp: " << std::strerror(errno);
      return "";
    }
    ::close(fd);
    temp_files_.push_back(path);
    std::ofstream(path) << contents;
    ::chmod(path, 0644);
    return path;
  }

  // Checks that the daemon process still runs and answers "version" on a new connection.
  // Clients that send one multi-get of `copies` x the key of a `value_bytes`
  // value and never read: what the daemon holds for them stays under
  // -o resp_obj_mem_limit (1 MiB), counted in response_obj_bytes.
  void ExpectNonReadersHeldUnderTheLimit(size_t value_bytes, int copies);

  ::testing::AssertionResult Healthy(Daemon& d) {
    int status = 0;
    if (d.WaitForExit(milliseconds(0), &status)) {
      return ::testing::AssertionFailure()
             << "the daemon exited (wait status " << status << "); output:\n"
             << d.Output();
    }
    std::string error;
    auto c = Client::Connect(d.host(), d.port(), &error);
    if (c == nullptr) return ::testing::AssertionFailure() << error;
    return c->RoundtripPrefix("version\r\n", "VERSION ");
  }

  std::string binary_;
  std::vector<std::string> temp_files_;
};

// One worker thread, so the abuser and the innocent client share it.
std::vector<std::string> OneWorker() { return {"-U", "0", "-t", "1", "-m", "64", "-c", "1024"}; }

// Sequential "get <key>" round trips on `c` during `window`; requests per second.
double GetRate(Client& c, const std::string& key, const std::string& expected, milliseconds window,
               bool* all_ok) {
  const std::string request = "get " + key + "\r\n";
  const auto start = SteadyClock::now();
  const auto end = start + window;
  int done = 0;
  while (SteadyClock::now() < end) {
    if (!c.Roundtrip(request, expected)) {
      *all_ok = false;
      break;
    }
    ++done;
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return done / std::max(seconds, 1e-3);
}

// The highest of kRateWindows consecutive GetRate windows.
double BestGetRate(Client& c, const std::string& key, const std::string& expected, bool* all_ok) {
  double best = 0;
  for (int i = 0; i < kRateWindows && *all_ok; ++i) {
    best = std::max(best, GetRate(c, key, expected, kRateWindow, all_ok));
  }
  return best;
}

// --- Tests ----------------------------------------------------------------------------------

TEST_F(AbuseTest, NonReadingMultigetHoldsBoundedMemory) {
  auto d = Start(OneWorker());
  ASSERT_NE(d, nullptr);
  auto setup = Connect(*d);
  ASSERT_NE(setup, nullptr);
  // Keys "a".."p", 100 KB each.
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::string all_keys_reply;
  std::string get_all = "get";
  for (int i = 0; i < kMultigetDistinctKeys; ++i) {
    keys.push_back(std::string(1, static_cast<char>('a' + i)));
    values.push_back(PatternValue(kMultigetValueBytes, static_cast<uint32_t>(i)));
    ASSERT_TRUE(setup->Roundtrip(StorageCommand("set", keys[i], values[i]), "STORED\r\n"));
    get_all += " " + keys[i];
    all_keys_reply += ValueReply(keys[i], values[i]);
  }
  ASSERT_TRUE(setup->Roundtrip(StorageCommand("set", "small", "v"), "STORED\r\n"));
  // Every big value once through a normal client, so their reply path is warm in the baseline.
  ASSERT_TRUE(setup->Roundtrip(get_all + "\r\n", all_keys_reply + "END\r\n"));
  auto innocent = Connect(*d);
  ASSERT_NE(innocent, nullptr);
  ASSERT_TRUE(innocent->Roundtrip("get small\r\n", ValueReply("small", "v") + "END\r\n"));

  std::string line = "get";
  line.reserve(kMultigetKeys * 2 + 8);
  for (int i = 0; i < kMultigetKeys; ++i) line += " " + keys[i % kMultigetDistinctKeys];
  line += "\r\n";

  const uint64_t baseline = RssBytes(d->pid());
  ASSERT_GT(baseline, 0u);
  RssPeak peak(d->pid());
  RawSocket abuser(SOCK_STREAM, d->port(), 4096);
  ASSERT_TRUE(abuser.ok()) << std::strerror(errno);
  // The daemon may stop reading the line once its output is stuck: then the send stalls.
  const size_t sent =
      abuser.SendUntil(line, SteadyClock::now() + milliseconds(10000), milliseconds(1000));

  // The innocent client on the same worker is served promptly meanwhile.
  const auto innocent_start = SteadyClock::now();
  int answered = 0;
  for (int i = 0; i < kInnocentRequests; ++i) {
    const bool ok =
        i % 2 == 0 ? innocent->RoundtripPrefix("version\r\n", "VERSION ")
                   : innocent->Roundtrip("get small\r\n", ValueReply("small", "v") + "END\r\n");
    if (!ok) break;
    ++answered;
  }
  const auto innocent_ms =
      std::chrono::duration_cast<milliseconds>(SteadyClock::now() - innocent_start);
  // Until the daemon stops taking keys (cmd_get steady over 200 ms; bounded), the peak keeps
  // being sampled: the reply queued for the abuser stays while it does not read.
  uint64_t keys_taken = 0;
  uint64_t hits = 0;
  const auto settle_deadline = SteadyClock::now() + milliseconds(10000);
  for (int steady = 0; steady < 2 && SteadyClock::now() < settle_deadline;) {
    std::this_thread::sleep_for(milliseconds(100));  // the polling period
    const auto stats = innocent->Stats();
    const auto it = stats.find("cmd_get");
    const uint64_t now = it == stats.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
    steady = now == keys_taken ? steady + 1 : 0;
    keys_taken = now;
    const auto h = stats.find("get_hits");
    hits = h == stats.end() ? 0 : std::strtoull(h->second.c_str(), nullptr, 10);
  }
  const uint64_t growth = Growth(peak.Stop(), baseline);
  std::printf(
      "[ measured ] abuser sent %zu of %zu bytes; daemon took %llu keys (%llu hits); "
      "RSS growth %.1f MiB (bound %.0f MiB); %d innocent requests in %lld ms\n",
      sent, line.size(), static_cast<unsigned long long>(keys_taken),
      static_cast<unsigned long long>(hits), ToMiB(growth), ToMiB(kMultigetRssBound), answered,
      static_cast<long long>(innocent_ms.count()));
  EXPECT_LT(growth, kMultigetRssBound) << "RSS grew by " << ToMiB(growth) << " MiB for a "
                                       << ToMiB(line.size()) << " MiB multiget that is never read";
  EXPECT_EQ(answered, kInnocentRequests);
  EXPECT_LT(innocent_ms, kInnocentBudget);

  abuser.Close();
  EXPECT_TRUE(Healthy(*d));
  EXPECT_TRUE(innocent->Roundtrip(get_all + "\r\n", all_keys_reply + "END\r\n"));
}

TEST_F(AbuseTest, UdpRepeatedKeyGetHoldsBoundedMemory) {
  PortSetup ports;
  ports.flags = {"-p", "{port}", "-U", "{port}"};
  auto d = Start({"-t", "1", "-m", "64", "-c", "1024"}, ports);
  ASSERT_NE(d, nullptr);
  auto tcp = Connect(*d);
  ASSERT_NE(tcp, nullptr);
  const std::string value = PatternValue(kUdpValueBytes, 7);
  ASSERT_TRUE(tcp->Roundtrip(StorageCommand("set", "k", value), "STORED\r\n"));

  // The frame header: request id 1, sequence 0, 1 datagram, reserved 0.
  const std::string header("\0\1\0\0\0\1\0\0", 8);
  RawSocket udp(SOCK_DGRAM, d->port(), 4096);
  ASSERT_TRUE(udp.ok()) << std::strerror(errno);
  // One ordinary UDP get of the value first, so the baseline includes a normal reply.
  const std::string one = header + "get k\r\n";
  ASSERT_EQ(::send(udp.fd(), one.data(), one.size(), 0), static_cast<ssize_t>(one.size()));
  ASSERT_TRUE(tcp->RoundtripPrefix("version\r\n", "VERSION "));

  std::string request = header + "get";
  for (int i = 0; i < kUdpRepetitions; ++i) request += " k";
  request += "\r\n";
  const uint64_t baseline = RssBytes(d->pid());
  ASSERT_GT(baseline, 0u);
  const uint64_t bytes_read_before = StatU64(tcp->Stats(), "bytes_read");
  RssPeak peak(d->pid());
  const auto start = SteadyClock::now();
  ASSERT_EQ(::send(udp.fd(), request.data(), request.size(), 0),
            static_cast<ssize_t>(request.size()));
  // Wait (bounded) until the worker has taken the datagram: its bytes count in bytes_read
  // when the daemon starts on it, and the same worker (-t 1) answers "stats" only after the
  // whole datagram. Then until RSS stops moving, so the peak covers the reply.
  bool taken = false;
  uint64_t previous_rss = 0;
  const auto deadline = SteadyClock::now() + milliseconds(20000);
  for (int steady = 0; steady < 2 && SteadyClock::now() < deadline;) {
    std::this_thread::sleep_for(milliseconds(100));  // the polling period
    const auto stats = tcp->Stats();
    ASSERT_FALSE(stats.empty()) << "no stats reply";
    taken = taken || StatU64(stats, "bytes_read") >= bytes_read_before + request.size();
    const uint64_t rss = RssBytes(d->pid());
    const uint64_t moved = rss > previous_rss ? rss - previous_rss : previous_rss - rss;
    steady = taken && moved < kMiB ? steady + 1 : 0;
    previous_rss = rss;
  }
  const auto elapsed = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
  const uint64_t growth = Growth(peak.Stop(), baseline);
  std::printf(
      "[ measured ] %zu-byte datagram asking %d x %zu bytes; RSS growth %.1f MiB "
      "(bound %.0f MiB); settled after %lld ms\n",
      request.size(), kUdpRepetitions, kUdpValueBytes, ToMiB(growth), ToMiB(kUdpRssBound),
      static_cast<long long>(elapsed.count()));
  EXPECT_TRUE(taken) << "the daemon did not read the datagram";
  EXPECT_LT(growth, kUdpRssBound) << "RSS grew by " << ToMiB(growth) << " MiB for one "
                                  << request.size() << "-byte datagram";
  EXPECT_TRUE(Healthy(*d));
  EXPECT_TRUE(tcp->Roundtrip("get k\r\n", ValueReply("k", value) + "END\r\n"));
}

TEST_F(AbuseTest, IdleConnectionsGiveBackLargeRequestBuffers) {
  auto d = Start(OneWorker());
  ASSERT_NE(d, nullptr);
  auto control = Connect(*d);
  ASSERT_NE(control, nullptr);
  ASSERT_TRUE(control->RoundtripPrefix("version\r\n", "VERSION "));

  // "get" and 249-byte keys (all misses) up to ~2 MB, not yet ended by "\r\n".
  std::string partial = "get";
  const std::string key(249, 'k');
  while (partial.size() + key.size() + 1 + 2 <= kIdleRequestBytes) partial += " " + key;

  const uint64_t baseline = RssBytes(d->pid());
  ASSERT_GT(baseline, 0u);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < kIdleConnections; ++i) {
    auto c = Connect(*d);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Send(partial)) << "connection " << i;
    ASSERT_TRUE(c->Roundtrip("\r\n", "END\r\n")) << "connection " << i;
    idle.push_back(std::move(c));
  }
  const uint64_t after = RssBytes(d->pid());
  // Buffers may be given back a little later (bounded poll).
  uint64_t growth = Growth(after, baseline);
  const auto deadline = SteadyClock::now() + kIdleSettle;
  while (growth >= kIdleRssBound && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    growth = Growth(RssBytes(d->pid()), baseline);
  }
  std::printf(
      "[ measured ] %d idle connections after one %zu-byte request each: RSS growth "
      "%.1f MiB right after, %.1f MiB at the end (bound %.0f MiB)\n",
      kIdleConnections, partial.size() + 2, ToMiB(Growth(after, baseline)), ToMiB(growth),
      ToMiB(kIdleRssBound));
  EXPECT_LT(growth, kIdleRssBound) << kIdleConnections << " idle connections hold " << ToMiB(growth)
                                   << " MiB more than before their requests";
  // The idle connections still work.
  EXPECT_TRUE(idle.front()->RoundtripPrefix("version\r\n", "VERSION "));
  EXPECT_TRUE(idle.back()->RoundtripPrefix("version\r\n", "VERSION "));
  EXPECT_TRUE(Healthy(*d));
}

TEST_F(AbuseTest, TrickleOntoGiantLineKeepsOtherClientsServed) {
  auto d = Start(OneWorker());
  ASSERT_NE(d, nullptr);
  auto innocent = Connect(*d);
  ASSERT_NE(innocent, nullptr);
  ASSERT_TRUE(innocent->Roundtrip(StorageCommand("set", "small", "v"), "STORED\r\n"));
  const std::string hit = ValueReply("small", "v") + "END\r\n";

  bool ok = true;
  // Warm up, then the baseline rate.
  GetRate(*innocent, "small", hit, milliseconds(100), &ok);
  const double baseline = BestGetRate(*innocent, "small", hit, &ok);
  ASSERT_TRUE(ok);

  // "get" and 200-byte keys up to ~30 MB, without a newline.
  std::string giant = "get";
  giant.reserve(kGiantLineBytes + 256);
  const std::string key(200, 'g');
  while (giant.size() + key.size() + 1 <= kGiantLineBytes) giant += " " + key;
  RawSocket attacker(SOCK_STREAM, d->port(), 0);
  ASSERT_TRUE(attacker.ok()) << std::strerror(errno);
  const auto send_start = SteadyClock::now();
  const size_t sent =
      attacker.SendUntil(giant, SteadyClock::now() + milliseconds(30000), milliseconds(5000));
  const auto send_ms = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - send_start);
  // The daemon may refuse a line this long (then it closes the connection): the innocent
  // client must be served either way.

  std::atomic<bool> stop{false};
  std::atomic<int> trickled{0};
  std::thread trickler([&] {
    // Short keys (" t"), so the line stays a valid multiget.
    for (int i = 0; i < kMaxTrickledBytes && !stop.load(); ++i) {
      const char byte = i % 2 == 0 ? ' ' : 't';
      if (::send(attacker.fd(), &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
        ++trickled;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        break;  // the daemon closed the connection
      }
      std::this_thread::sleep_for(kTrickleInterval);  // pacing, not a wait for a condition
    }
  });
  GetRate(*innocent, "small", hit, milliseconds(100), &ok);  // the trickle gets going
  const double during = BestGetRate(*innocent, "small", hit, &ok);
  stop = true;
  trickler.join();
  const double ratio = during / std::max(baseline, 1e-9);
  std::printf(
      "[ measured ] giant line: %zu of %zu bytes sent in %lld ms; %d bytes trickled; "
      "innocent rate %.0f/s before, %.0f/s during (ratio %.3f, bound %.2f)\n",
      sent, giant.size(), static_cast<long long>(send_ms.count()), trickled.load(), baseline,
      during, ratio, kMinInnocentRateRatio);
  EXPECT_TRUE(ok) << "the innocent client's get failed during the attack";
  EXPECT_GE(ratio, kMinInnocentRateRatio)
      << "innocent rate " << during << "/s during the trickle vs " << baseline << "/s before";

  attacker.Close();
  EXPECT_TRUE(Healthy(*d));
  EXPECT_TRUE(innocent->Roundtrip("get small\r\n", hit));
}

// Bytes a fuzzer would try before logging in: truncated and malformed auth requests, absurd
// lengths, a binary header announcing a huge body, random bytes.
std::vector<std::string> PreAuthJunk() {
  std::vector<std::string> junk = {
      "set a 0 0 0\r\n\r\r\n",
      "\r\n",
      "\n",
      "\r\n\r\n\n\n",
      "set a 0 0 4294967295\r\n",
      "set a 0 0 4294967296\r\n",
      "set a 0 0 99999999999999999999999999\r\n",
      "set a 0 0 -1\r\n",
      "set a 0 0 2147483647\r\nalice s3",
      "set " + std::string(300, 'k') + " 0 0 12\r\nalice s3cret\r\n",
      "set a 0 0 5 noreply\r\n\r\n\r\n\r\n",
      std::string("set\0a 0 0 3\r\nx y\r\n", 19),
      std::string(5000, 'x'),
      std::string(5000, ' ') + "\r\n",
      BinaryRequest(kOpSaslAuth, "PLAIN", "\0alice\0s3", {}, 100'000'000),
      BinaryRequest(kOpSaslAuth, "PLAIN", "", {}, 2),  // key longer than the body
      BinaryRequest(kOpSaslAuth, std::string(300, 'M'), "x"),
      BinaryRequest(kOpSaslStep, "PLAIN", "x"),
      BinaryRequest(kOpGet, "k", ""),
      BinaryRequest(kOpSet, "k", "v", std::string(8, '\0'), 0xffffffffu),
  };
  std::mt19937 rng(20261203);
  for (int i = 0; i < 8; ++i) {
    std::string bytes(1 + rng() % 6000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    junk.push_back(std::move(bytes));
  }
  return junk;
}

// The part of a dead daemon's output that says why (a sanitizer report, if any).
std::string WhyItDied(const std::string& output) {
  size_t at = output.find("ERROR: AddressSanitizer");
  if (at == std::string::npos) at = output.find("runtime error");
  if (at == std::string::npos) at = output.size() > 3000 ? output.size() - 3000 : 0;
  at = output.rfind('\n', at) == std::string::npos ? 0 : output.rfind('\n', at) + 1;
  return output.substr(at, 3000);
}

// A request an unauthenticated client gets a prompt answer to (or a close after one).
using Probe = std::function<::testing::AssertionResult(Client&)>;

// Sends each junk input on a fresh connection, reads whatever comes back within a short,
// bounded time (an error, a close, or nothing), then checks with `probe` on another fresh
// connection that the daemon (one worker: it handled the junk first) still answers. A daemon
// the junk killed or wedged fails the test, naming the input, and is replaced by `restart()`
// so that the remaining inputs are tried too.
void SendJunk(std::unique_ptr<Daemon>* d, const std::vector<std::string>& junk, const Probe& probe,
              const std::function<std::unique_ptr<Daemon>()>& restart) {
  for (size_t i = 0; i < junk.size() && *d != nullptr; ++i) {
    std::string error;
    auto c = Client::Connect((*d)->host(), (*d)->port(), &error);
    ::testing::AssertionResult alive = ::testing::AssertionFailure() << error;
    if (c != nullptr) {
      c->Send(junk[i]);                   // the daemon may close before taking it all
      c->WaitReadable(milliseconds(50));  // a reply, a close, or nothing
      auto p = Client::Connect((*d)->host(), (*d)->port(), &error);
      alive = p != nullptr ? probe(*p) : ::testing::AssertionFailure() << error;
    }
    if (!alive) {
      int status = 0;
      const bool exited = (*d)->WaitForExit(kStopTimeout, &status);
      ADD_FAILURE() << "after junk input #" << i << " " << Escape(junk[i], 80)
                    << " the daemon no longer answers: " << alive.message()
                    << (exited ? "; it exited, wait status " + std::to_string(status) : "")
                    << "; its output:\n"
                    << WhyItDied((*d)->Output());
      *d = restart();
    }
  }
}

::testing::AssertionResult AsciiAuthProbe(Client& c) {
  return c.Roundtrip("version\r\n", "CLIENT_ERROR unauthenticated\r\n");
}

::testing::AssertionResult SaslProbe(Client& c) {
  if (!c.Send(BinaryRequest(kOpGet, "k", ""))) return ::testing::AssertionFailure() << "send";
  const BinaryReply r = ReadBinaryReply(c);
  if (!r.ok) return ::testing::AssertionFailure() << "no reply to an unauthenticated get";
  if (r.status != 0x20) {
    return ::testing::AssertionFailure() << "status " << r.status << " for an unauthenticated get";
  }
  return ::testing::AssertionSuccess();
}

TEST_F(AbuseTest, AsciiAuthJunkBeforeLoginLeavesDaemonCorrect) {
  const std::string users = TempFile("alice:s3cret\n");
  ASSERT_FALSE(users.empty());
  std::vector<std::string> flags = OneWorker();
  flags.insert(flags.end(), {"-Y", users});
  auto d = Start(flags);
  ASSERT_NE(d, nullptr);

  SendJunk(&d, PreAuthJunk(), AsciiAuthProbe, [&] { return Start(flags); });
  ASSERT_NE(d, nullptr);
  // The same junk again on one connection, back to back.
  {
    auto c = Connect(*d);
    ASSERT_NE(c, nullptr);
    for (const std::string& bytes : PreAuthJunk()) {
      if (!c->Send(bytes)) break;
    }
    c->ReadExactly(1 << 20, milliseconds(100));
  }

  int status = 0;
  ASSERT_FALSE(d->WaitForExit(milliseconds(0), &status))
      << "the daemon exited (wait status " << status << "); output:\n"
      << d->Output();
  auto c = Connect(*d);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip("get k\r\n", "CLIENT_ERROR unauthenticated\r\n"));
  EXPECT_TRUE(c->Roundtrip("set auth 0 0 12\r\nalice s3cret\r\n", "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip(StorageCommand("set", "k", "value"), "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("get k\r\n", ValueReply("k", "value") + "END\r\n"));
  const auto stats = c->Stats();
  EXPECT_EQ(stats.at("curr_items"), "1");
}

TEST_F(AbuseTest, SaslJunkBeforeLoginHoldsBoundedMemory) {
  const std::string pwdb = TempFile("alice:s3cret\n");
  ASSERT_FALSE(pwdb.empty());
  std::vector<std::string> flags = OneWorker();
  flags.insert(flags.end(), {"-S", "-o", "sasl_pwdb=" + pwdb});
  auto d = Start(flags);
  ASSERT_NE(d, nullptr);

  SendJunk(&d, PreAuthJunk(), SaslProbe, [&] { return Start(flags); });
  ASSERT_NE(d, nullptr);

  auto authed = Connect(*d);
  ASSERT_NE(authed, nullptr);
  ASSERT_TRUE(
      authed->Send(BinaryRequest(kOpSaslAuth, "PLAIN", std::string("\0alice\0s3cret", 13))));
  const BinaryReply auth = ReadBinaryReply(*authed);
  ASSERT_TRUE(auth.ok);
  ASSERT_EQ(auth.status, 0) << Escape(auth.body);

  // 20 unauthenticated connections each announce a 100 MB SASL body and send 2 MB of it.
  const std::string header = BinaryRequest(kOpSaslAuth, "PLAIN", "", {}, kPreAuthAnnouncedBody);
  const std::string body(kPreAuthSentBody, 'b');
  const uint64_t baseline = RssBytes(d->pid());
  ASSERT_GT(baseline, 0u);
  RssPeak peak(d->pid());
  std::vector<std::unique_ptr<RawSocket>> abusers;
  size_t sent = 0;
  for (int i = 0; i < kPreAuthConnections; ++i) {
    auto s = std::make_unique<RawSocket>(SOCK_STREAM, d->port(), 0);
    ASSERT_TRUE(s->ok()) << std::strerror(errno);
    const auto deadline = SteadyClock::now() + milliseconds(3000);
    sent += s->SendUntil(header + body, deadline, milliseconds(500));
    abusers.push_back(std::move(s));
  }
  // The worker has read what it will read once it answers the next request of another client.
  ASSERT_TRUE(authed->Send(BinaryRequest(kOpGet, "nothing", "")));
  const BinaryReply miss = ReadBinaryReply(*authed);
  const auto settle_end = SteadyClock::now() + milliseconds(300);
  while (SteadyClock::now() < settle_end) std::this_thread::sleep_for(milliseconds(20));
  const uint64_t growth = Growth(peak.Stop(), baseline);
  std::printf(
      "[ measured ] %d pre-auth connections sent %zu bytes of announced %u-byte SASL "
      "bodies: RSS growth %.1f MiB (bound %.0f MiB)\n",
      kPreAuthConnections, sent, kPreAuthAnnouncedBody, ToMiB(growth), ToMiB(kPreAuthRssBound));
  EXPECT_TRUE(miss.ok);
  EXPECT_EQ(miss.status, 1);  // key not found
  EXPECT_LT(growth, kPreAuthRssBound)
      << "unauthenticated connections made the daemon hold " << ToMiB(growth) << " MiB";
  abusers.clear();

  int status = 0;
  ASSERT_FALSE(d->WaitForExit(milliseconds(0), &status))
      << "the daemon exited (wait status " << status << "); output:\n"
      << d->Output();
  auto c = Connect(*d);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(BinaryRequest(kOpSaslAuth, "PLAIN", std::string("\0alice\0s3cret", 13))));
  const BinaryReply again = ReadBinaryReply(*c);
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.status, 0) << Escape(again.body);
  ASSERT_TRUE(c->Send(BinaryRequest(kOpSet, "k", "value", std::string(8, '\0'))));
  const BinaryReply stored = ReadBinaryReply(*c);
  EXPECT_TRUE(stored.ok);
  EXPECT_EQ(stored.status, 0);
  ASSERT_TRUE(c->Send(BinaryRequest(kOpGet, "k", "")));
  const BinaryReply got = ReadBinaryReply(*c);
  EXPECT_TRUE(got.ok);
  EXPECT_EQ(got.status, 0);
  EXPECT_EQ(got.body.substr(std::min<size_t>(4, got.body.size())),
            "value");  // after 4 bytes of flags
}

// -o read_buf_mem_limit (megabytes) bounds what all connections' read buffers hold together:
// a request line that would grow its buffer past it is answered with memcached's error and
// its connection closed; the others go on.
TEST_F(AbuseTest, ReadBufferLimitRefusesTheRequestThatWouldPassIt) {
  auto d = Start({"-U", "0", "-t", "1", "-o", "read_buf_mem_limit=1"});
  ASSERT_NE(d, nullptr);
  auto innocent = Connect(*d);
  auto abuser = Connect(*d);
  ASSERT_NE(innocent, nullptr);
  ASSERT_NE(abuser, nullptr);
  EXPECT_EQ(innocent->Stats("settings")["read_buf_mem_limit"], "1048576");

  std::string line = "get";
  while (line.size() < 3 * kMiB / 2) line += " key";  // no line end: the buffer must grow
  ASSERT_TRUE(abuser->Send(line));
  EXPECT_EQ(abuser->ReadLine(), "SERVER_ERROR out of memory reading request\r\n");
  EXPECT_TRUE(abuser->ExpectClosed());

  const auto stats = innocent->Stats();
  EXPECT_EQ(StatU64(stats, "read_buf_oom"), 1u);
  EXPECT_LE(StatU64(stats, "read_buf_bytes"), kMiB);
  EXPECT_TRUE(innocent->Roundtrip("get key\r\nversion\r\n", "END\r\n" + std::string("VERSION ") +
                                                                stats.at("version") + "\r\n"));
}

// A connection holds a read buffer only while it has unparsed input (as memcached 1.6 does):
// many connections cost no buffers once their requests ran, and one left mid-line keeps its
// bytes until the line ends.
TEST_F(AbuseTest, IdleConnectionsHoldNoReadBuffers) {
  auto d = Start({"-U", "0", "-t", "2", "-c", "1024"});
  ASSERT_NE(d, nullptr);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 300; ++i) {
    idle.push_back(Connect(*d));
    ASSERT_NE(idle.back(), nullptr);
    ASSERT_TRUE(idle.back()->Roundtrip("get k" + std::to_string(i) + "\r\n", "END\r\n"));
  }
  auto half = Connect(*d);
  ASSERT_NE(half, nullptr);
  ASSERT_TRUE(half->Send("get half"));  // no line end yet

  auto observer = Connect(*d);
  ASSERT_NE(observer, nullptr);
  const auto stats = observer->Stats();
  // The half line's buffer, the one the stats request is read from, and what
  // the two workers keep (16 each at most): not 302 buffers of 16 KiB.
  EXPECT_LE(StatU64(stats, "read_buf_count"), 2u + 2 * 16);
  EXPECT_EQ(StatU64(stats, "read_buf_bytes"), StatU64(stats, "read_buf_count") * 16 * 1024);
  EXPECT_LE(StatU64(stats, "read_buf_bytes_free"), StatU64(stats, "read_buf_bytes"));

  ASSERT_TRUE(half->Send(" way\r\n"));
  EXPECT_EQ(half->ReadLine(), "END\r\n");
  for (int i = 0; i < 300; i += 50) {
    EXPECT_TRUE(idle[i]->Roundtrip("version\r\n", "VERSION " + stats.at("version") + "\r\n"));
  }
}

// stats response_obj_bytes counts the replies connections hold; with -o resp_obj_mem_limit
// (megabytes) reached, a connection runs nothing more until it has sent what it holds, so
// clients that never read hold about the limit together, not 1 MiB each.
void AbuseTest::ExpectNonReadersHeldUnderTheLimit(size_t value_bytes, int copies) {
  auto d = Start({"-U", "0", "-t", "1", "-m", "64", "-o", "resp_obj_mem_limit=1"});
  ASSERT_NE(d, nullptr);
  auto setup = Connect(*d);
  ASSERT_NE(setup, nullptr);
  const std::string value = PatternValue(value_bytes, 3);
  ASSERT_TRUE(setup->Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  std::string line = "get";
  for (int i = 0; i < copies; ++i) line += " big";
  line += "\r\n";

  constexpr int kAbusers = 4;
  std::vector<std::unique_ptr<RawSocket>> abusers;
  for (int i = 0; i < kAbusers; ++i) {
    abusers.push_back(std::make_unique<RawSocket>(SOCK_STREAM, d->port(), 4096));
    ASSERT_TRUE(abusers.back()->ok());
    ASSERT_EQ(abusers.back()->SendUntil(line, SteadyClock::now() + milliseconds(5000),
                                        milliseconds(1000)),
              line.size());
  }
  // Wait (bounded) until the daemon has queued what it will for them: the figure stops moving.
  uint64_t held = 0;
  const auto deadline = SteadyClock::now() + milliseconds(5000);
  for (int steady = 0; steady < 3 && SteadyClock::now() < deadline;) {
    std::this_thread::sleep_for(milliseconds(50));  // the polling period
    const uint64_t now = StatU64(setup->Stats(), "response_obj_bytes");
    steady = now == held ? steady + 1 : 0;
    held = now;
  }
  std::printf("[ measured ] %d clients that never read hold %.2f MiB of replies (limit 1 MiB)\n",
              kAbusers, ToMiB(held));
  // Something is held (the count is live), and at most the limit plus one value per client
  // that had sent nothing before the limit was reached.
  EXPECT_GT(held, 0u);
  EXPECT_LE(held, kMiB + kAbusers * (value.size() + 4096));
  // response_obj_count: the connections holding replies (the setup connection holds none).
  const uint64_t holding = StatU64(setup->Stats(), "response_obj_count");
  EXPECT_GE(holding, 1u);
  EXPECT_LE(holding, static_cast<uint64_t>(kAbusers));

  for (auto& abuser : abusers) abuser->Close();
  const auto drained = SteadyClock::now() + milliseconds(5000);
  while (StatU64(setup->Stats(), "response_obj_bytes") != 0 && SteadyClock::now() < drained) {
    std::this_thread::sleep_for(milliseconds(20));  // the polling period
  }
  EXPECT_EQ(StatU64(setup->Stats(), "response_obj_bytes"), 0u);
  EXPECT_EQ(StatU64(setup->Stats(), "response_obj_count"), 0u);
  EXPECT_TRUE(Healthy(*d));
}

TEST_F(AbuseTest, QueuedRepliesAreCountedAndHeldUnderTheLimit) {
  ExpectNonReadersHeldUnderTheLimit(kMultigetValueBytes, 2000);  // 200 MB asked for
}

// Values small enough to be copied into the reply text (OutputQueue::
// kMaxCopiedValue) are held under the same limit.
TEST_F(AbuseTest, CopiedSmallRepliesAreHeldUnderTheLimitToo) {
  ExpectNonReadersHeldUnderTheLimit(100, 30000);  // ~3.5 MB asked for per client
}

// The meta protocol's stampede state (a win token per vivified key) lives outside -m; stats
// shows what it holds, and it is bounded (StoreMetaTest.SideTableStaysBoundedUnderManyKeys).
TEST_F(AbuseTest, MetaStampedeStateIsCountedInStats) {
  auto d = Start(OneWorker());
  ASSERT_NE(d, nullptr);
  auto c = Connect(*d);
  ASSERT_NE(c, nullptr);
  const uint64_t before = StatU64(c->Stats(), "meta_state_bytes");
  for (int i = 0; i < 100; ++i) {
    // A miss with N vivifies the key and hands out the win.
    ASSERT_TRUE(c->Roundtrip("mg vivified" + std::to_string(i) + " N30\r\n", "HD W\r\n"));
  }
  const uint64_t after = StatU64(c->Stats(), "meta_state_bytes");
  EXPECT_GT(after, before);
}

// A paused multi-get still runs to its end for a client that sent its requests and then
// half-closed its socket (printf ... | nc): every reply arrives, the pipelined request after it
// too, before the daemon sees the end of the input and closes.
TEST_F(AbuseTest, PausedMultigetStillAnswersAClientThatHalfCloses) {
  auto d = Start(OneWorker());
  ASSERT_NE(d, nullptr);
  auto setup = Connect(*d);
  ASSERT_NE(setup, nullptr);
  ASSERT_TRUE(setup->Roundtrip(StorageCommand("set", "k", "0123456789"), "STORED\r\n"));
  constexpr int kKeys = 50000;  // ~1.3 MB of replies: the multi-get pauses on the way
  std::string request = "get";
  for (int i = 0; i < kKeys; ++i) request += " k";
  request += "\r\nget k\r\n";

  RawSocket client(SOCK_STREAM, d->port(), 0);
  ASSERT_TRUE(client.ok());
  ASSERT_EQ(client.SendUntil(request, SteadyClock::now() + milliseconds(5000), milliseconds(1000)),
            request.size());
  ASSERT_EQ(::shutdown(client.fd(), SHUT_WR), 0);
  std::string reply;
  char buffer[65536];
  const auto deadline = SteadyClock::now() + milliseconds(10000);
  while (SteadyClock::now() < deadline) {
    pollfd pfd{client.fd(), POLLIN, 0};
    if (::poll(&pfd, 1, 1000) <= 0) continue;
    const ssize_t n = ::recv(client.fd(), buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  std::string expected;
  for (int i = 0; i < kKeys; ++i) expected += ValueReply("k", "0123456789");
  expected += "END\r\n" + ValueReply("k", "0123456789") + "END\r\n";
  EXPECT_EQ(reply.size(), expected.size());
  EXPECT_TRUE(reply == expected);
}

}  // namespace
}  // namespace slabcached::testing
