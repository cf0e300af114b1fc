// One worker's share of a UDP socket (-U): memcached gives every worker its
// own descriptor of each UDP socket, and each worker reads datagrams from it
// in its own event loop. A datagram carries whole requests (storage
// commands with their data blocks); they run through the worker's executor
// like a connection's (src/request_dispatch.h), and their replies go back
// to the sender cut into framed datagrams (proto/udp_frame.h).
#pragma once

#include <event2/event.h>
#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/udp_frame.h"
#include "src/ev.h"
#include "src/executor.h"
#include "src/output_queue.h"
#include "src/request_dispatch.h"
#include "src/server_config.h"
#include "src/stats.h"

namespace slabcached {

class UdpPort {
 public:
  // memcached's UDP_READ_BUFFER_SIZE: room for the largest datagram.
  static constexpr size_t kReadBuffer = 65536;
  // The most reply bytes one received datagram gets: what the frame
  // header's 16-bit datagram count can number. A request that would pass it
  // is answered with memcached's out-of-memory error instead, and the
  // datagram's later requests are not run: one small datagram cannot make
  // the daemon send (or hold) gigabytes.
  static constexpr size_t kMaxReplyBytes = proto::udp::kMaxTotal * proto::udp::kMaxReplyBytes;

  // `fd` is a bound, non-blocking UDP socket this port owns. Counts as one
  // connection in stats, as memcached's UDP connections do.
  UdpPort(event_base* base, ev::Fd fd, Executor* executor, const NetConfig& net,
          ServerStats* server_stats);
  ~UdpPort();
  UdpPort(const UdpPort&) = delete;
  UdpPort& operator=(const UdpPort&) = delete;

  // Registers for reads; false if libevent refused.
  bool Start();

 private:
  // A reply whose datagrams did not all fit in the socket's send buffer.
  struct Blocked {
    sockaddr_storage peer;
    socklen_t peer_length;
    OutputQueue bytes;
    std::vector<proto::udp::Datagram> datagrams;
    size_t next;  // first datagram not sent
  };
  enum class SendStatus { kSent, kWouldBlock, kFailed };

  static void OnReadable(evutil_socket_t fd, short what, void* arg);
  static void OnWritable(evutil_socket_t fd, short what, void* arg);
  // Answers up to -R datagrams, or until the socket is drained or full.
  void ReadDatagrams();
  void Answer(std::string_view datagram, const sockaddr_storage& peer, socklen_t peer_length);
  // Runs the requests of one datagram; their replies go to reply_/messages_.
  void Execute(std::string_view input);
  // Moves what the last request queued in out_ to reply_, as messages.
  void TakeReply(bool silent);
  // Forgets what the last request queued in out_.
  void DropRequestReply();
  // Sends datagrams from `next` on. Returns the index of the first one the
  // socket had no room for, or datagrams.size() (all sent, or given up on).
  size_t SendFrom(const sockaddr_storage& peer, socklen_t peer_length, OutputQueue& bytes,
                  const std::vector<proto::udp::Datagram>& datagrams, size_t next);
  SendStatus SendDatagram(const sockaddr_storage& peer, socklen_t peer_length, OutputQueue& bytes,
                          const proto::udp::Datagram& datagram);
  void ResumeBlocked();

  ev::Fd fd_;
  ev::Event read_event_;
  ev::Event write_event_;
  Executor* executor_;
  const NetConfig& net_;
  ServerStats* server_stats_;
  Session session_;
  DispatchCarry carry_;  // reused by every request
  std::unique_ptr<char[]> buffer_;

  // The replies to the datagram being answered (reused between datagrams).
  OutputQueue out_;    // one request's reply, framed
  OutputQueue reply_;  // every request's reply; values by reference
  std::vector<size_t> boundaries_;
  std::vector<proto::udp::ReplyMessage> messages_;
  std::vector<proto::udp::Datagram> datagrams_;

  std::optional<Blocked> blocked_;  // while set, no datagram is read
};

}  // namespace slabcached
