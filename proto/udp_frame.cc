#include "proto/udp_frame.h"

#include <algorithm>

namespace slabcached::proto::udp {
namespace {

uint16_t Read16(std::string_view bytes, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[at]) << 8 |
                               static_cast<uint8_t>(bytes[at + 1]));
}

void Write16(uint16_t value, char* out) {
  out[0] = static_cast<char>(value >> 8);
  out[1] = static_cast<char>(value & 0xff);
}

}  // namespace

Frame DecodeFrame(std::string_view datagram) {
  Frame frame;
  if (datagram.size() <= kHeaderSize) return frame;
  frame.header = {Read16(datagram, 0), Read16(datagram, 2), Read16(datagram, 4),
                  Read16(datagram, 6)};
  if (frame.header.total != 1) {
    frame.status = FrameStatus::kMultiDatagram;
    return frame;
  }
  frame.status = FrameStatus::kOk;
  frame.payload = datagram.substr(kHeaderSize);
  return frame;
}

std::array<char, kHeaderSize> EncodeFrameHeader(const FrameHeader& header) {
  std::array<char, kHeaderSize> out;
  Write16(header.request_id, &out[0]);
  Write16(header.sequence, &out[2]);
  Write16(header.total, &out[4]);
  Write16(header.reserved, &out[6]);
  return out;
}

uint16_t DatagramCount(size_t bytes) {
  const size_t count = (bytes + kMaxReplyBytes - 1) / kMaxReplyBytes;
  return static_cast<uint16_t>(std::min(count, kMaxTotal));
}

void FrameReplies(uint16_t request_id, const std::vector<ReplyMessage>& messages,
                  std::vector<Datagram>* out) {
  bool sent = false;
  for (const ReplyMessage& message : messages) {
    const size_t bytes = message.end - message.begin;
    if (bytes == 0) {
      if (message.silent || sent) continue;
      out->push_back({{request_id, 0, 0, 0}, message.begin, 0});
      sent = true;
      continue;
    }
    const uint16_t total = DatagramCount(bytes);
    // Beyond kMaxTotal datagrams memcached keeps counting in 16 bits.
    uint16_t sequence = 0;
    for (size_t offset = 0; offset < bytes; offset += kMaxReplyBytes) {
      out->push_back({{request_id, sequence++, total, 0},
                      message.begin + offset,
                      std::min(kMaxReplyBytes, bytes - offset)});
    }
    sent = true;
  }
}

}  // namespace slabcached::proto::udp
