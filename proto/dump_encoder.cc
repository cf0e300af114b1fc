#include "proto/dump_encoder.h"

#include <charconv>

#include "proto/base64.h"

namespace slabcached::proto {
namespace {

bool UriSafe(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, static_cast<size_t>(end - digits));
}

}  // namespace

void AppendUriEncoded(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (UriSafe(c)) {
      out->push_back(ch);
    } else {
      const char escaped[3] = {'%', kHex[c >> 4], kHex[c & 0xF]};
      out->append(escaped, sizeof(escaped));
    }
  }
}

void AppendMetadumpLine(std::string* out, const MetadumpFields& item) {
  out->append("key=");
  AppendUriEncoded(out, item.key);
  out->append(" exp=");
  AppendNumber(out, item.exptime_unix);
  out->append(" la=");
  AppendNumber(out, item.last_access_unix);
  out->append(" cas=");
  AppendNumber(out, item.cas);
  out->append(item.fetched ? " fetch=yes cls=" : " fetch=no cls=");
  AppendNumber(out, item.slab_class);
  out->append(" size=");
  AppendNumber(out, item.total_size);
  // memcached 1.6.45 ends every field with a space, this last one too.
  out->append(" flags=");
  AppendNumber(out, item.client_flags);
  out->append(" \n");
}

void AppendMgdumpLine(std::string* out, std::string_view key, bool key_binary) {
  out->append("mg ");
  if (key_binary) {
    const size_t at = out->size();
    out->resize(at + Base64EncodedSize(key.size()));
    Base64Encode(key, out->data() + at);
    out->append(" b\r\n");
  } else {
    out->append(key);
    out->append("\r\n");
  }
}

void AppendCachedumpLine(std::string* out, std::string_view key, uint32_t value_bytes,
                         uint64_t exptime_unix) {
  out->append("ITEM ");
  out->append(key.substr(0, key.find('\0')));
  out->append(" [");
  AppendNumber(out, value_bytes);
  out->append(" b; ");
  AppendNumber(out, exptime_unix);
  out->append(" s]\r\n");
}

}  // namespace slabcached::proto
