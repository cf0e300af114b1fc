// The one key hash shared by the hash table (bucket = hash & mask) and the
// item lock stripes (stripe = hash & lock_mask): XXH3 64-bit.
#pragma once

#include <cstdint>
#include <string_view>

namespace slabcached::slabs {

uint64_t HashKey(std::string_view key);

}  // namespace slabcached::slabs
