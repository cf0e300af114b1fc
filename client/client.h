// libslabclient's client: a list of memcached-protocol servers (slabcached,
// memcached, or twemproxy in front of them), keys placed by a Continuum, the
// classic text protocol over non-blocking TCP connections (one per server by
// default; config.connections_per_server, used round-robin).
//
//   slabcached::client::ClientConfig config;
//   config.servers = *ParseServerList("10.0.0.1:11211:2,10.0.0.2:11211", &error);
//   slabcached::client::Client cache(config);
//   if (cache.Set("user:42", "alice", /*flags=*/0, /*exptime=*/300) != Status::kOk) ...
//   Item item;
//   if (cache.Get("user:42", &item) == Status::kOk) use(item.value);
//
// Errors are Status values; no exception leaves the API.
//
// config.protocol picks the classic text protocol (default) or the binary
// protocol for every server; results and Status values are the same (e.g.
// add of an existing key is kNotStored either way). A binary multi-get is
// one getkq per key and a noop per server, pipelined.
//
// Every operation has one deadline (config.timeout) covering connect, send
// and the whole reply. A multi-get sends one pipelined request per involved
// server, to all of them at once, and waits for all in one poll() loop,
// parsing replies as they arrive; its streaming form hands each item to a
// callback as soon as it is parsed (multi_get.h), and AsyncMultiGet
// (async_multi_get.h) lets an application's event loop drive one.
//
// Failures (libmemcached's auto-eject): a server whose operations fail
// (connect error, timeout, connection closed, unparsable reply)
// `failure_limit` times in a row is ejected from the ring for
// `retry_interval`: its keys fall to the next points of the continuum,
// exactly as libmemcached's ring without that server. When the interval has
// passed it is put back (one more failure ejects it again); a success resets
// its count. Replies such as NOT_STORED, SERVER_ERROR or CLIENT_ERROR are
// answers, not failures. The counts live in a ServerHealth
// (server_health.h), the Client's own unless config.health shares one.
// With config.probe_before_restore, a due server is first sent a "version"
// probe by the request that notices it (bounded by config.timeout; once per
// interval across Clients sharing the health) and put back, with a clean
// count, only if it answers: no user request is spent finding it still dead.
//
// last_error() tells what the most recent failed operation hit: which
// server, which operation, the errno or the server's error text
// (client_error.h). It is recorded only on failure and kept until the next
// one (a success does not clear it); Describe() formats it.
//
// Meta protocol (memcached 1.6: mg ms md mn; text protocol only): MetaGet,
// MetaSet and MetaDelete send one meta command and return its answer
// (HD/VA kOk, EN/NF kNotFound, NS kNotStored, EX kExists); with
// config.protocol == kBinary they return kInvalidArgument and send nothing.
// MetaSupportOf(server) asks the server once with "mn": "MN" means it speaks
// meta, "ERROR" (servers before memcached 1.6) means it does not; the answer
// is remembered until the server is ejected. These are the building blocks
// of CacheAside's meta stampede protection (cache_aside.h).
//
// With config.near_cache set, Get is answered from that in-process cache
// when it holds the key, and every write through this Client invalidates the
// key there (see near_cache.h for the staleness bound).
//
// Thread safety: a Client is thread-compatible, like libmemcached's
// memcached_st: calls on one Client must not overlap (give each thread its
// own Client, or guard one with a mutex). Distinct Clients share nothing but
// what their configs share (near_cache, health); ClientPool (pool.h) hands
// Clients that share their failure state out to threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client_error.h"
#include "continuum.h"
#include "multi_get.h"
#include "server_health.h"
#include "server_spec.h"

struct pollfd;  // <poll.h>

namespace slabcached::client {

enum class Status : uint8_t {
  kOk,               // stored, deleted, touched, found, incremented
  kNotFound,         // a miss; NOT_FOUND
  kNotStored,        // NOT_STORED: add of an existing key, replace/append/prepend of a missing one
  kExists,           // EXISTS: cas mismatch
  kInvalidArgument,  // bad key (empty, > 250 bytes, spaces or control bytes); nothing was sent
  kClientError,      // the server answered CLIENT_ERROR (e.g. incr of a non-number)
  kServerError,      // the server answered SERVER_ERROR (e.g. object too large, out of memory)
  kProtocolError,    // ERROR, or a reply that is not memcached's (the connection is dropped)
  kTimeout,          // no complete reply before the deadline (the connection is dropped)
  kConnectionFailure,  // connect failed, or the connection broke
  kNoServer,           // every server is ejected (or the list is empty)
  kServerEjected,      // modula placement picked an ejected server
  kSomeErrors,         // MultiGet: some servers failed; the others' items are returned
  kBackendError,       // cache patterns: the loader or database writer reported an error
  kBusy,               // cache patterns: another caller held the load lock past the wait
  kAuthFailure,        // the server refused the SASL credentials
  kTlsFailure,         // the TLS handshake failed (unknown CA, name mismatch, no TLS server)
};

std::string_view StatusName(Status status);

// A key memcached accepts: 1-250 bytes, no spaces or control bytes.
bool IsValidKey(std::string_view key);

struct Item {
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;  // set by Gets/Gat (and MultiGets); 0 otherwise
};

class NearCache;
class HotKeys;

enum class MetaSupport : uint8_t {
  kUnknown,  // not asked yet, or the probe failed (connection, timeout)
  kYes,      // "mn" answered "MN"
  kNo,       // "mn" answered "ERROR", or the Client speaks the binary protocol
};

struct MetaGetOptions {
  int64_t vivify_ttl = 0;   // N: on a miss create an empty item with this TTL (0: off)
  int64_t recache_ttl = 0;  // R: win the recache when the remaining TTL is below this (0: off)
};

// What mg returned (it always asks for v c f t).
struct MetaItem {
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;
  int64_t ttl = -1;         // remaining seconds; -1: never expires
  bool won = false;         // W: this caller won the right to (re)load the item
  bool stale = false;       // X: the item was invalidated (ms I / md I)
  bool token_sent = false;  // Z: another caller already won
};

struct MetaSetOptions {
  uint32_t flags = 0;        // F
  int64_t ttl = 0;           // T (0: never expires)
  uint64_t compare_cas = 0;  // C: store only if the item's CAS is still this (0: off)
  bool invalidate = false;   // I: with C, an older CAS stores the item marked stale
};

enum class Protocol : uint8_t {
  kText,    // memcached's classic text protocol (default)
  kBinary,  // memcached's binary protocol (deprecated by memcached, still served)
};

// TLS to every server (a daemon started with -Z), with OpenSSL.
struct TlsOptions {
  bool enabled = false;
  // PEM file of the CA(s) the servers' certificates must chain to; empty:
  // OpenSSL's default trust store.
  std::string ca_file;
  // Optional client certificate (chain) and key, PEM, for a daemon that asks
  // for one (-o ssl_verify_mode); key_file empty: the key is in cert_file.
  std::string cert_file;
  std::string key_file;
  // false accepts any server certificate (encryption without authentication).
  bool verify_peer = true;
  // Sent as SNI and, with verify_peer, required in the server's certificate
  // (subjectAltName DNS or CN); empty: no SNI and no name check.
  std::string server_name;
};

struct ClientConfig {
  std::vector<ServerSpec> servers;
  PlacementConfig placement;
  Protocol protocol = Protocol::kText;
  // Deadline of one operation (a multi-get counts as one).
  std::chrono::milliseconds timeout{1000};
  // How long a host name's addresses are used before they are looked up
  // again (the lookup then runs in the background while the old answer
  // serves). The process shares one cache; each Client ages it by its own
  // dns_ttl. 0: look up again on every new connection.
  std::chrono::milliseconds dns_ttl{60'000};
  bool auto_eject = true;
  uint32_t failure_limit = 2;  // consecutive failures that eject a server
  std::chrono::milliseconds retry_interval{2000};
  // Probe a due ejected server with "version" before putting it back (see
  // HealthPolicy::probe_before_restore in server_health.h).
  bool probe_before_restore = false;
  // Keys per "get" command of a multi-get (several commands are pipelined).
  size_t max_keys_per_get = 100;
  // Connections per server (0 counts as 1), opened lazily and used in turn
  // (round-robin per operation). A multi-get with more than
  // max_keys_per_get keys for one server spreads its get commands over them,
  // so the server works on them in parallel.
  uint32_t connections_per_server = 1;
  // Optional in-process cache for hot keys, may be shared by many Clients
  // (near_cache.h): Get reads through it, writes invalidate it.
  std::shared_ptr<NearCache> near_cache;
  // Optional set of hot keys, may be shared by many Clients (hot_keys.h):
  // each is written to several servers and read from one of them.
  std::shared_ptr<HotKeys> hot_keys;
  // Optional failure state shared with other Clients (ClientPool sets it):
  // its policy then replaces auto_eject, failure_limit and retry_interval
  // (ignored when it was made for another number of servers).
  std::shared_ptr<ServerHealth> health;
  // SASL PLAIN on every new connection when sasl_username is not empty, as
  // libmemcached does (memcached_set_sasl_auth_data); needs
  // Protocol::kBinary (a -S daemon speaks nothing else). A refused login
  // fails the operation with kAuthFailure; no request is answered before the
  // login succeeds.
  std::string sasl_username;
  std::string sasl_password;
  // TLS on every connection (unix-socket servers included), the handshake
  // within the operation's deadline; a failed one gives kTlsFailure.
  TlsOptions tls;
};

class Connection;

class Client {
 public:
  explicit Client(ClientConfig config);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  Status Get(std::string_view key, Item* item);
  Status Gets(std::string_view key, Item* item);  // also fills item->cas
  // gats: fetches and sets a new exptime; fills item->cas.
  Status Gat(std::string_view key, int64_t exptime, Item* item);

  Status Set(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  Status Add(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  Status Replace(std::string_view key, std::string_view value, uint32_t flags = 0,
                 int64_t exptime = 0);
  Status Append(std::string_view key, std::string_view value);
  Status Prepend(std::string_view key, std::string_view value);
  Status Cas(std::string_view key, std::string_view value, uint64_t cas, uint32_t flags = 0,
             int64_t exptime = 0);
  Status Delete(std::string_view key);
  Status Touch(std::string_view key, int64_t exptime);
  Status Incr(std::string_view key, uint64_t delta, uint64_t* new_value = nullptr);
  Status Decr(std::string_view key, uint64_t delta, uint64_t* new_value = nullptr);

  // Meta protocol (see above).
  Status MetaGet(std::string_view key, const MetaGetOptions& options, MetaItem* item);
  Status MetaSet(std::string_view key, std::string_view value, const MetaSetOptions& options);
  // md; compare_cas != 0 deletes only that version; invalidate marks the item
  // stale instead of deleting it (readers then get X and one of them W).
  Status MetaDelete(std::string_view key, uint64_t compare_cas = 0, bool invalidate = false);
  MetaSupport MetaSupportOf(uint32_t server);

  // Fetches many keys: one pipelined request per involved server, all servers
  // at once. Each distinct key found is passed to `on_item` as soon as its
  // reply is parsed (views valid during the call; a key listed twice is
  // fetched and delivered once). kOk when every server answered,
  // kSomeErrors when some failed: the items they had already delivered
  // stay delivered, the rest of their keys are not. The keys are not
  // copied; they need to live only during the call.
  Status MultiGet(std::span<const std::string_view> keys, const ItemCallback& on_item,
                  bool with_cas = false);
  // The same, collected: found keys land in `found` (misses are absent; a
  // duplicate key is one entry).
  Status MultiGet(const std::vector<std::string>& keys, std::map<std::string, Item>* found,
                  bool with_cas = false);

  // "stats [args]" of one server, as name/value pairs in the server's order.
  Status Stats(uint32_t server, std::string_view args,
               std::vector<std::pair<std::string, std::string>>* stats);

  // The index (in config.servers) of the server that owns `key` now, with
  // ejected servers left out; Continuum::kNoServer if none is live.
  uint32_t ServerFor(std::string_view key);
  // Every server that may hold `key` now: its owner, and for a hot key its
  // replicas (owner first). Empty if no server is live.
  void ServersFor(std::string_view key, std::vector<uint32_t>* servers);
  // Deletes `key` on that server only, whoever owns the key (an invalidator
  // retrying the one replica that missed a delete). kServerEjected while
  // the server is ejected.
  Status DeleteFrom(uint32_t server, std::string_view key);
  bool IsEjected(uint32_t server) const { return health_->IsEjected(server); }
  const ServerHealth& health() const { return *health_; }
  const ClientConfig& config() const { return config_; }
  // The most recent failure (see above); status kOk when none yet.
  const ClientError& last_error() const { return last_error_; }

  struct Op;
  struct Work;

 private:
  friend class AsyncMultiGet;

  Status Retrieve(int command, std::string_view key, int64_t exptime, Item* item);
  Status Store(int command, std::string_view key, std::string_view value, uint32_t flags,
               int64_t exptime, uint64_t cas);
  Status Single(int command, std::string_view key, int64_t exptime, uint64_t delta,
                uint64_t* number);
  void InvalidateNear(int command, std::string_view key);
  Status PickServer(std::string_view key, uint32_t* server);
  Status MetaCommand(std::string_view key, const std::string& request, MetaItem* item);
  void Execute(std::vector<Work>* works);
  // Execute in steps, for a caller's own loop: Begin assigns connections,
  // connects and writes; Progress handles poll events (POLLIN/POLLOUT/...)
  // on a work's connection; PollEvents is what it waits for.
  void BeginExecute(std::vector<Work>* works);
  void Progress(Work* w, short revents);
  short PollEvents(const Work& w) const;
  // A host's addresses share the deadline: when the one a connect waits on
  // had its share, moves on to the next (failing the work when none is
  // left). NextWake is when that is due, or `deadline`.
  void AdvanceStalledConnect(Work* w, std::chrono::steady_clock::time_point deadline);
  std::chrono::steady_clock::time_point NextWake(
      const Work& w, std::chrono::steady_clock::time_point deadline) const;
  // Plans a multi-get of valid keys into `works` (one per batch); false when
  // some key has no live server.
  bool PlanWorks(std::span<const std::string_view> keys, bool with_cas, const ItemCallback* on_item,
                 std::vector<Work>* works);
  // one_[0], emptied (buffers kept) for a single-key operation to `server`.
  Work& OneWork(uint32_t server);
  static void ResetWork(Work* work, uint32_t server);
  // Apply the complete replies in the input to w's ops; true when the input
  // is not a reply stream at all.
  bool ApplyTextReplies(Work* w, bool* broken);
  bool ApplyBinaryReplies(Work* w, bool* broken);
  void FailWork(Work* work, Status status, int sys_errno = 0);
  // Fills last_error_ (failure path only).
  void RecordError(Status status, uint32_t server, int sys_errno, std::string_view reply);
  // Restores due servers and rebuilds the ring when the health changed.
  void RestoreDueServers();
  // probe_before_restore: sends "version" to each due ejected server and
  // restores those that answer.
  void ProbeDueServers();
  bool Probe(uint32_t server);
  void Rebuild();

  // Hot-key replication (client_replicas.cc; see hot_keys.h).
  bool HotReplicas(std::string_view key);  // fills replicas_ when `key` has > 1
  Status RetrieveReplicated(std::string_view key, Item* item);
  Status StoreReplicated(int command, std::string_view key, std::string_view value, uint32_t flags,
                         int64_t exptime, uint64_t cas);
  Status SingleReplicated(int command, std::string_view key, int64_t exptime, uint64_t delta,
                          uint64_t* number);
  void DropSecondaries(std::string_view key);
  bool NearCacheTakes(std::string_view key) const;
  // Runs `op` (a single-key operation) against `server` instead of the key's owner.
  template <typename Fn>
  Status Pinned(uint32_t server, const Fn& op);

  struct ServerState {
    MetaSupport meta = MetaSupport::kUnknown;
    uint32_t next_connection = 0;  // round-robin over the server's connections
    uint64_t failed_round = 0;     // the last Execute round that counted a failure
  };
  uint64_t round_ = 0;  // Execute calls so far

  ClientConfig config_;
  std::shared_ptr<ServerHealth> health_;
  uint64_t health_generation_ = 0;  // of health_, when the ring was built
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<ServerState> state_;
  std::unique_ptr<Continuum> continuum_;
  // Reused by every operation so that a get or set allocates nothing in the
  // steady state: the single-key work, the fetched item, the poll set.
  std::vector<Work> one_;
  Item fetched_;
  std::vector<pollfd> poll_fds_;
  std::vector<Work*> poll_works_;
  // MultiGet's: the key views, the plan, its works.
  std::vector<std::string_view> key_views_;
  MultiGetPlan plan_;
  std::vector<Work> multi_;
  // Hot keys: the server single-key operations go to instead of the key's
  // owner (kNoServer: none), a key's replicas, the state of the random
  // choice of the replica a read goes to.
  uint32_t pinned_ = Continuum::kNoServer;
  std::vector<uint32_t> replicas_;
  uint64_t replica_rng_ = 0;
  // The public operation under way (a static name) and the last failure.
  const char* operation_ = "";
  ClientError last_error_;
};

}  // namespace slabcached::client
