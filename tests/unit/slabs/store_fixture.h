// StoreTest: a Store with no background threads and a hand-driven clock,
// plus helpers that store and read whole values (shared by the store suites).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "slabs/store.h"

namespace slabcached::slabs {

constexpr time_t kUnixNow = 1'700'000'000;

class StoreTest : public ::testing::Test {
 protected:
  static StoreConfig TestConfig() {
    StoreConfig config;
    config.background_threads = false;
    return config;
  }
  void SetUp() override { Make(TestConfig()); }
  void Make(const StoreConfig& config) {
    store_.reset();
    store_ = std::make_unique<Store>(config, &clock_);
  }

  StoreStatus Put(const std::string& key, const std::string& value,
                  StoreMode mode = StoreMode::kSet, uint32_t flags = 0, RelTime exptime = 0,
                  uint64_t cas = 0, uint64_t* cas_out = nullptr) {
    AllocResult r = store_->Allocate(key, flags, exptime, static_cast<uint32_t>(value.size()));
    if (r.status != AllocStatus::kOk) {
      return r.status == AllocStatus::kTooLarge ? StoreStatus::kTooLarge : StoreStatus::kNoMemory;
    }
    EXPECT_EQ(r.item.value_length(), value.size());
    r.item.WriteValue(0, value);
    r.item.WriteValue(value.size(), "\r\n");
    const LinkResult linked = store_->Link(std::move(r.item), {.mode = mode, .cas_compare = cas});
    if (cas_out != nullptr) *cas_out = linked.cas;
    return linked.status;
  }
  std::optional<std::string> Value(const std::string& key, GetOutcome* outcome = nullptr) {
    GetResult r = store_->Get(key);
    if (outcome != nullptr) *outcome = r.outcome;
    if (!r.item) return std::nullopt;
    return std::string(r.item.CopyValue());
  }
  uint64_t CasOf(const std::string& key) {
    ItemHandle h = store_->Get(key).item;
    return h ? h.cas() : 0;
  }
  // gat / touch: Get with T.
  ItemHandle GetAndTouch(const std::string& key, RelTime exptime) {
    GetOptions options;
    options.ttl.touch = true;
    options.ttl.exptime = exptime;
    return store_->Get(key, options).item;
  }
  bool Touch(const std::string& key, RelTime exptime) {
    return static_cast<bool>(GetAndTouch(key, exptime));
  }
  // incr / decr with the classic defaults.
  DeltaResult Delta(const std::string& key, bool incr, uint64_t delta) {
    return store_->Delta(key, {.incr = incr, .delta = delta});
  }

  Clock clock_{kUnixNow};
  std::unique_ptr<Store> store_;
};

}  // namespace slabcached::slabs
