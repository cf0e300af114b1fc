// libFuzzer target for one input line of `slabcache-cli load`
// (client/cli/load_line.h), which reads files and pipes of any origin.
// Build and run: scripts/fuzz (FUZZ_TARGETS=load_line).
//
// The line is copied into an exact heap buffer (ASan sees overreads); the
// key and value must point into it, split at the first TAB, and an accepted
// key must be a valid memcached key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "client/cli/load_line.h"
#include "client/client.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = std::make_unique<char[]>(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(data[i]);
  const std::string_view line(bytes.get(), size);
  const slabcached::client::LoadLine parsed = slabcached::client::ParseLoadLine(line);
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos) {
    Check(!parsed.error.empty());
    return 0;
  }
  Check(parsed.key.data() == line.data() && parsed.key.size() == tab);
  Check(parsed.value.data() == line.data() + tab + 1);
  Check(tab + 1 + parsed.value.size() + (line.ends_with('\r') ? 1 : 0) == line.size());
  Check(parsed.error.empty() == slabcached::client::IsValidKey(parsed.key));
  return 0;
}
