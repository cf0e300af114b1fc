#include "client/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "client/sasl_client.h"

namespace slabcached::client {

Status FailureStatus(IoResult result) {
  switch (result) {
    case IoResult::kAuthFailed:
      return Status::kAuthFailure;
    case IoResult::kTlsFailed:
      return Status::kTlsFailure;
    case IoResult::kOk:
    case IoResult::kClosed:
      break;
  }
  return Status::kConnectionFailure;
}

ConnectionSettings MakeConnectionSettings(const ClientConfig& config) {
  ConnectionSettings settings;
  settings.sasl_username = config.sasl_username;
  settings.sasl_password = config.sasl_password;
  settings.tls_enabled = config.tls.enabled;
  if (settings.tls_enabled) {
    std::string error;
    settings.tls = TlsContext::Create(config.tls, &error);
  }
  settings.dns_ttl = config.dns_ttl;
  return settings;
}

bool Connection::StartTls() {
  if (!settings_.tls_enabled) return true;
  if (settings_.tls != nullptr) tls_ = TlsSession::Start(*settings_.tls, fd_);
  if (tls_ == nullptr) {
    Close();
    return false;
  }
  tls_wants_write_ = true;  // the ClientHello
  return true;
}

IoResult Connection::Handshake() {
  switch (tls_->Handshake()) {
    case TlsIo::kDone:
      return IoResult::kOk;
    case TlsIo::kWantRead:
      tls_wants_write_ = false;
      return IoResult::kOk;
    case TlsIo::kWantWrite:
      tls_wants_write_ = true;
      return IoResult::kOk;
    case TlsIo::kClosed:
    case TlsIo::kFailed:
      break;
  }
  return FailTls();
}

IoResult Connection::FailTls() {
  Close();
  return IoResult::kTlsFailed;
}

bool Connection::ConnectFd(int fd, const sockaddr* address, socklen_t length) {
  fd_ = fd;
  if (connect(fd, address, length) == 0) return StartTls();
  // A unix socket whose listen backlog is full answers EAGAIN rather than
  // EINPROGRESS: the server is overloaded, so fail like a refused connect.
  if (errno == EINPROGRESS) {
    connecting_ = true;
    return true;
  }
  const int connect_errno = errno;
  CloseSocket();
  errno = connect_errno;
  return false;
}

void Connection::CloseSocket() {
  tls_.reset();  // before its socket
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  connecting_ = false;
}

bool Connection::StartConnectUnix() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (server_.host.size() >= sizeof(address.sun_path)) return false;
  std::memcpy(address.sun_path, server_.host.data(), server_.host.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  return ConnectFd(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
}

void Connection::QueueAuth() {
  if (settings_.sasl_username.empty()) return;
  AppendSaslPlainAuth(&out_, settings_.sasl_username, settings_.sasl_password);
  auth_pending_ = true;
}

IoResult Connection::CheckAuthReply() {
  if (!auth_pending_) return IoResult::kOk;
  size_t consumed = 0;
  switch (ParseSaslReply(std::string_view(in_.get() + in_pos_, in_end_ - in_pos_), &consumed)) {
    case SaslReply::kIncomplete:
      return IoResult::kOk;
    case SaslReply::kAuthenticated:
      in_pos_ += consumed;
      auth_pending_ = false;
      return IoResult::kOk;
    case SaslReply::kRejected:
      Close();
      auth_failed_ = true;
      return IoResult::kAuthFailed;
    case SaslReply::kMalformed:
      break;
  }
  Close();
  return IoResult::kClosed;
}

bool Connection::StartConnect(Clock::time_point deadline) {
  Close();
  auth_failed_ = false;
  addresses_.clear();
  next_address_ = 0;
  tried_.clear();
  resolve_ = ResolveStatus::kOk;
  gai_error_ = 0;
  deadline_ = attempt_deadline_ = deadline;
  // Queued once, ahead of the caller's requests, whichever address answers.
  QueueAuth();
  bool started = false;
  if (server_.IsUnixSocket()) {
    started = StartConnectUnix();
  } else {
    resolve_ = resolver_->Resolve(server_.host, server_.port, deadline, &addresses_, &gai_error_,
                                  settings_.dns_ttl);
    started = resolve_ == ResolveStatus::kOk && ConnectNextAddress();
    if (resolve_ != ResolveStatus::kOk) errno = 0;  // no socket call failed
  }
  if (started) return true;
  const int connect_errno = errno;
  Close();
  errno = connect_errno;
  return false;
}

bool Connection::ConnectNextAddress() {
  while (next_address_ < addresses_.size()) {
    const ResolvedAddress& address = addresses_[next_address_];
    const auto now = Clock::now();
    const auto left = static_cast<int64_t>(addresses_.size() - next_address_);
    attempt_deadline_ = left == 1 ? deadline_ : now + (deadline_ - now) / left;
    ++next_address_;
    tried_ = address.ToString();
    const int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;  // e.g. IPv6 disabled: the next may be IPv4
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (ConnectFd(fd, address.address(), address.length)) return true;
  }
  return false;
}

bool Connection::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    // errno: for the caller's error detail, unless a later address fails too.
    if (err != 0) errno = err;
    CloseSocket();
    if (ConnectNextAddress()) return true;
    const int connect_errno = errno;
    Close();
    errno = connect_errno;
    return false;
  }
  connecting_ = false;
  return StartTls();
}

bool Connection::TryNextAddress() {
  CloseSocket();
  errno = ETIMEDOUT;  // unless a later address fails otherwise
  if (ConnectNextAddress()) return true;
  const int connect_errno = errno;
  Close();
  errno = connect_errno;
  return false;
}

void Connection::DescribeFailure(ClientError* error) const {
  if (!tried_.empty() && tried_ != error->address) error->via = tried_;
  if (resolve_ == ResolveStatus::kTimeout) {
    error->resolve_error = "timed out";
  } else if (resolve_ == ResolveStatus::kFailed) {
    error->resolve_error = gai_strerror(gai_error_);
  }
}

void Connection::Close() {
  CloseSocket();
  auth_pending_ = false;
  out_.clear();
  out_pos_ = 0;
  in_pos_ = 0;
  in_end_ = 0;
}

IoResult Connection::Write() {
  if (tls_ != nullptr && !tls_->handshake_done()) {
    const IoResult r = Handshake();
    if (r != IoResult::kOk || !tls_->handshake_done()) return r;
  }
  while (out_pos_ < out_.size()) {
    if (tls_ != nullptr) {
      size_t n = 0;
      switch (tls_->Write(out_.data() + out_pos_, out_.size() - out_pos_, &n)) {
        case TlsIo::kDone:
          out_pos_ += n;
          continue;
        case TlsIo::kWantRead:
        case TlsIo::kWantWrite:
          return IoResult::kOk;
        case TlsIo::kClosed:
          return IoResult::kClosed;
        case TlsIo::kFailed:
          return FailTls();
      }
    }
    const ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kOk;
    return IoResult::kClosed;
  }
  out_.clear();
  out_pos_ = 0;
  return IoResult::kOk;
}

size_t Connection::MakeRoom() {
  constexpr size_t kMinFree = 16 * 1024;
  if (in_pos_ == in_end_) in_pos_ = in_end_ = 0;
  if (in_capacity_ - in_end_ < kMinFree) {
    // Slide the unconsumed bytes to the front, and grow only when they
    // fill most of the buffer (a large value). make_unique_for_overwrite
    // leaves the new bytes uninitialised: recv writes them.
    const size_t pending = in_end_ - in_pos_;
    if (in_capacity_ - pending < kMinFree) {
      const size_t capacity = std::max<size_t>(4 * kMinFree, 2 * (pending + kMinFree));
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
      if (pending > 0) std::memcpy(bigger.get(), in_.get() + in_pos_, pending);
      in_ = std::move(bigger);
      in_capacity_ = capacity;
    } else if (pending > 0) {
      std::memmove(in_.get(), in_.get() + in_pos_, pending);
    }
    in_pos_ = 0;
    in_end_ = pending;
  }
  return in_capacity_ - in_end_;
}

IoResult Connection::ClosedByPeer() {
  // The server closes after refusing a login: report the refusal, not the close.
  if (CheckAuthReply() == IoResult::kAuthFailed) return IoResult::kAuthFailed;
  return IoResult::kClosed;
}

IoResult Connection::ReadTls() {
  if (!tls_->handshake_done()) {
    const IoResult r = Handshake();
    if (r != IoResult::kOk || !tls_->handshake_done()) return r;
    // Finished here: the requests queued behind the handshake go out now.
    if (const IoResult w = Write(); w != IoResult::kOk) return w;
  }
  for (;;) {
    const size_t room = MakeRoom();
    size_t n = 0;
    switch (tls_->Read(in_.get() + in_end_, room, &n)) {
      case TlsIo::kDone:
        // Read until OpenSSL wants the socket: bytes left decrypted in its
        // buffers would not wake poll().
        in_end_ += n;
        continue;
      case TlsIo::kWantRead:
      case TlsIo::kWantWrite:
        return CheckAuthReply();
      case TlsIo::kFailed:
        return FailTls();
      case TlsIo::kClosed:
        return ClosedByPeer();
    }
  }
}

IoResult Connection::Read() {
  if (tls_ != nullptr) return ReadTls();
  for (;;) {
    const size_t room = MakeRoom();
    const ssize_t n = recv(fd_, in_.get() + in_end_, room, 0);
    if (n > 0) {
      in_end_ += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < room) return CheckAuthReply();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return CheckAuthReply();
    return ClosedByPeer();
  }
}

ReplyParse Connection::Peek(Reply* reply, size_t* consumed) const {
  return ParseReply(input(), reply, consumed);
}

void Connection::Consume(size_t n) { in_pos_ += n; }

}  // namespace slabcached::client
