#include "src/read_buffers.h"

#include <utility>

namespace slabcached {

ReadBuffers::ReadBuffers(ServerStats* stats, size_t keep) : stats_(stats), keep_(keep) {
  free_.reserve(keep);
}

ReadBuffers::~ReadBuffers() {
  stats_->read_buf_count.fetch_sub(free_.size(), std::memory_order_relaxed);
  stats_->read_buf_bytes.fetch_sub(free_.size() * kSize, std::memory_order_relaxed);
  stats_->read_buf_bytes_free.fetch_sub(free_.size() * kSize, std::memory_order_relaxed);
}

std::unique_ptr<char[]> ReadBuffers::Take(uint64_t limit) {
  if (!free_.empty()) {
    std::unique_ptr<char[]> buffer = std::move(free_.back());
    free_.pop_back();
    stats_->read_buf_bytes_free.fetch_sub(kSize, std::memory_order_relaxed);
    return buffer;
  }
  if (limit > 0 && stats_->read_buf_bytes.load(std::memory_order_relaxed) + kSize > limit) {
    return nullptr;
  }
  stats_->read_buf_count.fetch_add(1, std::memory_order_relaxed);
  stats_->read_buf_bytes.fetch_add(kSize, std::memory_order_relaxed);
  // Not value-initialised: a read fills what is used.
  return std::make_unique_for_overwrite<char[]>(kSize);
}

void ReadBuffers::Give(std::unique_ptr<char[]> buffer, size_t capacity) {
  if (capacity == kSize && free_.size() < keep_) {
    free_.push_back(std::move(buffer));
    stats_->read_buf_bytes_free.fetch_add(kSize, std::memory_order_relaxed);
    return;
  }
  stats_->read_buf_count.fetch_sub(1, std::memory_order_relaxed);
  stats_->read_buf_bytes.fetch_sub(capacity, std::memory_order_relaxed);
}

}  // namespace slabcached
