// TLS for client connections (-Z), as memcached 1.6 serves it: one server
// SSL_CTX built from the -o ssl_* options (src/server_config.h TlsConfig),
// rebuilt by refresh_certs and SIGHUP, and the Transport that runs an
// accepted socket through OpenSSL. Only tls.cc includes OpenSSL.
#pragma once

#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "src/server_config.h"
#include "src/stats.h"
#include "src/transport.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace slabcached {

class TlsContext {
 public:
  // Loads the certificate chain, the key and the CA file and applies the
  // options. Throws std::runtime_error with memcached's start-up message
  // ("Error loading the certificate chain: <file> : <OpenSSL's reason>", ...).
  explicit TlsContext(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // refresh_certs and SIGHUP: builds a whole new context from the same files
  // and, only if that worked, hands it to new connections (open ones keep
  // theirs). On failure `*error` holds memcached's message (no "\r\n") and
  // the certificates loaded before stay in use. Thread-safe.
  bool Reload(std::string* error);
  // When the certificates in use were loaded (Unix time).
  time_t loaded_at() const { return loaded_at_.load(std::memory_order_relaxed); }

  // A transport for a socket accepted on a TLS listener (the handshake runs
  // on its first reads), or nullptr if OpenSSL could not make a session.
  // Replies are gathered into `write_buffer` (the worker's, never empty)
  // and sent one TLS record per buffer. Thread-safe.
  std::unique_ptr<Transport> NewTransport(int fd, ServerStats* stats,
                                          std::span<char> write_buffer) const;

 private:
  const TlsConfig config_;
  mutable std::mutex mutex_;
  ssl_ctx_st* ctx_;  // guarded by mutex_; one reference, owned
  std::atomic<time_t> loaded_at_;
};

// The ssl_* counters of "stats" (only with -Z, `tls` not null, as memcached
// prints them).
void AppendTlsStats(const TlsContext* tls, const TlsConfig& config, const ServerStats& stats,
                    time_t now, StatSink* out);

// ssl_verify_mode's number (0..3) as OpenSSL's verify flags, which memcached
// prints in "stats settings".
int TlsVerifyFlags(int verify_mode);

// ssl_min_version's number (0..3) as memcached names it: "tlsv1.0".."tlsv1.3"
// ("unknown" for anything else).
std::string_view TlsVersionName(int min_version);

}  // namespace slabcached
