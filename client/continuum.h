// Key placement: which server of a list owns a key. No I/O.
//
// The distributions reproduce libmemcached 1.x bit for bit (hosts.cc
// update_continuum(), hash.cc dispatch_host()):
//
//   kKetamaWeighted      MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, = twemproxy
//                        "distribution: ketama" + "hash: md5". 160 points per
//                        server scaled by weight (float32 arithmetic, exactly
//                        libmemcached's expression), 4 points per MD5 digest
//                        of "host-N" (port 11211) or "host:port-N".
//   kKetamaLibmemcached  MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA with the MD5
//                        key hash: 100 points per server, one per string, each
//                        the key hash of the string. As in libmemcached, a
//                        server with weight > 1 switches it to the weighted
//                        continuum (memcached_server_add_with_weight/push).
//   kKetamaSpy           MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY with the
//                        MD5 key hash: as kKetamaLibmemcached (100 points per
//                        server, one per string, weighted once a weight is > 1)
//                        but the strings are "/host:port-N", port always present.
//                        With weights > 1 this is what spymemcached's KETAMA_HASH
//                        locator computes for servers given as IP literals (its
//                        InetSocketAddress prints as "/ip:port"); spymemcached
//                        has no unweighted mode, libmemcached does, and we follow
//                        libmemcached.
//   kModula              MEMCACHED_DISTRIBUTION_MODULA (libmemcached's default):
//                        hash(key) % server count, one-at-a-time key hash.
//
// Points are sorted by (value, server index); a key goes to the first point
// >= its hash, wrapping to the first point. With exactly one configured
// server, libmemcached skips hashing; so does Pick(). (twemproxy sorts by
// value only, so it may differ on an exact 32-bit collision between two
// servers' points; none occurs in the tested rings.)
//
// A Continuum is immutable once built and safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "key_hash.h"
#include "server_spec.h"

namespace slabcached::client {

enum class Distribution : uint8_t {
  kKetamaWeighted,
  kKetamaLibmemcached,
  kKetamaSpy,
  kModula,
};

// "ketama-weighted", "ketama-compat-libmemcached", "ketama-compat-spy", "modula".
std::string_view DistributionName(Distribution d);
std::optional<Distribution> ParseDistribution(std::string_view name);

struct PlacementConfig {
  Distribution distribution = Distribution::kKetamaWeighted;
  // The key hash; unset means the distribution's own: MD5 for the ketama
  // modes, one-at-a-time for modula. Weighted continuum points are always
  // MD5; unweighted ones use this hash (as libmemcached's hashkit_digest).
  std::optional<KeyHash> key_hash;

  KeyHash EffectiveKeyHash() const;
};

struct ContinuumPoint {
  uint32_t value;
  uint32_t server;  // index into the configured server list
  auto operator<=>(const ContinuumPoint&) const = default;
};

struct ServerShare {
  uint32_t points = 0;  // points on the continuum
  double share = 0;     // fraction of the 2^32 hash space it owns (0 when ejected)
};

class Continuum {
 public:
  static constexpr uint32_t kNoServer = UINT32_MAX;

  // `live`, when not empty, has one flag per server; servers whose flag is
  // false are left out of the ring (auto-eject) and the remaining weights
  // are renormalised over the live ones, as libmemcached does.
  Continuum(std::vector<ServerSpec> servers, PlacementConfig config, std::vector<bool> live = {});

  // The hash of `key` that Pick() looks up (0 with a single server).
  uint32_t HashForKey(std::string_view key) const;
  // The server index for `key`; kNoServer when no server is live. In modula
  // mode the index may name an ejected server (libmemcached does the same).
  uint32_t Pick(std::string_view key) const { return PickHash(HashForKey(key)); }
  uint32_t PickHash(uint32_t hash) const;
  // Up to `count` distinct servers for `hash`, in ring order: the server
  // PickHash() names first, then the owners of the following points, each
  // server once (hot-key replicas). Fewer when fewer servers are live; in
  // modula mode, the servers after hash % size, wrapping (ejected ones too,
  // as Pick()). Appends to *out after clearing it.
  void PickDistinct(uint32_t hash, uint32_t count, std::vector<uint32_t>* out) const;

  const std::vector<ServerSpec>& servers() const { return servers_; }
  const PlacementConfig& config() const { return config_; }
  const std::vector<ContinuumPoint>& points() const { return points_; }
  bool weighted() const { return weighted_; }
  bool IsLive(uint32_t server) const { return live_.empty() || live_[server]; }

  // Per configured server: points and key-space share.
  std::vector<ServerShare> Shares() const;

 private:
  void Build();
  void AddServerPoints(uint32_t index, uint32_t live_count, uint64_t total_weight);
  std::string PointString(const ServerSpec& s, uint32_t n) const;

  std::vector<ServerSpec> servers_;
  PlacementConfig config_;
  std::vector<bool> live_;
  bool weighted_ = false;
  std::vector<ContinuumPoint> points_;
};

// Number of points libmemcached gives a server of `weight` out of
// `total_weight` with `live_count` live servers in weighted mode (a multiple
// of 4; nominally 160, e.g. 156 when float32 rounding lands just below).
uint32_t WeightedPointCount(uint32_t weight, uint64_t total_weight, uint32_t live_count);

}  // namespace slabcached::client
