// UDP frame headers and reply framing: byte layouts and datagram runs as
// memcached 1.6.18 sends them (captured with a Python UDP client).
#include "proto/udp_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace slabcached::proto::udp {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::vector<Datagram> Framed(uint16_t id, const std::vector<ReplyMessage>& messages) {
  std::vector<Datagram> out;
  FrameReplies(id, messages, &out);
  return out;
}

TEST(UdpFrameTest, EncodesBigEndianFields) {
  const auto header = EncodeFrameHeader({0x1234, 0x0102, 0xfffe, 0});
  EXPECT_EQ(std::string(header.data(), header.size()),
            Bytes({0x12, 0x34, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x00}));
}

TEST(UdpFrameTest, DecodeRoundTrip) {
  const FrameHeader sent{0xabcd, 7, 1, 0x0102};
  const auto header = EncodeFrameHeader(sent);
  const std::string datagram = std::string(header.data(), header.size()) + "get foo\r\n";
  const Frame frame = DecodeFrame(datagram);
  EXPECT_EQ(frame.status, FrameStatus::kOk);
  EXPECT_EQ(frame.header, sent);
  EXPECT_EQ(frame.payload, "get foo\r\n");
}

TEST(UdpFrameTest, SequenceAndReservedAreIgnored) {
  // memcached answers a request whatever its sequence number and reserved bytes say.
  const std::string datagram = Bytes({0, 1, 0, 5, 0, 1, 0xab, 0xcd}) + "version\r\n";
  const Frame frame = DecodeFrame(datagram);
  EXPECT_EQ(frame.status, FrameStatus::kOk);
  EXPECT_EQ(frame.header.sequence, 5);
  EXPECT_EQ(frame.payload, "version\r\n");
}

TEST(UdpFrameTest, EightBytesOrFewerAreTooShort) {
  EXPECT_EQ(DecodeFrame("").status, FrameStatus::kTooShort);
  EXPECT_EQ(DecodeFrame(Bytes({0, 1, 0, 0, 0, 1, 0})).status, FrameStatus::kTooShort);
  // A header alone carries no request: memcached ignores it too.
  EXPECT_EQ(DecodeFrame(Bytes({0, 1, 0, 0, 0, 1, 0, 0})).status, FrameStatus::kTooShort);
  EXPECT_EQ(DecodeFrame(Bytes({0, 1, 0, 0, 0, 1, 0, 0}) + "\n").status, FrameStatus::kOk);
}

TEST(UdpFrameTest, TotalOtherThanOneIsMultiDatagram) {
  for (const std::string& total : {Bytes({0, 0}), Bytes({0, 2}), Bytes({1, 1}), Bytes({1, 0})}) {
    const Frame frame = DecodeFrame(Bytes({0, 9, 0, 0}) + total + Bytes({0, 0}) + "get a\r\n");
    EXPECT_EQ(frame.status, FrameStatus::kMultiDatagram);
    EXPECT_EQ(frame.header.request_id, 9);
    EXPECT_TRUE(frame.payload.empty());
  }
}

TEST(UdpFrameTest, DatagramCount) {
  EXPECT_EQ(kMaxReplyBytes, 1392u);
  EXPECT_EQ(DatagramCount(0), 0);
  EXPECT_EQ(DatagramCount(1), 1);
  EXPECT_EQ(DatagramCount(1392), 1);
  EXPECT_EQ(DatagramCount(1393), 2);
  EXPECT_EQ(DatagramCount(3025), 3);  // "VALUE big 0 3000\r\n" + 3000 + "\r\nEND\r\n"
  EXPECT_EQ(DatagramCount(size_t{1392} * 0xffff), 0xffff);
  EXPECT_EQ(DatagramCount(size_t{1392} * 0xffff + 1), 0xffff);  // capped, as memcached
}

TEST(UdpFrameTest, ReplyIsCutInto1392ByteRuns) {
  // memcached 1.6.18, "get big" of a 3000-byte value: 1392 + 1392 + 241 bytes, seq 0..2 of 3.
  const auto datagrams = Framed(9, {{0, 3025, false}});
  ASSERT_EQ(datagrams.size(), 3u);
  for (uint16_t i = 0; i < 3; ++i) {
    EXPECT_EQ(datagrams[i].header, (FrameHeader{9, i, 3, 0}));
    EXPECT_EQ(datagrams[i].offset, i * kMaxReplyBytes);
  }
  EXPECT_EQ(datagrams[0].length, 1392u);
  EXPECT_EQ(datagrams[2].length, 241u);
}

TEST(UdpFrameTest, EachMessageCountsFromZero) {
  // "get foo b nope": one response object per key, END in the last one.
  const auto datagrams = Framed(3, {{0, 20, false}, {20, 37, false}, {37, 42, false}});
  ASSERT_EQ(datagrams.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(datagrams[i].header, (FrameHeader{3, 0, 1, 0}));
  EXPECT_EQ(datagrams[1].offset, 20u);
  EXPECT_EQ(datagrams[1].length, 17u);
}

TEST(UdpFrameTest, LeadingEmptyMessagesSendOneHeaderOnlyDatagram) {
  // "get nope foo": the miss's empty response object goes out as a bare header
  // (seq 0, total 0); "get nope nope2" too, before END.
  const auto datagrams = Framed(1, {{0, 0, false}, {0, 25, false}});
  ASSERT_EQ(datagrams.size(), 2u);
  EXPECT_EQ(datagrams[0].header, (FrameHeader{1, 0, 0, 0}));
  EXPECT_EQ(datagrams[0].length, 0u);
  EXPECT_EQ(datagrams[1].header, (FrameHeader{1, 0, 1, 0}));
  // Several leading empty objects still make one bare header ("get a b c" all misses).
  EXPECT_EQ(Framed(1, {{0, 0, false}, {0, 0, false}, {0, 5, false}}).size(), 2u);
  // "quit" alone.
  EXPECT_EQ(Framed(1, {{0, 0, false}}).size(), 1u);
}

TEST(UdpFrameTest, EmptyMessagesAfterASentOneSendNothing) {
  // "version\r\nquit\r\n" and "get a nope b": memcached retires them silently.
  const auto datagrams = Framed(1, {{0, 16, false}, {16, 16, false}});
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(datagrams[0].length, 16u);
  EXPECT_EQ(Framed(1, {{0, 20, false}, {20, 20, false}, {20, 45, false}}).size(), 2u);
}

TEST(UdpFrameTest, SilentEmptyMessagesSendNothing) {
  // "set k 0 0 1 noreply": nothing at all.
  EXPECT_TRUE(Framed(1, {{0, 0, true}}).empty());
  // "mg miss v q\r\nmn\r\n": only MN, and the silent one does not count as sent.
  const auto datagrams = Framed(1, {{0, 0, true}, {0, 0, false}, {0, 4, false}});
  ASSERT_EQ(datagrams.size(), 2u);
  EXPECT_EQ(datagrams[0].header.total, 0);
  EXPECT_EQ(datagrams[1].length, 4u);
}

TEST(UdpFrameTest, SilentNonEmptyMessageIsSent) {
  // An error answered despite noreply.
  EXPECT_EQ(Framed(1, {{0, 7, true}}).size(), 1u);
}

}  // namespace
}  // namespace slabcached::proto::udp
