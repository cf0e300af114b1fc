#include "slabs/slab_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace slabcached::slabs {
namespace {

// memcached's class layout, as -f 1.25 or -n 48 on the command line asks for.
SlabAllocator::Config SmallConfig(size_t max_bytes = 64 << 20) {
  return {.max_bytes = max_bytes,
          .item_size_max = 1 << 20,
          .growth_classes = true,
          .chunk_size_min = 48,
          .growth_factor = 1.25};
}

TEST(SlabAllocatorTest, ClassTableGrowsByFactor) {
  SlabAllocator slabs(SmallConfig());
  ASSERT_GT(slabs.num_classes(), 10);
  EXPECT_EQ(slabs.info(1).chunk_size, sizeof(Item) + 48);  // 76: memcached's is 96
  for (int id = 2; id < slabs.num_classes(); ++id) {
    const uint32_t prev = slabs.info(id - 1).chunk_size;
    const uint32_t cur = slabs.info(id).chunk_size;
    EXPECT_EQ(cur % alignof(Item), 0u) << id;  // 4-byte steps
    EXPECT_GE(cur, static_cast<uint32_t>(prev * 1.25)) << id;
    EXPECT_LT(cur, static_cast<uint32_t>(prev * 1.25) + alignof(Item)) << id;
    EXPECT_EQ(slabs.info(id).perslab, SlabAllocator::kPageSize / cur) << id;
  }
  // memcached's default slab_chunk_max: half a page, two chunks per page.
  EXPECT_EQ(slabs.info(slabs.num_classes()).chunk_size, 512u << 10);
  EXPECT_EQ(slabs.info(slabs.num_classes()).perslab, 2u);
  EXPECT_EQ(slabs.chunk_max(), 512u << 10);
}

// Without -f, -n or -o slab_sizes: classes 8 bytes apart at first, then at
// most ~5% apart up to 16 KiB (memcached's -f 1.25 wastes five times as much),
// then memcached's 1.25 steps; twice memcached's 63 classes.
TEST(SlabAllocatorTest, DefaultClassesAreFinerThanMemcachedsUpTo16K) {
  // -m 1024: the default layout's 127 classes (size_classes_test.cc: 63 below -m 512).
  SlabAllocator::Config config{.max_bytes = size_t{1} << 30, .item_size_max = 1 << 20};
  SlabAllocator slabs(config);
  ASSERT_EQ(slabs.num_classes(), SlabAllocator::kMaxClasses);
  EXPECT_EQ(slabs.info(1).chunk_size, 32u);
  EXPECT_EQ(slabs.info(2).chunk_size, 40u);
  int fine = 0;
  for (int id = 2; id <= slabs.num_classes(); ++id) {
    const uint32_t prev = slabs.info(id - 1).chunk_size;
    const uint32_t cur = slabs.info(id).chunk_size;
    EXPECT_EQ(cur % alignof(Item), 0u) << id;
    EXPECT_GE(cur, prev + 8) << id;
    EXPECT_EQ(slabs.info(id).perslab, SlabAllocator::kPageSize / cur) << id;
    if (cur <= 16384) {
      ++fine;
      EXPECT_LE(cur, std::max(prev + 8, static_cast<uint32_t>(prev * 1.055)) + 4) << id;
    } else if (id < slabs.num_classes()) {
      EXPECT_LE(cur, static_cast<uint32_t>(prev * 1.25) + 4) << id;
    }
  }
  EXPECT_GE(fine, 110);
  EXPECT_EQ(slabs.chunk_max(), 512u << 10);

  config.chunk_max = 16 << 10;  // -o slab_chunk_max=16: every class is fine
  SlabAllocator small_chunks(config);
  EXPECT_LE(small_chunks.num_classes(), SlabAllocator::kMaxClasses);
  EXPECT_EQ(small_chunks.chunk_max(), 16u << 10);
  EXPECT_EQ(small_chunks.info(1).chunk_size, 32u);
}

// -o slab_sizes: memcached's list, then chunk_max. Sizes are aligned to 4
// bytes (our header's alignment), where memcached aligns to 8.
TEST(SlabAllocatorTest, SlabSizesListTheClasses) {
  SlabAllocator::Config config{
      .max_bytes = 64 << 20, .item_size_max = 1 << 20, .chunk_sizes = {100, 201, 1000}};
  SlabAllocator slabs(config);
  ASSERT_EQ(slabs.num_classes(), 4);
  EXPECT_EQ(slabs.info(1).chunk_size, 100u);
  EXPECT_EQ(slabs.info(2).chunk_size, 204u);
  EXPECT_EQ(slabs.info(3).chunk_size, 1000u);
  EXPECT_EQ(slabs.info(4).chunk_size, 512u << 10);
  EXPECT_EQ(slabs.ClassFor(101), 2);
}

TEST(SlabAllocatorTest, LargeItemSizeMaxKeepsTheLargestChunkWithinAPage) {
  for (const size_t item_size_max : {size_t{4} << 20, size_t{1} << 30}) {
    auto config = SmallConfig();
    config.item_size_max = item_size_max;
    SlabAllocator slabs(config);
    EXPECT_EQ(slabs.chunk_max(), 512u << 10) << item_size_max;
    for (int id = 1; id <= slabs.num_classes(); ++id) EXPECT_GE(slabs.info(id).perslab, 2u);
  }
}

TEST(SlabAllocatorTest, ChunkMaxFollowsSlabChunkMaxAndSmallItemSizeMax) {
  auto config = SmallConfig();
  config.chunk_max = 16 << 10;  // -o slab_chunk_max=16
  SlabAllocator small_chunks(config);
  EXPECT_EQ(small_chunks.chunk_max(), 16u << 10);
  EXPECT_EQ(small_chunks.info(small_chunks.num_classes()).perslab, 64u);

  config.chunk_max = 0;
  config.item_size_max = 100 << 10;  // -I 100k: no item is ever chunked
  SlabAllocator small_items(config);
  EXPECT_EQ(small_items.chunk_max(), 100u << 10);
}

TEST(SlabAllocatorTest, ClassForPicksSmallestFit) {
  SlabAllocator slabs(SmallConfig());
  EXPECT_EQ(slabs.ClassFor(1), 1);
  EXPECT_EQ(slabs.ClassFor(slabs.info(1).chunk_size), 1);
  EXPECT_EQ(slabs.ClassFor(slabs.info(1).chunk_size + 1), 2);
  EXPECT_EQ(slabs.ClassFor(512 << 10), slabs.num_classes());
  EXPECT_EQ(slabs.ClassFor((512 << 10) + 1), 0);  // chunked
}

TEST(SlabAllocatorTest, FreedChunkIsReused) {
  SlabAllocator slabs(SmallConfig());
  Item* a = slabs.Alloc(3, 100);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(slabs.ClassOf(a), 3);
  EXPECT_EQ(slabs.ToItem(slabs.ToRef(a)), a);
  EXPECT_EQ(slabs.GetClassStats(3).used_chunks, 1u);
  slabs.Release(a);  // refcount 1 -> 0
  EXPECT_EQ(slabs.GetClassStats(3).used_chunks, 0u);
  Item* b = slabs.Alloc(3, 100);
  EXPECT_EQ(a, b);
  slabs.Release(b);
}

TEST(SlabAllocatorTest, LimitStopsNewPagesButAllowsFirstPagePerClass) {
  SlabAllocator slabs(SmallConfig(SlabAllocator::kPageSize));
  const uint32_t perslab = slabs.info(1).perslab;
  std::vector<Item*> items;
  for (uint32_t i = 0; i < perslab; ++i) items.push_back(slabs.Alloc(1, 80));
  EXPECT_EQ(slabs.Alloc(1, 80), nullptr);  // the limit is spent
  Item* other = slabs.Alloc(2, 90);        // but a new class gets its first page
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(slabs.mem_malloced(), 2 * SlabAllocator::kPageSize);
  EXPECT_TRUE(slabs.SetMemoryLimit(4 * SlabAllocator::kPageSize));
  Item* more = slabs.Alloc(1, 80);
  EXPECT_NE(more, nullptr);
  slabs.Release(more);
  slabs.Release(other);
  for (Item* it : items) slabs.Release(it);
}

TEST(SlabAllocatorTest, PageMoveWaitsForChunksThenChangesClass) {
  SlabAllocator slabs(SmallConfig());
  const uint32_t perslab = slabs.info(5).perslab;
  std::vector<Item*> items;
  // Two pages: the second keeps two items, so the first (one item) is moved.
  for (uint32_t i = 0; i < perslab + 2; ++i) items.push_back(slabs.Alloc(5, 100));
  Item* last = items.back();
  items.pop_back();
  Item* last2 = items.back();
  items.pop_back();
  // Free all of page one but one chunk.
  Item* held = items.front();
  for (size_t i = 1; i < items.size(); ++i) slabs.Release(items[i]);
  ASSERT_TRUE(slabs.BeginPageMove(5));
  EXPECT_FALSE(slabs.BeginPageMove(5));  // one at a time
  EXPECT_TRUE(slabs.InMovingPage(held));
  EXPECT_FALSE(slabs.PageMoveDrained());
  slabs.Release(held);
  EXPECT_TRUE(slabs.PageMoveDrained());
  slabs.FinishPageMove(9);
  EXPECT_EQ(slabs.GetClassStats(5).total_pages, 1u);
  EXPECT_EQ(slabs.GetClassStats(9).total_pages, 1u);
  EXPECT_EQ(slabs.GetClassStats(9).free_chunks, slabs.info(9).perslab);
  Item* moved = slabs.Alloc(9, 200);
  EXPECT_EQ(slabs.ClassOf(moved), 9);
  slabs.Release(moved);
  slabs.Release(last);
  slabs.Release(last2);
}

TEST(SlabAllocatorTest, PageMoveNeedsTwoPages) {
  SlabAllocator slabs(SmallConfig());
  Item* it = slabs.Alloc(5, 100);
  EXPECT_FALSE(slabs.BeginPageMove(5));
  slabs.Release(it);
}

}  // namespace
}  // namespace slabcached::slabs
