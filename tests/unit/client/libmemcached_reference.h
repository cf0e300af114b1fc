// The golden-vector generator: libmemcached itself, configured the way each of
// our distributions claims to match, answering "which server index gets this
// key" through its public API (memcached_generate_hash). No sockets are opened.
#pragma once

#include <libmemcached/memcached.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/continuum.h"

namespace slabcached::client::testing {

class LibmemcachedReference {
 public:
  LibmemcachedReference(const std::vector<ServerSpec>& servers, const PlacementConfig& config)
      : memc_(memcached_create(nullptr), &memcached_free) {
    memcached_st* m = memc_.get();
    switch (config.distribution) {
      case Distribution::kKetamaWeighted:
        memcached_behavior_set(m, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
        break;
      case Distribution::kKetamaLibmemcached:
        memcached_behavior_set_distribution(m, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
        memcached_behavior_set_key_hash(m, MEMCACHED_HASH_MD5);
        break;
      case Distribution::kKetamaSpy:
        // What "ketama-compat-spy" claims: the SPY distribution with the MD5
        // key hash, nothing else set (no KETAMA_WEIGHTED): libmemcached then
        // builds the unweighted continuum unless a server weighs more than 1.
        memcached_behavior_set_distribution(m, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY);
        memcached_behavior_set_key_hash(m, MEMCACHED_HASH_MD5);
        break;
      case Distribution::kModula:
        break;
    }
    if (config.key_hash) memcached_behavior_set_key_hash(m, ToLibmemcached(*config.key_hash));
    for (const ServerSpec& s : servers) {
      const memcached_return_t rc =
          s.IsUnixSocket()
              ? memcached_server_add_unix_socket_with_weight(m, s.host.c_str(), s.weight)
              : memcached_server_add_with_weight(m, s.host.c_str(), s.port, s.weight);
      ok_ = ok_ && rc == MEMCACHED_SUCCESS;
    }
  }

  bool ok() const { return ok_; }

  uint32_t Pick(std::string_view key) const {
    return memcached_generate_hash(memc_.get(), key.data(), key.size());
  }

  static memcached_hash_t ToLibmemcached(KeyHash h) {
    switch (h) {
      case KeyHash::kMd5:
        return MEMCACHED_HASH_MD5;
      case KeyHash::kOneAtATime:
        return MEMCACHED_HASH_DEFAULT;
      case KeyHash::kFnv1a64:
        return MEMCACHED_HASH_FNV1A_64;
      case KeyHash::kCrc32:
        return MEMCACHED_HASH_CRC;
    }
    return MEMCACHED_HASH_DEFAULT;
  }

 private:
  std::unique_ptr<memcached_st, decltype(&memcached_free)> memc_;
  bool ok_ = true;
};

}  // namespace slabcached::client::testing
