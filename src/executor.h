// Executes decoded requests against the store, for every protocol.
// This is the only module that sees both proto/ and slabs/ (Pelikan's
// process.c): connections hand it Requests and a Responder; the executor
// decides the outcome (store calls, counters) and the Responder encodes it
// in the connection's protocol (src/responder.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "proto/request.h"
#include "proto/text_parser.h"
#include "slabs/clock.h"
#include "slabs/item_handle.h"
#include "slabs/store.h"
#include "src/clock_control.h"
#include "src/output_queue.h"
#include "src/reply_stream.h"
#include "src/responder.h"
#include "src/server_config.h"
#include "src/services.h"
#include "src/stats.h"
#include "src/store_continuation.h"

namespace slabcached {

// What the daemon lets the executor do beyond the store.
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  virtual void RequestShutdown(bool graceful) = 0;
  virtual int verbosity() const = 0;
  virtual void SetVerbosity(int level) = 0;
};

// The shared state every worker's executor reads.
struct ExecutorContext {
  const ServerConfig& config;
  const Services& services;  // the server's (refresh_certs, SASL users)
  slabs::Store& store;
  const slabs::Clock& clock;
  ServerStats& server_stats;
  ServerControl& control;
  // Test builds only ("debugtime"); null in the installed daemon.
  ClockControl* clock_control = nullptr;
};

// Per-connection state some commands change (binary SASL, dumps).
struct Session {
  bool authenticated = false;
  // Requests arrive in datagrams (-U): no reply may outlive its datagram.
  bool datagram = false;
  // A reply still being produced (lru_crawler metadump/mgdump): the
  // connection drains it before it reads the next request.
  std::unique_ptr<ReplyStream> stream;
};

class Executor {
 public:
  Executor(const ExecutorContext& context, ThreadStats* stats);

  enum class Next { kContinue, kClose };

  // A request with no data block (everything but storage commands).
  Next Execute(const proto::Request& request, Responder& out, Session& session);

  // A retrieval (get/gets/gat/gats) run a key at a time: before each key
  // after the first, `enough()` may say the replies queued so far are all
  // the connection should hold now. Returns the keys not yet run (empty once
  // every key ran and the reply ended); run them by passing a request whose
  // `keys` are what was returned.
  std::string_view Retrieve(const proto::Request& request, Responder& out,
                            const std::function<bool()>& enough);

  // A text parse error for a complete line: the reply memcached gives.
  void ReplyParseError(const proto::Request& request, proto::ParseError error, Responder& out);

  // A storage command's first step: allocates the item its data block is
  // read into, and returns the continuation that links it once the block
  // is in (src/store_continuation.h). On failure it answers the error (and,
  // for set, drops the old value); the continuation then has no item.
  StoreContinuation BeginStore(const proto::Request& request, Responder& out);

  ThreadStats* stats() { return stats_; }
  const slabs::Clock& clock() const { return context_.clock; }

 private:
  friend class StoreContinuation;
  // The second step (StoreContinuation::Complete): links the filled item.
  // `data_ok` is false when the block did not end in "\r\n".
  void CompleteStore(slabs::ItemHandle item, const proto::Request& request, bool data_ok,
                     Responder& out);

  // A data block that has no item to go to: counts it and answers the error.
  void FailAllocation(slabs::AllocStatus status, Responder& out);
  void Delete(const proto::Request& request, Responder& out);
  void Touch(const proto::Request& request, Responder& out);
  void Arithmetic(const proto::Request& request, Responder& out);
  void FlushAll(const proto::Request& request, Responder& out);
  void Stats(const proto::Request& request, Responder& out);
  void Verbosity(const proto::Request& request, Responder& out);
  void RefreshCerts(const proto::Request& request, Responder& out);
  Next Shutdown(const proto::Request& request, Responder& out);
  void CacheMemlimit(const proto::Request& request, Responder& out);
  void Slabs(const proto::Request& request, Responder& out);
  void Sasl(const proto::Request& request, Responder& out, Session& session);

  // The LRU crawler and key dumps (src/executor_admin.cc).
  void LruCrawler(const proto::Request& request, Responder& out, Session& session);
  // "lru_crawler crawl <classes>".
  void CrawlClasses(std::string_view arg, Responder& out);
  // "lru_crawler metadump|mgdump <classes>": hands the session its stream.
  void StartItemDump(bool mgdump, std::string_view arg, Responder& out, Session& session);
  void StatsCachedump(const proto::Request& request, Responder& out);

  // "lru tune|mode|temp_ttl" (src/executor_lru.cc).
  void Lru(const proto::Request& request, Responder& out);

  // Meta protocol (src/executor_meta.cc).
  void MetaGet(const proto::Request& request, Responder& out);
  void MetaDelete(const proto::Request& request, Responder& out);
  void MetaArithmetic(const proto::Request& request, Responder& out);
  void MetaDebug(const proto::Request& request, Responder& out);
  StoreContinuation BeginMetaStore(const proto::Request& request, Responder& out);
  void CompleteMetaStore(slabs::ItemHandle item, const proto::Request& request, Responder& out);
  // Remaining TTL as meta t prints it: -1 for never.
  int64_t MetaTtl(slabs::RelTime exptime) const;

  ExecutorContext context_;
  ThreadStats* stats_;
};

}  // namespace slabcached
