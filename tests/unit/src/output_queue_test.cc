// OutputQueue: what a connection sends is what was queued, in order, however
// the transport splits the writes; large values are sent from item memory
// and released once written, small ones copied and released at once; the
// footprint the connection caps counts them.
#include "src/output_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "slabs/clock.h"
#include "slabs/store.h"
#include "src/transport.h"

namespace slabcached {
namespace {

constexpr time_t kUnixNow = 1'700'000'000;

// Takes at most `budget` bytes per Write() (all when 0) and then, once
// `writes_left` reaches zero, says the socket is full.
class ScriptedTransport final : public Transport {
 public:
  IoResult Read(char*, size_t) override { return {IoStatus::kWantRead, 0}; }
  IoResult Write(const iovec* iov, int count) override {
    if (fail) return {IoStatus::kError, 0};
    if (writes_left == 0) return {IoStatus::kWantWrite, 0};
    if (writes_left > 0) --writes_left;
    ++writes;
    size_t taken = 0;
    for (int i = 0; i < count; ++i) {
      size_t n = iov[i].iov_len;
      if (budget > 0) n = std::min(n, budget - taken);
      written.append(static_cast<const char*>(iov[i].iov_base), n);
      taken += n;
      if (budget > 0 && taken == budget) break;
    }
    return {IoStatus::kOk, taken};
  }

  std::string written;
  size_t budget = 0;
  int writes_left = -1;  // -1: unlimited
  int writes = 0;
  bool fail = false;
};

class OutputQueueTest : public ::testing::Test {
 protected:
  static slabs::StoreConfig StoreConfigForTest() {
    slabs::StoreConfig config;
    config.background_threads = false;
    return config;
  }

  // Stores `value` under `key` and returns a handle on the item.
  slabs::ItemHandle Item(const std::string& key, const std::string& value) {
    slabs::AllocResult r = store_->Allocate(key, 0, 0, static_cast<uint32_t>(value.size()));
    EXPECT_EQ(r.status, slabs::AllocStatus::kOk);
    r.item.WriteValue(0, value);
    r.item.WriteValue(value.size(), "\r\n");
    EXPECT_EQ(store_->Link(std::move(r.item), {.mode = slabs::StoreMode::kSet}).status,
              slabs::StoreStatus::kStored);
    return store_->Get(key).item;
  }

  // Chunks holding an item, linked or only pinned by a handle.
  uint64_t UsedChunks() const {
    uint64_t used = 0;
    for (const slabs::SlabClassStats& c : store_->GetSlabClassStats()) used += c.used_chunks;
    return used;
  }

  slabs::Clock clock_{kUnixNow};
  std::unique_ptr<slabs::Store> store_ =
      std::make_unique<slabs::Store>(StoreConfigForTest(), &clock_);
};

// Values of both kinds: small ones are copied into the text, large ones
// sent from item memory (kMaxCopiedValue); each test runs with both.
std::vector<std::string> BothKinds(const std::string& small) {
  std::string large = small;
  while (large.size() <= OutputQueue::kMaxCopiedValue) large += small;
  return {small, large};
}

TEST_F(OutputQueueTest, SendsTextAndValuesInTheOrderQueued) {
  for (const std::string& value : BothKinds("abc")) {
    OutputQueue out;
    EXPECT_TRUE(out.empty());
    out.Append("VALUE a 0 3\r\n");
    out.AppendValue(Item("a", value));
    out.text()->append("VALUE b 0 2\r\n");
    out.AppendValue(Item("b", "xy"));
    out.Append("END\r\n");
    EXPECT_FALSE(out.empty());
    const std::string expected = "VALUE a 0 3\r\n" + value + "\r\nVALUE b 0 2\r\nxy\r\nEND\r\n";
    EXPECT_EQ(out.pending_bytes(), expected.size());
    ScriptedTransport transport;
    size_t written = 0;
    EXPECT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
    EXPECT_EQ(transport.written, expected);
    EXPECT_EQ(written, expected.size());
    EXPECT_EQ(transport.writes, 1) << "one gathered write for the whole reply";
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(out.queued_bytes(), 0u);
  }
}

TEST_F(OutputQueueTest, BinaryValuesGoWithoutTheirCrlf) {
  for (const std::string& value : BothKinds("value")) {
    OutputQueue out;
    out.Append("hdr");
    out.AppendValue(Item("k", value), /*with_crlf=*/false);
    out.AppendValue(Item("empty", ""), /*with_crlf=*/false);
    ScriptedTransport transport;
    size_t written = 0;
    ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
    EXPECT_EQ(transport.written, "hdr" + value);
  }
}

TEST_F(OutputQueueTest, PartialWritesResumeAtTheExactByte) {
  for (const std::string& value : BothKinds("0123456789")) {
    OutputQueue out;
    out.Append("VALUE k 0 10\r\n");
    out.AppendValue(Item("k", value));
    out.Append("END\r\n");
    const std::string expected = "VALUE k 0 10\r\n" + value + "\r\nEND\r\n";
    ScriptedTransport transport;
    transport.budget = 5;
    transport.writes_left = 2;
    size_t written = 0;
    EXPECT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kWantWrite);
    EXPECT_EQ(written, 10u);
    EXPECT_EQ(out.pending_bytes(), expected.size() - 10);
    EXPECT_FALSE(out.empty());
    transport.writes_left = -1;
    transport.budget = 7;  // splits the value and its "\r\n"
    EXPECT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
    EXPECT_EQ(written, expected.size() - 10);
    EXPECT_EQ(transport.written, expected);
    EXPECT_TRUE(out.empty());
  }
}

TEST_F(OutputQueueTest, TextQueuedDuringAPartialFlushFollowsIt) {
  OutputQueue out;
  out.Append("first\r\n");
  ScriptedTransport transport;
  transport.budget = 3;
  transport.writes_left = 1;
  size_t written = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kWantWrite);
  out.Append("second\r\n");
  transport.writes_left = -1;
  transport.budget = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(transport.written, "first\r\nsecond\r\n");
}

TEST_F(OutputQueueTest, AnErrorIsReported) {
  OutputQueue out;
  out.Append("x");
  ScriptedTransport transport;
  transport.fail = true;
  size_t written = 0;
  EXPECT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kError);
  EXPECT_EQ(written, 0u);
}

// A value too large to copy is pinned (its chunk not reused) only until it
// is on the wire: a deleted item's chunk goes back to the allocator once the
// write that sent it is done, not when the whole queue drains.
TEST_F(OutputQueueTest, ValuesAreReleasedOnceWritten) {
  const std::string value(OutputQueue::kMaxCopiedValue + 1, 'a');
  OutputQueue out;
  out.AppendValue(Item("a", value));
  out.Append("tail\r\n");
  EXPECT_EQ(store_->Delete("a"), slabs::DeleteStatus::kDeleted);
  EXPECT_EQ(UsedChunks(), 1u) << "unlinked, the item still lives in the queue";
  ScriptedTransport transport;
  transport.budget = value.size() + 2;  // exactly the value and its "\r\n"
  transport.writes_left = 1;
  size_t written = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kWantWrite);
  EXPECT_EQ(transport.written, value + "\r\n");
  EXPECT_EQ(UsedChunks(), 0u);
  transport.writes_left = -1;
  transport.budget = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(transport.written, value + "\r\ntail\r\n");
}

// A small value is copied: its item is free for reuse before anything is
// written, and the bytes sent are still the value's.
TEST_F(OutputQueueTest, SmallValuesAreCopiedAndReleasedAtOnce) {
  const std::string value(OutputQueue::kMaxCopiedValue, 'b');
  const std::string header = "VALUE b 0 " + std::to_string(value.size()) + "\r\n";
  OutputQueue out;
  out.Append(header);
  out.AppendValue(Item("b", value));
  out.AppendValue(Item("c", "cc"), /*with_crlf=*/false);
  EXPECT_EQ(out.queued_bytes(), header.size() + value.size() + 2 + 2);
  EXPECT_EQ(store_->Delete("b"), slabs::DeleteStatus::kDeleted);
  EXPECT_EQ(store_->Delete("c"), slabs::DeleteStatus::kDeleted);
  EXPECT_EQ(UsedChunks(), 0u) << "copied: nothing pinned";
  ScriptedTransport transport;
  size_t written = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(transport.written, header + value + "\r\ncc");
  EXPECT_EQ(transport.writes, 1);
}

// Text alone goes out without a segment list; a large value queued after a
// partial write of it still follows the unsent rest of the text.
TEST_F(OutputQueueTest, ValueQueuedAfterAPartialTextWriteFollowsTheText) {
  const std::string value(OutputQueue::kMaxCopiedValue + 1, 'z');
  const std::string header = "VALUE z 0 " + std::to_string(value.size()) + "\r\n";
  OutputQueue out;
  out.Append(header);
  ScriptedTransport transport;
  transport.budget = 3;
  transport.writes_left = 1;
  size_t written = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kWantWrite);
  EXPECT_EQ(written, 3u);
  EXPECT_EQ(out.pending_bytes(), header.size() - 3);
  out.AppendValue(Item("z", value));
  out.Append("END\r\n");
  EXPECT_EQ(out.pending_bytes(), header.size() - 3 + value.size() + 2 + 5);
  transport.writes_left = -1;
  transport.budget = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(transport.written, header + value + "\r\nEND\r\n");
  EXPECT_TRUE(out.empty());
}

// A datagram reply copies nothing: one UDP request can name thousands of
// keys, and its values stay in item memory until sent.
TEST_F(OutputQueueTest, FramedQueuesKeepSmallValuesByReference) {
  OutputQueue reply;
  reply.set_framed(true);
  reply.AppendValue(Item("s", "small"));
  EXPECT_EQ(store_->Delete("s"), slabs::DeleteStatus::kDeleted);
  EXPECT_EQ(UsedChunks(), 1u) << "pinned by the reply, not copied";
}

TEST_F(OutputQueueTest, MovedValuesStayPinnedUntilWritten) {
  const std::string value(OutputQueue::kMaxCopiedValue + 1, 'a');
  OutputQueue reply;
  reply.AppendValue(Item("a", value));
  EXPECT_EQ(store_->Delete("a"), slabs::DeleteStatus::kDeleted);
  OutputQueue dest;
  std::vector<size_t> boundaries;
  reply.MoveTo(&dest, &boundaries);
  EXPECT_EQ(UsedChunks(), 1u);
  ScriptedTransport transport;
  size_t written = 0;
  ASSERT_EQ(dest.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(transport.written, value + "\r\n");
  EXPECT_EQ(UsedChunks(), 0u);
}

TEST_F(OutputQueueTest, FootprintCountsTextValuesAndBookkeeping) {
  const std::string value(OutputQueue::kMaxCopiedValue + 1, 'v');
  OutputQueue out;
  EXPECT_EQ(out.footprint(), 0u);
  out.Append("12345");
  EXPECT_EQ(out.queued_bytes(), 5u);
  const size_t text_only = out.footprint();
  EXPECT_GE(text_only, 5u);
  out.AppendValue(Item("k", value));
  EXPECT_EQ(out.queued_bytes(), 5u + value.size() + 2) << "the value and its \\r\\n";
  EXPECT_GT(out.footprint(), text_only + value.size() + 2)
      << "plus the segments and the item handle";
  out.AppendValue(Item("small", "vv"));
  EXPECT_EQ(out.queued_bytes(), 5u + value.size() + 2 + 4) << "a copied value counts too";
  ScriptedTransport transport;
  size_t written = 0;
  ASSERT_EQ(out.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(out.footprint(), 0u);
}

// UDP: each key of a multi-get is its own response object; the boundaries
// are offsets into what is moved to the datagram queue.
TEST_F(OutputQueueTest, FramedQueuesRecordBoundariesAndMoveThem) {
  OutputQueue reply;
  reply.set_framed(true);
  reply.Append("VALUE a 0 1\r\n");
  reply.AppendValue(Item("a", "1"));
  reply.MarkBoundary();
  reply.Append("VALUE b 0 1\r\n");
  reply.AppendValue(Item("b", "2"));
  reply.Append("END\r\n");

  OutputQueue datagram;
  datagram.Append("xx");
  std::vector<size_t> boundaries;
  reply.MoveTo(&datagram, &boundaries);
  EXPECT_TRUE(reply.empty());
  EXPECT_EQ(boundaries, std::vector<size_t>{16});
  std::string middle;
  datagram.ForEachPieceIn(2 + 16, 100, [&](std::string_view piece) { middle.append(piece); });
  EXPECT_EQ(middle, "VALUE b 0 1\r\n2\r\nEND\r\n");
  std::string all;
  datagram.ForEachPieceIn(0, 5, [&](std::string_view piece) { all.append(piece); });
  EXPECT_EQ(all, "xxVAL") << "a window that starts before the cursor rewinds it";
}

TEST_F(OutputQueueTest, UnframedQueuesIgnoreBoundaries) {
  OutputQueue out;
  out.Append("a");
  out.MarkBoundary();
  out.Append("b");
  OutputQueue dest;
  std::vector<size_t> boundaries;
  out.MoveTo(&dest, &boundaries);
  EXPECT_TRUE(boundaries.empty());
  ScriptedTransport transport;
  size_t written = 0;
  ASSERT_EQ(dest.Flush(transport, &written), OutputQueue::FlushStatus::kDone);
  EXPECT_EQ(transport.written, "ab");
}

}  // namespace
}  // namespace slabcached
