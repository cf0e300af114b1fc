// Which chunk sizes SlabAllocator::ChunkSizes() lays out: slabcached's default
// (127 classes about 5% apart up to 16 KB under -m 1024 and above, 63 under
// -m 511 and below) and memcached's layouts (-f / -n, -o slab_sizes), which
// must stay exactly memcached's.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "slabs/restart.h"
#include "slabs/slab_allocator.h"

namespace slabcached::slabs {
namespace {

constexpr size_t kAlign = alignof(Item);
constexpr size_t kHalfPage = SlabAllocator::kPageSize / 2;

// -m 1024: the default layout's 127 classes.
SlabAllocator::Config DefaultConfig() {
  SlabAllocator::Config config;
  config.max_bytes = size_t{1} << 30;
  config.item_size_max = 1 << 20;
  return config;
}

// The smallest chunk that holds `ntotal` bytes; 0 when none does.
uint32_t FitFor(const std::vector<uint32_t>& sizes, size_t ntotal) {
  for (const uint32_t size : sizes) {
    if (size >= ntotal) return size;
  }
  return 0;
}

TEST(SizeClassesTest, DefaultClassesCoverEverySizeUpToTheLargestChunk) {
  for (const size_t chunk_max : {kHalfPage, size_t{100} << 10, size_t{16} << 10, size_t{4} << 10}) {
    const std::vector<uint32_t> sizes =
        SlabAllocator::ChunkSizes(DefaultConfig(), chunk_max, kAlign);
    ASSERT_FALSE(sizes.empty());
    EXPECT_LE(sizes.size(), size_t{SlabAllocator::kMaxClasses}) << chunk_max;
    EXPECT_EQ(sizes.back(), chunk_max) << chunk_max;
    for (size_t i = 1; i < sizes.size(); ++i) {
      EXPECT_GT(sizes[i], sizes[i - 1]) << chunk_max << " class " << i + 1;
      EXPECT_EQ(sizes[i] % kAlign, 0u) << chunk_max << " class " << i + 1;
    }
    // Every item size up to the largest chunk has a class; none wastes more
    // than 8 bytes or 5.5% up to 16 KB, nor more than memcached's 25% above
    // (but for its last class, chunk_max, which can be up to 1.25^2 above the
    // one before, as in memcached).
    for (size_t ntotal = 1; ntotal <= chunk_max; ++ntotal) {
      const uint32_t chunk = FitFor(sizes, ntotal);
      ASSERT_NE(chunk, 0u) << chunk_max << " " << ntotal;
      if (ntotal < sizes.front()) continue;
      if (ntotal <= (16 << 10)) {
        ASSERT_LE(chunk, std::max<double>(ntotal + 8, ntotal * 1.055) + kAlign) << ntotal;
      } else if (chunk != sizes.back()) {
        ASSERT_LE(chunk, ntotal * 1.25 + kAlign) << ntotal;
      }
    }
  }
}

// Each class's first page may pass the limit: a small limit keeps
// memcached's class count, a larger one gets one class per 8 of its pages.
TEST(SizeClassesTest, DefaultClassCountFollowsTheMemoryLimit) {
  EXPECT_EQ(SlabAllocator::DefaultClassBudget(0), 63u);
  EXPECT_EQ(SlabAllocator::DefaultClassBudget(size_t{64} << 20), 63u);
  EXPECT_EQ(SlabAllocator::DefaultClassBudget(size_t{511} << 20), 63u);
  EXPECT_EQ(SlabAllocator::DefaultClassBudget(size_t{800} << 20), 100u);
  EXPECT_EQ(SlabAllocator::DefaultClassBudget(size_t{1016} << 20), 127u);
  EXPECT_EQ(SlabAllocator::DefaultClassBudget(size_t{64} << 30), 127u);
  for (const size_t mb : {64, 800, 4096}) {
    SlabAllocator::Config config = DefaultConfig();
    config.max_bytes = mb << 20;
    const std::vector<uint32_t> sizes = SlabAllocator::ChunkSizes(config, kHalfPage, kAlign);
    EXPECT_EQ(sizes.size(), SlabAllocator::DefaultClassBudget(config.max_bytes)) << mb;
    EXPECT_EQ(sizes.back(), kHalfPage) << mb;
    // More classes make the steps finer, not the smallest class smaller.
    EXPECT_EQ(sizes[0], 32u) << mb;
  }
}

TEST(SizeClassesTest, DefaultLayoutUsesTwiceMemcachedsClassCount) {
  const std::vector<uint32_t> sizes = SlabAllocator::ChunkSizes(DefaultConfig(), kHalfPage, kAlign);
  EXPECT_EQ(sizes.size(), size_t{SlabAllocator::kMaxClasses});
  EXPECT_GT(sizes.size(), size_t{SlabAllocator::kMemcachedMaxClasses});
  EXPECT_EQ(sizes[0], 32u);
  EXPECT_EQ(sizes[1], 40u);
  // The allocator takes the layout as it is.
  SlabAllocator slabs(DefaultConfig());
  ASSERT_EQ(slabs.num_classes(), SlabAllocator::kMaxClasses);
  for (int id = 1; id <= slabs.num_classes(); ++id) {
    EXPECT_EQ(slabs.info(id).chunk_size, sizes[id - 1]) << id;
    EXPECT_EQ(slabs.ClassFor(sizes[id - 1]), id) << id;
  }
  EXPECT_EQ(slabs.ClassFor(kHalfPage + 1), 0);  // chunked
}

// -f and -n: memcached's slabs_init() layout, never more than its 63 classes.
TEST(SizeClassesTest, ExplicitFactorKeepsMemcachedsLayout) {
  SlabAllocator::Config config = DefaultConfig();
  config.growth_classes = true;
  config.chunk_size_min = 48;
  config.growth_factor = 1.25;
  const std::vector<uint32_t> sizes = SlabAllocator::ChunkSizes(config, kHalfPage, kAlign);
  const std::vector<uint32_t> first = {76, 96, 120, 152, 192, 240, 300, 376, 472, 592};
  ASSERT_GT(sizes.size(), first.size());
  EXPECT_EQ(std::vector<uint32_t>(sizes.begin(), sizes.begin() + first.size()), first);
  EXPECT_EQ(sizes.size(), 40u);
  EXPECT_EQ(sizes.back(), kHalfPage);

  config.growth_factor = 1.01;  // would make hundreds: memcached stops at 63
  EXPECT_EQ(SlabAllocator::ChunkSizes(config, kHalfPage, kAlign).size(),
            size_t{SlabAllocator::kMemcachedMaxClasses});
}

TEST(SizeClassesTest, ChunkSizeMinIsHonoured) {
  SlabAllocator::Config config = DefaultConfig();
  config.growth_classes = true;
  config.growth_factor = 1.25;
  for (const uint32_t min : {16u, 48u, 100u, 1000u}) {
    config.chunk_size_min = min;
    const std::vector<uint32_t> sizes = SlabAllocator::ChunkSizes(config, kHalfPage, kAlign);
    EXPECT_EQ(sizes.front(), (sizeof(Item) + min + kAlign - 1) / kAlign * kAlign) << min;
  }
}

TEST(SizeClassesTest, SlabSizesStopAtMemcachedsClassCount) {
  SlabAllocator::Config config = DefaultConfig();
  for (uint32_t size = 100; config.chunk_sizes.size() < 100; size += 100) {
    config.chunk_sizes.push_back(size);
  }
  const std::vector<uint32_t> sizes = SlabAllocator::ChunkSizes(config, kHalfPage, kAlign);
  ASSERT_EQ(sizes.size(), size_t{SlabAllocator::kMemcachedMaxClasses});
  EXPECT_EQ(sizes[0], 100u);
  EXPECT_EQ(sizes[61], 6200u);
  EXPECT_EQ(sizes.back(), kHalfPage);
}

// A warm restart re-attaches pages carved with the saved chunk sizes: moving
// between the default layout and -f must be refused.
TEST(SizeClassesTest, WarmRestartRefusesAnotherLayout) {
  SlabAllocator::Config growth = DefaultConfig();
  growth.growth_classes = true;
  SlabAllocator default_layout(DefaultConfig());
  SlabAllocator memcached_layout(growth);
  SlabAllocator same_default(DefaultConfig());
  EXPECT_NE(DescribeGeometryChange(default_layout.geometry(), memcached_layout.geometry()), "");
  EXPECT_EQ(DescribeGeometryChange(default_layout.geometry(), same_default.geometry()), "");
}

}  // namespace
}  // namespace slabcached::slabs
