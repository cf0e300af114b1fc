#include "client/client.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <random>
#include <tuple>

#include "client/binary_codec.h"
#include "client/client_work.h"
#include "client/connection.h"
#include "client/near_cache.h"
#include "proto/meta_encoder.h"
#include "proto/request.h"
#include "proto/text_encoder.h"

namespace slabcached::client {

using Clock = std::chrono::steady_clock;
using proto::Command;

bool IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > proto::kMaxKeyLength) return false;
  // A plain loop: keys are short, and std::none_of's vectorised form costs
  // more than it saves on them (every get, set and bulk-loaded line is
  // checked here).
  for (const char c : key) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f) return false;
  }
  return true;
}

namespace {

Status StatusOfLine(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::kStored:
    case ReplyKind::kDeleted:
    case ReplyKind::kTouched:
    case ReplyKind::kOk:
    case ReplyKind::kNumber:
      return Status::kOk;
    case ReplyKind::kNotStored:
      return Status::kNotStored;
    case ReplyKind::kExists:
      return Status::kExists;
    case ReplyKind::kNotFound:
      return Status::kNotFound;
    case ReplyKind::kClientError:
      return Status::kClientError;
    case ReplyKind::kServerError:
      return Status::kServerError;
    default:
      return Status::kProtocolError;
  }
}

Status StatusOfMeta(std::string_view code) {
  if (code == "HD" || code == "VA" || code == "MN") return Status::kOk;
  if (code == "EN" || code == "NF") return Status::kNotFound;
  if (code == "NS") return Status::kNotStored;
  if (code == "EX") return Status::kExists;
  return Status::kProtocolError;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The return flags of mg (c f t W X Z) and the value.
bool FillMeta(const Reply& r, MetaItem* item) {
  *item = MetaItem{};
  item->value.assign(r.data);
  bool ok = true;
  proto::ForEachMetaToken(r.meta_flags, [&](std::string_view token) {
    const std::string_view arg = token.substr(1);
    switch (token[0]) {
      case 'c':
        ok = ok && ParseNumber(arg, &item->cas);
        break;
      case 'f':
        ok = ok && ParseNumber(arg, &item->flags);
        break;
      case 't':
        ok = ok && ParseNumber(arg, &item->ttl);
        break;
      case 'W':
        item->won = true;
        break;
      case 'X':
        item->stale = true;
        break;
      case 'Z':
        item->token_sent = true;
        break;
      default:
        break;
    }
  });
  return ok;
}

// The multi-get result entry for `key`. Keys go to each server sorted and
// its replies come back in that order, so the end is tried first: an
// insertion there is not a search.
Item& ItemFor(std::map<std::string, Item>* items, std::string_view key) {
  if (items->empty() || std::string_view(items->rbegin()->first) < key) {
    return items
        ->emplace_hint(items->end(), std::piecewise_construct, std::forward_as_tuple(key),
                       std::forward_as_tuple())
        ->second;
  }
  return (*items)[std::string(key)];
}

// A hit: into the single-key op's item, or to the multi-get's callback.
void Deliver(Client::Op* op, std::string_view key, std::string_view value, uint32_t flags,
             uint64_t cas) {
  op->hit = true;
  if (op->item != nullptr) {
    op->item->value.assign(value);
    op->item->flags = flags;
    op->item->cas = cas;
    return;
  }
  (*op->on_item)(ItemView{.key = key, .value = value, .flags = flags, .cas = cas});
}

// A static name for the operation behind `command` ("get", "set", ...).
const char* OperationName(int command) {
  const std::string_view name = proto::TextCommandName(static_cast<Command>(command));
  return name.empty() ? "" : name.data();
}

// A status that makes the operation a failure (last_error) rather than an answer.
bool IsFailure(Status status) {
  return status != Status::kOk && status != Status::kNotFound && status != Status::kNotStored &&
         status != Status::kExists;
}

// Applies one reply to `op`. Returns true when the op is complete; sets
// *broken when the reply cannot belong to this op (stream out of sync).
bool ApplyReply(const Reply& r, Client::Op* op, bool* broken) {
  using Expect = Client::Op::Expect;
  if (r.kind == ReplyKind::kError || r.kind == ReplyKind::kClientError ||
      r.kind == ReplyKind::kServerError) {
    op->status = StatusOfLine(r.kind);  // ends any command
    op->error_line = r.kind == ReplyKind::kError;
    return true;
  }
  switch (op->expect) {
    case Expect::kMeta:
      if (r.kind != ReplyKind::kMeta) {
        *broken = true;
        return true;
      }
      op->status = StatusOfMeta(r.meta_code);
      if (op->meta != nullptr && !FillMeta(r, op->meta)) *broken = true;
      return true;
    case Expect::kVersion:
      if (r.kind != ReplyKind::kVersion) *broken = true;
      op->status = Status::kOk;
      return true;
    case Expect::kLine:
      if (r.kind == ReplyKind::kValue || r.kind == ReplyKind::kEnd || r.kind == ReplyKind::kStat ||
          r.kind == ReplyKind::kVersion || r.kind == ReplyKind::kMeta) {
        *broken = true;
        return true;
      }
      op->status = StatusOfLine(r.kind);
      op->number = r.number;
      return true;
    case Expect::kValues:
      if (r.kind == ReplyKind::kValue) {
        Deliver(op, r.key, r.data, r.flags, r.cas);
        return false;
      }
      if (r.kind != ReplyKind::kEnd) *broken = true;
      op->status = Status::kOk;
      return true;
    case Expect::kStats:
      if (r.kind == ReplyKind::kStat) {
        op->stats->emplace_back(std::string(r.key), std::string(r.data));
        return false;
      }
      if (r.kind != ReplyKind::kEnd) *broken = true;
      op->status = Status::kOk;
      return true;
  }
  return true;
}

// The binary-protocol counterpart of ApplyReply. Values arrive as getk/gatk
// (one answer each) or getkq (hits only) ended by the noop's answer.
bool ApplyBinaryReply(const proto::binary::Response& r, Client::Op* op, bool* broken) {
  namespace bin = proto::binary;
  using Expect = Client::Op::Expect;
  const auto opcode = static_cast<bin::Opcode>(r.header.opcode);
  const bool ok = r.header.status == bin::Status::kSuccess;
  switch (op->expect) {
    case Expect::kLine:
    case Expect::kVersion:
      if (r.header.opcode != op->opcode) {
        *broken = true;
        return true;
      }
      op->status = BinaryStatus(r.header.status, op->opcode);
      if (ok && (opcode == bin::Opcode::kIncrement || opcode == bin::Opcode::kDecrement)) {
        if (r.value.size() != 8) *broken = true;
        op->number = r.value.size() == 8 ? bin::LoadBe64(r.value.data()) : 0;
      }
      return true;
    case Expect::kValues: {
      if (opcode == bin::Opcode::kNoop) {
        // Ends a quiet multi-get; an error noted on the way is kept.
        if (op->status == Status::kTimeout) op->status = Status::kOk;
        return true;
      }
      const bool quiet = opcode == bin::Opcode::kGetKQ;
      if (ok) {
        if (r.extras.size() < 4) {
          *broken = true;
          return true;
        }
        Deliver(op, r.key, r.value, bin::LoadBe32(r.extras.data()), r.header.cas);
        if (!quiet) op->status = Status::kOk;
        return !quiet;
      }
      // A miss (getk/gatk only: getkq misses are silent) or an error.
      op->status = r.header.status == bin::Status::kKeyNotFound
                       ? Status::kOk
                       : BinaryStatus(r.header.status, r.header.opcode);
      return !quiet;
    }
    case Expect::kMeta:
      *broken = true;  // never sent over binary
      return true;
    case Expect::kStats:
      if (opcode != bin::Opcode::kStat) {
        *broken = true;
        return true;
      }
      if (!ok) {
        op->status = BinaryStatus(r.header.status, r.header.opcode);
        return true;
      }
      if (r.key.empty()) {
        op->status = Status::kOk;
        return true;
      }
      op->stats->emplace_back(std::string(r.key), std::string(r.value));
      return false;
  }
  return true;
}

}  // namespace

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "OK";
    case Status::kNotFound:
      return "NOT_FOUND";
    case Status::kNotStored:
      return "NOT_STORED";
    case Status::kExists:
      return "EXISTS";
    case Status::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case Status::kClientError:
      return "CLIENT_ERROR";
    case Status::kServerError:
      return "SERVER_ERROR";
    case Status::kProtocolError:
      return "PROTOCOL_ERROR";
    case Status::kTimeout:
      return "TIMEOUT";
    case Status::kConnectionFailure:
      return "CONNECTION_FAILURE";
    case Status::kNoServer:
      return "NO_SERVER";
    case Status::kServerEjected:
      return "SERVER_EJECTED";
    case Status::kSomeErrors:
      return "SOME_ERRORS";
    case Status::kBackendError:
      return "BACKEND_ERROR";
    case Status::kBusy:
      return "BUSY";
    case Status::kAuthFailure:
      return "AUTH_FAILURE";
    case Status::kTlsFailure:
      return "TLS_FAILURE";
  }
  return "";
}

Client::Client(ClientConfig config) : config_(std::move(config)) {
  if (config_.connections_per_server == 0) config_.connections_per_server = 1;
  health_ = config_.health;
  if (health_ == nullptr || health_->size() != config_.servers.size()) {
    health_ = std::make_shared<ServerHealth>(
        config_.servers.size(), HealthPolicy{.auto_eject = config_.auto_eject,
                                             .failure_limit = config_.failure_limit,
                                             .retry_interval = config_.retry_interval,
                                             .probe_before_restore = config_.probe_before_restore});
  }
  const ConnectionSettings settings = MakeConnectionSettings(config_);
  for (const ServerSpec& s : config_.servers) {
    for (uint32_t i = 0; i < config_.connections_per_server; ++i) {
      connections_.push_back(std::make_unique<Connection>(s, settings));
    }
  }
  state_.resize(config_.servers.size());
  if (config_.failure_limit == 0) config_.failure_limit = 1;
  if (config_.max_keys_per_get == 0) config_.max_keys_per_get = 1;
  replica_rng_ = std::random_device{}();  // each Client picks read replicas differently
  Rebuild();
}

Client::~Client() = default;

void Client::Rebuild() {
  health_generation_ = health_->generation();
  std::vector<bool> live = health_->Live();
  for (size_t i = 0; i < state_.size(); ++i) {
    if (!live[i]) state_[i].meta = MetaSupport::kUnknown;  // it may come back as another server
  }
  continuum_ = std::make_unique<Continuum>(config_.servers, config_.placement, std::move(live));
}

void Client::RestoreDueServers() {
  if (health_->AnyEjected()) {
    if (health_->policy().probe_before_restore) {
      ProbeDueServers();
    } else {
      health_->RestoreDue(Clock::now());
    }
  }
  if (health_->generation() != health_generation_) Rebuild();
}

void Client::ProbeDueServers() {
  const auto now = Clock::now();
  for (uint32_t server = 0; server < state_.size(); ++server) {
    if (health_->ClaimProbe(server, now) && Probe(server)) health_->Restore(server);
  }
}

bool Client::Probe(uint32_t server) {
  // The probe's failure is not the user's: last_error and the operation
  // name stay those of the user's operations.
  ClientError before = last_error_;
  const char* operation = operation_;
  operation_ = "version";
  std::vector<Work> works(1);
  works[0].server = server;
  works[0].ops.push_back({.expect = Op::Expect::kVersion});
  if (config_.protocol == Protocol::kBinary) {
    AppendKeyOnlyRequest(&works[0].request, proto::binary::Opcode::kVersion, {});
    works[0].ops[0].opcode = static_cast<uint8_t>(proto::binary::Opcode::kVersion);
  } else {
    works[0].request = "version\r\n";
  }
  Execute(&works);
  last_error_ = std::move(before);
  operation_ = operation;
  return works[0].ops[0].status == Status::kOk;
}

uint32_t Client::ServerFor(std::string_view key) {
  RestoreDueServers();
  return continuum_->Pick(key);
}

Status Client::PickServer(std::string_view key, uint32_t* server) {
  Status s = Status::kOk;
  if (!IsValidKey(key)) {
    *server = Continuum::kNoServer;
    s = Status::kInvalidArgument;
  } else if (pinned_ != Continuum::kNoServer) {
    *server = pinned_;
    if (health_->IsEjected(*server)) s = Status::kServerEjected;
  } else {
    *server = ServerFor(key);
    if (*server == Continuum::kNoServer) {
      s = Status::kNoServer;
    } else if (health_->IsEjected(*server)) {
      s = Status::kServerEjected;
    }
  }
  if (s != Status::kOk) RecordError(s, *server, 0, {});
  return s;
}

void Client::RecordError(Status status, uint32_t server, int sys_errno, std::string_view reply) {
  ClientError& e = last_error_;
  e.status = status;
  e.server = server;
  e.address.clear();
  if (server < config_.servers.size()) {
    const ServerSpec& spec = config_.servers[server];
    const bool v6 = spec.host.find(':') != std::string::npos;
    e.address.append(v6 ? "[" : "").append(spec.host).append(v6 ? "]" : "");
    e.address.append(":").append(std::to_string(spec.port));
  }
  e.operation = operation_;
  e.sys_errno = sys_errno;
  e.reply.assign(reply);
  e.timeout_ms = status == Status::kTimeout ? config_.timeout.count() : 0;
  e.via.clear();
  e.resolve_error.clear();
}

void Client::FailWork(Work* work, Status status, int sys_errno) {
  for (size_t i = work->next; i < work->ops.size(); ++i) work->ops[i].status = status;
  work->next = work->ops.size();
  work->done = true;
  RecordError(status, work->server, sys_errno, {});
  connections_[work->conn]->DescribeFailure(&last_error_);
  connections_[work->conn]->Close();
  // One failure per server and operation, however many of its connections
  // the operation used.
  ServerState& state = state_[work->server];
  if (state.failed_round == round_) return;
  state.failed_round = round_;
  if (health_->RecordFailure(work->server, Clock::now())) Rebuild();
}

void Client::ResetWork(Work* w, uint32_t server) {
  w->server = server;
  w->request.clear();
  w->ops.clear();
  w->next = 0;
  w->done = false;
}

Client::Work& Client::OneWork(uint32_t server) {
  one_.resize(1);
  ResetWork(&one_[0], server);
  return one_[0];
}

void Client::BeginExecute(std::vector<Work>* works) {
  ++round_;
  for (Work& w : *works) {
    // Round-robin over the server's connections: the works of one operation
    // to one server (a large multi-get) go out on distinct connections.
    ServerState& state = state_[w.server];
    w.conn = w.server * config_.connections_per_server + state.next_connection;
    state.next_connection = (state.next_connection + 1) % config_.connections_per_server;
    Connection& c = *connections_[w.conn];
    if (!c.open() && !c.StartConnect(Clock::now() + config_.timeout)) {
      FailWork(&w, c.resolve_timed_out() ? Status::kTimeout : Status::kConnectionFailure, errno);
      continue;
    }
    c.output().append(w.request);
    // Write at once: poll for POLLOUT only if the socket would block.
    if (c.connecting()) continue;
    if (const IoResult r = c.Write(); r != IoResult::kOk) FailWork(&w, FailureStatus(r), errno);
  }
}

short Client::PollEvents(const Work& w) const {
  const Connection& c = *connections_[w.conn];
  return static_cast<short>(POLLIN | (c.WantsWrite() ? POLLOUT : 0));
}

void Client::Progress(Work* w, short revents) {
  Connection& c = *connections_[w->conn];
  if (w->done || revents == 0) return;
  if (c.connecting() && !c.FinishConnect()) {
    FailWork(w, Status::kConnectionFailure, errno);  // FinishConnect leaves SO_ERROR in errno
    return;
  }
  if (c.connecting()) return;  // on to the host's next address
  if (revents & POLLOUT) {
    if (const IoResult r = c.Write(); r != IoResult::kOk) {
      FailWork(w, FailureStatus(r), errno);
      return;
    }
  }
  if (!(revents & (POLLIN | POLLHUP | POLLERR))) return;
  errno = 0;  // stays 0 when the server closed the connection (recv returned 0)
  const IoResult read = c.Read();
  const bool closed = read != IoResult::kOk;
  const int read_errno = errno;
  bool broken = false;
  const bool invalid = config_.protocol == Protocol::kBinary ? ApplyBinaryReplies(w, &broken)
                                                             : ApplyTextReplies(w, &broken);
  if (broken || invalid) {
    FailWork(w, Status::kProtocolError);
  } else if (w->next == w->ops.size()) {
    w->done = true;
    health_->RecordSuccess(w->server);
  } else if (closed) {
    FailWork(w, FailureStatus(read), read_errno);
  }
}

void Client::Execute(std::vector<Work>* works) {
  const auto deadline = Clock::now() + config_.timeout;
  BeginExecute(works);
  std::vector<pollfd>& fds = poll_fds_;
  std::vector<Work*>& active = poll_works_;
  for (;;) {
    fds.clear();
    active.clear();
    auto wake = deadline;  // or sooner, when a connect's share of it ends
    for (Work& w : *works) {
      if (w.done) continue;
      const Connection& c = *connections_[w.conn];
      fds.push_back({c.fd(), PollEvents(w), 0});
      active.push_back(&w);
      wake = std::min(wake, NextWake(w, deadline));
    }
    if (active.empty()) return;
    const auto now = Clock::now();
    if (deadline <= now) {
      for (Work* w : active) FailWork(w, Status::kTimeout);
      return;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
    const int n =
        poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30)));
    if (n < 0 && errno != EINTR) {
      const int poll_errno = errno;
      for (Work* w : active) FailWork(w, Status::kConnectionFailure, poll_errno);
      return;
    }
    for (size_t i = 0; i < active.size() && n > 0; ++i) Progress(active[i], fds[i].revents);
    for (Work* w : active) AdvanceStalledConnect(w, deadline);
  }
}

Clock::time_point Client::NextWake(const Work& w, Clock::time_point deadline) const {
  const Connection& c = *connections_[w.conn];
  if (w.done || !c.connecting()) return deadline;
  return std::min(deadline, c.attempt_deadline());
}

void Client::AdvanceStalledConnect(Work* w, Clock::time_point deadline) {
  Connection& c = *connections_[w->conn];
  const auto until = c.attempt_deadline();
  if (w->done || !c.connecting() || until >= deadline || Clock::now() < until) return;
  if (!c.TryNextAddress()) FailWork(w, Status::kConnectionFailure, errno);
}

bool Client::ApplyTextReplies(Work* w, bool* broken) {
  Connection& c = *connections_[w->conn];
  Reply reply;
  size_t used = 0;
  ReplyParse p = ReplyParse::kNeedMore;
  while (w->next < w->ops.size() && (p = c.Peek(&reply, &used)) == ReplyParse::kOk) {
    const bool complete = ApplyReply(reply, &w->ops[w->next], broken);
    if (reply.kind == ReplyKind::kError || reply.kind == ReplyKind::kClientError ||
        reply.kind == ReplyKind::kServerError) {
      RecordError(w->ops[w->next].status, w->server, 0,
                  reply.kind == ReplyKind::kError && reply.data.empty() ? "ERROR" : reply.data);
    }
    c.Consume(used);
    if (*broken) break;
    if (complete) ++w->next;
  }
  return p == ReplyParse::kInvalid;
}

bool Client::ApplyBinaryReplies(Work* w, bool* broken) {
  Connection& c = *connections_[w->conn];
  proto::binary::Response r;
  while (w->next < w->ops.size()) {
    const size_t used = proto::binary::ParseResponse(c.input(), &r);
    if (used == SIZE_MAX) return true;
    if (used == 0) break;
    const bool complete = ApplyBinaryReply(r, &w->ops[w->next], broken);
    if (r.header.status != proto::binary::Status::kSuccess && IsFailure(w->ops[w->next].status)) {
      RecordError(w->ops[w->next].status, w->server, 0, r.value);  // the server's error text
    }
    c.Consume(used);
    if (*broken) break;
    if (complete) ++w->next;
  }
  return false;
}

Status Client::Retrieve(int command, std::string_view key, int64_t exptime, Item* item) {
  operation_ = OperationName(command);
  if (static_cast<Command>(command) == Command::kGet && HotReplicas(key)) {
    return RetrieveReplicated(key, item);
  }
  uint32_t server = 0;
  if (Status s = PickServer(key, &server); s != Status::kOk) return s;
  proto::Request req;
  req.command = static_cast<Command>(command);
  req.keys = key;
  req.exptime = exptime;
  Work& w = OneWork(server);
  w.ops.push_back({.expect = Op::Expect::kValues, .item = &fetched_});
  if (config_.protocol == Protocol::kBinary) {
    w.ops[0].opcode = AppendBinaryRequest(&w.request, req.command, key, {}, 0, exptime, 0, 0);
  } else {
    proto::AppendRequestLine(&w.request, req);
  }
  Execute(&one_);
  const Op& op = one_[0].ops[0];
  if (op.status != Status::kOk) return op.status;
  if (!op.hit) return Status::kNotFound;
  // A swap, not a copy: the caller's old buffer is reused by the next fetch.
  std::swap(*item, fetched_);
  return Status::kOk;
}

// A write invalidates the near cache before it is sent and after its reply:
// a concurrent Get (another Client sharing the near cache) that fetched the
// old value cannot store it afterwards (NearCache::Put's epoch check).
void Client::InvalidateNear(int command, std::string_view key) {
  if (config_.near_cache == nullptr || static_cast<Command>(command) == Command::kTouch) return;
  config_.near_cache->Invalidate(key);
}

Status Client::Store(int command, std::string_view key, std::string_view value, uint32_t flags,
                     int64_t exptime, uint64_t cas) {
  operation_ = OperationName(command);
  if (HotReplicas(key)) return StoreReplicated(command, key, value, flags, exptime, cas);
  uint32_t server = 0;
  if (Status s = PickServer(key, &server); s != Status::kOk) return s;
  if (value.size() > UINT32_MAX) return Status::kInvalidArgument;
  InvalidateNear(command, key);
  proto::Request req;
  req.command = static_cast<Command>(command);
  req.key = key;
  req.client_flags = flags;
  req.exptime = exptime;
  req.value_bytes = static_cast<uint32_t>(value.size());
  req.cas_unique = cas;
  Work& w = OneWork(server);
  w.ops.push_back({});
  if (config_.protocol == Protocol::kBinary) {
    w.ops[0].opcode =
        AppendBinaryRequest(&w.request, req.command, key, value, flags, exptime, cas, 0);
  } else {
    proto::AppendRequestLine(&w.request, req);
    w.request.append(value);
    w.request.append(proto::kCrLf);
  }
  Execute(&one_);
  InvalidateNear(command, key);
  return one_[0].ops[0].status;
}

Status Client::Single(int command, std::string_view key, int64_t exptime, uint64_t delta,
                      uint64_t* number) {
  operation_ = OperationName(command);
  if (HotReplicas(key)) return SingleReplicated(command, key, exptime, delta, number);
  uint32_t server = 0;
  if (Status s = PickServer(key, &server); s != Status::kOk) return s;
  proto::Request req;
  req.command = static_cast<Command>(command);
  req.key = key;
  req.exptime = exptime;
  req.delta = delta;
  Work& w = OneWork(server);
  w.ops.push_back({});
  if (config_.protocol == Protocol::kBinary) {
    w.ops[0].opcode = AppendBinaryRequest(&w.request, req.command, key, {}, 0, exptime, 0, delta);
  } else {
    proto::AppendRequestLine(&w.request, req);
  }
  InvalidateNear(command, key);
  Execute(&one_);
  InvalidateNear(command, key);
  const Op& op = one_[0].ops[0];
  if (number != nullptr && op.status == Status::kOk) *number = op.number;
  return op.status;
}

Status Client::Get(std::string_view key, Item* item) {
  NearCache* near = NearCacheTakes(key) ? config_.near_cache.get() : nullptr;
  if (near == nullptr) return Retrieve(static_cast<int>(Command::kGet), key, 0, item);
  if (near->Get(key, item)) return Status::kOk;
  const uint64_t epoch = near->Epoch();
  const Status s = Retrieve(static_cast<int>(Command::kGet), key, 0, item);
  if (s == Status::kOk) near->Put(key, *item, epoch);
  return s;
}
Status Client::Gets(std::string_view key, Item* item) {
  return Retrieve(static_cast<int>(Command::kGets), key, 0, item);
}
Status Client::Gat(std::string_view key, int64_t exptime, Item* item) {
  return Retrieve(static_cast<int>(Command::kGats), key, exptime, item);
}
Status Client::Set(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return Store(static_cast<int>(Command::kSet), key, value, flags, exptime, 0);
}
Status Client::Add(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return Store(static_cast<int>(Command::kAdd), key, value, flags, exptime, 0);
}
Status Client::Replace(std::string_view key, std::string_view value, uint32_t flags,
                       int64_t exptime) {
  return Store(static_cast<int>(Command::kReplace), key, value, flags, exptime, 0);
}
Status Client::Append(std::string_view key, std::string_view value) {
  return Store(static_cast<int>(Command::kAppend), key, value, 0, 0, 0);
}
Status Client::Prepend(std::string_view key, std::string_view value) {
  return Store(static_cast<int>(Command::kPrepend), key, value, 0, 0, 0);
}
Status Client::Cas(std::string_view key, std::string_view value, uint64_t cas, uint32_t flags,
                   int64_t exptime) {
  return Store(static_cast<int>(Command::kCas), key, value, flags, exptime, cas);
}
Status Client::Delete(std::string_view key) {
  return Single(static_cast<int>(Command::kDelete), key, 0, 0, nullptr);
}
Status Client::Touch(std::string_view key, int64_t exptime) {
  return Single(static_cast<int>(Command::kTouch), key, exptime, 0, nullptr);
}
Status Client::Incr(std::string_view key, uint64_t delta, uint64_t* new_value) {
  return Single(static_cast<int>(Command::kIncr), key, 0, delta, new_value);
}
Status Client::Decr(std::string_view key, uint64_t delta, uint64_t* new_value) {
  return Single(static_cast<int>(Command::kDecr), key, 0, delta, new_value);
}

// --- Meta protocol ---

namespace {

int32_t MetaTtl(int64_t seconds) {
  return static_cast<int32_t>(std::clamp<int64_t>(seconds, -1, INT32_MAX));
}

}  // namespace

Status Client::MetaCommand(std::string_view key, const std::string& request, MetaItem* item) {
  uint32_t server = 0;
  if (Status s = PickServer(key, &server); s != Status::kOk) return s;
  std::vector<Work> works(1);
  works[0].server = server;
  works[0].request = request;
  works[0].ops.push_back({.expect = Op::Expect::kMeta, .meta = item});
  Execute(&works);
  return works[0].ops[0].status;
}

Status Client::MetaGet(std::string_view key, const MetaGetOptions& options, MetaItem* item) {
  if (config_.protocol != Protocol::kText || !IsValidKey(key)) return Status::kInvalidArgument;
  proto::Request req;
  req.command = Command::kMetaGet;
  req.key = key;
  for (const char flag : std::string_view("vcft")) req.meta.set.Add(flag);
  if (options.vivify_ttl > 0) {
    req.meta.set.Add('N');
    req.meta.vivify_ttl = MetaTtl(options.vivify_ttl);
  }
  if (options.recache_ttl > 0) {
    req.meta.set.Add('R');
    req.meta.recache_ttl = MetaTtl(options.recache_ttl);
  }
  operation_ = "mg";
  std::string request;
  proto::AppendMetaRequest(&request, req);
  MetaItem got;
  const Status s = MetaCommand(key, request, &got);
  if (s == Status::kOk) *item = std::move(got);
  return s;
}

Status Client::MetaSet(std::string_view key, std::string_view value,
                       const MetaSetOptions& options) {
  if (config_.protocol != Protocol::kText || !IsValidKey(key) || value.size() > UINT32_MAX) {
    return Status::kInvalidArgument;
  }
  proto::Request req;
  req.command = Command::kMetaSet;
  req.key = key;
  req.value_bytes = static_cast<uint32_t>(value.size());
  req.meta.set.Add('T');
  req.meta.ttl = MetaTtl(options.ttl);
  if (options.flags != 0) {
    req.meta.set.Add('F');
    req.meta.client_flags = options.flags;
  }
  if (options.compare_cas != 0) {
    req.meta.set.Add('C');
    req.meta.compare_cas = options.compare_cas;
  }
  if (options.invalidate) req.meta.set.Add('I');
  operation_ = "ms";
  std::string request;
  proto::AppendMetaRequest(&request, req);
  request.append(value);
  request.append(proto::kCrLf);
  if (config_.near_cache != nullptr) config_.near_cache->Invalidate(key);
  const Status s = MetaCommand(key, request, nullptr);
  if (config_.near_cache != nullptr) config_.near_cache->Invalidate(key);
  DropSecondaries(key);
  return s;
}

Status Client::MetaDelete(std::string_view key, uint64_t compare_cas, bool invalidate) {
  if (config_.protocol != Protocol::kText || !IsValidKey(key)) return Status::kInvalidArgument;
  proto::Request req;
  req.command = Command::kMetaDelete;
  req.key = key;
  if (compare_cas != 0) {
    req.meta.set.Add('C');
    req.meta.compare_cas = compare_cas;
  }
  if (invalidate) req.meta.set.Add('I');
  operation_ = "md";
  std::string request;
  proto::AppendMetaRequest(&request, req);
  if (config_.near_cache != nullptr) config_.near_cache->Invalidate(key);
  const Status s = MetaCommand(key, request, nullptr);
  if (config_.near_cache != nullptr) config_.near_cache->Invalidate(key);
  DropSecondaries(key);
  return s;
}

MetaSupport Client::MetaSupportOf(uint32_t server) {
  if (server >= state_.size()) return MetaSupport::kUnknown;
  if (config_.protocol != Protocol::kText) return MetaSupport::kNo;
  ServerState& state = state_[server];
  if (state.meta != MetaSupport::kUnknown) return state.meta;
  operation_ = "mn";
  ClientError before = last_error_;  // an ERROR answer is not a failure here
  std::vector<Work> works(1);
  works[0].server = server;
  works[0].request = "mn\r\n";
  works[0].ops.push_back({.expect = Op::Expect::kMeta});
  Execute(&works);
  const Op& op = works[0].ops[0];
  if (op.status == Status::kOk) {
    state.meta = MetaSupport::kYes;
  } else if (op.error_line) {
    state.meta = MetaSupport::kNo;
    last_error_ = std::move(before);
  }
  return state.meta;
}

bool Client::PlanWorks(std::span<const std::string_view> keys, bool with_cas,
                       const ItemCallback* on_item, std::vector<Work>* works) {
  operation_ = "multi-get";
  RestoreDueServers();
  const MultiGetPlanOptions options{.binary = config_.protocol == Protocol::kBinary,
                                    .with_cas = with_cas,
                                    .max_keys_per_get = config_.max_keys_per_get,
                                    .connections_per_server = config_.connections_per_server};
  const auto pick = [this](std::string_view key) {
    const uint32_t server = continuum_->Pick(key);
    return server != Continuum::kNoServer && health_->IsEjected(server) ? Continuum::kNoServer
                                                                        : server;
  };
  PlanMultiGet(keys, static_cast<uint32_t>(state_.size()), pick, options, &plan_);
  works->resize(plan_.size);
  for (size_t i = 0; i < plan_.size; ++i) {
    MultiGetBatch& batch = plan_.batches[i];
    Work& w = (*works)[i];
    ResetWork(&w, batch.server);
    // A swap: both buffers keep their capacity for the next multi-get.
    w.request.swap(batch.request);
    w.ops.assign(batch.commands, Op{.expect = Op::Expect::kValues, .on_item = on_item});
  }
  return !plan_.unplaced;
}

Status Client::MultiGet(std::span<const std::string_view> keys, const ItemCallback& on_item,
                        bool with_cas) {
  for (std::string_view k : keys) {
    if (!IsValidKey(k)) {
      operation_ = "multi-get";
      RecordError(Status::kInvalidArgument, Continuum::kNoServer, 0, {});
      return Status::kInvalidArgument;
    }
  }
  bool failed = !PlanWorks(keys, with_cas, &on_item, &multi_);
  Execute(&multi_);
  for (const Work& w : multi_) {
    for (const Op& op : w.ops) failed = failed || op.status != Status::kOk;
  }
  return failed ? Status::kSomeErrors : Status::kOk;
}

Status Client::MultiGet(const std::vector<std::string>& keys, std::map<std::string, Item>* found,
                        bool with_cas) {
  key_views_.assign(keys.begin(), keys.end());
  const auto collect = [found](const ItemView& v) {
    Item& item = ItemFor(found, v.key);
    item.value.assign(v.value);
    item.flags = v.flags;
    item.cas = v.cas;
  };
  return MultiGet(key_views_, collect, with_cas);
}

Status Client::Stats(uint32_t server, std::string_view args,
                     std::vector<std::pair<std::string, std::string>>* stats) {
  operation_ = "stats";
  if (server >= state_.size()) return Status::kInvalidArgument;
  proto::Request req;
  req.command = Command::kStats;
  req.args = args;
  std::vector<Work> works(1);
  works[0].server = server;
  works[0].ops.push_back({.expect = Op::Expect::kStats, .stats = stats});
  if (config_.protocol == Protocol::kBinary) {
    works[0].ops[0].opcode =
        AppendBinaryRequest(&works[0].request, Command::kStats, args, {}, 0, 0, 0, 0);
  } else {
    proto::AppendRequestLine(&works[0].request, req);
  }
  Execute(&works);
  return works[0].ops[0].status;
}

}  // namespace slabcached::client
