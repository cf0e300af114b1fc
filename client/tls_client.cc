#include "client/tls_client.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace slabcached::client {

namespace {

std::string LastOpensslError(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return what;
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return what + ": " + text;
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::Create(const TlsOptions& options, std::string* error) {
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) {
    *error = LastOpensslError("SSL_CTX_new");
    return nullptr;
  }
  std::shared_ptr<TlsContext> context(new TlsContext(raw, options));
  SSL_CTX* ctx = context->get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Write() retries from the same bytes of a growing std::string.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options.verify_peer) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const bool loaded = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                                                : SSL_CTX_load_verify_locations(
                                                      ctx, options.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      *error = LastOpensslError("cannot load CA file \"" + options.ca_file + "\"");
      return nullptr;
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      *error = LastOpensslError("cannot load certificate \"" + options.cert_file + "\"");
      return nullptr;
    }
    const std::string& key = options.key_file.empty() ? options.cert_file : options.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      *error = LastOpensslError("cannot load key \"" + key + "\"");
      return nullptr;
    }
  }
  return context;
}

std::unique_ptr<TlsSession> TlsSession::Start(const TlsContext& context, int fd) {
  SSL* raw = SSL_new(context.get());
  if (raw == nullptr) return nullptr;
  std::unique_ptr<TlsSession> session(new TlsSession(raw));
  SSL* ssl = session->ssl_.get();
  if (SSL_set_fd(ssl, fd) != 1) return nullptr;
  const std::string& name = context.options().server_name;
  if (!name.empty()) {
    if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return nullptr;
    // The certificate must also name this server.
    if (context.options().verify_peer && SSL_set1_host(ssl, name.c_str()) != 1) return nullptr;
  }
  SSL_set_connect_state(ssl);
  return session;
}

TlsIo TlsSession::Classify(int ret) {
  const int err = SSL_get_error(ssl_.get(), ret);
  ERR_clear_error();
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return TlsIo::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsIo::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
    case SSL_ERROR_SYSCALL:
      return handshake_done_ ? TlsIo::kClosed : TlsIo::kFailed;
    default:
      return TlsIo::kFailed;
  }
}

TlsIo TlsSession::Handshake() {
  if (handshake_done_) return TlsIo::kDone;
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) {
    handshake_done_ = true;
    return TlsIo::kDone;
  }
  return Classify(ret);
}

TlsIo TlsSession::Read(char* buf, size_t size, size_t* n) {
  if (SSL_read_ex(ssl_.get(), buf, size, n) == 1) return TlsIo::kDone;
  return Classify(0);
}

TlsIo TlsSession::Write(const char* buf, size_t size, size_t* n) {
  if (SSL_write_ex(ssl_.get(), buf, size, n) == 1) return TlsIo::kDone;
  return Classify(0);
}

}  // namespace slabcached::client
