#include "client/bloom_filter.h"

#include <algorithm>
#include <cmath>

#define XXH_INLINE_ALL  // header-only: libslabclient users link nothing more
#include <xxhash.h>

namespace slabcached::client {
namespace {

constexpr uint64_t kSeed = 0x5ab1cac4edb100f1ULL;  // fixed: filters are rebuilt, never shared
constexpr uint64_t kMinBits = 64;

}  // namespace

uint64_t BloomFilter::BitsFor(uint64_t expected_keys, double false_positive_rate) {
  const double n = static_cast<double>(std::max<uint64_t>(expected_keys, 1));
  const double p = std::clamp(false_positive_rate, 1e-12, 0.5);
  const double ln2 = std::log(2.0);
  return std::max(kMinBits, static_cast<uint64_t>(std::ceil(-n * std::log(p) / (ln2 * ln2))));
}

uint32_t BloomFilter::HashesFor(uint64_t bits, uint64_t expected_keys) {
  const double n = static_cast<double>(std::max<uint64_t>(expected_keys, 1));
  const double k = std::round(static_cast<double>(bits) / n * std::log(2.0));
  return static_cast<uint32_t>(std::clamp(k, 1.0, 64.0));
}

BloomFilter::BloomFilter(uint64_t expected_keys, double false_positive_rate)
    : bits_(BitsFor(expected_keys, false_positive_rate)),
      hashes_(HashesFor(bits_, expected_keys)),
      words_(std::make_unique<std::atomic<uint64_t>[]>((bits_ + 63) / 64)) {}

void BloomFilter::Add(std::string_view key) {
  const XXH128_hash_t h = XXH3_128bits_withSeed(key.data(), key.size(), kSeed);
  const uint64_t step = h.high64 | 1;  // odd: the k positions stay distinct more often
  for (uint32_t i = 0; i < hashes_; ++i) {
    const uint64_t bit = (h.low64 + i * step) % bits_;
    words_[bit / 64].fetch_or(uint64_t{1} << (bit % 64), std::memory_order_relaxed);
  }
  added_.fetch_add(1, std::memory_order_relaxed);
}

bool BloomFilter::MightContain(std::string_view key) const {
  const XXH128_hash_t h = XXH3_128bits_withSeed(key.data(), key.size(), kSeed);
  const uint64_t step = h.high64 | 1;
  for (uint32_t i = 0; i < hashes_; ++i) {
    const uint64_t bit = (h.low64 + i * step) % bits_;
    if ((words_[bit / 64].load(std::memory_order_relaxed) & (uint64_t{1} << (bit % 64))) == 0) {
      return false;
    }
  }
  return true;
}

PenetrationGuard::PenetrationGuard(PenetrationGuardConfig config, KeySource source)
    : config_(std::move(config)), source_(std::move(source)) {
  if (config_.start_thread && config_.rebuild_interval.count() > 0 && source_) {
    thread_ = std::jthread([this](std::stop_token stop) { RebuildLoop(std::move(stop)); });
  }
}

PenetrationGuard::~PenetrationGuard() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
}

std::chrono::steady_clock::time_point PenetrationGuard::Now() const {
  return config_.now ? config_.now() : std::chrono::steady_clock::now();
}

std::shared_ptr<BloomFilter> PenetrationGuard::Current() const {
  std::lock_guard lock(filter_mu_);
  return filter_;
}

bool PenetrationGuard::MightExist(std::string_view key) const {
  checks_.fetch_add(1, std::memory_order_relaxed);
  const std::shared_ptr<BloomFilter> filter = Current();
  if (filter == nullptr || filter->MightContain(key)) return true;
  rejected_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void PenetrationGuard::Add(std::string_view key) {
  // Under pending_mu_, so that a rebuild either sees this key in pending_ or
  // has already swapped in the filter it is added to.
  std::lock_guard lock(pending_mu_);
  if (building_) pending_.emplace_back(key);
  if (const std::shared_ptr<BloomFilter> filter = Current()) filter->Add(key);
}

bool PenetrationGuard::Rebuild() {
  std::lock_guard rebuild(rebuild_mu_);
  attempted_ = true;
  last_attempt_ = Now();
  if (!source_) return false;
  {
    std::lock_guard lock(pending_mu_);
    building_ = true;
    pending_.clear();
  }
  auto fresh = std::make_shared<BloomFilter>(config_.expected_keys, config_.false_positive_rate);
  const bool ok = source_([&](std::string_view key) { fresh->Add(key); });
  std::lock_guard lock(pending_mu_);
  building_ = false;
  if (!ok) {
    pending_.clear();
    failed_rebuilds_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  for (const std::string& key : pending_) fresh->Add(key);
  pending_.clear();
  {
    std::lock_guard swap(filter_mu_);
    filter_.swap(fresh);
  }  // `fresh` now holds the old filter: freed when the last check using it ends
  rebuilds_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool PenetrationGuard::RebuildIfDue() {
  {
    std::lock_guard rebuild(rebuild_mu_);
    if (attempted_ && (config_.rebuild_interval.count() <= 0 ||
                       Now() - last_attempt_ < config_.rebuild_interval)) {
      return false;
    }
  }
  return Rebuild();
}

void PenetrationGuard::RebuildLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    Rebuild();
    std::unique_lock lock(wake_mu_);
    wake_.wait_for(lock, stop, config_.rebuild_interval, [] { return false; });
  }
}

PenetrationGuardStats PenetrationGuard::stats() const {
  PenetrationGuardStats s;
  s.checks = checks_.load(std::memory_order_relaxed);
  s.rejected = rejected_.load(std::memory_order_relaxed);
  s.rebuilds = rebuilds_.load(std::memory_order_relaxed);
  s.failed_rebuilds = failed_rebuilds_.load(std::memory_order_relaxed);
  if (const std::shared_ptr<BloomFilter> filter = Current()) {
    s.keys = filter->added();
    s.bits = filter->bits();
    s.hashes = filter->hashes();
  }
  return s;
}

}  // namespace slabcached::client
