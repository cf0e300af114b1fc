#include "slabs/hash.h"

#include <xxhash.h>

namespace slabcached::slabs {

uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace slabcached::slabs
