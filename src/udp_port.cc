#include "src/udp_port.h"

#include <glog/logging.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "proto/binary_protocol.h"
#include "proto/errors.h"
#include "src/request_dispatch.h"

namespace slabcached {

namespace udp = proto::udp;

UdpPort::UdpPort(event_base* base, ev::Fd fd, Executor* executor, const NetConfig& net,
                 ServerStats* server_stats)
    : fd_(std::move(fd)),
      read_event_(event_new(base, fd_.get(), EV_READ | EV_PERSIST, &UdpPort::OnReadable, this)),
      write_event_(event_new(base, fd_.get(), EV_WRITE | EV_PERSIST, &UdpPort::OnWritable, this)),
      executor_(executor),
      net_(net),
      server_stats_(server_stats),
      buffer_(std::make_unique<char[]>(kReadBuffer)) {
  out_.set_framed(true);
  session_.datagram = true;
  server_stats_->curr_connections.fetch_add(1, std::memory_order_relaxed);
  server_stats_->total_connections.fetch_add(1, std::memory_order_relaxed);
  server_stats_->connection_structures.fetch_add(1, std::memory_order_relaxed);
}

UdpPort::~UdpPort() {
  server_stats_->curr_connections.fetch_sub(1, std::memory_order_relaxed);
  server_stats_->connection_structures.fetch_sub(1, std::memory_order_relaxed);
}

bool UdpPort::Start() {
  return read_event_ && write_event_ && event_add(read_event_.get(), nullptr) == 0;
}

void UdpPort::OnReadable(evutil_socket_t, short, void* arg) {
  static_cast<UdpPort*>(arg)->ReadDatagrams();
}

void UdpPort::OnWritable(evutil_socket_t, short, void* arg) {
  static_cast<UdpPort*>(arg)->ResumeBlocked();
}

void UdpPort::ReadDatagrams() {
  for (uint32_t i = 0; i < net_.reqs_per_event && !blocked_; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    const ssize_t n = recvfrom(fd_.get(), buffer_.get(), kReadBuffer, 0,
                               reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Every worker reads this socket: another one may have taken the datagram.
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        VLOG(1) << "UDP read error: " << std::strerror(errno);
      }
      return;
    }
    Answer(std::string_view(buffer_.get(), static_cast<size_t>(n)), peer, peer_length);
  }
}

void UdpPort::Answer(std::string_view datagram, const sockaddr_storage& peer,
                     socklen_t peer_length) {
  const udp::Frame frame = udp::DecodeFrame(datagram);
  if (frame.status == udp::FrameStatus::kTooShort) return;  // not even counted, as memcached
  executor_->stats()->bytes_read.Add(datagram.size());
  if (frame.status == udp::FrameStatus::kMultiDatagram) {
    VLOG(1) << "dropping a UDP request that spans " << frame.header.total << " datagrams";
    return;
  }
  reply_ = OutputQueue();
  messages_.clear();
  Execute(frame.payload);
  datagrams_.clear();
  udp::FrameReplies(frame.header.request_id, messages_, &datagrams_);
  const size_t sent = SendFrom(peer, peer_length, reply_, datagrams_, 0);
  if (sent < datagrams_.size()) {
    // Stop reading until the socket takes the rest (memcached waits too).
    blocked_ = Blocked{peer, peer_length, std::move(reply_), std::move(datagrams_), sent};
    event_del(read_event_.get());
    event_add(write_event_.get(), nullptr);
  }
}

void UdpPort::Execute(std::string_view input) {
  using Next = DispatchResult::Next;
  while (!input.empty()) {
    // memcached picks the protocol of each UDP request by its first byte, whatever -B says.
    const bool binary = static_cast<uint8_t>(input.front()) == proto::binary::kRequestMagic;
    const size_t budget = kMaxReplyBytes - std::min(kMaxReplyBytes, reply_.queued_bytes());
    DispatchResult result = binary ? DispatchBinary(*executor_, input, session_, /*sasl=*/false,
                                                    &out_, &carry_, fd_.get())
                                   : DispatchText(*executor_, input, session_, &out_, &carry_,
                                                  fd_.get(), {.reply_cap = budget});
    size_t used = result.consumed;
    switch (result.next) {
      case Next::kNeedMore:
        // A request cut short by the end of the datagram: memcached answers nothing.
        DropRequestReply();
        return;
      case Next::kAbort:
        // memcached drops the connection's unsent replies with it.
        DropRequestReply();
        reply_ = OutputQueue();
        messages_.clear();
        return;
      case Next::kValue:
      case Next::kSwallow:
        if (input.size() - used < result.block) {
          // The data block does not fit the datagram: neither stored nor answered
          // (the unlinked item is freed now).
          carry_.pending = StoreContinuation();
          DropRequestReply();
          return;
        }
        if (result.next == Next::kValue) {
          carry_.pending.Write(0, input.substr(used, result.block));
          std::move(carry_.pending).Complete(&out_);
          carry_.pending = StoreContinuation();
        }
        used += result.block;
        break;
      case Next::kPaused:
        // A multi-key get whose reply outgrew the datagram budget.
        DropRequestReply();
        out_.Append(proto::ErrorText(proto::ReplyError::kUdpGetTooLarge));
        break;
      case Next::kContinue:
      case Next::kClose:
        break;
    }
    TakeReply(result.silent);
    if (result.next == Next::kClose || result.next == Next::kPaused || used == 0) return;
    // Values are sent by reference, but each datagram costs a send.
    if (reply_.queued_bytes() >= kMaxReplyBytes) return;
    input.remove_prefix(used);
  }
}

void UdpPort::TakeReply(bool silent) {
  const size_t base = reply_.queued_bytes();
  boundaries_.clear();
  out_.MoveTo(&reply_, &boundaries_);
  // The request's own response object, then one per further key of a get;
  // only the first can be silenced.
  size_t begin = base;
  for (size_t boundary : boundaries_) {
    messages_.push_back({begin, base + boundary, silent});
    begin = base + boundary;
    silent = false;
  }
  messages_.push_back({begin, reply_.queued_bytes(), silent});
}

void UdpPort::DropRequestReply() {
  out_ = OutputQueue();
  out_.set_framed(true);
}

size_t UdpPort::SendFrom(const sockaddr_storage& peer, socklen_t peer_length, OutputQueue& bytes,
                         const std::vector<udp::Datagram>& datagrams, size_t next) {
  for (; next < datagrams.size(); ++next) {
    switch (SendDatagram(peer, peer_length, bytes, datagrams[next])) {
      case SendStatus::kSent:
        break;
      case SendStatus::kWouldBlock:
        return next;
      case SendStatus::kFailed:
        return datagrams.size();  // memcached gives up on the rest of the reply too
    }
  }
  return next;
}

void UdpPort::ResumeBlocked() {
  if (!blocked_) return;
  Blocked& blocked = *blocked_;
  blocked.next =
      SendFrom(blocked.peer, blocked.peer_length, blocked.bytes, blocked.datagrams, blocked.next);
  if (blocked.next < blocked.datagrams.size()) return;
  blocked_.reset();
  event_del(write_event_.get());
  event_add(read_event_.get(), nullptr);
}

UdpPort::SendStatus UdpPort::SendDatagram(const sockaddr_storage& peer, socklen_t peer_length,
                                          OutputQueue& bytes, const udp::Datagram& datagram) {
  std::array<char, udp::kHeaderSize> header = udp::EncodeFrameHeader(datagram.header);
  // The header, then the payload's pieces straight from the reply text and
  // item memory (a payload is at most kMaxReplyBytes, so the pieces fit).
  std::array<iovec, 1 + udp::kMaxReplyBytes> iov;
  iov[0] = {header.data(), header.size()};
  size_t count = 1;
  bytes.ForEachPieceIn(datagram.offset, datagram.length, [&](std::string_view piece) {
    iov[count++] = {const_cast<char*>(piece.data()), piece.size()};
  });
  msghdr message{};
  message.msg_name = const_cast<sockaddr_storage*>(&peer);
  message.msg_namelen = peer_length;
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  for (;;) {
    const ssize_t sent = sendmsg(fd_.get(), &message, 0);
    if (sent >= 0) {
      executor_->stats()->bytes_written.Add(static_cast<uint64_t>(sent));
      return SendStatus::kSent;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return SendStatus::kWouldBlock;
    VLOG(1) << "UDP send failed: " << std::strerror(errno);
    return SendStatus::kFailed;
  }
}

}  // namespace slabcached
