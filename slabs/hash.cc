#include "slabs/hash.h"

#include <xxhash.h>

#include <random>

namespace slabcached::slabs {

uint64_t KeyHasher::RandomSeed() {
  std::random_device rd;  // getrandom(2) on Linux
  std::uniform_int_distribution<uint64_t> dist;
  return dist(rd);
}

uint64_t KeyHasher::Hash(std::string_view key) const {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed_);
}

}  // namespace slabcached::slabs
