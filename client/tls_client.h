// Client-side TLS over a connected non-blocking socket (OpenSSL, as the
// daemon's -Z): a context made once per Client from TlsOptions, and one
// session per connection whose calls never block. Internal to libslabclient
// (not installed).
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "client/client.h"

namespace slabcached::client {

// The certificate files loaded into an SSL_CTX.
class TlsContext {
 public:
  // nullptr (and `error`) when a file cannot be loaded or the key does not
  // match the certificate.
  static std::shared_ptr<TlsContext> Create(const TlsOptions& options, std::string* error);

  SSL_CTX* get() const { return ctx_.get(); }
  const TlsOptions& options() const { return options_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsOptions options) : ctx_(ctx, &SSL_CTX_free), options_(options) {}
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_;
  TlsOptions options_;
};

enum class TlsIo : uint8_t {
  kDone,       // handshake finished / bytes moved (count in the result)
  kWantRead,   // retry when the socket is readable
  kWantWrite,  // retry when the socket is writable
  kClosed,     // the peer closed the TLS session or the socket broke
  kFailed,     // handshake or protocol failure (bad certificate, wrong CA, ...)
};

// One TLS session on a connected socket (not owned).
class TlsSession {
 public:
  // nullptr when OpenSSL cannot make the session.
  static std::unique_ptr<TlsSession> Start(const TlsContext& context, int fd);
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  TlsIo Handshake();
  bool handshake_done() const { return handshake_done_; }
  // Bytes moved go to *n when kDone.
  TlsIo Read(char* buf, size_t size, size_t* n);
  TlsIo Write(const char* buf, size_t size, size_t* n);

 private:
  explicit TlsSession(SSL* ssl) : ssl_(ssl, &SSL_free) {}
  TlsIo Classify(int ret);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
  bool handshake_done_ = false;
};

}  // namespace slabcached::client
