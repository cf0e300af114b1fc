#include "slabs/class_counters.h"

#include <utility>

namespace slabcached::slabs {
namespace {

std::atomic<uint64_t> next_id{1};

// This thread's block of each instance it has used, by instance id. A
// thread touches one or two stores in practice: a linear search is enough.
struct ThreadBlocks {
  std::vector<std::pair<uint64_t, void*>> blocks;
};
thread_local ThreadBlocks thread_blocks;

}  // namespace

ClassCounters::ClassCounters() : id_(next_id.fetch_add(1, std::memory_order_relaxed)) {}

ClassCounters::Block& ClassCounters::Mine() {
  for (const auto& [id, block] : thread_blocks.blocks) {
    if (id == id_) return *static_cast<Block*>(block);
  }
  return Register();
}

ClassCounters::Block& ClassCounters::Register() {
  auto block = std::make_unique<Block>();
  Block* mine = block.get();
  {
    std::lock_guard lock(mu_);
    blocks_.push_back(std::move(block));
  }
  thread_blocks.blocks.emplace_back(id_, mine);
  return *mine;
}

ClassCounters::Totals ClassCounters::RawSumLocked(uint8_t cls) const {
  Totals totals{};
  for (const auto& block : blocks_) {
    for (size_t op = 0; op < kClassOps; ++op) {
      totals[op] += block->n[cls][op].load(std::memory_order_relaxed);
    }
  }
  return totals;
}

void ClassCounters::Reset() {
  std::lock_guard lock(mu_);
  for (size_t cls = 0; cls < baseline_.size(); ++cls) {
    baseline_[cls] = RawSumLocked(static_cast<uint8_t>(cls));
  }
}

ClassCounters::Totals ClassCounters::Sum(uint8_t cls) const {
  std::lock_guard lock(mu_);
  Totals totals = RawSumLocked(cls);
  for (size_t op = 0; op < kClassOps; ++op) totals[op] -= baseline_[cls][op];
  totals[static_cast<size_t>(ClassOp::kGetHits)] =
      totals[static_cast<size_t>(ClassOp::kHitsToHot)] +
      totals[static_cast<size_t>(ClassOp::kHitsToWarm)] +
      totals[static_cast<size_t>(ClassOp::kHitsToCold)];
  return totals;
}

}  // namespace slabcached::slabs
