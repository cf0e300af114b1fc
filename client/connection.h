// One TCP or unix-socket connection to one server: a non-blocking socket with an output
// buffer of encoded requests and an input buffer of replies. The owner drives
// it from a poll() loop (see Client); nothing here blocks or spawns threads.
// Internal to libslabclient (not installed).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "client/client.h"
#include "client/reply_parser.h"
#include "client/server_spec.h"
#include "client/tls_client.h"

namespace slabcached::client {

enum class IoResult : uint8_t {
  kOk,          // progress made or nothing to do
  kClosed,      // the peer closed the connection, or a socket error
  kAuthFailed,  // the server refused the SASL credentials (the connection is closed)
  kTlsFailed,   // the TLS handshake or a TLS record failed (the connection is closed)
};

// The Status an operation fails with when its connection gives `result`.
Status FailureStatus(IoResult result);

// What a connection does before its first request.
struct ConnectionSecurity {
  // SASL PLAIN over the binary protocol when the username is not empty: the
  // auth request goes out first on every new connection, and no reply is
  // handed to the caller until the server has accepted it.
  std::string sasl_username;
  std::string sasl_password;
  // TLS when enabled; a null context (its files did not load) fails every connect.
  bool tls_enabled = false;
  std::shared_ptr<const TlsContext> tls;
};

// The security settings of `config`, with its TLS context loaded once.
ConnectionSecurity MakeConnectionSecurity(const ClientConfig& config);

class Connection {
 public:
  explicit Connection(ServerSpec server, ConnectionSecurity security = {})
      : server_(std::move(server)), security_(std::move(security)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { Close(); }

  const ServerSpec& server() const { return server_; }
  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  // A non-blocking connect() is in flight; poll for POLLOUT, then FinishConnect().
  bool connecting() const { return connecting_; }

  // Resolves the host (numeric or by name) and starts a non-blocking connect;
  // a unix-socket server (ServerSpec::IsUnixSocket) connects AF_UNIX.
  // Returns false (with the connection closed) if that fails at once.
  bool StartConnect();
  // After POLLOUT/POLLERR on a connecting socket: true when connected.
  bool FinishConnect();
  // The last Read() closed the connection because the server refused the
  // SASL credentials (until the next StartConnect).
  bool auth_failed() const { return auth_failed_; }
  void Close();

  // Requests waiting to be written.
  std::string& output() { return out_; }
  bool WantsWrite() const {
    if (connecting_) return true;
    if (tls_ != nullptr && !tls_->handshake_done()) return tls_wants_write_;
    return out_pos_ < out_.size();
  }
  IoResult Write();
  IoResult Read();

  // The next complete reply in the input, without consuming it; its views
  // stay valid until Consume() or Read().
  ReplyParse Peek(Reply* reply, size_t* consumed) const;
  // The unconsumed input (binary replies are parsed by the caller); valid
  // until Consume() or Read(). Empty while the SASL reply is awaited.
  std::string_view input() const {
    if (auth_pending_) return {};
    return std::string_view(in_.get() + in_pos_, in_end_ - in_pos_);
  }
  void Consume(size_t n);

 private:
  bool StartConnectUnix();
  // Adopts `fd` and connects it: true when connected or in flight.
  bool ConnectFd(int fd, const sockaddr* address, socklen_t length);
  // Wraps the connected socket in a TLS session when configured.
  bool StartTls();
  // Advances the TLS handshake: kOk with tls_->handshake_done() when finished.
  IoResult Handshake();
  // Closes after a TLS failure.
  IoResult FailTls();
  IoResult ReadTls();
  // Slides or grows the input buffer so that a read has room; returns the room.
  size_t MakeRoom();
  // After EOF or a socket error: kAuthFailed if a login refusal came first.
  IoResult ClosedByPeer();
  // Queues the SASL request ahead of any other (no-op without credentials).
  void QueueAuth();
  // Consumes the SASL reply once it is complete: kAuthFailed (closing) if refused.
  IoResult CheckAuthReply();

  ServerSpec server_;
  ConnectionSecurity security_;
  bool auth_pending_ = false;
  bool auth_failed_ = false;
  std::unique_ptr<TlsSession> tls_;
  bool tls_wants_write_ = false;
  int fd_ = -1;
  bool connecting_ = false;
  std::string out_;
  size_t out_pos_ = 0;
  // The input buffer keeps its capacity across reads and is never
  // zero-filled: [in_pos_, in_end_) holds unconsumed bytes.
  std::unique_ptr<char[]> in_;
  size_t in_capacity_ = 0;
  size_t in_pos_ = 0;
  size_t in_end_ = 0;
};

}  // namespace slabcached::client
