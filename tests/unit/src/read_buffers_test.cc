// ReadBuffers: a worker's connections borrow read buffers only while they
// have unparsed input; the worker keeps a bounded few, and stats count every
// buffer in use or kept (read_buf_count, read_buf_bytes) and the kept ones
// (read_buf_bytes_free).
#include "src/read_buffers.h"

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

namespace slabcached {
namespace {

constexpr size_t kSize = ReadBuffers::kSize;

TEST(ReadBuffersTest, AGivenBackBufferIsTheNextTaken) {
  ServerStats stats(1, 0);
  ReadBuffers buffers(&stats, 4);
  std::unique_ptr<char[]> first = buffers.Take(0);
  ASSERT_NE(first, nullptr);
  const char* address = first.get();
  EXPECT_EQ(stats.read_buf_count.load(), 1u);
  EXPECT_EQ(stats.read_buf_bytes.load(), kSize);
  EXPECT_EQ(stats.read_buf_bytes_free.load(), 0u);

  buffers.Give(std::move(first), kSize);
  EXPECT_EQ(buffers.kept(), 1u);
  EXPECT_EQ(stats.read_buf_count.load(), 1u);  // kept buffers still count
  EXPECT_EQ(stats.read_buf_bytes_free.load(), kSize);

  std::unique_ptr<char[]> again = buffers.Take(0);
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(stats.read_buf_count.load(), 1u);
  EXPECT_EQ(stats.read_buf_bytes_free.load(), 0u);
}

TEST(ReadBuffersTest, KeepsAtMostItsBoundAndFreesTheRest) {
  ServerStats stats(1, 0);
  {
    ReadBuffers buffers(&stats, 2);
    std::vector<std::unique_ptr<char[]>> taken;
    for (int i = 0; i < 5; ++i) taken.push_back(buffers.Take(0));
    EXPECT_EQ(stats.read_buf_count.load(), 5u);
    EXPECT_EQ(stats.read_buf_bytes.load(), 5 * kSize);
    for (auto& buffer : taken) buffers.Give(std::move(buffer), kSize);
    EXPECT_EQ(buffers.kept(), 2u);
    EXPECT_EQ(stats.read_buf_count.load(), 2u);
    EXPECT_EQ(stats.read_buf_bytes.load(), 2 * kSize);
    EXPECT_EQ(stats.read_buf_bytes_free.load(), 2 * kSize);
  }
  // The worker's end frees what it kept.
  EXPECT_EQ(stats.read_buf_count.load(), 0u);
  EXPECT_EQ(stats.read_buf_bytes.load(), 0u);
  EXPECT_EQ(stats.read_buf_bytes_free.load(), 0u);
}

// A buffer a long request grew (Connection::ResizeBuffer counts the growth)
// is freed when given back, never kept.
TEST(ReadBuffersTest, AGrownBufferIsFreedNotKept) {
  ServerStats stats(1, 0);
  ReadBuffers buffers(&stats, 4);
  std::unique_ptr<char[]> taken = buffers.Take(0);
  taken = std::make_unique<char[]>(4 * kSize);
  stats.read_buf_bytes.fetch_add(3 * kSize);
  buffers.Give(std::move(taken), 4 * kSize);
  EXPECT_EQ(buffers.kept(), 0u);
  EXPECT_EQ(stats.read_buf_count.load(), 0u);
  EXPECT_EQ(stats.read_buf_bytes.load(), 0u);
  EXPECT_EQ(stats.read_buf_bytes_free.load(), 0u);
}

// -o read_buf_mem_limit: a new buffer that would pass the limit is refused; a
// kept one is handed out (it is already counted).
TEST(ReadBuffersTest, ANewBufferPastTheLimitIsRefused) {
  ServerStats stats(1, 0);
  ReadBuffers buffers(&stats, 4);
  const uint64_t limit = 2 * kSize;
  std::unique_ptr<char[]> a = buffers.Take(limit);
  std::unique_ptr<char[]> b = buffers.Take(limit);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(buffers.Take(limit), nullptr);
  EXPECT_EQ(stats.read_buf_bytes.load(), limit);
  buffers.Give(std::move(a), kSize);
  EXPECT_NE(buffers.Take(limit), nullptr);
  EXPECT_NE(buffers.Take(0), nullptr);  // no limit
}

}  // namespace
}  // namespace slabcached
