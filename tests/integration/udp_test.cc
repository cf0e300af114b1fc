// memcached's UDP protocol (-U): real datagrams on 127.0.0.1, to slabcached and to memcached
// 1.6.18 alike. Each datagram starts with an 8-byte frame header (request id, sequence number,
// total datagrams, reserved; big-endian); replies come in runs of at most 1400-byte datagrams,
// one run per response object (each command, each key of a multi-key get).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/common/pattern.h"
#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

constexpr size_t kHeader = 8;
constexpr size_t kMaxDatagram = 1400;  // memcached's UDP_MAX_PAYLOAD_SIZE, header included
// Long enough for a reply on loopback to have arrived; used to check that none comes.
constexpr milliseconds kQuiet{300};
// After the expected datagrams, how long to wait for unexpected extra ones.
constexpr milliseconds kSettle{100};

std::string Header(uint16_t id, uint16_t seq = 0, uint16_t total = 1, uint16_t reserved = 0) {
  std::string out;
  for (uint16_t field : {id, seq, total, reserved}) {
    out.push_back(static_cast<char>(field >> 8));
    out.push_back(static_cast<char>(field & 0xff));
  }
  return out;
}

struct Datagram {
  uint16_t id = 0;
  uint16_t seq = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
  std::string payload;
  size_t size = 0;  // on the wire, header included
};

void PrintTo(const Datagram& d, std::ostream* os) {
  *os << "{id " << d.id << ", seq " << d.seq << "/" << d.total << ", " << Escape(d.payload, 60)
      << "}";
}

// One UDP socket connected to a server's port.
class UdpClient {
 public:
  explicit UdpClient(int port) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const int buffer = 8 * 1024 * 1024;  // room for a large reply's burst of datagrams
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~UdpClient() { ::close(fd_); }
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  bool ok() const { return fd_ >= 0 && connected_; }

  bool SendRaw(std::string_view datagram) {
    return ::send(fd_, datagram.data(), datagram.size(), 0) ==
           static_cast<ssize_t>(datagram.size());
  }
  bool Send(uint16_t id, std::string_view request) {
    return SendRaw(Header(id) + std::string(request));
  }

  // The next datagram, or nullopt if none arrives within `timeout`.
  std::optional<Datagram> Receive(milliseconds timeout = kIoTimeout) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::string buffer(65536, '\0');
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < static_cast<ssize_t>(kHeader)) return std::nullopt;
    auto field = [&](size_t at) {
      return static_cast<uint16_t>(static_cast<uint8_t>(buffer[at]) << 8 |
                                   static_cast<uint8_t>(buffer[at + 1]));
    };
    Datagram d{field(0),
               field(2),
               field(4),
               field(6),
               buffer.substr(kHeader, n - kHeader),
               static_cast<size_t>(n)};
    return d;
  }

  // Sends `request` and returns the `count` datagrams expected back, plus any that follow
  // within kSettle (so a test checking the count also catches extra ones).
  std::vector<Datagram> Exchange(uint16_t id, std::string_view request, size_t count) {
    std::vector<Datagram> out;
    if (!Send(id, request)) return out;
    while (out.size() < count) {
      auto d = Receive();
      if (!d) return out;
      out.push_back(std::move(*d));
    }
    while (auto extra = Receive(kSettle)) out.push_back(std::move(*extra));
    return out;
  }

  // Sends `request` and reassembles the single run of datagrams expected back.
  ::testing::AssertionResult Run(uint16_t id, std::string_view request, std::string* reply) {
    if (!Send(id, request)) return ::testing::AssertionFailure() << "send failed";
    std::vector<Datagram> run;
    do {
      auto d = Receive();
      if (!d) return ::testing::AssertionFailure() << "datagram " << run.size() << " missing";
      run.push_back(std::move(*d));
    } while (run.size() < run.front().total);
    reply->clear();
    for (size_t i = 0; i < run.size(); ++i) {
      if (run[i].id != id || run[i].seq != i || run[i].total != run.size()) {
        return ::testing::AssertionFailure()
               << "datagram " << i << ": " << ::testing::PrintToString(run[i]);
      }
      reply->append(run[i].payload);
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult ExpectSilence(milliseconds timeout = kQuiet) {
    if (auto d = Receive(timeout)) {
      return ::testing::AssertionFailure() << "unexpected " << ::testing::PrintToString(*d);
    }
    return ::testing::AssertionSuccess();
  }

 private:
  int fd_;
  bool connected_ = false;
};

::testing::AssertionResult IsDatagram(const Datagram& d, uint16_t id, uint16_t seq, uint16_t total,
                                      std::string_view payload) {
  if (d.id == id && d.seq == seq && d.total == total && d.reserved == 0 && d.payload == payload) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << ::testing::PrintToString(d) << ", expected {id " << id << ", seq " << seq
         << "/" << total << ", " << Escape(payload, 60) << "}";
}

// A server serving TCP and UDP on the same port (-p P -U P), 2 workers.
class UdpTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    SKIP_IF_ATTACHED();
    udp_daemon_ = StartDaemon({"-U", "{port}", "-t", "2", "-m", "64"});
    ASSERT_NE(udp_daemon_, nullptr);
    tcp_ = Connect(udp_daemon_.get());
    ASSERT_NE(tcp_, nullptr);
    udp_ = std::make_unique<UdpClient>(udp_daemon_->port());
    ASSERT_TRUE(udp_->ok());
  }

  Client& tcp() { return *tcp_; }
  UdpClient& udp() { return *udp_; }
  int port() const { return udp_daemon_->port(); }

 private:
  std::unique_ptr<Daemon> udp_daemon_;
  std::unique_ptr<Client> tcp_;
  std::unique_ptr<UdpClient> udp_;
};

TEST_P(UdpTest, GetMissSetAndGetHit) {
  auto miss = udp().Exchange(0x1234, "get foo\r\n", 1);
  ASSERT_EQ(miss.size(), 1u);
  EXPECT_TRUE(IsDatagram(miss[0], 0x1234, 0, 1, "END\r\n"));

  auto stored = udp().Exchange(7, StorageCommand("set", "foo", "bar", 5), 1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(IsDatagram(stored[0], 7, 0, 1, "STORED\r\n"));

  auto hit = udp().Exchange(8, "get foo\r\n", 1);
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_TRUE(IsDatagram(hit[0], 8, 0, 1, ValueReply("foo", "bar", 5) + "END\r\n"));
  // Stored over UDP means stored: TCP sees it too.
  EXPECT_TRUE(tcp().Roundtrip("get foo\r\n", ValueReply("foo", "bar", 5) + "END\r\n"));
}

TEST_P(UdpTest, RequestIdsAreEchoed) {
  for (uint16_t id : {0, 1, 0x00ff, 0x0100, 0x8000, 0xfffe, 0xffff}) {
    auto reply = udp().Exchange(id, "get nothing\r\n", 1);
    ASSERT_EQ(reply.size(), 1u) << "request id " << id;
    EXPECT_TRUE(IsDatagram(reply[0], id, 0, 1, "END\r\n"));
  }
}

TEST_P(UdpTest, LargeValueSpansDatagrams) {
  const std::string value = PatternValue(3000, 1);
  ASSERT_TRUE(tcp().Roundtrip(StorageCommand("set", "big", value), "STORED\r\n"));
  const std::string expected = ValueReply("big", value) + "END\r\n";  // 3025 bytes
  auto run = udp().Exchange(9, "get big\r\n", 3);
  ASSERT_EQ(run.size(), 3u);
  std::string reassembled;
  for (uint16_t i = 0; i < 3; ++i) {
    EXPECT_EQ(run[i].id, 9);
    EXPECT_EQ(run[i].seq, i);
    EXPECT_EQ(run[i].total, 3);
    reassembled += run[i].payload;
  }
  EXPECT_EQ(run[0].size, kMaxDatagram);
  EXPECT_EQ(run[1].size, kMaxDatagram);
  EXPECT_EQ(run[2].size, kHeader + expected.size() - 2 * (kMaxDatagram - kHeader));
  EXPECT_EQ(reassembled, expected);
}

TEST_P(UdpTest, ValueLargerThanADatagramCanStillBeSent) {
  // A 200 KB value: too big for one request datagram, but its reply is 148 datagrams.
  const std::string value = PatternValue(200 * 1024, 2);
  ASSERT_TRUE(tcp().Roundtrip(StorageCommand("set", "huge", value, 3), "STORED\r\n"));
  std::string reply;
  ASSERT_TRUE(udp().Run(0xbeef, "get huge\r\n", &reply));
  EXPECT_TRUE(reply == ValueReply("huge", value, 3) + "END\r\n") << Escape(reply);
}

TEST_P(UdpTest, StorageCommandCarriesItsDataInTheDatagram) {
  const std::string value = PatternValue(5000, 3);  // a request datagram above 1400 bytes is fine
  auto stored = udp().Exchange(1, StorageCommand("set", "k", value, 12), 1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(IsDatagram(stored[0], 1, 0, 1, "STORED\r\n"));
  EXPECT_TRUE(tcp().Roundtrip("get k\r\n", ValueReply("k", value, 12) + "END\r\n"));

  auto appended = udp().Exchange(2, StorageCommand("append", "k", "++"), 1);
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_TRUE(IsDatagram(appended[0], 2, 0, 1, "STORED\r\n"));
  auto bad = udp().Exchange(3, "set k 0 0 3\r\nabcde\r\n", 2);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_TRUE(IsDatagram(bad[0], 3, 0, 1, "CLIENT_ERROR bad data chunk\r\n"));
  EXPECT_TRUE(IsDatagram(bad[1], 3, 0, 1, "ERROR\r\n"));  // the "\r\n" left over
  EXPECT_TRUE(tcp().Roundtrip("get k\r\n", ValueReply("k", value + "++", 12) + "END\r\n"));
}

TEST_P(UdpTest, EachKeyOfAGetIsItsOwnRun) {
  ASSERT_TRUE(tcp().Roundtrip(StorageCommand("set", "a", "1") + StorageCommand("set", "b", "22"),
                              "STORED\r\nSTORED\r\n"));
  auto hits = udp().Exchange(3, "get a b nope\r\n", 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_TRUE(IsDatagram(hits[0], 3, 0, 1, ValueReply("a", "1")));
  EXPECT_TRUE(IsDatagram(hits[1], 3, 0, 1, ValueReply("b", "22")));
  EXPECT_TRUE(IsDatagram(hits[2], 3, 0, 1, "END\r\n"));

  // A miss before the first hit goes out as a bare header with total 0.
  auto leading_miss = udp().Exchange(4, "get nope a\r\n", 2);
  ASSERT_EQ(leading_miss.size(), 2u);
  EXPECT_TRUE(IsDatagram(leading_miss[0], 4, 0, 0, ""));
  EXPECT_TRUE(IsDatagram(leading_miss[1], 4, 0, 1, ValueReply("a", "1") + "END\r\n"));

  // A miss after a hit sends nothing of its own.
  auto middle_miss = udp().Exchange(5, "get a nope b\r\n", 2);
  ASSERT_EQ(middle_miss.size(), 2u);
  EXPECT_TRUE(IsDatagram(middle_miss[0], 5, 0, 1, ValueReply("a", "1")));
  EXPECT_TRUE(IsDatagram(middle_miss[1], 5, 0, 1, ValueReply("b", "22") + "END\r\n"));
}

TEST_P(UdpTest, PipelinedRequestsEachGetTheirOwnRun) {
  auto replies =
      udp().Exchange(4, StorageCommand("set", "c", "1") + "get c\r\ndelete c\r\nget c\r\n", 4);
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_TRUE(IsDatagram(replies[0], 4, 0, 1, "STORED\r\n"));
  EXPECT_TRUE(IsDatagram(replies[1], 4, 0, 1, ValueReply("c", "1") + "END\r\n"));
  EXPECT_TRUE(IsDatagram(replies[2], 4, 0, 1, "DELETED\r\n"));
  EXPECT_TRUE(IsDatagram(replies[3], 4, 0, 1, "END\r\n"));
}

TEST_P(UdpTest, NoreplyAndQuietModeSendNothing) {
  ASSERT_TRUE(udp().Send(1, StorageCommand("set", "n", "v", 0, 0, /*noreply=*/true)));
  EXPECT_TRUE(udp().ExpectSilence());
  // The set was served, though maybe after the silence on a loaded machine: another worker
  // can hold the datagram for a while (seen once in 150 runs), so the get asks until it hits.
  const std::string hit = ValueReply("n", "v") + "END\r\n";
  std::string got;
  for (int i = 0; i < 50 && got != hit; ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(100));
    ASSERT_TRUE(tcp().Send("get n\r\n"));
    got = tcp().ReadUntilEnd();
  }
  EXPECT_EQ(got, hit);
  // The suppressed EN neither appears nor turns into a bare header.
  auto mn = udp().Exchange(2, "mg nope v q\r\nmn\r\n", 1);
  ASSERT_EQ(mn.size(), 1u);
  EXPECT_TRUE(IsDatagram(mn[0], 2, 0, 1, "MN\r\n"));
  // quit answers with a bare header, and ends the datagram.
  auto quit = udp().Exchange(3, "quit\r\nget n\r\n", 1);
  ASSERT_EQ(quit.size(), 1u);
  EXPECT_TRUE(IsDatagram(quit[0], 3, 0, 0, ""));
}

TEST_P(UdpTest, MalformedHeadersAreDropped) {
  const std::string request = "get foo\r\n";
  EXPECT_TRUE(udp().SendRaw(""));
  EXPECT_TRUE(udp().SendRaw(Header(1).substr(0, 7)));
  EXPECT_TRUE(udp().SendRaw(Header(1)));  // a header and no request
  EXPECT_TRUE(udp().SendRaw(Header(2, 0, 2) + request));
  EXPECT_TRUE(udp().SendRaw(Header(3, 0, 0) + request));
  EXPECT_TRUE(udp().SendRaw(Header(4, 0, 0x0101) + request));
  EXPECT_TRUE(udp().ExpectSilence());

  // The sequence number and the reserved field of a request are not checked.
  ASSERT_TRUE(udp().SendRaw(Header(5, 3, 1, 0xabcd) + request));
  auto reply = udp().Receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(IsDatagram(*reply, 5, 0, 1, "END\r\n"));
}

TEST_P(UdpTest, IncompleteRequestsGetNoReply) {
  // A line without its end, and a data block cut short by the end of the datagram.
  // (memcached 1.6.18 keeps waiting for the rest on that UDP descriptor, so this test
  // sends nothing after them.)
  EXPECT_TRUE(udp().Send(1, "get foo"));
  EXPECT_TRUE(udp().ExpectSilence());
  EXPECT_TRUE(udp().Send(2, "set k 0 0 10\r\nabc"));
  EXPECT_TRUE(udp().ExpectSilence());
}

TEST_P(UdpTest, HttpLineDropsTheDatagramsReplies) {
  EXPECT_TRUE(udp().Send(1, "version\r\nGET / HTTP/1.0\r\nversion\r\n"));
  EXPECT_TRUE(udp().ExpectSilence());
  auto after = udp().Exchange(2, "get x\r\n", 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(IsDatagram(after[0], 2, 0, 1, "END\r\n"));
}

TEST_P(UdpTest, BinaryRequestsOverUdp) {
  auto request = [](uint8_t opcode, std::string_view key, std::string_view extras = {},
                    std::string_view value = {}) {
    std::string out = {'\x80',
                       static_cast<char>(opcode),
                       0,
                       static_cast<char>(key.size()),
                       static_cast<char>(extras.size()),
                       0,
                       0,
                       0};
    const uint32_t body = static_cast<uint32_t>(extras.size() + key.size() + value.size());
    for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>(body >> shift));
    out += std::string("\xde\xad\xbe\xef", 4) + std::string(8, '\0');
    return out + std::string(extras) + std::string(key) + std::string(value);
  };
  // Reply header fields: magic, opcode, status, opaque; the body after the 24 bytes.
  auto check = [](const Datagram& d, uint8_t opcode, uint16_t status, std::string_view body) {
    ASSERT_GE(d.payload.size(), 24u) << ::testing::PrintToString(d);
    EXPECT_EQ(static_cast<uint8_t>(d.payload[0]), 0x81);
    EXPECT_EQ(static_cast<uint8_t>(d.payload[1]), opcode);
    EXPECT_EQ(static_cast<uint8_t>(d.payload[6]) << 8 | static_cast<uint8_t>(d.payload[7]), status);
    EXPECT_EQ(d.payload.substr(12, 4), std::string("\xde\xad\xbe\xef", 4));
    EXPECT_EQ(d.payload.substr(24), body);
  };
  const std::string flags("\0\0\0\7\0\0\0\0", 8);  // flags 7, exptime 0

  auto set = udp().Exchange(1, request(0x01, "bk", flags, "val"), 1);
  ASSERT_EQ(set.size(), 1u);
  check(set[0], 0x01, 0, "");
  auto get = udp().Exchange(2, request(0x00, "bk"), 1);
  ASSERT_EQ(get.size(), 1u);
  check(get[0], 0x00, 0, std::string("\0\0\0\7", 4) + "val");
  auto miss = udp().Exchange(3, request(0x00, "nope"), 1);
  ASSERT_EQ(miss.size(), 1u);
  check(miss[0], 0x00, 1, "Not found");
  // A quiet miss leaves an empty response object: memcached sends it as a bare header.
  auto quiet = udp().Exchange(4, request(0x09, "nope") + request(0x0a, ""), 2);
  ASSERT_EQ(quiet.size(), 2u);
  EXPECT_TRUE(IsDatagram(quiet[0], 4, 0, 0, ""));
  check(quiet[1], 0x0a, 0, "");
  EXPECT_TRUE(tcp().Roundtrip("get bk\r\n", ValueReply("bk", "val", 7) + "END\r\n"));
}

TEST_P(UdpTest, StatsSettingsAndCounters) {
  auto settings = tcp().Stats("settings");
  EXPECT_EQ(settings["udpport"], std::to_string(port()));
  EXPECT_EQ(settings["tcpport"], std::to_string(port()));
  EXPECT_EQ(settings["num_threads_per_udp"], "2");
  // Each worker's UDP descriptor counts as a connection (2 of them, plus this
  // client); the fixture's readiness probe may not have been reaped yet.
  EXPECT_EQ(PollStat(tcp(), "curr_connections", [](const std::string& v) { return v == "3"; }),
            "3");

  auto before = tcp().Stats();
  ASSERT_TRUE(udp().SendRaw(Header(1)));                        // too short: not counted
  ASSERT_TRUE(udp().SendRaw(Header(2, 0, 2) + "get foo\r\n"));  // dropped, but counted
  ASSERT_TRUE(udp().ExpectSilence());
  auto reply = udp().Exchange(3, "get foo\r\n", 1);
  ASSERT_EQ(reply.size(), 1u);
  auto after = tcp().Stats();
  auto delta = [&](const std::string& name) {
    return std::stoull(after[name]) - std::stoull(before[name]);
  };
  // The first "stats" reply went out between the two readings.
  uint64_t stats_reply = 5;  // "END\r\n"
  for (const auto& [name, value] : before) stats_reply += 5 + name.size() + 1 + value.size() + 2;
  EXPECT_EQ(delta("bytes_read"), 7u + 17u + 17u);  // "stats\r\n" and two datagrams
  EXPECT_EQ(delta("bytes_written"), stats_reply + kHeader + 5);
  EXPECT_EQ(delta("cmd_get"), 1u);
  EXPECT_EQ(delta("get_misses"), 1u);
}

// A key dump over UDP would hold the crawler for good (its reply is
// streamed as the client reads, and a datagram's reply cannot wait):
// slabcached refuses it, and a TCP dump runs afterwards.
TEST_P(UdpTest, KeyDumpsAreRefusedOverUdp) {
  if (IsReference()) GTEST_SKIP() << "memcached 1.6.18 starts the dump over UDP";
  ASSERT_TRUE(tcp().Roundtrip(StorageCommand("set", "dumped", "v"), "STORED\r\n"));
  auto metadump = udp().Exchange(4, "lru_crawler metadump all\r\n", 1);
  ASSERT_EQ(metadump.size(), 1u);
  EXPECT_TRUE(IsDatagram(metadump[0], 4, 0, 1, "ERROR metadump not allowed over UDP\r\n"));
  auto mgdump = udp().Exchange(5, "lru_crawler mgdump all\r\n", 1);
  ASSERT_EQ(mgdump.size(), 1u);
  EXPECT_TRUE(IsDatagram(mgdump[0], 5, 0, 1, "ERROR key dump not allowed over UDP\r\n"));
  EXPECT_TRUE(tcp().Roundtrip("lru_crawler mgdump all\r\n", "mg dumped\r\nEN\r\n"));
}

TEST_P(UdpTest, ListenAddressAppliesToUdp) {
  // Bound to 127.0.0.1 only (-l): the same port on 127.0.0.2 does not answer.
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port()));
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.2", &addr.sin_addr), 1);
  const std::string request = Header(1) + "version\r\n";
  ASSERT_EQ(::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof(addr)),
            static_cast<ssize_t>(request.size()));
  pollfd pfd{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, static_cast<int>(kQuiet.count())), 0) << "127.0.0.2 answered";
  ::close(fd);
  // While 127.0.0.1 does.
  EXPECT_EQ(udp().Exchange(2, "get x\r\n", 1).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Udp, UdpTest, ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

// How -U combines with -p, as memcached decides.
class UdpPortsTest : public ServerTest {};

TEST_P(UdpPortsTest, ZeroMeansOff) {
  // The default test server runs with -U 0: nothing answers UDP on its port.
  UdpClient udp(daemon().port());
  ASSERT_TRUE(udp.ok());
  EXPECT_TRUE(udp.Send(1, "version\r\n"));
  EXPECT_TRUE(udp.ExpectSilence());
  EXPECT_EQ(client().Stats("settings")["udpport"], "0");
}

TEST_P(UdpPortsTest, UdpOnlyWithPortZero) {
  SKIP_IF_ATTACHED();
  PortSetup ports;
  ports.flags = {"-p", "0", "-U", "{port}"};
  ports.probe = PortSetup::Probe::kUdp;
  auto d = StartDaemon({"-t", "2"}, ports);
  ASSERT_NE(d, nullptr);
  std::string error;
  EXPECT_EQ(Client::Connect(d->host(), d->port(), &error), nullptr) << "TCP is listening";
  UdpClient udp(d->port());
  ASSERT_TRUE(udp.ok());
  const auto stored = udp.Exchange(1, StorageCommand("set", "k", "v"), 1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(IsDatagram(stored[0], 1, 0, 1, "STORED\r\n"));
  std::string settings;
  ASSERT_TRUE(udp.Run(2, "stats settings\r\n", &settings));  // more than one datagram
  EXPECT_NE(settings.find("STAT tcpport 0\r\n"), std::string::npos) << Escape(settings, 2000);
  EXPECT_NE(settings.find("STAT udpport " + std::to_string(d->port()) + "\r\n"), std::string::npos);
  EXPECT_TRUE(settings.ends_with("END\r\n"));
}

TEST_P(UdpPortsTest, UdpPortAloneServesTcpThereToo) {
  SKIP_IF_ATTACHED();
  PortSetup ports;
  ports.flags = {"-U", "{port}"};  // no -p: memcached listens for TCP on the UDP port
  auto d = StartDaemon({"-t", "2"}, ports);
  ASSERT_NE(d, nullptr);
  auto tcp = Connect(d.get());
  ASSERT_NE(tcp, nullptr);
  auto settings = tcp->Stats("settings");
  EXPECT_EQ(settings["tcpport"], std::to_string(d->port()));
  EXPECT_EQ(settings["udpport"], std::to_string(d->port()));
  UdpClient udp(d->port());
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp.Exchange(1, "get x\r\n", 1).size(), 1u);
}

TEST_P(UdpPortsTest, RefusedWithSasl) {
  std::vector<std::string> args = {"-S", "-p", "0", "-U", "11311", "-l", "127.0.0.1"};
  if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
  const ExitResult r = RunToExit(binary(), args);
  ASSERT_TRUE(r.exited) << r.Describe();
  ASSERT_TRUE(WIFEXITED(r.wait_status)) << r.Describe();
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 64) << r.Describe();
  EXPECT_NE(r.output.find("Cannot enable UDP while using binary SASL authentication"),
            std::string::npos)
      << r.output;
}

INSTANTIATE_TEST_SUITE_P(UdpPorts, UdpPortsTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
