// libFuzzer target for UDP framing (proto/udp_frame.h). Build and run:
// scripts/fuzz.
//
// The input is a received datagram: DecodeFrame() must follow the header
// rules and the header must re-encode to the same 8 bytes. The same bytes,
// read as a list of reply messages (3 bytes each: a 16-bit length, then a
// byte whose bit 0 means silent, bit 7 multiplies the length by 64 and bit
// 6 by 1500 so long runs and the 16-bit count cap are reached), go through FrameReplies(), whose
// datagrams must cover each message exactly, in order, with memcached's
// numbering and its rules for empty messages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "proto/udp_frame.h"

namespace {

namespace udp = slabcached::proto::udp;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckDecode(std::string_view datagram) {
  const udp::Frame frame = udp::DecodeFrame(datagram);
  if (datagram.size() <= udp::kHeaderSize) {
    Check(frame.status == udp::FrameStatus::kTooShort && frame.payload.empty());
    return;
  }
  const auto header = udp::EncodeFrameHeader(frame.header);
  Check(datagram.substr(0, udp::kHeaderSize) == std::string_view(header.data(), header.size()));
  if (frame.header.total != 1) {
    Check(frame.status == udp::FrameStatus::kMultiDatagram && frame.payload.empty());
    return;
  }
  Check(frame.status == udp::FrameStatus::kOk);
  Check(frame.payload.data() == datagram.data() + udp::kHeaderSize);
  Check(frame.payload.size() == datagram.size() - udp::kHeaderSize);
}

void CheckFraming(std::string_view bytes) {
  const uint16_t request_id = bytes.size() >= 2
                                  ? static_cast<uint16_t>(static_cast<uint8_t>(bytes[0]) << 8 |
                                                          static_cast<uint8_t>(bytes[1]))
                                  : 0;
  std::vector<udp::ReplyMessage> messages;
  size_t offset = 0;
  for (size_t i = 0; i + 3 <= bytes.size(); i += 3) {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(bytes[i + k]); };
    size_t length = size_t{b(0)} << 8 | b(1);
    if ((b(2) & 0x80) != 0) length *= 64;
    if ((b(2) & 0x40) != 0) length *= 1500;  // past kMaxTotal datagrams: the count is capped
    if (offset + length > (size_t{128} << 20)) break;  // bounds the datagram list
    messages.push_back({offset, offset + length, (b(2) & 1) != 0});
    offset += length;
  }
  std::vector<udp::Datagram> out;
  udp::FrameReplies(request_id, messages, &out);

  size_t next = 0;  // the datagram expected next
  bool sent = false;
  for (const udp::ReplyMessage& m : messages) {
    const size_t bytes_left = m.end - m.begin;
    if (bytes_left == 0) {
      if (m.silent || sent) continue;
      Check(next < out.size());
      const udp::Datagram& d = out[next++];
      Check(d.header == udp::FrameHeader{request_id, 0, 0, 0} && d.length == 0);
      sent = true;
      continue;
    }
    const uint16_t total = udp::DatagramCount(bytes_left);
    Check(total > 0);
    size_t covered = 0;
    for (uint32_t sequence = 0; covered < bytes_left; ++sequence) {
      Check(next < out.size());
      const udp::Datagram& d = out[next++];
      Check(d.header.request_id == request_id && d.header.total == total &&
            d.header.reserved == 0 && d.header.sequence == static_cast<uint16_t>(sequence));
      Check(d.offset == m.begin + covered && d.length > 0 && d.length <= udp::kMaxReplyBytes);
      // Every datagram but the last of a run is full.
      covered += d.length;
      Check(covered == bytes_left || d.length == udp::kMaxReplyBytes);
    }
    Check(covered == bytes_left);
    sent = true;
  }
  Check(next == out.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckDecode(input);
  CheckFraming(input);
  return 0;
}
