#include "client/invalidator.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "client/invalidation_event.h"
#include "client/spool.h"

namespace slabcached::client {
namespace {

using std::chrono::milliseconds;

constexpr size_t kRetryBatch = 256;        // spooled deletes per Consume
constexpr size_t kMaxLineBytes = 1 << 20;  // longer input lines are skipped
constexpr size_t kLinesPerSync = 128;      // input lines per fdatasync and offset
constexpr char kInputOffsetFile[] = "input.offset";

// "127.0.0.1:11211" -> "127.0.0.1_11211": a file name per server address,
// so a reordered server list keeps each server's spool.
std::string SpoolName(const ServerSpec& server) {
  std::string name = server.Address();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  }
  return name;
}

bool Confirmed(Status status) { return status == Status::kOk || status == Status::kNotFound; }

// <spool_dir>/input.offset: how many input bytes are done, as 20 digits.
// Written in place without fsync (see invalidator.h).
class InputOffsetFile {
 public:
  InputOffsetFile() = default;
  InputOffsetFile(const InputOffsetFile&) = delete;
  InputOffsetFile& operator=(const InputOffsetFile&) = delete;
  ~InputOffsetFile() {
    if (fd_ >= 0) close(fd_);
  }

  bool Open(const std::string& path, std::string* error) {
    path_ = path;
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) *error = path + ": " + std::strerror(errno);
    return fd_ >= 0;
  }
  uint64_t Read() const {
    char digits[32] = {};
    if (pread(fd_, digits, sizeof(digits) - 1, 0) <= 0) return 0;
    return std::strtoull(digits, nullptr, 10);
  }
  bool Write(uint64_t offset, std::string* error) const {
    char digits[32];
    const int n =
        std::snprintf(digits, sizeof(digits), "%020llu\n", static_cast<unsigned long long>(offset));
    if (pwrite(fd_, digits, n, 0) == n) return true;
    *error = path_ + ": cannot write";
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

struct Invalidator::Server {
  std::unique_ptr<Spool> spool;
  std::unique_ptr<Client> client;  // the default delete_on's
  milliseconds backoff{0};
  TimePoint retry_at{};
};

Invalidator::Invalidator(InvalidatorConfig config) : config_(std::move(config)) {}

Invalidator::~Invalidator() {
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

std::unique_ptr<Invalidator> Invalidator::Open(InvalidatorConfig config, std::string* error) {
  if (config.servers.empty()) {
    *error = "no servers";
    return nullptr;
  }
  if (!config.now) config.now = [] { return std::chrono::steady_clock::now(); };
  std::unique_ptr<Invalidator> inv(new Invalidator(std::move(config)));
  const InvalidatorConfig& c = inv->config_;
  // One invalidator per spool: two would deliver and consume the same
  // records and overwrite each other's offsets.
  const std::string lock_path = c.spool_dir + "/lock";
  inv->lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (inv->lock_fd_ < 0) {
    *error = lock_path + ": " + std::strerror(errno);
    return nullptr;
  }
  if (flock(inv->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    *error = c.spool_dir + " is in use by another invalidator";
    return nullptr;
  }
  inv->ring_ = std::make_unique<Continuum>(c.servers, c.placement);
  inv->servers_.resize(c.servers.size());
  const TimePoint now = c.now();
  for (size_t i = 0; i < c.servers.size(); ++i) {
    Server& s = inv->servers_[i];
    s.spool = Spool::Open(c.spool_dir, SpoolName(c.servers[i]), c.spool_max_bytes, error);
    if (s.spool == nullptr) return nullptr;
    s.backoff = c.backoff_initial;
    s.retry_at = now;  // a replayed spool is retried at once
    if (!c.delete_on) {
      ClientConfig one;
      one.servers = {c.servers[i]};
      one.timeout = c.timeout;
      one.auto_eject = false;
      one.protocol = c.protocol;
      one.tls = c.tls;
      one.sasl_username = c.sasl_username;
      one.sasl_password = c.sasl_password;
      s.client = std::make_unique<Client>(std::move(one));
    }
  }
  if (!inv->config_.delete_on) {
    Invalidator* self = inv.get();
    inv->config_.delete_on = [self](uint32_t server, std::string_view key) {
      return self->servers_[server].client->Delete(key);
    };
  }
  if (!inv->config_.servers_of) {
    const Continuum* ring = inv->ring_.get();
    std::shared_ptr<const HotKeys> hot = inv->config_.hot_keys;
    inv->config_.servers_of = [ring, hot](std::string_view key, std::vector<uint32_t>* servers) {
      if (hot != nullptr && hot->config().replicas > 1 && hot->IsHot(key)) {
        ring->PickDistinct(ring->HashForKey(key), hot->config().replicas, servers);
      } else {
        servers->assign(1, ring->Pick(key));
      }
    };
  }
  return inv;
}

bool Invalidator::Invalidate(std::string_view key) {
  const bool accepted = InvalidateUnsynced(key);
  return Sync() && accepted;
}

bool Invalidator::Sync() {
  bool ok = true;
  for (Server& s : servers_) ok = s.spool->Sync() && ok;
  return ok;
}

bool Invalidator::InvalidateUnsynced(std::string_view key) {
  key_servers_.clear();
  config_.servers_of(key, &key_servers_);
  bool accepted = true;
  for (uint32_t index : key_servers_) {
    if (index >= servers_.size()) continue;  // kNoServer: nothing to delete
    Server& s = servers_[index];
    if (s.spool->pending() == 0) {
      if (Confirmed(config_.delete_on(index, key))) {
        ++counts_.deleted;
        continue;
      }
      s.retry_at = config_.now() + s.backoff;
    }
    if (s.spool->Append(key) == Spool::AppendResult::kOk) {
      ++counts_.spooled;
    } else {
      accepted = false;
    }
  }
  return accepted;
}

void Invalidator::RetryDue() {
  const TimePoint now = config_.now();
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].spool->pending() > 0 && servers_[i].retry_at <= now) RetryServer(i, now);
  }
}

void Invalidator::RetryServer(uint32_t index, TimePoint now) {
  Server& s = servers_[index];
  while (s.spool->pending() > 0) {
    const std::vector<std::string> keys = s.spool->Peek(kRetryBatch);
    size_t confirmed = 0;
    while (confirmed < keys.size() && Confirmed(config_.delete_on(index, keys[confirmed]))) {
      ++confirmed;
    }
    counts_.retried += confirmed;
    const bool consumed = s.spool->Consume(confirmed);
    if (confirmed < keys.size() || !consumed || keys.empty()) {
      ++counts_.retry_failures;
      s.retry_at = std::max(now, config_.now()) + s.backoff;  // from the failure
      s.backoff = std::min(s.backoff * 2, config_.backoff_max);
      return;
    }
  }
  s.backoff = config_.backoff_initial;
}

std::optional<Invalidator::TimePoint> Invalidator::NextRetry() const {
  std::optional<TimePoint> next;
  for (const Server& s : servers_) {
    if (s.spool->pending() > 0 && (!next || s.retry_at < *next)) next = s.retry_at;
  }
  return next;
}

uint64_t Invalidator::Pending() const {
  uint64_t total = 0;
  for (const Server& s : servers_) total += s.spool->pending();
  return total;
}

uint64_t Invalidator::PendingFor(uint32_t server) const {
  return servers_[server].spool->pending();
}

void Invalidator::WaitAndRetry() {
  if (const std::optional<TimePoint> next = NextRetry()) {
    const auto wait = *next - config_.now();
    if (wait > wait.zero()) std::this_thread::sleep_for(wait);
  }
  RetryDue();
}

void Invalidator::ApplyLine(std::string_view line, uint64_t line_number,
                            const RunOptions& options) {
  const InvalidationEvent event = ParseInvalidationEvent(line);
  if (!event.error.empty()) {
    ++counts_.malformed;
    if (options.on_malformed) options.on_malformed(line_number, event.error);
    return;
  }
  if (event.keys.empty()) return;
  ++counts_.events;
  for (const std::string& key : event.keys) {
    while (!InvalidateUnsynced(key)) WaitAndRetry();  // a full spool: back-pressure
  }
}

bool Invalidator::Run(int fd, const RunOptions& options, std::string* error) {
  std::string why;
  const bool ok = ReadAll(fd, options, &why) && Drain(options.drain_timeout, &why);
  if (!ok && error != nullptr) *error = why;
  return ok;
}

bool Invalidator::ReadAll(int fd, const RunOptions& options, std::string* error) {
  InputOffsetFile offset_file;
  if (!offset_file.Open(config_.spool_dir + "/" + kInputOffsetFile, error)) return false;
  // A regular file resumes after what the previous run finished.
  uint64_t offset = 0;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    offset = offset_file.Read();
    if (lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) offset = 0;
  }
  if (!offset_file.Write(offset, error)) return false;

  std::string buffer;
  uint64_t line_number = 0;
  bool skipping = false;  // inside a line longer than kMaxLineBytes
  bool eof = false;
  while (true) {
    // Complete lines in groups: the group, one sync, then its offset.
    size_t start = 0;
    size_t in_group = 0;
    auto commit = [&] {
      in_group = 0;
      if (!Sync()) {
        *error = "cannot sync a spool";
        return false;
      }
      RetryDue();
      return offset_file.Write(offset, error);
    };
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (in_group == kLinesPerSync && !commit()) return false;
      ++in_group;
      ++line_number;
      if (skipping) {
        skipping = false;
      } else {
        ApplyLine(std::string_view(buffer).substr(start, nl - start), line_number, options);
      }
      offset += nl + 1 - start;
    }
    if (in_group > 0 && !commit()) return false;
    buffer.erase(0, start);
    if (eof) {
      // The last line had no newline: it still counts.
      if (!buffer.empty() && !skipping) ApplyLine(buffer, line_number + 1, options);
      offset += buffer.size();
      return Sync() && offset_file.Write(offset, error);
    }
    if (buffer.size() > kMaxLineBytes) {
      if (!skipping) {
        ++counts_.malformed;
        if (options.on_malformed) options.on_malformed(line_number + 1, "line too long");
      }
      skipping = true;
      offset += buffer.size();
      buffer.clear();
    }
    if (!ReadSome(fd, &buffer, &eof, error)) return false;
    RetryDue();
  }
}

bool Invalidator::ReadSome(int fd, std::string* buffer, bool* eof, std::string* error) {
  // Wait for input, but not past the next retry.
  int timeout_ms = -1;
  if (const std::optional<TimePoint> next = NextRetry()) {
    const auto wait = std::chrono::ceil<milliseconds>(*next - config_.now()).count();
    timeout_ms = static_cast<int>(std::clamp<int64_t>(wait, 0, 60000));
  }
  pollfd pfd{fd, POLLIN, 0};
  const int ready = poll(&pfd, 1, timeout_ms);
  if (ready < 0 && errno != EINTR) {
    *error = std::string("poll: ") + std::strerror(errno);
    return false;
  }
  if (ready <= 0) return true;
  char chunk[64 * 1024];
  const ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n < 0 && errno != EINTR && errno != EAGAIN) {
    *error = std::string("read: ") + std::strerror(errno);
    return false;
  }
  if (n == 0) *eof = true;
  if (n > 0) buffer->append(chunk, static_cast<size_t>(n));
  return true;
}

bool Invalidator::Drain(milliseconds timeout, std::string* error) {
  const TimePoint deadline = config_.now() + timeout;
  while (Pending() > 0) {
    if (timeout.count() >= 0) {
      const std::optional<TimePoint> next = NextRetry();
      if (config_.now() >= deadline || (next && *next > deadline)) {
        *error = std::to_string(Pending()) + " deletes still spooled";
        return false;
      }
    }
    WaitAndRetry();
  }
  return true;
}

}  // namespace slabcached::client
