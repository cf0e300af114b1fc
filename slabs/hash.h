// The one key hash shared by the hash table (bucket = hash & mask), the item
// lock stripes (stripe = hash & lock_mask) and continuation chunks (which
// keep their head's hash): XXH3 64-bit, seeded once per store so that clients
// cannot precompute keys that all land in one bucket (hash flooding).
#pragma once

#include <cstdint>
#include <string_view>

namespace slabcached::slabs {

class KeyHasher {
 public:
  explicit KeyHasher(uint64_t seed) : seed_(seed) {}

  // A fresh seed from the system's random source.
  static uint64_t RandomSeed();

  uint64_t Hash(std::string_view key) const;

 private:
  uint64_t seed_;
};

}  // namespace slabcached::slabs
