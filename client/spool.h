// An on-disk queue of deletes one server has not confirmed yet (the
// invalidator's spool, invalidator.h). Two files per server in the spool
// directory:
//
//   <name>.spool   append-only, one key per line (keys hold no spaces or
//                  control bytes, so a line is a record)
//   <name>.done    the byte offset in .spool up to which the deletes were
//                  confirmed, as decimal text
//
// Durability: Append writes the record (a crash of the process keeps it);
// Sync() fdatasync()s what was appended, after which it survives a crash of
// the machine too. Callers sync once per group of appends (one fdatasync
// costs milliseconds on a disk, so a sync per record would cap a spool at a
// few hundred records a second). Consume writes the new offset and
// fdatasync()s it. A crash
// between a confirmed delete and its Consume replays that delete once more,
// which is harmless (a delete is idempotent): delivery is at least once.
// When every record is consumed both files are truncated to zero.
//
// A record cut short by a crash (no trailing newline) is dropped at Open:
// its Append never returned, so the caller never counted it as spooled.
//
// Bounded: Append refuses (kFull) a record that would take the .spool file
// past max_bytes; the caller decides what that means (the invalidator stops
// reading input until retries make room: back-pressure, never a lost
// delete).
//
// Thread-compatible: one user at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slabcached::client {

class Spool {
 public:
  // Opens (creating if needed) <dir>/<name>.spool and <name>.done. nullptr
  // and `error` when a file cannot be opened or read.
  static std::unique_ptr<Spool> Open(const std::string& dir, const std::string& name,
                                     uint64_t max_bytes, std::string* error);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  enum class AppendResult { kOk, kFull, kIoError };
  AppendResult Append(std::string_view key);
  // Makes every Append so far durable (a no-op when there is none).
  bool Sync();

  // Up to `max` of the oldest unconsumed keys (they stay in the spool).
  std::vector<std::string> Peek(size_t max);
  // Marks the `count` oldest unconsumed keys done (count <= pending()).
  bool Consume(size_t count);

  uint64_t pending() const { return pending_; }  // records not consumed yet
  uint64_t bytes() const { return size_; }       // size of the .spool file

 private:
  Spool(int spool_fd, int done_fd, uint64_t max_bytes)
      : spool_fd_(spool_fd), done_fd_(done_fd), max_bytes_(max_bytes) {}
  bool Load(std::string* error);
  bool WriteDone();

  int spool_fd_;
  int done_fd_;
  uint64_t max_bytes_;
  uint64_t size_ = 0;      // bytes in .spool (whole records only)
  uint64_t consumed_ = 0;  // offset of the first unconsumed record
  uint64_t pending_ = 0;
  bool unsynced_ = false;  // appended since the last Sync
};

}  // namespace slabcached::client
