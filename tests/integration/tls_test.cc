// TLS for client connections (-Z, -o ssl_*): text, meta and binary requests
// over a real OpenSSL client, a chained value bigger than a slab chunk,
// plaintext clients on a TLS port, client certificates, "notls:" listeners,
// refresh_certs and SIGHUP after the certificate files change, the ssl_*
// stats, and memcached's start-up errors. Every test runs against slabcached
// and Debian's memcached 1.6.18 (built with TLS).
//
// The certificates are tests/integration/test_certificates.h's (a throw-away
// CA, two server certificates and a client one).
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/pattern.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/integration/test_certificates.h"

namespace slabcached::testing {
namespace {

using std::chrono::milliseconds;

TestCertificates* certificates = nullptr;

// --- a blocking TLS client (OpenSSL) over the fixture's TCP socket ---

struct TlsOptions {
  std::string cert;  // client certificate and key, if any
  std::string key;
  int max_version = 0;             // e.g. TLS1_2_VERSION; 0: OpenSSL's newest
  SSL_SESSION* session = nullptr;  // to resume
  int receive_buffer = 0;          // SO_RCVBUF, to make the server wait for the socket
};

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  char text[256] = "no OpenSSL error";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

class TlsClient {
 public:
  // Connects and completes the handshake, verifying the server's chain
  // against the test CA; nullptr with `error` set if either fails.
  static std::unique_ptr<TlsClient> Connect(int port, const TlsOptions& options,
                                            std::string* error) {
    auto tcp = Client::Connect("127.0.0.1", port, error);
    if (tcp == nullptr) return nullptr;
    std::unique_ptr<TlsClient> client(new TlsClient(std::move(tcp)));
    SSL_CTX* ctx = client->ctx_;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx, certificates->Path("ca.crt").c_str(), nullptr) != 1 ||
        (options.max_version != 0 &&
         SSL_CTX_set_max_proto_version(ctx, options.max_version) != 1) ||
        (!options.cert.empty() &&
         (SSL_CTX_use_certificate_file(ctx, options.cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx, options.key.c_str(), SSL_FILETYPE_PEM) != 1))) {
      *error = "client context: " + OpenSslError();
      return nullptr;
    }
    if (options.receive_buffer > 0) {
      ::setsockopt(client->tcp_->fd(), SOL_SOCKET, SO_RCVBUF, &options.receive_buffer,
                   sizeof(options.receive_buffer));
    }
    client->ssl_ = SSL_new(ctx);
    SSL_set_fd(client->ssl_, client->tcp_->fd());
    if (options.session != nullptr) SSL_set_session(client->ssl_, options.session);
    if (SSL_connect(client->ssl_) != 1) {
      *error = "handshake: " + OpenSslError();
      return nullptr;
    }
    return client;
  }

  ~TlsClient() {
    if (ssl_ != nullptr) {
      if (!failed_ && SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    SSL_CTX_free(ctx_);
    ERR_clear_error();
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Exactly `n` bytes, or fewer when the server closed, failed or went
  // silent for the socket's receive timeout.
  std::string ReadExactly(size_t n) {
    while (buffer_.size() < n && Fill()) {
    }
    std::string out = buffer_.substr(0, std::min(n, buffer_.size()));
    buffer_.erase(0, out.size());
    return out;
  }

  std::string ReadLine() {
    size_t nl;
    while ((nl = buffer_.find('\n')) == std::string::npos && Fill()) {
    }
    const size_t take = nl == std::string::npos ? buffer_.size() : nl + 1;
    std::string line = buffer_.substr(0, take);
    buffer_.erase(0, take);
    return line;
  }

  ::testing::AssertionResult Roundtrip(std::string_view request, std::string_view expected) {
    if (!Send(request)) {
      return ::testing::AssertionFailure() << "TLS send failed: " << OpenSslError();
    }
    const std::string got = ReadExactly(expected.size());
    if (got != expected) {
      return ::testing::AssertionFailure()
             << "request " << Escape(request) << "\n  expected " << Escape(expected)
             << "\n  got      " << Escape(got) << (failed_ ? " (then: " + failure_ + ")" : "");
    }
    return ::testing::AssertionSuccess();
  }

  // The subject CN of the server's certificate.
  std::string PeerName() const {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (cert == nullptr) return "";
    char name[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
    X509_free(cert);
    return name;
  }
  std::string Version() const { return SSL_get_version(ssl_); }
  bool SessionReused() const { return SSL_session_reused(ssl_) == 1; }
  // The session to resume, with a reference for the caller (SSL_SESSION_free).
  SSL_SESSION* Session() const { return SSL_get1_session(ssl_); }
  bool failed() const { return failed_; }

 private:
  explicit TlsClient(std::unique_ptr<Client> tcp)
      : tcp_(std::move(tcp)), ctx_(SSL_CTX_new(TLS_client_method())) {}

  bool Fill() {
    if (failed_) return false;
    char buf[65536];
    const int n = SSL_read(ssl_, buf, sizeof(buf));
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
    failed_ = true;
    failure_ = "SSL_read error " + std::to_string(SSL_get_error(ssl_, n)) + ": " + OpenSslError();
    return false;
  }

  std::unique_ptr<Client> tcp_;  // owns the socket (with send/receive timeouts)
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  bool failed_ = false;
  std::string failure_;
};

// --- binary protocol packets ---

std::string BinaryRequest(uint8_t opcode, std::string_view key, std::string_view extras = {},
                          std::string_view value = {}, uint32_t opaque = 0) {
  std::string p(24, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = static_cast<char>(opcode);
  p[2] = static_cast<char>(key.size() >> 8);
  p[3] = static_cast<char>(key.size() & 0xff);
  p[4] = static_cast<char>(extras.size());
  const uint32_t body = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  for (int i = 0; i < 4; ++i) {
    p[8 + i] = static_cast<char>(body >> (24 - 8 * i));
    p[12 + i] = static_cast<char>(opaque >> (24 - 8 * i));
  }
  p.append(extras).append(key).append(value);
  return p;
}

// --- the fixture ---

class TlsTest : public ServerTest {
 public:
  static void SetUpTestSuite() {
    // OpenSSL writes with write(): a server that hung up must not kill the test.
    ::signal(SIGPIPE, SIG_IGN);
    certificates = new TestCertificates();
  }
  static void TearDownTestSuite() {
    delete certificates;
    certificates = nullptr;
  }

 protected:
  void SetUp() override {
    ASSERT_TRUE(certificates->ok()) << certificates->error();
    ServerTest::SetUp();
  }

  std::string Cert(const std::string& name) const { return certificates->Path(name + ".crt"); }
  std::string Key(const std::string& name) const { return certificates->Path(name + ".key"); }

  // Starts a TLS server (-Z) with the certificate pair `pair` plus `options`
  // (more -o ssl_* settings). Its main port (daemon->port()) speaks TLS;
  // `*plain_port` is a "notls:" listener for plaintext checks.
  std::unique_ptr<Daemon> StartTls(const std::string& pair, const std::string& options,
                                   int* plain_port) {
    std::string error;
    for (int attempt = 0; attempt < 3; ++attempt) {
      *plain_port = PickFreePort();
      std::vector<std::string> flags = DefaultFlags();
      std::string o = "ssl_chain_cert=" + Cert(pair) + ",ssl_key=" + Key(pair);
      if (!options.empty()) o += "," + options;
      flags.insert(flags.end(),
                   {"-Z", "-o", o, "-l", "notls:127.0.0.1:" + std::to_string(*plain_port)});
      auto d = Daemon::Start(binary(), flags, &error);
      if (d != nullptr) return d;
    }
    ADD_FAILURE() << binary() << ": " << error;
    return nullptr;
  }

  std::unique_ptr<Client> ConnectPlain(int port) {
    std::string error;
    auto c = Client::Connect("127.0.0.1", port, &error);
    if (c == nullptr) ADD_FAILURE() << error;
    return c;
  }

  std::unique_ptr<TlsClient> ConnectTls(const Daemon& d, const TlsOptions& options = {}) {
    std::string error;
    auto c = TlsClient::Connect(d.port(), options, &error);
    if (c == nullptr) ADD_FAILURE() << "TLS connect to " << d.port() << ": " << error;
    return c;
  }

  // The server's certificate name as a new client sees it ("" if no handshake).
  std::string ServedName(const Daemon& d) {
    std::string error;
    auto c = TlsClient::Connect(d.port(), {}, &error);
    return c == nullptr ? "" : c->PeerName();
  }
};

TEST_P(TlsTest, TextCommandsOverTls) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "", &plain);
  ASSERT_NE(d, nullptr);
  auto c = ConnectTls(*d);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->PeerName(), "server-one");
  EXPECT_EQ(c->Version(), "TLSv1.3");
  EXPECT_TRUE(c->Roundtrip("set k 5 0 5\r\nhello\r\n", "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("get k\r\n", "VALUE k 5 5\r\nhello\r\nEND\r\n"));
  EXPECT_TRUE(c->Roundtrip("append k 0 0 1\r\n!\r\n", "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("set n 0 0 2\r\n41\r\nincr n 1\r\n", "STORED\r\n42\r\n"));
  EXPECT_TRUE(
      c->Roundtrip("delete n\r\nget n k\r\n", "DELETED\r\nVALUE k 5 6\r\nhello!\r\nEND\r\n"));
  EXPECT_TRUE(c->Roundtrip("bogus\r\n", "ERROR\r\n"));
  EXPECT_TRUE(c->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
  // The same store behind the plaintext listener.
  auto p = ConnectPlain(plain);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->Roundtrip("get k\r\n", "VALUE k 5 6\r\nhello!\r\nEND\r\n"));
  // quit: the server ends the session.
  ASSERT_TRUE(c->Send("quit\r\n"));
  EXPECT_EQ(c->ReadLine(), "");
  EXPECT_TRUE(c->failed());
}

TEST_P(TlsTest, MetaCommandsOverTls) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "", &plain);
  ASSERT_NE(d, nullptr);
  auto c = ConnectTls(*d);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Roundtrip("ms mk 2 F7 T0\r\nhi\r\n", "HD\r\n"));
  EXPECT_TRUE(c->Roundtrip("mg mk v f k\r\n", "VA 2 f7 kmk\r\nhi\r\n"));
  EXPECT_TRUE(c->Roundtrip("ma mk\r\n",
                           "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"));
  EXPECT_TRUE(c->Roundtrip("md mk q\r\nmg mk v\r\nmn\r\n", "EN\r\nMN\r\n"));
}

TEST_P(TlsTest, BinaryCommandsOverTls) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "", &plain);
  ASSERT_NE(d, nullptr);
  auto c = ConnectTls(*d);
  ASSERT_NE(c, nullptr);
  const std::string flags_exptime("\x00\x00\x00\x09\x00\x00\x00\x00", 8);
  ASSERT_TRUE(c->Send(BinaryRequest(0x01, "bk", flags_exptime, "binary!", 7)));  // set
  const std::string set_reply = c->ReadExactly(24);
  ASSERT_EQ(set_reply.size(), 24u);
  EXPECT_EQ(set_reply.substr(0, 16), std::string("\x81\x01\x00\x00\x00\x00\x00\x00"
                                                 "\x00\x00\x00\x00\x00\x00\x00\x07",
                                                 16));
  ASSERT_TRUE(c->Send(BinaryRequest(0x00, "bk", {}, {}, 8)));  // get
  const std::string get_reply = c->ReadExactly(24 + 4 + 7);
  ASSERT_EQ(get_reply.size(), 35u);
  EXPECT_EQ(get_reply.substr(0, 16), std::string("\x81\x00\x00\x00\x04\x00\x00\x00"
                                                 "\x00\x00\x00\x0b\x00\x00\x00\x08",
                                                 16));
  EXPECT_EQ(get_reply.substr(24), std::string("\x00\x00\x00\x09", 4) + "binary!");
  ASSERT_TRUE(c->Send(BinaryRequest(0x0a, "")));  // noop
  EXPECT_EQ(c->ReadExactly(24), std::string("\x81\x0a", 2) + std::string(22, '\0'));
}

// A value above the largest slab chunk (512 KB) is chained across chunks; it
// must cross TLS whole, also when the client reads late and the server has
// to wait for the socket (SSL_write's WANT_WRITE) several times.
TEST_P(TlsTest, LargeChainedValueOverTls) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "", &plain);
  ASSERT_NE(d, nullptr);
  TlsOptions small_window;
  small_window.receive_buffer = 64 * 1024;
  auto c = ConnectTls(*d, small_window);
  ASSERT_NE(c, nullptr);
  const std::string value = PatternValue(900 * 1024, 7);
  const std::string set = StorageCommand("set", "big", value, 3);
  if (IsReference()) {
    // memcached 1.6.18 stalls on the request below (until more bytes come).
    EXPECT_TRUE(c->Roundtrip(set, "STORED\r\n"));
  } else {
    // The request after the value shares the value's last TLS record: the
    // server reads the value's tail straight into the item and must find the
    // rest of that record inside OpenSSL, where no socket event announces it.
    EXPECT_TRUE(
        c->Roundtrip(set + "version\r\n", "STORED\r\nVERSION " + MemcachedVersion() + "\r\n"));
  }
  // 8 copies (7.2 MB) fill the socket buffers while the client is not reading.
  ASSERT_TRUE(c->Send("get big big big big big big big big\r\nversion\r\n"));
  std::this_thread::sleep_for(milliseconds(300));
  const std::string hit = ValueReply("big", value, 3);
  std::string expected;
  for (int i = 0; i < 8; ++i) expected += hit;
  expected += "END\r\nVERSION " + MemcachedVersion() + "\r\n";
  const std::string got = c->ReadExactly(expected.size());
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "the value came back different";
  // Stored whole: the plaintext listener sees the same bytes.
  auto p = ConnectPlain(plain);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Send("get big\r\n"));
  EXPECT_TRUE(p->ReadExactly(hit.size() + 5) == hit + "END\r\n");
}

// A plaintext client on a TLS port gets no reply and is disconnected (a
// failed handshake); the server goes on serving.
TEST_P(TlsTest, PlaintextClientOnTlsPortIsDisconnected) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "", &plain);
  ASSERT_NE(d, nullptr);
  auto admin = ConnectPlain(plain);
  ASSERT_NE(admin, nullptr);
  const uint64_t before = std::stoull(admin->Stats()["ssl_handshake_errors"]);
  auto p = ConnectPlain(d->port());
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Send("set k 0 0 1\r\nx\r\nversion\r\n"));
  EXPECT_TRUE(p->ExpectClosed());
  auto c = ConnectTls(*d);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(
      c->Roundtrip("get k\r\nversion\r\n", "END\r\nVERSION " + MemcachedVersion() + "\r\n"));
  const uint64_t after = std::stoull(admin->Stats()["ssl_handshake_errors"]);
  if (IsReference()) {
    // memcached counts it only when the bytes beat its accept-time handshake (a race).
    EXPECT_GE(after, before);
  } else {
    EXPECT_EQ(after, before + 1);
  }
}

// ssl_verify_mode=2 (require) refuses clients without a certificate from
// ssl_ca_cert's CA; 1 (request) lets them in.
TEST_P(TlsTest, VerifyModeRequiresClientCertificate) {
  SKIP_IF_ATTACHED();
  const std::string ca = "ssl_ca_cert=" + certificates->Path("ca.crt");
  int plain = 0;
  auto require = StartTls("server-one", "ssl_verify_mode=2," + ca, &plain);
  ASSERT_NE(require, nullptr);
  const TlsOptions with_cert{Cert("client"), Key("client")};
  auto good = ConnectTls(*require, with_cert);
  ASSERT_NE(good, nullptr);
  EXPECT_TRUE(good->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
  // TLS 1.3: the client finishes its side first; the server's refusal comes
  // as an alert in place of the first reply.
  std::string error;
  auto bare = TlsClient::Connect(require->port(), {}, &error);
  if (bare != nullptr) {
    bare->Send("version\r\n");
    EXPECT_EQ(bare->ReadLine(), "");
    EXPECT_TRUE(bare->failed());
  }
  auto settings = ConnectPlain(plain);
  ASSERT_NE(settings, nullptr);
  auto s = settings->Stats("settings");
  EXPECT_EQ(s["ssl_verify_mode"], "3");
  EXPECT_EQ(s["ssl_ca_cert"], certificates->Path("ca.crt"));

  int plain2 = 0;
  auto request = StartTls("server-one", "ssl_verify_mode=1," + ca, &plain2);
  ASSERT_NE(request, nullptr);
  auto anonymous = ConnectTls(*request);
  ASSERT_NE(anonymous, nullptr);
  EXPECT_TRUE(anonymous->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
  auto named = ConnectTls(*request, with_cert);
  ASSERT_NE(named, nullptr);
  EXPECT_TRUE(named->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
}

// "-l notls:<addr>" is a plaintext listener next to the TLS ones.
TEST_P(TlsTest, NotlsListenerSpeaksPlaintext) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "", &plain);
  ASSERT_NE(d, nullptr);
  auto p = ConnectPlain(plain);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(
      p->Roundtrip("set k 0 0 2\r\nok\r\nget k\r\n", "STORED\r\nVALUE k 0 2\r\nok\r\nEND\r\n"));
  auto s = p->Stats("settings");
  EXPECT_EQ(s["ssl_enabled"], "yes");
  EXPECT_EQ(s["inter"], "127.0.0.1,notls:127.0.0.1:" + std::to_string(plain));
  // A TLS client on the plaintext port gets no TLS server.
  std::string error;
  EXPECT_EQ(TlsClient::Connect(plain, {}, &error), nullptr);
  // ... and a plaintext client on the TLS port gets nothing either.
  auto wrong = ConnectPlain(d->port());
  ASSERT_NE(wrong, nullptr);
  ASSERT_TRUE(wrong->Send("version\r\n"));
  EXPECT_TRUE(wrong->ExpectClosed());
}

// refresh_certs (and, in slabcached, SIGHUP) load the certificate files
// again; new clients see the new certificate, connections already open carry
// on. Files that do not load get memcached's reply saying why; in slabcached
// the certificate in use stays in use.
TEST_P(TlsTest, RefreshCertsAndSighupReloadTheFiles) {
  SKIP_IF_ATTACHED();
  const std::string live = certificates->CopyPair("server-one");
  int plain = 0;
  auto d = StartTls(live, "", &plain);
  ASSERT_NE(d, nullptr);
  auto c = ConnectTls(*d);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->PeerName(), "server-one");

  certificates->Install("server-two", live);
  EXPECT_TRUE(c->Roundtrip("refresh_certs\r\n", "OK\r\n"));
  EXPECT_EQ(ServedName(*d), "server-two");
  EXPECT_TRUE(c->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
  auto admin = ConnectPlain(plain);
  ASSERT_NE(admin, nullptr);
  EXPECT_LE(std::stoul(admin->Stats()["time_since_server_cert_refresh"]), 2u);
  // noreply silences the OK only.
  EXPECT_TRUE(c->Roundtrip("refresh_certs noreply\r\nversion\r\n",
                           "VERSION " + MemcachedVersion() + "\r\n"));

  TestCertificates::WriteFile(Cert(live), "not a certificate\n");
  ASSERT_TRUE(admin->Send("refresh_certs noreply\r\n"));
  EXPECT_EQ(admin->ReadLine(), "Error loading the certificate chain: " + Cert(live) +
                                   " : error:0480006C:PEM routines::no start line\r\n");
  EXPECT_EQ(ServedName(*d), "server-two");

  // The new certificate is in place, its key not yet (a half-done rotation).
  TestCertificates::WriteFile(Cert(live), TestCertificates::ReadFile(Cert("server-one")));
  TestCertificates::WriteFile(Key(live), "not a key\n");
  ASSERT_TRUE(admin->Send("refresh_certs\r\n"));
  EXPECT_EQ(admin->ReadLine(), "Error loading the key: " + Key(live) +
                                   " : error:1E08010C:DECODER routines::unsupported\r\n");
  if (IsReference()) {
    // memcached loads into its live context: it is left with the new
    // certificate and no key, and new handshakes fail until a good reload.
    EXPECT_EQ(ServedName(*d), "");
  } else {
    // slabcached swaps in a context only once all of it loaded.
    EXPECT_EQ(ServedName(*d), "server-two");
  }

  certificates->Install("server-one", live);
  ASSERT_EQ(::kill(d->pid(), SIGHUP), 0);
  if (IsReference()) {
    // memcached 1.6.18 re-reads only its -Y file on SIGHUP (at its next clock
    // tick); later releases (1.6.45) reload the certificates too, as slabcached does.
    std::this_thread::sleep_for(milliseconds(1500));
    EXPECT_EQ(ServedName(*d), "");
    EXPECT_TRUE(admin->Roundtrip("refresh_certs\r\n", "OK\r\n"));
    EXPECT_EQ(ServedName(*d), "server-one");
  } else {
    std::string served;
    for (int i = 0; i < 40 && served != "server-one"; ++i) {
      std::this_thread::sleep_for(milliseconds(100));
      served = ServedName(*d);
    }
    EXPECT_EQ(served, "server-one");
  }
  EXPECT_TRUE(c->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));
}

// Without -Z: refresh_certs says TLS is off, "stats" has no ssl_* counters and
// "stats settings" shows the defaults with memcached's spelling.
TEST_P(TlsTest, WithoutTlsSettingsShowDefaults) {
  EXPECT_TRUE(client().Roundtrip("refresh_certs\r\n", "Error TLS not enabled\r\n"));
  EXPECT_TRUE(client().Roundtrip("refresh_certs noreply\r\n", "Error TLS not enabled\r\n"));
  auto stats = client().Stats();
  EXPECT_EQ(stats.count("ssl_handshake_errors"), 0u);
  EXPECT_EQ(stats.count("time_since_server_cert_refresh"), 0u);
  auto s = client().Stats("settings");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ssl_enabled", "no"},    {"ssl_chain_cert", "(null)"},  {"ssl_key", "(null)"},
      {"ssl_verify_mode", "0"}, {"ssl_keyformat", "1"},        {"ssl_ciphers", "NULL"},
      {"ssl_ca_cert", "NULL"},  {"ssl_wbuf_size", "16384"},    {"ssl_session_cache", "no"},
      {"ssl_kernel_tls", "no"}, {"ssl_min_version", "tlsv1.2"}};
  for (const auto& [name, value] : expected) EXPECT_EQ(s[name], value) << name;
}

// The ssl_* lines of "stats" and "stats settings"; ssl_session_cache lets a
// client resume its session (ssl_new_sessions counts the new ones); "stats
// reset" zeroes the counters.
TEST_P(TlsTest, StatsSettingsAndSessionResumption) {
  SKIP_IF_ATTACHED();
  const std::string options = "ssl_verify_mode=1,ssl_ca_cert=" + certificates->Path("ca.crt") +
                              ",ssl_ciphers=HIGH,ssl_min_version=3,ssl_session_cache," +
                              "ssl_wbuf_size=32,ssl_keyformat=1";
  int plain = 0;
  auto d = StartTls("server-one", options, &plain);
  ASSERT_NE(d, nullptr);
  auto admin = ConnectPlain(plain);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->Roundtrip("stats reset\r\n", "RESET\r\n"));
  auto s = admin->Stats("settings");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ssl_enabled", "yes"},
      {"ssl_chain_cert", Cert("server-one")},
      {"ssl_key", Key("server-one")},
      {"ssl_verify_mode", "1"},
      {"ssl_keyformat", "1"},
      {"ssl_ciphers", "HIGH"},
      {"ssl_ca_cert", certificates->Path("ca.crt")},
      {"ssl_wbuf_size", "32768"},
      {"ssl_session_cache", "yes"},
      {"ssl_kernel_tls", "no"},
      {"ssl_min_version", "tlsv1.3"}};
  for (const auto& [name, value] : expected) EXPECT_EQ(s[name], value) << name;

  auto first = ConnectTls(*d);
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(first->SessionReused());
  EXPECT_TRUE(first->Roundtrip("version\r\n",
                               "VERSION " + MemcachedVersion() + "\r\n"));  // reads the tickets too
  SSL_SESSION* session = first->Session();
  ASSERT_NE(session, nullptr);
  TlsOptions resume;
  resume.session = session;
  auto second = ConnectTls(*d, resume);
  SSL_SESSION_free(session);
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->SessionReused());
  EXPECT_TRUE(second->Roundtrip("version\r\n", "VERSION " + MemcachedVersion() + "\r\n"));

  auto stats = admin->Stats();
  // TLS 1.3: OpenSSL sends two tickets per full handshake, one per resumption.
  EXPECT_EQ(stats["ssl_new_sessions"], "3");
  ASSERT_EQ(stats.count("ssl_handshake_errors"), 1u);
  // memcached may count the fixture's connect-and-close readiness probe; slabcached
  // does not count a client that hung up before sending a byte.
  if (!IsReference()) {
    EXPECT_EQ(stats["ssl_handshake_errors"], "0");
  }
  ASSERT_EQ(stats.count("time_since_server_cert_refresh"), 1u);
  ASSERT_TRUE(admin->Roundtrip("stats reset\r\n", "RESET\r\n"));
  stats = admin->Stats();
  EXPECT_EQ(stats["ssl_new_sessions"], "0");

  // ssl_min_version=3: a TLS 1.2 client is turned away.
  TlsOptions old;
  old.max_version = TLS1_2_VERSION;
  std::string error;
  EXPECT_EQ(TlsClient::Connect(d->port(), old, &error), nullptr);
  // memcached counts only failures its accept-time SSL_accept sees (a race).
  if (!IsReference()) {
    EXPECT_EQ(admin->Stats()["ssl_handshake_errors"], "1");
  }
}

// The default minimum is TLS 1.2; ssl_kernel_tls asks OpenSSL for kernel
// offload where the kernel has it, and changes nothing on the wire.
TEST_P(TlsTest, Tls12ClientsAndKernelTls) {
  SKIP_IF_ATTACHED();
  int plain = 0;
  auto d = StartTls("server-one", "ssl_kernel_tls", &plain);
  ASSERT_NE(d, nullptr);
  TlsOptions old;
  old.max_version = TLS1_2_VERSION;
  auto c = ConnectTls(*d, old);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Version(), "TLSv1.2");
  const std::string value = PatternValue(100 * 1024, 3);
  EXPECT_TRUE(c->Roundtrip(StorageCommand("set", "v", value), "STORED\r\n"));
  EXPECT_TRUE(c->Roundtrip("get v\r\n", ValueReply("v", value) + "END\r\n"));
  auto p = ConnectPlain(plain);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Stats("settings")["ssl_kernel_tls"], "yes");
}

// Start-up errors, with memcached's messages.
TEST_P(TlsTest, StartupErrors) {
  const std::string chain = "ssl_chain_cert=" + Cert("server-one");
  const std::string key = "ssl_key=" + Key("server-one");
  const std::string port = std::to_string(PickFreePort());
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"-Z"}, "Error loading the certificate chain: (null) : "},
      {{"-Z", "-o", "ssl_chain_cert=/nonexistent/chain.pem," + key},
       "Error loading the certificate chain: /nonexistent/chain.pem : "
       "error:80000002:system library::No such file or directory"},
      {{"-Z", "-o", chain + ",ssl_key=/nonexistent/key.pem"},
       "Error loading the key: /nonexistent/key.pem : "
       "error:80000002:system library::No such file or directory"},
      {{"-Z", "-o", chain + ",ssl_key=" + Key("client")},
       "Error loading the key: " + Key("client") +
           " : error:05800074:x509 certificate routines::key values mismatch"},
      {{"-Z", "-o", chain + "," + key + ",ssl_ca_cert=/nonexistent/ca.pem"},
       "Error loading the CA certificate: /nonexistent/ca.pem : "
       "error:80000002:system library::No such file or directory"},
      {{"-Z", "-o", chain + "," + key + ",ssl_ciphers=BOGUS"},
       "Error setting the provided cipher(s): BOGUS"},
      {{"-Z", "-o", chain + "," + key + ",ssl_verify_mode=4"},
       "Invalid ssl_verify_mode. Use help to see valid options."},
      {{"-Z", "-o", chain + "," + key + ",ssl_min_version=x"},
       "could not parse argument to ssl_min_version"},
      {{"-Z", "-o", "ssl_key"}, "Missing ssl_key argument"},
      {{"-Z", "-p", "0", "-o", chain + "," + key},
       "ERROR: You cannot enable SSL without a TCP port."},
      {{"-l", "notls:127.0.0.1"}, "'notls' option is valid only when SSL is enabled"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"-p", port, "-l", "127.0.0.1", "-U", "0"};
    if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const ExitResult r = RunToExit(binary(), args);
    ASSERT_TRUE(r.exited) << c.message << ": " << r.Describe();
    EXPECT_TRUE(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0) << r.Describe();
    EXPECT_NE(r.output.find(c.message), std::string::npos)
        << "expected \"" << c.message << "\" in: " << r.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Tls, TlsTest, ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
