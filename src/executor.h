// Executes decoded requests against the store, for every protocol.
// This is the only module that sees both proto/ and slabs/ (Pelikan's
// process.c): connections hand it Requests and the request's composer; the
// executor decides the outcome (store calls, counters) as a typed Response
// (src/response.h), pure of wire format, and the composer encodes it in the
// connection's protocol (src/responder.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proto/request.h"
#include "proto/text_parser.h"
#include "slabs/clock.h"
#include "slabs/item_handle.h"
#include "slabs/store.h"
#include "src/clock_control.h"
#include "src/logger.h"
#include "src/output_queue.h"
#include "src/reply_stream.h"
#include "src/responder.h"
#include "src/response.h"
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
  // watch, stats conns, stats detail (the server's; null: not served).
  Logger* logger = nullptr;
  class ConnDirectory* conns = nullptr;
  class PrefixStats* prefix_stats = nullptr;
};

// Per-connection state some commands change (binary SASL, dumps).
struct Session {
  bool authenticated = false;
  // Requests arrive in datagrams (-U): no reply may outlive its datagram.
  bool datagram = false;
  // A reply still being produced (lru_crawler metadump/mgdump): the
  // connection drains it before it reads the next request.
  std::unique_ptr<ReplyStream> stream;
  // "watch" succeeded: the connection hands its socket to the logger,
  // as a watcher of these kinds (proto/watch_format.h).
  uint32_t watch_kinds = 0;
};

// How much reply a multi-key retrieval may queue before it pauses: once
// `queue` holds more than `cap` bytes (none: never pauses).
struct ReplyBudget {
  const OutputQueue* queue = nullptr;
  size_t cap = SIZE_MAX;
  bool Spent() const { return queue != nullptr && queue->footprint() > cap; }
};

class Executor {
 public:
  Executor(const ExecutorContext& context, ThreadStats* stats);

  enum class Next { kContinue, kClose };

  // A request with no data block (everything but storage commands).
  Next Execute(const proto::Request& request, Responder& out, Session& session);

  // A retrieval (get/gets/gat/gats) run a key at a time: after each key but
  // the last it stops when `budget` is spent. Returns the keys not yet run
  // (empty once every key ran and the reply ended); run them by passing a
  // request whose `keys` are what was returned.
  std::string_view Retrieve(const proto::Request& request, Responder& out,
                            const ReplyBudget& budget);

  // A text parse error for a complete line: the reply memcached gives.
  void ReplyParseError(const proto::Request& request, proto::ParseError error, Responder& out);

  // A storage command's first step: allocates the item its data block is
  // read into, and returns the continuation that links it once the block
  // is in (src/store_continuation.h). On failure it answers the error (and,
  // for set, drops the old value); the continuation then has no item.
  StoreContinuation BeginStore(const proto::Request& request, Responder& out);

  ThreadStats* stats() { return stats_; }
  // This worker's hooks into the logger (src/logger.h).
  void AttachLog(const EventLog& events) { events_ = events; }
  const EventLog& events() const { return events_; }
  // The client whose requests run now (watch lines name it as cfd).
  void set_client_fd(int fd) { client_fd_ = fd; }
  const slabs::Clock& clock() const { return context_.clock; }

  // The data-path verbs: store calls and counters, the outcome returned for
  // the composer (Execute() hands it over).
  // One key of a retrieval (`request` is the get/gets/gat/gats).
  RetrievalResponse RetrieveKey(const proto::Request& request, std::string_view key);
  // The second step of a store (StoreContinuation::Complete): links the
  // filled item. `data_ok` is false when the block did not end in "\r\n".
  StoreResponse CompleteStore(slabs::ItemHandle item, const proto::Request& request, bool data_ok);
  DeleteResponse Delete(const proto::Request& request);
  TouchResponse Touch(const proto::Request& request);
  ArithmeticResponse Arithmetic(const proto::Request& request);
  // Meta protocol (src/executor_meta.cc).
  MetaGetResponse MetaGet(const proto::Request& request);
  DeleteResponse MetaDelete(const proto::Request& request);
  ArithmeticResponse MetaArithmetic(const proto::Request& request);
  MetaDebugResponse MetaDebug(const proto::Request& request);

 private:
  // A data block that has no item to go to: counts it; the outcome says why.
  StoreResponse FailAllocation(slabs::AllocStatus status);
  // What linking a filled item did (classic and ms alike), counted as
  // memcached counts it; `cas_mode`: a compare-and-swap, with its own hit,
  // mismatch and miss counters.
  StoreResponse Linked(const slabs::LinkResult& linked, bool cas_mode);
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

  // watch and stats detail (src/executor_watch.cc).
  void Watch(const proto::Request& request, Responder& out, Session& session);
  void StatsDetail(const proto::Request& request, Responder& out);
  // stats detail is on: record gets, sets and deletes by key prefix.
  bool DetailOn() const;
  // "stats settings", with detail_enabled as "stats detail on|off" left it.
  void AppendLiveSettings(const StatsSources& sources, Responder& out);

  // "lru tune|mode|temp_ttl" (src/executor_lru.cc).
  void Lru(const proto::Request& request, Responder& out);

  StoreContinuation BeginMetaStore(const proto::Request& request, Responder& out);
  StoreResponse CompleteMetaStore(slabs::ItemHandle item, const proto::Request& request);
  // Remaining TTL as meta t prints it: -1 for never.
  int64_t MetaTtl(slabs::RelTime exptime) const;

  ExecutorContext context_;
  ThreadStats* stats_;
  EventLog events_;
  int client_fd_ = -1;
};

}  // namespace slabcached
