#include "slabs/memory_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "slabs/slab_allocator.h"

namespace slabcached::slabs {
namespace {

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The record lives in the region's page 0, which no item ever uses.
constexpr size_t kRecordSpace = SlabAllocator::kPageSize;

bool WriteAll(int fd, std::string_view bytes, off_t offset) {
  while (!bytes.empty()) {
    const ssize_t n = pwrite(fd, bytes.data(), bytes.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return true;
}

}  // namespace

MemoryFile::MemoryFile(std::string path) : path_(std::move(path)) {
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) ThrowErrno("cannot open the memory file " + path_);
}

MemoryFile::~MemoryFile() { close(fd_); }

void MemoryFile::Resize(size_t bytes) {
  struct stat st {};
  if (fstat(fd_, &st) != 0) ThrowErrno("cannot stat the memory file " + path_);
  if (static_cast<size_t>(st.st_size) != bytes && ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
    ThrowErrno("cannot size the memory file " + path_);
  }
}

void MemoryFile::Clear(size_t bytes) {
  if (ftruncate(fd_, 0) != 0 || ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
    ThrowErrno("cannot empty the memory file " + path_);
  }
}

std::optional<RestartRecord> MemoryFile::ReadRecord(std::string* why) const {
  std::string bytes(kRecordSpace, '\0');
  size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t n =
        pread(fd_, bytes.data() + have, bytes.size() - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = "cannot read the memory file: " + std::string(std::strerror(errno));
      return std::nullopt;
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  bytes.resize(have);
  return DecodeRestartRecord(bytes, why);
}

void MemoryFile::MarkDirty() {
  if (!WriteAll(fd_, kDirtyMagic, 0) || fdatasync(fd_) != 0) {
    ThrowErrno("cannot write to the memory file " + path_);
  }
}

bool MemoryFile::WriteRecord(const RestartRecord& record, const void* base, size_t bytes,
                             std::string* why) {
  const std::string encoded = EncodeRestartRecord(record);
  if (encoded.size() > kRecordSpace) {
    *why = "the restart record (" + std::to_string(encoded.size()) + " bytes) does not fit in " +
           std::to_string(kRecordSpace);
    return false;
  }
  // The pages first, then the record: a record on the file promises pages
  // that are there. (On tmpfs both are no-ops past the page cache.)
  if (msync(const_cast<void*>(base), bytes, MS_SYNC) != 0 || !WriteAll(fd_, encoded, 0) ||
      fdatasync(fd_) != 0) {
    *why = "cannot write the memory file: " + std::string(std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace slabcached::slabs
