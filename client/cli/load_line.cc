#include "client/cli/load_line.h"

#include "client/client.h"

namespace slabcached::client {

LoadLine ParseLoadLine(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  LoadLine out;
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos) {
    out.error = "no TAB between key and value";
    return out;
  }
  out.key = line.substr(0, tab);
  out.value = line.substr(tab + 1);
  if (!IsValidKey(out.key)) out.error = "invalid key (empty, over 250 bytes, spaces or controls)";
  return out;
}

}  // namespace slabcached::client
