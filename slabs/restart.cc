#include "slabs/restart.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace slabcached::slabs {
namespace {

constexpr std::string_view kMagic = "SLABCRST";
static_assert(kMagic.size() == kDirtyMagic.size());
// 2: item flags changed meaning (LRU bits 3 is the TEMP LRU; continuation
// chunks are TEMP plus ACTIVE), so a version 1 file starts cold.
constexpr uint32_t kFormatVersion = 2;
// magic, version, payload length
constexpr size_t kPrefixBytes = kMagic.size() + sizeof(uint32_t) + sizeof(uint64_t);

class Writer {
 public:
  template <typename T>
  void Put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  void PutBytes(std::string_view bytes) { out_.append(bytes); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool GetBytes(size_t n, std::string_view* bytes) {
    if (in_.size() < n) return false;
    *bytes = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

std::string EncodePayload(const RestartRecord& r) {
  Writer w;
  const RestartGeometry& g = r.geometry;
  w.Put(g.max_bytes);
  w.Put(g.item_size_max);
  w.Put(g.capacity_bytes);
  w.Put(g.ref_shift);
  w.Put(static_cast<uint32_t>(g.chunk_sizes.size()));
  for (const uint32_t size : g.chunk_sizes) w.Put(size);
  w.Put(r.stopped_at);
  w.Put(r.stopped_unix);
  w.Put(r.cas_id);
  w.Put(r.flush_horizon);
  w.Put(static_cast<uint64_t>(r.page_class.size()));
  w.PutBytes({reinterpret_cast<const char*>(r.page_class.data()), r.page_class.size()});
  return std::move(w.out());
}

bool DecodePayload(std::string_view payload, RestartRecord* r) {
  Reader in(payload);
  RestartGeometry& g = r->geometry;
  uint32_t classes = 0;
  if (!in.Get(&g.max_bytes) || !in.Get(&g.item_size_max) || !in.Get(&g.capacity_bytes) ||
      !in.Get(&g.ref_shift) || !in.Get(&classes) || classes > 255) {
    return false;
  }
  g.chunk_sizes.resize(classes);
  for (uint32_t& size : g.chunk_sizes) {
    if (!in.Get(&size)) return false;
  }
  uint64_t pages = 0;
  std::string_view page_class;
  if (!in.Get(&r->stopped_at) || !in.Get(&r->stopped_unix) || !in.Get(&r->cas_id) ||
      !in.Get(&r->flush_horizon) || !in.Get(&pages) || !in.GetBytes(pages, &page_class)) {
    return false;
  }
  r->page_class.assign(page_class.begin(), page_class.end());
  return in.done();
}

}  // namespace

std::string EncodeRestartRecord(const RestartRecord& record) {
  const std::string payload = EncodePayload(record);
  Writer w;
  w.PutBytes(kMagic);
  w.Put(kFormatVersion);
  w.Put(static_cast<uint64_t>(payload.size()));
  w.PutBytes(payload);
  w.Put(static_cast<uint64_t>(XXH3_64bits(w.out().data(), w.out().size())));
  return std::move(w.out());
}

std::optional<RestartRecord> DecodeRestartRecord(std::string_view bytes, std::string* why) {
  const std::string_view magic = bytes.substr(0, kMagic.size());
  if (magic == kDirtyMagic) {
    *why = "the memory file was not stopped gracefully (no SIGUSR1 before the last exit)";
    return std::nullopt;
  }
  if (magic.find_first_not_of('\0') == std::string_view::npos) {
    why->clear();  // a new (or emptied) file: nothing to report
    return std::nullopt;
  }
  if (magic != kMagic) {
    *why = "the memory file holds no restart record";
    return std::nullopt;
  }
  Reader in(bytes.substr(kMagic.size()));
  uint32_t version = 0;
  uint64_t length = 0;
  if (!in.Get(&version) || !in.Get(&length)) {
    *why = "the restart record is cut short";
    return std::nullopt;
  }
  if (version != kFormatVersion) {
    *why = "the restart record has format version " + std::to_string(version) + ", not " +
           std::to_string(kFormatVersion) + " (written by another slabcached release)";
    return std::nullopt;
  }
  uint64_t checksum = 0;
  if (length > bytes.size() - kPrefixBytes ||
      bytes.size() - kPrefixBytes - length < sizeof(checksum)) {
    *why = "the restart record is cut short";
    return std::nullopt;
  }
  std::memcpy(&checksum, bytes.data() + kPrefixBytes + length, sizeof(checksum));
  if (checksum != XXH3_64bits(bytes.data(), kPrefixBytes + length)) {
    *why = "the restart record is damaged (checksum mismatch)";
    return std::nullopt;
  }
  RestartRecord record;
  if (!DecodePayload(bytes.substr(kPrefixBytes, length), &record)) {
    *why = "the restart record is malformed";
    return std::nullopt;
  }
  return record;
}

std::string DescribeGeometryChange(const RestartGeometry& saved, const RestartGeometry& now) {
  auto differs = [](std::string_view what, uint64_t was, uint64_t is) {
    return std::string(what) + " was " + std::to_string(was) + ", now " + std::to_string(is);
  };
  if (saved.max_bytes != now.max_bytes) {
    return differs("the memory limit (-m, bytes)", saved.max_bytes, now.max_bytes);
  }
  if (saved.item_size_max != now.item_size_max) {
    return differs("the item size limit (-I)", saved.item_size_max, now.item_size_max);
  }
  if (saved.chunk_sizes != now.chunk_sizes) {
    return "the slab classes differ (-f, -n, -o slab_chunk_max or slab_sizes changed)";
  }
  if (saved.capacity_bytes != now.capacity_bytes || saved.ref_shift != now.ref_shift) {
    return differs("the address space reserved (bytes)", saved.capacity_bytes, now.capacity_bytes);
  }
  return "";
}

RestartTimeMap::RestartTimeMap(const RestartRecord& record, RelTime now, int64_t unix_now) {
  const int64_t downtime = std::max<int64_t>(0, unix_now - record.stopped_unix);
  const int64_t old_now = int64_t{record.stopped_at} + downtime;
  old_now_ = static_cast<RelTime>(std::min<int64_t>(old_now, std::numeric_limits<RelTime>::max()));
  shift_ = int64_t{now} - old_now;
}

RelTime RestartTimeMap::Map(RelTime old) const {
  if (old == 0) return 0;
  const int64_t mapped = int64_t{old} + shift_;
  return static_cast<RelTime>(std::clamp<int64_t>(mapped, 1, std::numeric_limits<RelTime>::max()));
}

}  // namespace slabcached::slabs
