#include "src/tls.h"

#include <glog/logging.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>

namespace slabcached {
namespace {

// Indexed by ssl_min_version (0..3).
constexpr std::string_view kVersionNames[] = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
constexpr int kVersions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};

// Resumed sessions are only valid for this server (OpenSSL's session id context).
constexpr unsigned char kSessionIdContext[] = "slabcached";

}  // namespace

int TlsVerifyFlags(int mode) {
  switch (mode) {
    case 1:  // request a certificate; one that does not verify fails the handshake
      return SSL_VERIFY_PEER;
    case 2:  // require one
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case 3:  // require one, on the first handshake only
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
    default:
      return SSL_VERIFY_NONE;
  }
}

namespace {

// The oldest error OpenSSL queued on this thread, as ERR_error_string_n()
// spells it ("error:80000002:system library::No such file or directory");
// empties the queue.
std::string TakeError() {
  const unsigned long code = ERR_get_error();
  char text[256] = "";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

// memcached prints unset paths with printf's "(null)".
std::string OrNull(const std::string& path) { return path.empty() ? "(null)" : path; }

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using UniqueCtx = std::unique_ptr<SSL_CTX, CtxFree>;

int OnNewSession(SSL* ssl, SSL_SESSION* session);
void OnInfo(const SSL* ssl, int where, int ret);

// Sets up `ctx` from `config`; false with memcached's message in *error.
bool Configure(SSL_CTX* ctx, const TlsConfig& config, std::string* error) {
  const int version = kVersions[std::clamp(config.min_version, 0, 3)];
  SSL_CTX_set_min_proto_version(ctx, version);
  if (config.chain_cert.empty() ||
      SSL_CTX_use_certificate_chain_file(ctx, config.chain_cert.c_str()) != 1) {
    *error = "Error loading the certificate chain: " + OrNull(config.chain_cert) + " : " +
             (config.chain_cert.empty() ? "-o ssl_chain_cert is not set" : TakeError());
    return false;
  }
  if (config.key.empty() ||
      SSL_CTX_use_PrivateKey_file(ctx, config.key.c_str(), config.key_format) != 1) {
    *error = "Error loading the key: " + OrNull(config.key) + " : " +
             (config.key.empty() ? "-o ssl_key is not set" : TakeError());
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "Error validating the certificate: " + TakeError();
    return false;
  }
  if (!config.ca_cert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.ca_cert.c_str(), nullptr) != 1) {
      *error = "Error loading the CA certificate: " + config.ca_cert + " : " + TakeError();
      return false;
    }
    // The CA names the server sends when it asks for a client certificate.
    SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(config.ca_cert.c_str()));
  }
  SSL_CTX_set_verify(ctx, TlsVerifyFlags(config.verify_mode), nullptr);
  if (!config.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, config.ciphers.c_str()) != 1) {
    ERR_clear_error();
    *error = "Error setting the provided cipher(s): " + config.ciphers;
    return false;
  }
  if (config.session_cache) {
    SSL_CTX_sess_set_new_cb(ctx, &OnNewSession);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  uint64_t options = SSL_OP_NO_RENEGOTIATION;
  if (config.kernel_tls) options |= SSL_OP_ENABLE_KTLS;
  SSL_CTX_set_options(ctx, options);
  // Idle connections give their record buffers back; a write retried after
  // WANT_WRITE may come from another (equal) copy of the same bytes.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return true;
}

// A new server context from `config`, or nullptr with memcached's message in *error.
UniqueCtx BuildContext(const TlsConfig& config, std::string* error) {
  ERR_clear_error();
  UniqueCtx ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) {
    *error = "Error creating the TLS context: " + TakeError();
    return nullptr;
  }
  if (!Configure(ctx.get(), config, error)) return nullptr;
  return ctx;
}

// One connection's TLS session over its non-blocking socket. The handshake
// runs inside the first reads (the client speaks first, in TLS as in
// memcached's protocols).
class TlsTransport final : public Transport {
 public:
  TlsTransport(SSL* ssl, ServerStats* stats, std::span<char> write_buffer)
      : ssl_(ssl), stats_(stats), write_buffer_(write_buffer) {
    SSL_set_app_data(ssl_, this);
    SSL_set_info_callback(ssl_, &OnInfo);
  }
  ~TlsTransport() override {
    // close_notify, best effort; OpenSSL forbids it after a fatal error.
    ERR_clear_error();
    if (!broken_ && established_) SSL_shutdown(ssl_);
    ERR_clear_error();
    SSL_free(ssl_);
  }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  IoResult Read(char* buffer, size_t length) override;
  IoResult Write(const iovec* iov, int count) override;
  bool HasBufferedInput() const override { return SSL_pending(ssl_) > 0; }

  void CountNewSession() { stats_->ssl_new_sessions.fetch_add(1, std::memory_order_relaxed); }
  void HandshakeDone() { established_ = true; }

 private:
  // Maps a failed SSL_read/SSL_write (`ret` <= 0) onto the transport's statuses.
  IoResult Failed(int ret, const char* what);

  SSL* ssl_;
  ServerStats* stats_;
  std::span<char> write_buffer_;
  bool established_ = false;  // the handshake completed (OpenSSL forgets it after an error)
  bool broken_ = false;       // a fatal error happened: no close_notify
};

IoResult TlsTransport::Read(char* buffer, size_t length) {
  ERR_clear_error();
  const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<size_t>(length, INT_MAX)));
  if (n > 0) return {IoStatus::kOk, static_cast<size_t>(n)};
  return Failed(n, "read");
}

// SSL_write takes one buffer: the iovecs are gathered into the worker's
// buffer, one record's worth at a time (memcached's ssl_wbuf). Partial
// writes are off, so each SSL_write sends all of its bytes or nothing; after
// WANT_WRITE, OpenSSL holds the encrypted record and the caller's retry
// gathers the same bytes again, as OpenSSL requires.
IoResult TlsTransport::Write(const iovec* iov, int count) {
  size_t total = 0;
  int index = 0;
  size_t offset = 0;  // bytes of iov[index] already sent
  while (index < count) {
    size_t filled = 0;
    int next = index;
    size_t next_offset = offset;
    while (next < count && filled < write_buffer_.size()) {
      const size_t take = std::min(iov[next].iov_len - next_offset, write_buffer_.size() - filled);
      std::memcpy(write_buffer_.data() + filled,
                  static_cast<const char*>(iov[next].iov_base) + next_offset, take);
      filled += take;
      next_offset += take;
      if (next_offset == iov[next].iov_len) {
        ++next;
        next_offset = 0;
      }
    }
    if (filled == 0) break;
    ERR_clear_error();
    const int n = SSL_write(ssl_, write_buffer_.data(), static_cast<int>(filled));
    if (n <= 0) {
      // Report what went out; the caller's next call meets the same condition.
      if (total > 0) return {IoStatus::kOk, total};
      return Failed(n, "write");
    }
    total += static_cast<size_t>(n);
    index = next;
    offset = next_offset;
  }
  return {IoStatus::kOk, total};
}

IoResult TlsTransport::Failed(int ret, const char* what) {
  const int saved_errno = errno;
  const int error = SSL_get_error(ssl_, ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return {IoStatus::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {IoStatus::kWantWrite};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {IoStatus::kClosed};
    default:
      break;
  }
  broken_ = true;
  const unsigned long code = ERR_peek_error();
  const std::string reason =
      code != 0 ? TakeError() : (saved_errno != 0 ? std::strerror(saved_errno) : "end of stream");
  if (!established_) {
    // A client that hangs up before sending a byte (a port check) never tried TLS.
    if (BIO_number_read(SSL_get_rbio(ssl_)) == 0) return {IoStatus::kClosed};
    stats_->ssl_handshake_errors.fetch_add(1, std::memory_order_relaxed);
    VLOG(1) << "TLS handshake failed: " << reason;
    return {IoStatus::kError};
  }
  if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return {IoStatus::kClosed};  // hung up without a close_notify: common, and harmless here
  }
  VLOG(1) << "TLS " << what << " failed: " << reason;
  return {IoStatus::kError};
}

void OnInfo(const SSL* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  if (auto* transport = static_cast<TlsTransport*>(SSL_get_app_data(ssl))) {
    transport->HandshakeDone();
  }
}

int OnNewSession(SSL* ssl, SSL_SESSION*) {
  if (auto* transport = static_cast<TlsTransport*>(SSL_get_app_data(ssl))) {
    transport->CountNewSession();
  }
  return 0;  // OpenSSL keeps the session; no reference is taken here
}

}  // namespace

TlsContext::TlsContext(const TlsConfig& config)
    : config_(config), ctx_(nullptr), loaded_at_(time(nullptr)) {
  std::string error;
  UniqueCtx ctx = BuildContext(config_, &error);
  if (ctx == nullptr) throw std::runtime_error(error);
  ctx_ = ctx.release();
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

bool TlsContext::Reload(std::string* error) {
  UniqueCtx fresh = BuildContext(config_, error);
  if (fresh == nullptr) return false;
  SSL_CTX* old;
  {
    std::lock_guard lock(mutex_);
    old = ctx_;
    ctx_ = fresh.release();
  }
  // Sessions made from the old context hold their own reference to it.
  SSL_CTX_free(old);
  loaded_at_.store(time(nullptr), std::memory_order_relaxed);
  return true;
}

std::unique_ptr<Transport> TlsContext::NewTransport(int fd, ServerStats* stats,
                                                    std::span<char> write_buffer) const {
  ERR_clear_error();
  SSL* ssl;
  {
    std::lock_guard lock(mutex_);
    ssl = SSL_new(ctx_);
  }
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    LOG(WARNING) << "could not start TLS on a new connection: " << TakeError();
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsTransport>(ssl, stats, write_buffer);
}

std::string_view TlsVersionName(int min_version) {
  if (min_version < 0 || min_version > 3) return "unknown";
  return kVersionNames[min_version];
}

void AppendTlsStats(const TlsContext* tls, const TlsConfig& config, const ServerStats& stats,
                    time_t now, StatSink* out) {
  if (tls == nullptr) return;
  if (config.session_cache) {
    AppendStat(out, "ssl_new_sessions", stats.ssl_new_sessions.load(std::memory_order_relaxed));
  }
  AppendStat(out, "ssl_handshake_errors",
             stats.ssl_handshake_errors.load(std::memory_order_relaxed));
  const time_t since = std::max<time_t>(0, now - tls->loaded_at());
  AppendStat(out, "time_since_server_cert_refresh", static_cast<uint64_t>(since));
}

}  // namespace slabcached
