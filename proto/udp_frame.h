// memcached's UDP framing (protocol.txt, "UDP protocol"), as pure functions.
//
// Every datagram, request or reply, starts with an 8-byte frame header of
// four big-endian 16-bit fields:
//
//   byte  0..1        2..3             4..5                 6..7
//         request id  sequence number  datagrams in total   reserved (0)
//
// A request must fit one datagram. A reply is cut into datagrams of at most
// kMaxDatagram bytes, header included, that echo the request id and count
// their sequence number from 0 to total - 1.
//
// memcached 1.6 frames each of its response objects separately: the reply
// of each command of a datagram, and of each key of a multi-key get, is its
// own run of datagrams with its own sequence numbers (all with the same
// request id). FrameReplies() reproduces that, quirks included.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace slabcached::proto::udp {

inline constexpr size_t kHeaderSize = 8;
// memcached's UDP_MAX_PAYLOAD_SIZE: the size of every reply datagram but the
// last of a run, header included.
inline constexpr size_t kMaxDatagram = 1400;
// Reply bytes per datagram (memcached's UDP_DATA_SIZE).
inline constexpr size_t kMaxReplyBytes = kMaxDatagram - kHeaderSize;
// memcached caps the total field here (the sequence number then wraps).
inline constexpr size_t kMaxTotal = 0xffff;

struct FrameHeader {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;

  bool operator==(const FrameHeader&) const = default;
};

enum class FrameStatus : uint8_t {
  kOk,             // `payload` holds the request bytes
  kTooShort,       // 8 bytes or fewer: no request (memcached ignores it)
  kMultiDatagram,  // total is not 1: memcached takes no multi-datagram requests and drops it
};

struct Frame {
  FrameStatus status = FrameStatus::kTooShort;
  FrameHeader header;        // set unless kTooShort
  std::string_view payload;  // kOk: the bytes after the header
};

// Splits a received datagram. The sequence number and the reserved field
// are not checked (memcached ignores them).
Frame DecodeFrame(std::string_view datagram);

std::array<char, kHeaderSize> EncodeFrameHeader(const FrameHeader& header);

// How many datagrams a reply of `bytes` bytes takes: ceil(bytes /
// kMaxReplyBytes), at most kMaxTotal; 0 for an empty reply.
uint16_t DatagramCount(size_t bytes);

// One of memcached's response objects: bytes [begin, end) of the reply
// bytes of a received datagram. `silent` marks the reply of a request that
// asked for none (text "noreply", meta "q"); memcached sends nothing for it
// when it is empty.
struct ReplyMessage {
  size_t begin = 0;
  size_t end = 0;
  bool silent = false;
};

// A datagram to send: its header, then `length` reply bytes from `offset`.
struct Datagram {
  FrameHeader header;
  size_t offset = 0;
  size_t length = 0;
};

// Appends to *out the datagrams memcached 1.6 sends for the replies to one
// received datagram, in order:
//  * a non-empty message becomes DatagramCount() datagrams numbered from 0;
//  * an empty message that is not silent becomes one header-only datagram
//    (sequence 0, total 0), but only when no datagram of this batch was sent
//    before it: memcached retires empty response objects that follow a sent
//    one without sending anything, and a run of leading ones with one
//    datagram;
//  * silent empty messages send nothing.
void FrameReplies(uint16_t request_id, const std::vector<ReplyMessage>& messages,
                  std::vector<Datagram>* out);

}  // namespace slabcached::proto::udp
