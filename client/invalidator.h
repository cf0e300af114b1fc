// Reliable event-based invalidation (as mcrouter's reliable delete stream):
// every key of an invalidation event is deleted on every server that may
// hold it, and a delete a server could not take (down, timed out) is kept in
// an on-disk spool (spool.h) and retried with exponential back-off until the
// server confirms it. NOT_FOUND counts as confirmed.
//
//   InvalidatorConfig config;
//   config.servers = *ParseServerList("10.0.0.1:11211,10.0.0.2:11211", &error);
//   config.spool_dir = "/var/spool/slabcache";   // must exist
//   auto invalidator = Invalidator::Open(config, &error);
//   invalidator->Run(STDIN_FILENO, {});          // until end of input and drained
//
// or event by event: Invalidate(key) for each key, and RetryDue() whenever
// NextRetry() has come.
//
// Guarantees (delivery is at least once; a delete is idempotent):
// - Invalidate(key) returns only when each of the key's servers confirmed
//   the delete or the delete is in that server's spool, fdatasync'ed. A
//   server with spooled deletes gets new ones spooled without a try, so one
//   dead server costs one timeout, not one per key. Run() syncs once per
//   group of input lines (up to 128 read together: group commit) and
//   records their offset only after that sync.
// - The spool is replayed when the Invalidator is opened again, so neither a
//   daemon crash nor a crash of the invalidator loses a delete.
// - Run() records in <spool_dir>/input.offset how many input bytes are done
//   (deleted or spooled), after each event and before reading the next. A
//   regular file as input is resumed from there; for a pipe or FIFO the
//   producer reads that file to know where to resend from (pwrite without
//   fsync: it survives a crash of the process, not of the machine, and a
//   lost offset only repeats deletes).
// - A spool is bounded (spool_max_bytes per server). When it is full the
//   invalidator does not drop: Invalidate returns false and Run() stops
//   reading input until retries drain it (back-pressure on the producer).
//
// The servers of a key are its ring owner (config.placement, no auto-eject:
// a key's deletes go to its configured server, never to a stand-in); a key
// that config.hot_keys holds is deleted on each of its R replicas, the same
// servers a Client sharing that HotKeys writes it to (hot_keys.h).
//
// Thread-compatible: one caller at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client.h"
#include "hot_keys.h"

namespace slabcached::client {

class Spool;

struct InvalidatorConfig {
  std::vector<ServerSpec> servers;
  PlacementConfig placement;
  std::chrono::milliseconds timeout{1000};  // per delete
  std::string spool_dir;                    // an existing directory
  uint64_t spool_max_bytes = 64 << 20;      // per server
  // Retry back-off of a server whose delete failed: initial, doubled after
  // each failed retry, capped at max; back to initial once it is drained.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{30000};
  // How the default delete_on's Clients talk to the servers (ClientConfig's
  // fields of the same names): a TLS (-Z) or SASL (-S) fleet.
  Protocol protocol = Protocol::kText;
  TlsOptions tls;
  std::string sasl_username;
  std::string sasl_password;

  // The hot keys of the Clients that write these servers (null: none).
  std::shared_ptr<const HotKeys> hot_keys;

  // Hooks; empty means the default.
  // The servers (indexes in `servers`) that may hold `key`. Default: the
  // ring owner, and for a hot key its replicas.
  std::function<void(std::string_view key, std::vector<uint32_t>* servers)> servers_of;
  // Deletes `key` on one server. Default: a Client per server.
  std::function<Status(uint32_t server, std::string_view key)> delete_on;
  // The clock of the back-off. Default: steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct InvalidatorCounts {
  uint64_t events = 0;          // input lines with keys (Run)
  uint64_t malformed = 0;       // input lines skipped (Run)
  uint64_t deleted = 0;         // deletes confirmed at once (NOT_FOUND included)
  uint64_t spooled = 0;         // deletes written to a spool
  uint64_t retried = 0;         // spooled deletes confirmed later
  uint64_t retry_failures = 0;  // retry rounds that failed (each backs off)
};

class Invalidator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Opens every server's spool (replaying what a previous run left: those
  // servers are retried at once). nullptr and `error` on failure, also when
  // another Invalidator (in any process) has the spool directory open.
  static std::unique_ptr<Invalidator> Open(InvalidatorConfig config, std::string* error);
  Invalidator(const Invalidator&) = delete;
  Invalidator& operator=(const Invalidator&) = delete;
  ~Invalidator();

  // Deletes `key` (a valid key) on each of its servers, or spools it (see
  // above). False when a spool could not take it (full, or an I/O error):
  // call RetryDue() when NextRetry() has come and try the key again.
  bool Invalidate(std::string_view key);
  // Invalidate without the fdatasync: durable at the next Sync().
  bool InvalidateUnsynced(std::string_view key);
  // fdatasync()s every spool appended to; false on an I/O error.
  bool Sync();

  // Retries every server whose back-off time has come, oldest delete first;
  // stops at a server's first failure and backs off.
  void RetryDue();
  // When the next retry is due; nullopt when nothing is spooled.
  std::optional<TimePoint> NextRetry() const;

  uint64_t Pending() const;  // spooled deletes not confirmed, all servers
  uint64_t PendingFor(uint32_t server) const;
  const InvalidatorCounts& counts() const { return counts_; }

  struct RunOptions {
    // After end of input: how long to keep retrying until every spool is
    // drained (negative: until drained).
    std::chrono::milliseconds drain_timeout{-1};
    // Called for each skipped input line (1-based number, why).
    std::function<void(uint64_t line, std::string_view why)> on_malformed;
  };
  // Reads events (invalidation_event.h), one per line, from `fd` until end
  // of input, invalidating each key and retrying in between; then drains.
  // True when nothing is left in a spool; false when the drain timed out or
  // the input or the offset file failed (`error`).
  bool Run(int fd, const RunOptions& options, std::string* error = nullptr);

 private:
  struct Server;
  explicit Invalidator(InvalidatorConfig config);
  void RetryServer(uint32_t index, TimePoint now);
  // Run's stages: the input (lines, groups, offset), then the spools.
  bool ReadAll(int fd, const RunOptions& options, std::string* error);
  // Waits for input until the next retry is due, and reads what came.
  bool ReadSome(int fd, std::string* buffer, bool* eof, std::string* error);
  bool Drain(std::chrono::milliseconds timeout, std::string* error);
  // Blocks (real time) until NextRetry(), then retries.
  void WaitAndRetry();
  // Invalidates every key of one input line, waiting while a spool is full.
  void ApplyLine(std::string_view line, uint64_t line_number, const RunOptions& options);

  InvalidatorConfig config_;
  std::vector<Server> servers_;
  std::unique_ptr<Continuum> ring_;    // for the default servers_of
  int lock_fd_ = -1;                   // flock()ed <spool_dir>/lock: one invalidator per spool
  std::vector<uint32_t> key_servers_;  // scratch for servers_of
  InvalidatorCounts counts_;
};

}  // namespace slabcached::client
