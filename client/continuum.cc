#include "client/continuum.h"

#include <algorithm>
#include <cmath>

namespace slabcached::client {
namespace {

constexpr uint32_t kPointsPerServerWeighted = 160;  // MEMCACHED_POINTS_PER_SERVER_KETAMA
constexpr uint32_t kPointsPerServerPlain = 100;     // MEMCACHED_POINTS_PER_SERVER
constexpr uint32_t kPointsPerDigest = 4;

}  // namespace

std::string_view DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kKetamaWeighted:
      return "ketama-weighted";
    case Distribution::kKetamaLibmemcached:
      return "ketama-compat-libmemcached";
    case Distribution::kKetamaSpy:
      return "ketama-compat-spy";
    case Distribution::kModula:
      return "modula";
  }
  return "";
}

std::optional<Distribution> ParseDistribution(std::string_view name) {
  for (Distribution d : {Distribution::kKetamaWeighted, Distribution::kKetamaLibmemcached,
                         Distribution::kKetamaSpy, Distribution::kModula}) {
    if (name == DistributionName(d)) return d;
  }
  if (name == "ketama") return Distribution::kKetamaWeighted;
  return std::nullopt;
}

KeyHash PlacementConfig::EffectiveKeyHash() const {
  if (key_hash) return *key_hash;
  return distribution == Distribution::kModula ? KeyHash::kOneAtATime : KeyHash::kMd5;
}

uint32_t WeightedPointCount(uint32_t weight, uint64_t total_weight, uint32_t live_count) {
  // libmemcached evaluates, in float32 and in this order:
  //   floor(pct * 160 / 4 * (float)live + 1e-10f) * 4
  // Each step is kept in a float variable so the compiler cannot widen or
  // fuse it; the result is e.g. 156 rather than 160 for some server counts.
  volatile float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  volatile float x = pct * static_cast<float>(kPointsPerServerWeighted);
  x = x / static_cast<float>(kPointsPerDigest);
  x = x * static_cast<float>(live_count);
  x = x + 0.0000000001F;
  return static_cast<uint32_t>(std::floor(static_cast<float>(x)) * kPointsPerDigest);
}

Continuum::Continuum(std::vector<ServerSpec> servers, PlacementConfig config,
                     std::vector<bool> live)
    : servers_(std::move(servers)), config_(config), live_(std::move(live)) {
  for (ServerSpec& s : servers_) {
    if (s.weight == 0) s.weight = 1;
  }
  if (!live_.empty()) live_.resize(servers_.size(), true);
  switch (config_.distribution) {
    case Distribution::kKetamaWeighted:
      weighted_ = true;
      break;
    case Distribution::kKetamaLibmemcached:
    case Distribution::kKetamaSpy:
      weighted_ = std::any_of(servers_.begin(), servers_.end(),
                              [](const ServerSpec& s) { return s.weight > 1; });
      break;
    case Distribution::kModula:
      weighted_ = false;
      break;
  }
  if (config_.distribution != Distribution::kModula) Build();
}

std::string Continuum::PointString(const ServerSpec& s, uint32_t n) const {
  std::string out;
  if (config_.distribution == Distribution::kKetamaSpy) {
    out = "/" + s.host + ":" + std::to_string(s.port);
  } else if (!s.name.empty()) {
    out = s.name;
  } else if (s.port == kDefaultPort) {
    out = s.host;
  } else {
    out = s.host + ":" + std::to_string(s.port);
  }
  out += '-';
  out += std::to_string(n);
  return out;
}

void Continuum::AddServerPoints(uint32_t index, uint32_t live_count, uint64_t total_weight) {
  const ServerSpec& s = servers_[index];
  if (weighted_) {
    const uint32_t count = WeightedPointCount(s.weight, total_weight, live_count);
    for (uint32_t n = 0; n < count / kPointsPerDigest; ++n) {
      const Md5Digest d = Md5(PointString(s, n));
      for (unsigned a = 0; a < kPointsPerDigest; ++a) points_.push_back({DigestWord(d, a), index});
    }
  } else {
    const KeyHash hash = config_.EffectiveKeyHash();
    for (uint32_t n = 0; n < kPointsPerServerPlain; ++n) {
      points_.push_back({HashKey(hash, PointString(s, n)), index});
    }
  }
}

void Continuum::Build() {
  uint32_t live_count = 0;
  uint64_t total_weight = 0;
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (!IsLive(i)) continue;
    ++live_count;
    total_weight += servers_[i].weight;
  }
  if (live_count == 0) return;
  points_.reserve(live_count * kPointsPerServerWeighted);
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (IsLive(i)) AddServerPoints(i, live_count, total_weight);
  }
  std::sort(points_.begin(), points_.end());
}

uint32_t Continuum::HashForKey(std::string_view key) const {
  if (servers_.size() == 1) return 0;  // libmemcached's single-server shortcut
  return HashKey(config_.EffectiveKeyHash(), key);
}

uint32_t Continuum::PickHash(uint32_t hash) const {
  if (servers_.empty()) return kNoServer;
  if (config_.distribution == Distribution::kModula) {
    return hash % static_cast<uint32_t>(servers_.size());
  }
  if (points_.empty()) return kNoServer;
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const ContinuumPoint& p, uint32_t h) { return p.value < h; });
  if (it == points_.end()) it = points_.begin();
  return it->server;
}

void Continuum::PickDistinct(uint32_t hash, uint32_t count, std::vector<uint32_t>* out) const {
  out->clear();
  if (servers_.empty() || count == 0) return;
  const auto size = static_cast<uint32_t>(servers_.size());
  if (config_.distribution == Distribution::kModula) {
    for (uint32_t i = 0; i < std::min(count, size); ++i) out->push_back((hash + i) % size);
    return;
  }
  if (points_.empty()) return;
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const ContinuumPoint& p, uint32_t h) { return p.value < h; });
  // One lap of the ring at most; a few servers own every point, so the walk
  // stops after a handful of points in practice.
  for (size_t step = 0; step < points_.size() && out->size() < count; ++step, ++it) {
    if (it == points_.end()) it = points_.begin();
    if (std::find(out->begin(), out->end(), it->server) == out->end()) {
      out->push_back(it->server);
    }
  }
}

std::vector<ServerShare> Continuum::Shares() const {
  std::vector<ServerShare> shares(servers_.size());
  if (config_.distribution == Distribution::kModula) {
    for (ServerShare& s : shares) s.share = 1.0 / static_cast<double>(servers_.size());
    return shares;
  }
  constexpr double kSpace = 4294967296.0;
  for (size_t i = 0; i < points_.size(); ++i) {
    const ContinuumPoint& p = points_[i];
    ++shares[p.server].points;
    // Point i owns the hashes in (previous point, p.value]; the first point
    // also owns everything above the last point (wrap-around).
    uint64_t arc = i == 0 ? uint64_t{p.value} + 1 + (0xffffffffULL - points_.back().value)
                          : uint64_t{p.value} - points_[i - 1].value;
    shares[p.server].share += static_cast<double>(arc) / kSpace;
  }
  return shares;
}

}  // namespace slabcached::client
