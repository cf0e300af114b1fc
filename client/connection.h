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
#include <vector>

#include "client/client.h"
#include "client/client_error.h"
#include "client/reply_parser.h"
#include "client/resolver.h"
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
struct ConnectionSettings {
  // SASL PLAIN over the binary protocol when the username is not empty: the
  // auth request goes out first on every new connection, and no reply is
  // handed to the caller until the server has accepted it.
  std::string sasl_username;
  std::string sasl_password;
  // TLS when enabled; a null context (its files did not load) fails every connect.
  bool tls_enabled = false;
  std::shared_ptr<const TlsContext> tls;
  // How old a cached answer for the host name may be (ClientConfig::dns_ttl).
  std::chrono::milliseconds dns_ttl{Resolver::kDefaultTtl};
};

// The connection settings of `config`, with its TLS context loaded once.
ConnectionSettings MakeConnectionSettings(const ClientConfig& config);

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Connection(ServerSpec server, ConnectionSettings settings = {},
                      std::shared_ptr<Resolver> resolver = Resolver::Shared())
      : server_(std::move(server)),
        settings_(std::move(settings)),
        resolver_(std::move(resolver)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { Close(); }

  const ServerSpec& server() const { return server_; }
  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  // A non-blocking connect() is in flight; poll for POLLOUT, then FinishConnect().
  bool connecting() const { return connecting_; }

  // Resolves the host (numeric or by name, waiting until `deadline` at most)
  // and starts a non-blocking connect to its first address, moving on to
  // the next while connect fails at once (refused, unreachable); a
  // unix-socket server (ServerSpec::IsUnixSocket) connects AF_UNIX.
  // Returns false (with the connection closed, errno set when a connect
  // failed) if that fails at once; resolve_timed_out() tells a lookup that
  // outlived the deadline.
  bool StartConnect(Clock::time_point deadline);
  // After POLLOUT/POLLERR on a connecting socket: true when connected, or
  // when that address failed and the next one is being tried (connecting()
  // stays true, on a new fd); false, with errno set, when none is left.
  bool FinishConnect();
  // While connecting: when the current address's share of the deadline
  // (what is left, split evenly over the addresses left) runs out. The
  // last address has the whole deadline.
  Clock::time_point attempt_deadline() const { return attempt_deadline_; }
  // The current address did not answer within its share: connect to the
  // next. Like FinishConnect's failure path, false when none is left.
  bool TryNextAddress();
  // The last StartConnect gave up because the host's lookup outlived the deadline.
  bool resolve_timed_out() const { return resolve_ == ResolveStatus::kTimeout; }
  // Adds what this connection knows to a failure's description: the
  // resolved address it connected to last (when not the configured
  // host:port itself) and a failed lookup.
  void DescribeFailure(ClientError* error) const;
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
  // Connects to addresses_[next_address_] and on, while connect fails at
  // once: true when connected or in flight.
  bool ConnectNextAddress();
  // Adopts `fd` and connects it: true when connected or in flight; false
  // (fd closed, errno kept) when connect failed at once.
  bool ConnectFd(int fd, const sockaddr* address, socklen_t length);
  // Closes the socket but keeps the queued requests, for the next address.
  void CloseSocket();
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
  ConnectionSettings settings_;
  std::shared_ptr<Resolver> resolver_;
  // The host's addresses from the last StartConnect, and the next to try.
  std::vector<ResolvedAddress> addresses_;
  size_t next_address_ = 0;
  Clock::time_point deadline_{};
  Clock::time_point attempt_deadline_{};
  std::string tried_;  // the address connected to last, "" when none
  ResolveStatus resolve_ = ResolveStatus::kOk;
  int gai_error_ = 0;
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
