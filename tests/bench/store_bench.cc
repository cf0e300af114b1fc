// The item store alone, without the network or the protocol: get/set mixes
// over 100,000 preloaded keys of 100-byte values, at 1 and 2 threads, in
// ns per operation (Google Benchmark). Judges a store change without
// memtier's noise. Run by scripts/bench/store.
//
//   StoreMix/Ops/sets_per_100:<n>/real_time/threads:<t>
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "slabs/clock.h"
#include "slabs/store.h"

namespace slabcached::slabs {
namespace {

constexpr int kKeys = 100'000;
constexpr size_t kValueBytes = 100;

bool Set(Store& store, const std::string& key, const std::string& value) {
  AllocResult r = store.Allocate(key, 0, 0, static_cast<uint32_t>(kValueBytes));
  if (r.status != AllocStatus::kOk) return false;
  r.item.WriteValue(0, value);  // the value and the "\r\n" the store keeps
  return store.Link(std::move(r.item)).status == StoreStatus::kStored;
}

// One fixture per run, shared by its threads. Thread 0 builds the store in
// SetUp; the others wait for it at the start of the timed loop (Google
// Benchmark's start barrier), so nothing is timed before it is ready.
class StoreMix : public benchmark::Fixture {
 public:
  void SetUp(const benchmark::State& state) override {
    if (state.thread_index() != 0) return;
    StoreConfig config;
    config.max_bytes = 256 << 20;
    config.background_threads = false;
    store_ = std::make_unique<Store>(config, &clock_);
    keys_.clear();
    for (int i = 0; i < kKeys; ++i) {
      keys_.push_back("bench:key:" + std::to_string(i));
      Set(*store_, keys_.back(), value_);
    }
  }
  void TearDown(const benchmark::State& state) override {
    if (state.thread_index() == 0) store_.reset();
  }

 protected:
  Clock clock_{time_t{1'700'000'000}};
  std::unique_ptr<Store> store_;
  std::vector<std::string> keys_;
  const std::string value_ = std::string(kValueBytes, 'v') + "\r\n";
};

BENCHMARK_DEFINE_F(StoreMix, Ops)(benchmark::State& state) {
  const int64_t sets_per_100 = state.range(0);
  // Each thread walks the keys from its own offset with a stride prime to
  // kKeys: every key is visited, and the threads rarely meet on a lock.
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 7919;
  int64_t op = 0;
  for (auto _ : state) {
    const std::string& key = keys_[i % kKeys];
    i += 104'729;
    if (++op % 100 < sets_per_100) {
      benchmark::DoNotOptimize(Set(*store_, key, value_));
    } else {
      GetResult r = store_->Get(key);
      benchmark::DoNotOptimize(r.item);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_REGISTER_F(StoreMix, Ops)
    ->ArgName("sets_per_100")
    ->Arg(0)
    ->Arg(10)
    ->Arg(100)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace
}  // namespace slabcached::slabs

BENCHMARK_MAIN();
