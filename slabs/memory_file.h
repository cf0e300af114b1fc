// MemoryFile: the file behind the slab region with -e (memcached's
// memory_file): item pages live in it, mapped MAP_SHARED by the allocator,
// and its first page (page 0 of the region, never handed out) holds the
// restart record (slabs/restart.h). On tmpfs (/dev/shm, a systemd
// RuntimeDirectory) the pages cost memory only once used, like anonymous ones.
//
// Life of a file: a start reads the record, restores or empties the file,
// then marks it dirty before serving; only a graceful stop writes a clean
// record. A daemon killed in between leaves the dirty mark, so the next start
// is cold rather than trusting half-written items.
#pragma once

#include <optional>
#include <string>

#include "slabs/restart.h"

namespace slabcached::slabs {

class MemoryFile {
 public:
  // Opens `path`, creating it (mode 0600) when missing.
  // @throw std::system_error
  explicit MemoryFile(std::string path);
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // Makes the file `bytes` long (sparse), keeping what it holds. @throw std::system_error
  void Resize(size_t bytes);
  // Drops everything the file holds (its pages go back to the system) and
  // makes it `bytes` long again. @throw std::system_error
  void Clear(size_t bytes);
  // The record the last graceful stop wrote, or nullopt with `*why` set.
  std::optional<RestartRecord> ReadRecord(std::string* why) const;
  // Marks the file "in use": until WriteRecord(), a start will not restore it.
  // @throw std::system_error
  void MarkDirty();
  // Flushes the mapped pages at `base` (`bytes` long) to the file, then
  // writes `record` and syncs it. false with `*why` when it cannot.
  bool WriteRecord(const RestartRecord& record, const void* base, size_t bytes, std::string* why);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace slabcached::slabs
