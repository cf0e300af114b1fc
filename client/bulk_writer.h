// Pipelined bulk writes (cache warm-up, bulk loads): sets are encoded into a
// buffer per server and sent without waiting for each reply, as
// libmemcached's NOREPLY + BUFFER_REQUESTS do.
//
//   slabcached::client::BulkWriter writer(&client);
//   for (...) writer.Set(key, value, flags, exptime);   // queued
//   BulkCounts counts = writer.Flush();                  // sent and confirmed
//
// A server's buffer is written out when it passes flush_bytes, by Flush(),
// and by the destructor. Flush() ends each server's batch with a sync
// request ("version" in text, noop in binary) and waits (config.timeout)
// for its reply: everything before it has then been processed.
//
// What is detected:
// - binary protocol (client.config().protocol == kBinary): sets go out as
//   quiet setq; the server answers only failures (e.g. out of memory, too
//   large), each counted in `failed`;
// - text protocol: sets go out with "noreply", which makes the server
//   suppress every reply, failures included: an item the server refused
//   (too large, out of memory) is counted as stored. Only errors the server
//   sends anyway (ERROR, CLIENT_ERROR on a malformed request) are counted.
//   Use the binary protocol when each failure matters;
// - both: a server that cannot be reached, breaks the connection or misses
//   the deadline has every item of its unconfirmed batch counted in
//   `failed` (some may have been stored), and for client.config().
//   retry_interval its keys are counted as failed at once, without a try.
//
// Keys are placed as client.ServerFor() places them; the writer has its own
// connections (one per server) and shares no state with the Client but its
// configuration and ring. Writes invalidate config.near_cache as Set does.
// Thread-compatible, like Client.
//
// Security is the Client's (config.tls, config.sasl_username): each of the
// writer's connections does the TLS handshake and the SASL login before its
// sets, within the deadline of the Send or Flush that opens it. A refused
// login or a failed handshake fails that server's batch like a broken
// connection; last_error() then says kAuthFailure or kTlsFailure, and Set
// returns that status while the server is held down.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "client.h"

namespace slabcached::client {

struct BulkCounts {
  uint64_t stored = 0;  // confirmed by the server's sync reply (see above)
  uint64_t failed = 0;  // refused, or lost with their server
};

class BulkWriter {
 public:
  static constexpr size_t kDefaultFlushBytes = 256 * 1024;

  // `client` must outlive the writer.
  explicit BulkWriter(Client* client, size_t flush_bytes = kDefaultFlushBytes);
  BulkWriter(const BulkWriter&) = delete;
  BulkWriter& operator=(const BulkWriter&) = delete;
  ~BulkWriter();  // Flush()

  // Queues a set. kOk when queued (its outcome comes with Flush);
  // kInvalidArgument for a bad key (nothing queued, not counted);
  // kNoServer / kConnectionFailure when it is counted as failed at once.
  Status Set(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);

  // Sends every buffer and waits for each server's sync reply. Returns the
  // totals since construction.
  BulkCounts Flush();
  const BulkCounts& counts() const { return counts_; }
  // The most recent failure of a server's batch, as Client::last_error()
  // reports one (operation "bulk set"); status kOk when none yet.
  const ClientError& last_error() const { return last_error_; }

 private:
  struct Lane;
  Lane* Open(uint32_t server);
  // Writes the lane's buffer out (polling while the socket would block),
  // reading any error replies meanwhile (and confirming the batch if the
  // sync reply is among them). False if the lane failed.
  bool Send(Lane* lane);
  // Consumes complete replies; true when the sync reply was among them.
  bool Drain(Lane* lane, bool* broken);
  // Counts the lane's batch as failed and holds the server down;
  // `status`/`sys_errno` go to last_error_.
  void Fail(Lane* lane, Status status, int sys_errno = 0);
  void Confirm(Lane* lane);

  Client* client_;
  size_t flush_bytes_;
  bool binary_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  BulkCounts counts_;
  ClientError last_error_;
};

}  // namespace slabcached::client
