#include "client/server_spec.h"

#include <sys/un.h>

#include <charconv>

namespace slabcached::client {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool ParseNumber(std::string_view s, T max, T* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > max) return false;
  *out = static_cast<T>(v);
  return true;
}

bool ParseOne(std::string_view item, ServerSpec* spec, std::string* error) {
  auto fail = [&](std::string_view why) {
    *error = std::string(why) + ": \"" + std::string(item) + "\"";
    return false;
  };
  std::string_view rest = item;
  // libmemcached's "host:port weight".
  std::string_view space_weight;
  if (size_t sp = rest.find_first_of(" \t"); sp != std::string_view::npos) {
    space_weight = Trim(rest.substr(sp));
    rest = rest.substr(0, sp);
  }
  if (rest.starts_with("unix:")) rest.remove_prefix(5);
  if (!rest.empty() && rest.front() == '/') {
    if (rest.size() >= sizeof(sockaddr_un::sun_path))
      return fail("unix socket path too long in server");
    spec->host = std::string(rest);
    spec->port = 0;
    rest = {};
  } else if (item.starts_with("unix:")) {
    return fail("unix socket path must be absolute in server");
  } else if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("unterminated '[' in server");
    spec->host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return fail("junk after ']' in server");
  } else {
    size_t colon = rest.find(':');
    spec->host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (spec->host.empty()) return fail("empty host in server");
  if (!rest.empty()) {
    rest.remove_prefix(1);  // ':'
    std::string_view port = rest.substr(0, rest.find(':'));
    if (!ParseNumber<uint16_t>(port, 65535, &spec->port) || spec->port == 0) {
      return fail("bad port in server");
    }
    rest.remove_prefix(port.size());
    if (!rest.empty()) {
      rest.remove_prefix(1);
      if (!ParseNumber<uint32_t>(rest, UINT32_MAX, &spec->weight)) {
        return fail("bad weight in server");
      }
    }
  }
  if (!space_weight.empty() && !ParseNumber<uint32_t>(space_weight, UINT32_MAX, &spec->weight)) {
    return fail("bad weight in server");
  }
  if (spec->weight == 0) spec->weight = 1;
  return true;
}

}  // namespace

std::string ServerSpec::Address() const {
  if (IsUnixSocket()) return host;
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ':';
  out += std::to_string(port);
  return out;
}

std::optional<std::vector<ServerSpec>> ParseServerList(std::string_view text, std::string* error) {
  std::vector<ServerSpec> servers;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = Trim(text.substr(pos, comma - pos));
    if (!item.empty()) {
      ServerSpec spec;
      if (!ParseOne(item, &spec, error)) return std::nullopt;
      servers.push_back(std::move(spec));
    }
    pos = comma + 1;
  }
  if (servers.empty()) {
    *error = "empty server list";
    return std::nullopt;
  }
  return servers;
}

}  // namespace slabcached::client
