// The restart record: what a graceful stop with a memory file (-e, SIGUSR1)
// writes so that the next start can serve the items still in the file, and
// how times of the stopped process carry over to the new one. Pure: encoding,
// decoding and checks only; the file is slabs/memory_file.h, the walk over
// the pages slabs/store_restart.cc.
//
// The item memory needs no translation: items refer to each other by 32-bit
// chunk references (ItemRef, relative to the region base), never by pointer,
// so pages mapped at another address are valid as they are. The record holds
// only what the pages cannot tell: the geometry they were carved with, which
// page belongs to which class, and the clock, CAS and flush state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slabs/clock.h"

namespace slabcached::slabs {

// The memory layout a file was written with; a restart needs exactly this one.
struct RestartGeometry {
  uint64_t max_bytes = 0;             // -m
  uint64_t item_size_max = 0;         // -I
  uint64_t capacity_bytes = 0;        // the region's size (follows from -m)
  uint32_t ref_shift = 0;             // the ItemRef unit
  std::vector<uint32_t> chunk_sizes;  // per class: -f, -n, slab_chunk_max, slab_sizes
  bool operator==(const RestartGeometry&) const = default;
};

struct RestartRecord {
  RestartGeometry geometry;
  RelTime stopped_at = 0;      // Clock::Now() at the stop
  int64_t stopped_unix = 0;    // Clock::UnixNow() at the stop
  uint64_t cas_id = 0;         // the last CAS handed out
  int64_t flush_horizon = -1;  // a flush_all's horizon (Store's oldest_live), -1: none
  // Pages [1, page_class.size()) were handed out; each one's class, 0 for a
  // page in the pool (page 0 is never used).
  std::vector<uint8_t> page_class;
};

// Bytes at the start of the record that say "written, but not stopped yet":
// a start marks its file so, and only a graceful stop replaces them.
inline constexpr std::string_view kDirtyMagic = "SLABCDRT";

// magic, format version, payload length, payload, checksum of all before it.
std::string EncodeRestartRecord(const RestartRecord& record);
// The record at the start of `bytes` (which may run on past it); nullopt with
// `*why` set (for the log) when it is dirty, cut short, damaged, or of
// another format version; `*why` empty when `bytes` start with zeros or are
// empty (a new file).
std::optional<RestartRecord> DecodeRestartRecord(std::string_view bytes, std::string* why);

// "" when `now` equals `saved`, else which setting differs, for the log.
std::string DescribeGeometryChange(const RestartGeometry& saved, const RestartGeometry& now);

// Maps absolute RelTimes of the stopped process to the new clock so that the
// time the daemon was down counts as passed: an item with 40 s left at the
// stop, restarted 10 s later, has 30 s left.
class RestartTimeMap {
 public:
  RestartTimeMap(const RestartRecord& record, RelTime now, int64_t unix_now);
  // 0 (never) stays 0; a time before the new clock's start becomes 1 (the
  // new clock's earliest), keeping the order of all later ones.
  RelTime Map(RelTime old) const;
  // The stopped clock's reading now, had it kept running.
  RelTime old_now() const { return old_now_; }

 private:
  RelTime old_now_;
  int64_t shift_;  // new time - old time
};

}  // namespace slabcached::slabs
