#include "client/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace slabcached::client {
namespace {

bool WriteAll(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    const ssize_t n = pwrite(fd, data, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

// Reads [offset, offset + size) of fd; false on an I/O error.
bool ReadRange(int fd, uint64_t offset, size_t size, std::string* out) {
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out->data() + done, size - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::unique_ptr<Spool> Spool::Open(const std::string& dir, const std::string& name,
                                   uint64_t max_bytes, std::string* error) {
  const std::string base = dir + "/" + name;
  const int spool_fd = open((base + ".spool").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (spool_fd < 0) {
    *error = base + ".spool: " + std::strerror(errno);
    return nullptr;
  }
  const int done_fd = open((base + ".done").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (done_fd < 0) {
    *error = base + ".done: " + std::strerror(errno);
    close(spool_fd);
    return nullptr;
  }
  std::unique_ptr<Spool> spool(new Spool(spool_fd, done_fd, max_bytes));
  if (!spool->Load(error)) {
    *error = base + ": " + *error;
    return nullptr;
  }
  return spool;
}

Spool::~Spool() {
  close(spool_fd_);
  close(done_fd_);
}

bool Spool::Load(std::string* error) {
  struct stat st;
  if (fstat(spool_fd_, &st) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  std::string contents;
  if (!ReadRange(spool_fd_, 0, static_cast<size_t>(st.st_size), &contents)) {
    *error = "cannot read the spool";
    return false;
  }
  // Drop a torn last record (its Append never returned).
  const size_t last_newline = contents.rfind('\n');
  size_ = last_newline == std::string::npos ? 0 : last_newline + 1;
  if (size_ != contents.size() && ftruncate(spool_fd_, static_cast<off_t>(size_)) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  std::string done;
  if (fstat(done_fd_, &st) != 0 ||
      !ReadRange(done_fd_, 0, static_cast<size_t>(st.st_size), &done)) {
    *error = "cannot read the offset";
    return false;
  }
  consumed_ = 0;
  for (char c : done) {
    if (c < '0' || c > '9') break;
    consumed_ = consumed_ * 10 + static_cast<uint64_t>(c - '0');
  }
  // An offset that is not a record boundary of this file (a stale .done
  // next to a truncated .spool) replays from the start: at least once.
  if (consumed_ > size_ || (consumed_ > 0 && contents[consumed_ - 1] != '\n')) consumed_ = 0;
  pending_ = 0;
  for (size_t i = consumed_; i < size_; ++i) pending_ += contents[i] == '\n';
  return true;
}

Spool::AppendResult Spool::Append(std::string_view key) {
  if (size_ + key.size() + 1 > max_bytes_) return AppendResult::kFull;
  std::string record(key);
  record += '\n';
  if (!WriteAll(spool_fd_, record.data(), record.size(), static_cast<off_t>(size_))) {
    // Whatever reached the file is past size_ and is overwritten next time.
    return AppendResult::kIoError;
  }
  size_ += record.size();
  ++pending_;
  unsynced_ = true;
  return AppendResult::kOk;
}

bool Spool::Sync() {
  if (!unsynced_) return true;
  if (fdatasync(spool_fd_) != 0) return false;
  unsynced_ = false;
  return true;
}

std::vector<std::string> Spool::Peek(size_t max) {
  std::vector<std::string> keys;
  uint64_t offset = consumed_;
  std::string chunk;
  while (keys.size() < max && offset < size_) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(size_ - offset, 64 * 1024));
    if (!ReadRange(spool_fd_, offset, want, &chunk)) break;
    size_t start = 0;
    for (size_t nl; keys.size() < max && (nl = chunk.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      keys.emplace_back(chunk, start, nl - start);
    }
    if (start == 0) break;  // a record longer than the chunk: never written by Append
    offset += start;
  }
  return keys;
}

bool Spool::Consume(size_t count) {
  if (count == 0) return true;
  if (count >= pending_) {
    // Everything confirmed: start both files over.
    if (ftruncate(spool_fd_, 0) != 0) return false;
    size_ = consumed_ = pending_ = 0;
    return WriteDone();
  }
  std::string chunk;
  size_t left = count;
  while (left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(size_ - consumed_, 64 * 1024));
    if (!ReadRange(spool_fd_, consumed_, want, &chunk)) return false;
    size_t start = 0;
    for (size_t nl; left > 0 && (nl = chunk.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      --left;
    }
    if (start == 0) return false;
    consumed_ += start;
  }
  pending_ -= count;
  return WriteDone();
}

bool Spool::WriteDone() {
  const std::string text = std::to_string(consumed_) + "\n";
  return ftruncate(done_fd_, 0) == 0 && WriteAll(done_fd_, text.data(), text.size(), 0) &&
         fdatasync(done_fd_) == 0;
}

}  // namespace slabcached::client
