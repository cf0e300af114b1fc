// Items larger than the largest slab chunk (512 KB by default): a head chunk
// plus continuation chunks, as memcached chains them.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "slabs/item.h"
#include "slabs/slab_allocator.h"
#include "slabs/store.h"
#include "tests/common/pattern.h"
#include "tests/unit/slabs/store_fixture.h"

namespace slabcached::slabs {
namespace {

using ::slabcached::testing::PatternValue;

constexpr size_t kChunkMax = SlabAllocator::kPageSize / 2;
// Value bytes ("\r\n" included) the head chunk of key "k" holds: the chunk
// less the header, the CAS, the key and the first continuation's reference.
constexpr size_t kHeadPayload = kChunkMax - (sizeof(Item) + 8 + 1 + sizeof(ItemRef));
constexpr size_t kFullPayload = kChunkMax - sizeof(Item);

class ChunkedStoreTest : public StoreTest {
 protected:
  static StoreConfig ChunkedConfig() {
    StoreConfig config = TestConfig();
    config.item_size_max = 2 << 20;  // -I 2m
    config.max_bytes = 64 << 20;
    return config;
  }
  void SetUp() override { Make(ChunkedConfig()); }

  size_t Pieces(const std::string& key) {
    size_t n = 0;
    ItemHandle h = store_->Get(key).item;
    if (h) h.ForEachPiece(true, [&](std::string_view) { ++n; });
    return n;
  }
  uint64_t UsedChunks() {
    uint64_t used = 0;
    for (const SlabClassStats& c : store_->GetSlabClassStats()) used += c.used_chunks;
    return used;
  }
  uint64_t RequestedBytes() {
    uint64_t bytes = 0;
    for (const SlabClassStats& c : store_->GetSlabClassStats()) bytes += c.mem_requested;
    return bytes;
  }
};

TEST_F(ChunkedStoreTest, ValuesRoundTripAtEveryChunkBoundary) {
  // Sizes of value + "\r\n": the largest unchunked item, the smallest chunked
  // one, a tail of exactly one full chunk, a tail of one byte (the "\r\n" is
  // split between two chunks), of two bytes, several chunks, 1.5 MiB, and
  // the -I limit itself.
  const size_t unchunked_max = kChunkMax - (sizeof(Item) + 8 + 1);
  const std::vector<size_t> payloads = {
      unchunked_max,
      unchunked_max + 1,
      kHeadPayload + kFullPayload,
      kHeadPayload + kFullPayload + 1,
      kHeadPayload + kFullPayload + 2,
      kHeadPayload + 2 * kFullPayload + 3,
      (3 << 19) + 2,
      (2 << 20) - (sizeof(Item) + 8 + 1),
  };
  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string value = PatternValue(payloads[i] - 2, static_cast<uint32_t>(i));
    ASSERT_EQ(Put("k", value), StoreStatus::kStored) << payloads[i];
    ItemHandle h = store_->Get("k").item;
    ASSERT_TRUE(h);
    EXPECT_EQ(h.value_length(), value.size());
    EXPECT_EQ(h.CopyValue(), value) << payloads[i];
    EXPECT_TRUE(h.EndsWithCrlf()) << payloads[i];
    std::string with_crlf;
    h.ForEachPiece(true, [&](std::string_view piece) { with_crlf.append(piece); });
    EXPECT_EQ(with_crlf, value + "\r\n");
    EXPECT_EQ(Pieces("k") > 1, payloads[i] > unchunked_max) << payloads[i];
  }
  EXPECT_EQ(Pieces("k"), 5u);  // 2 MiB: the head and four continuations
  // One byte more than -I is refused.
  EXPECT_EQ(Put("k", std::string((2 << 20) - (sizeof(Item) + 8 + 1) - 1, 'x')),
            StoreStatus::kTooLarge);
}

TEST_F(ChunkedStoreTest, DeletingGivesBackEveryChunkAndByte) {
  ASSERT_EQ(UsedChunks(), 0u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Put("k" + std::to_string(i), PatternValue(600'000 + i * 150'000, i)),
              StoreStatus::kStored);
  }
  EXPECT_GT(UsedChunks(), 5u);
  // The head chunk counts whole; continuations their header and payload.
  EXPECT_GT(RequestedBytes(), 5 * 600'000u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(store_->Delete("k" + std::to_string(i)), DeleteStatus::kDeleted);
  }
  EXPECT_EQ(UsedChunks(), 0u);
  EXPECT_EQ(RequestedBytes(), 0u);
}

TEST_F(ChunkedStoreTest, AHeldHandleKeepsTheOldChainReadable) {
  const std::string old_value = PatternValue(900'000, 1);
  ASSERT_EQ(Put("k", old_value), StoreStatus::kStored);
  ItemHandle held = store_->Get("k").item;
  const std::string new_value = PatternValue(1'300'000, 2);
  ASSERT_EQ(Put("k", new_value), StoreStatus::kStored);
  ASSERT_EQ(Put("other", PatternValue(900'000, 3)), StoreStatus::kStored);
  EXPECT_EQ(held.CopyValue(), old_value);
  EXPECT_EQ(Value("k"), new_value);
  held.Reset();
  ASSERT_EQ(store_->Delete("k"), DeleteStatus::kDeleted);
  ASSERT_EQ(store_->Delete("other"), DeleteStatus::kDeleted);
  EXPECT_EQ(UsedChunks(), 0u);
}

TEST_F(ChunkedStoreTest, AppendPrependAndIncrOnChunkedValues) {
  const std::string big = PatternValue(700'000, 4);
  ASSERT_EQ(Put("k", big), StoreStatus::kStored);
  ASSERT_EQ(Put("k", "-tail", StoreMode::kAppend), StoreStatus::kStored);
  ASSERT_EQ(Put("k", "head-", StoreMode::kPrepend), StoreStatus::kStored);
  EXPECT_EQ(Value("k"), "head-" + big + "-tail");
  // A small value grows into a chunked one.
  ASSERT_EQ(Put("s", "small"), StoreStatus::kStored);
  ASSERT_EQ(Put("s", big, StoreMode::kAppend), StoreStatus::kStored);
  EXPECT_EQ(Value("s"), "small" + big);
  // ... and past -I it is refused, keeping the old value.
  EXPECT_EQ(Put("s", PatternValue(1'500'000, 5), StoreMode::kAppend), StoreStatus::kTooLarge);
  EXPECT_EQ(Value("s"), "small" + big);
  // memcached: chunked values are too large to be numbers.
  ASSERT_EQ(Put("n", std::string(600'000, ' ').replace(0, 1, "7")), StoreStatus::kStored);
  EXPECT_EQ(store_->Delta("n", {.incr = true, .delta = 1}).status, DeltaStatus::kNonNumeric);
}

TEST_F(ChunkedStoreTest, EvictionMakesRoomForLargeItems) {
  StoreConfig config = ChunkedConfig();
  config.max_bytes = 8 << 20;
  Make(config);
  // Each item needs a 512 KB head chunk and a tail of about 190 KB from a
  // smaller class; eight pages hold only a few of them.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Put("k" + std::to_string(i), PatternValue(700'000, i)), StoreStatus::kStored) << i;
  }
  const StoreStats stats = store_->GetStats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LE(stats.total_malloced, size_t{8} << 20);
  for (int i = 37; i < 40; ++i) EXPECT_EQ(Value("k" + std::to_string(i)), PatternValue(700'000, i));
  EXPECT_FALSE(Value("k0").has_value());
}

TEST_F(ChunkedStoreTest, WithoutEvictionsAFullStoreSaysOutOfMemoryAndLeaksNothing) {
  StoreConfig config = ChunkedConfig();
  config.max_bytes = 4 << 20;
  config.evict_to_free = false;  // -M
  Make(config);
  int stored = 0;
  StoreStatus last = StoreStatus::kStored;
  for (; stored < 20; ++stored) {
    last = Put("k" + std::to_string(stored), PatternValue(1'200'000, stored));
    if (last != StoreStatus::kStored) break;
  }
  EXPECT_EQ(last, StoreStatus::kNoMemory);
  EXPECT_GE(stored, 2);
  const uint64_t used = UsedChunks();
  // Failed allocations gave back the chunks they had taken.
  EXPECT_EQ(Put("again", PatternValue(1'200'000, 99)), StoreStatus::kNoMemory);
  EXPECT_EQ(UsedChunks(), used);
  for (int i = 0; i < stored; ++i) {
    EXPECT_EQ(Value("k" + std::to_string(i)), PatternValue(1'200'000, i));
  }
}

TEST_F(ChunkedStoreTest, PageMovesRescueHeadsAndContinuations) {
  // 12 items of 700 KB: heads fill six pages of the largest class, tails
  // (about 190 KB, five to a page) three pages of a smaller one. Deleting
  // half leaves free chunks in both, so moved pieces can be rescued.
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(Put("k" + std::to_string(i), PatternValue(700'000, i)), StoreStatus::kStored);
  }
  for (int i = 0; i < 12; i += 2) {
    ASSERT_EQ(store_->Delete("k" + std::to_string(i)), DeleteStatus::kDeleted);
  }
  const std::vector<SlabClassStats> before = store_->GetSlabClassStats();
  ASSERT_EQ(before.size(), 2u);
  const int tail_class = static_cast<int>(before[0].id);
  const int head_class = static_cast<int>(before[1].id);
  EXPECT_EQ(before[1].chunk_size, kChunkMax);
  ASSERT_GE(before[0].total_pages, 2u);
  for (const int cls : {head_class, tail_class, head_class}) {
    ASSERT_EQ(store_->Reassign(cls, 0), Store::ReassignStatus::kOk) << cls;
    store_->RunMaintenance();
  }
  const StoreStats stats = store_->GetStats();
  EXPECT_EQ(stats.slabs_moved, 3u);
  EXPECT_GT(stats.slab_reassign_rescues, 0u);
  // The tail class's page held continuation chunks: moved one by one.
  EXPECT_GT(stats.slab_reassign_chunk_rescues, 0u);
  EXPECT_EQ(stats.slab_reassign_evictions_nomem, 0u);
  EXPECT_EQ(stats.curr_items, 6u);
  for (int i = 1; i < 12; i += 2) {
    EXPECT_EQ(Value("k" + std::to_string(i)), PatternValue(700'000, i)) << i;
  }
  // Every piece is accounted for: deleting the rest frees every chunk.
  for (int i = 1; i < 12; i += 2) store_->Delete("k" + std::to_string(i));
  EXPECT_EQ(UsedChunks(), 0u);
}

TEST_F(ChunkedStoreTest, APageMoveWaitsForReadersOfAChunkedItem) {
  StoreConfig config = ChunkedConfig();
  config.max_bytes = 16 << 20;
  Make(config);
  // Four items: two full pages of heads, no free chunk anywhere in them.
  std::vector<ItemHandle> readers;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Put("k" + std::to_string(i), PatternValue(600'000, i)), StoreStatus::kStored);
    readers.push_back(store_->Get("k" + std::to_string(i)).item);
  }
  const int head_class = static_cast<int>(store_->GetSlabClassStats().back().id);
  ASSERT_EQ(store_->Reassign(head_class, 0), Store::ReassignStatus::kOk);
  store_->RunMaintenance();
  StoreStats stats = store_->GetStats();
  EXPECT_EQ(stats.slabs_moved, 0u);
  EXPECT_GT(stats.slab_reassign_busy_items, 0u);
  EXPECT_EQ(stats.slab_reassign_last_busy_status, "busy");  // held by a reader
  for (int i = 0; i < 4; ++i) EXPECT_EQ(readers[i].CopyValue(), PatternValue(600'000, i));
  readers.clear();
  store_->RunMaintenance();
  stats = store_->GetStats();
  EXPECT_EQ(stats.slabs_moved, 1u);
  // With no free chunk to rescue into, the moved page's items were evicted;
  // the others are intact.
  EXPECT_EQ(stats.slab_reassign_evictions_nomem, 2u);
  int found = 0;
  for (int i = 0; i < 4; ++i) {
    if (auto v = Value("k" + std::to_string(i))) {
      EXPECT_EQ(*v, PatternValue(600'000, i));
      ++found;
    }
  }
  EXPECT_EQ(found, 2);
}

}  // namespace
}  // namespace slabcached::slabs
