#include "src/executor.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "build_config.h"
#include "proto/binary_protocol.h"
#include "proto/commands.h"
#include "proto/meta_encoder.h"
#include "proto/text_encoder.h"
#include "proto/tokenizer.h"
#include "src/conn_registry.h"
#include "src/prefix_stats.h"
#include "src/sasl.h"
#include "src/tls.h"

namespace slabcached {

using proto::Command;
using proto::ReplyError;
using proto::Request;

namespace {

// get/gets: the store's defaults, built once (a get must not pay for
// building its options).
constexpr slabs::GetOptions kPlainGet{};
// What `watch deletions` reads of an item before deleting it: no bump, no hit.
constexpr slabs::GetOptions kPeek{.bump = false, .peek = true};

slabs::StoreMode ModeFor(Command command) {
  switch (command) {
    case Command::kAdd:
      return slabs::StoreMode::kAdd;
    case Command::kReplace:
      return slabs::StoreMode::kReplace;
    case Command::kAppend:
      return slabs::StoreMode::kAppend;
    case Command::kPrepend:
      return slabs::StoreMode::kPrepend;
    case Command::kCas:
      return slabs::StoreMode::kCas;
    default:
      return slabs::StoreMode::kSet;
  }
}

// gat/gats: a get that moves the item's expiry to `exptime`.
slabs::GetOptions GatOptions(slabs::RelTime exptime) {
  slabs::GetOptions gat;
  gat.ttl.touch = true;
  gat.ttl.exptime = exptime;
  return gat;
}

// The first token of a command's arguments ("" when there is none).
std::string_view FirstWord(std::string_view args) { return proto::PopToken(&args); }

// A decimal int with nothing after it.
bool ParseSigned(std::string_view text, int* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

StoreResponse Executor::FailAllocation(slabs::AllocStatus status) {
  if (status == slabs::AllocStatus::kTooLarge) {
    stats_->store_too_large.Add();
    return {.outcome = StoreOutcome::kTooLarge};
  }
  stats_->store_no_memory.Add();
  return {.outcome = StoreOutcome::kNoMemory};
}

Executor::Executor(const ExecutorContext& context, ThreadStats* stats)
    : context_(context), stats_(stats) {}

Executor::Next Executor::Execute(const Request& request, Responder& out, Session& session) {
  switch (request.command) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      Retrieve(request, out, {});
      break;
    case Command::kDelete:
      out.Reply(Delete(request));
      break;
    case Command::kTouch:
      out.Reply(Touch(request));
      break;
    case Command::kIncr:
    case Command::kDecr:
      out.Reply(Arithmetic(request));
      break;
    case Command::kFlushAll:
      FlushAll(request, out);
      break;
    case Command::kVersion:
      out.Version(MEMCACHED_COMPAT_VERSION);
      break;
    case Command::kVerbosity:
      Verbosity(request, out);
      break;
    case Command::kRefreshCerts:
      RefreshCerts(request, out);
      break;
    case Command::kQuit:
      out.Goodbye();
      return Next::kClose;
    case Command::kStats:
      Stats(request, out);
      break;
    case Command::kShutdown:
      return Shutdown(request, out);
    case Command::kCacheMemlimit:
      CacheMemlimit(request, out);
      break;
    case Command::kSlabs:
      Slabs(request, out);
      break;
    case Command::kNoop:
      out.Ok();
      break;
    case Command::kMetaGet:
      out.Reply(MetaGet(request));
      break;
    case Command::kMetaDelete:
      out.Reply(MetaDelete(request));
      break;
    case Command::kMetaArithmetic:
      out.Reply(MetaArithmetic(request));
      break;
    case Command::kMetaDebug:
      out.Reply(MetaDebug(request));
      break;
    case Command::kMetaNoop:  // the meta composer's Ok() is "MN"
      out.Ok();
      break;
    case Command::kLruCrawler:
      LruCrawler(request, out, session);
      break;
    case Command::kLru:
      Lru(request, out);
      break;
    case Command::kSaslListMechs:
    case Command::kSaslAuth:
    case Command::kSaslStep:
      Sasl(request, out, session);
      break;
    case Command::kWatch:
      Watch(request, out, session);
      break;
    case Command::kDebugTime:  // ERROR, as any unknown command, unless a test build
      if (context_.clock_control != nullptr && context_.clock_control->DebugTime(request.args)) {
        out.Ok();
      } else {
        out.Fail(ReplyError::kUnknownCommand);
      }
      break;
    default:
      // slabs subcommands slabcached does not serve yet.
      out.Fail(ReplyError::kUnknownCommand);
      break;
  }
  return Next::kContinue;
}

void Executor::ReplyParseError(const Request& request, proto::ParseError error, Responder& reply) {
  if (request.command == Command::kFlushAll) {
    // memcached counts the flush and checks -F before it reads the delay.
    stats_->cmd_flush.Add();
    if (!context_.config.flush_enabled) {
      reply.Fail(ReplyError::kFlushDisabled);
      return;
    }
  }
  reply.Fail(proto::ErrorOf(error));
}

RetrievalResponse Executor::RetrieveKey(const Request& request, std::string_view key) {
  const proto::CommandInfo& info = proto::InfoOf(request.command);
  const bool touch = info.Has(proto::kTouches);
  slabs::GetResult found =
      touch ? context_.store.Get(key, GatOptions(context_.clock.ToRelTime(request.exptime)))
            : context_.store.Get(key, kPlainGet);
  const bool hit = static_cast<bool>(found.item);
  // memcached 1.6.18 counts gat/gats (and binary GAT) as touches only.
  if (touch) {
    stats_->cmd_touch.Add();
    (hit ? stats_->touch_hits : stats_->touch_misses).Add();
  } else {
    stats_->cmd_get.Add();
    (hit ? stats_->get_hits : stats_->get_misses).Add();
  }
  if (found.outcome == slabs::GetOutcome::kExpired) stats_->get_expired.Add();
  if (found.outcome == slabs::GetOutcome::kFlushed) stats_->get_flushed.Add();
  if (events_.Watching(proto::kWatchFetchers)) {
    events_.ItemGet(key, found.outcome, found.item, client_fd_);
  }
  if (DetailOn()) context_.prefix_stats->RecordGet(key, hit);
  return {.key = key, .item = std::move(found.item), .with_cas = info.Has(proto::kReturnsCas)};
}

std::string_view Executor::Retrieve(const Request& request, Responder& out,
                                    const ReplyBudget& budget) {
  // A binary key is one key of any bytes (in `key`, `keys` empty); a text
  // line holds a list.
  if (request.keys.empty()) {
    out.Reply(RetrieveKey(request, request.key));
    out.EndValues();
    return {};
  }
  std::string_view keys = request.keys;
  for (std::string_view key = proto::PopKey(&keys); !key.empty(); key = proto::PopKey(&keys)) {
    out.Reply(RetrieveKey(request, key));
    if (budget.Spent()) {
      // Pause only when a key is left; else finish the reply now.
      std::string_view rest = keys;
      if (!proto::PopKey(&rest).empty()) return keys;
    }
  }
  out.EndValues();
  return {};
}

StoreContinuation Executor::BeginStore(const Request& request, Responder& out) {
  if (request.command == Command::kMetaSet) return BeginMetaStore(request, out);
  if (DetailOn()) context_.prefix_stats->RecordSet(request.key);
  StoreContinuation pending(this, request);
  pending.request_.key = pending.request_.keys = pending.request_.args = {};
  slabs::AllocResult alloc =
      context_.store.Allocate(request.key, request.client_flags,
                              context_.clock.ToRelTime(request.exptime), request.value_bytes);
  if (alloc.status == slabs::AllocStatus::kOk) {
    pending.item_ = std::move(alloc.item);
    return pending;
  }
  out.Reply(FailAllocation(alloc.status));
  // A failed set must not leave the previous value behind (memcached does
  // the same).
  if (request.drop_on_failed_alloc) context_.store.Delete(request.key);
  return pending;
}

StoreResponse Executor::CompleteStore(slabs::ItemHandle item, const Request& request,
                                      bool data_ok) {
  if (!data_ok) return {.outcome = StoreOutcome::kBadDataChunk};  // `item` is freed unlinked
  if (request.command == Command::kMetaSet) return CompleteMetaStore(std::move(item), request);
  stats_->cmd_set.Add();
  slabs::LinkOptions options;
  options.mode = ModeFor(request.command);
  options.cas_compare = request.cas_unique;
  const EventLog::PendingStore logged =
      events_.BeforeStore(item, options.mode, context_.clock.Now());
  const slabs::LinkResult linked = context_.store.Link(std::move(item), options);
  events_.ItemStore(logged, linked.status, client_fd_);
  return Linked(linked, request.command == Command::kCas);
}

StoreResponse Executor::Linked(const slabs::LinkResult& linked, bool cas_mode) {
  StoreResponse response{.outcome = StoreOutcome::kNotStored, .cas = linked.cas};
  switch (linked.status) {
    case slabs::StoreStatus::kStored:
      if (cas_mode) stats_->cas_hits.Add();
      response.outcome = StoreOutcome::kStored;
      break;
    case slabs::StoreStatus::kNotStored:
      break;
    case slabs::StoreStatus::kExists:  // cas mismatch (binary append/prepend too)
      if (cas_mode) stats_->cas_badval.Add();
      response.outcome = StoreOutcome::kExists;
      break;
    case slabs::StoreStatus::kNotFound:
      if (cas_mode) stats_->cas_misses.Add();
      response.outcome = StoreOutcome::kNotFound;
      break;
    case slabs::StoreStatus::kNoMemory:
      stats_->store_no_memory.Add();
      response.outcome = StoreOutcome::kLinkNoMemory;
      break;
    case slabs::StoreStatus::kTooLarge:
      stats_->store_too_large.Add();
      response.outcome = StoreOutcome::kLinkTooLarge;
      break;
  }
  return response;
}

DeleteResponse Executor::Delete(const Request& request) {
  slabs::DeleteOptions options;
  options.cas_compare = request.cas_unique;
  if (DetailOn()) context_.prefix_stats->RecordDelete(request.key);
  slabs::ItemHandle doomed;  // what `watch deletions` shows
  if (events_.Watching(proto::kWatchDeletions)) {
    doomed = context_.store.Get(request.key, kPeek).item;
  }
  switch (context_.store.Delete(request.key, options)) {
    case slabs::DeleteStatus::kDeleted:
      events_.Deletion(doomed, proto::DeleteLogCmd::kDelete);
      stats_->delete_hits.Add();
      return {DeleteOutcome::kDeleted};
    case slabs::DeleteStatus::kNotFound:
      stats_->delete_misses.Add();
      return {DeleteOutcome::kNotFound};
    case slabs::DeleteStatus::kExists:  // binary delete with a stale CAS
      return {DeleteOutcome::kExists};
    case slabs::DeleteStatus::kInvalidated:  // md only
      return {DeleteOutcome::kInvalidated};
    case slabs::DeleteStatus::kNotStored:
      break;
  }
  return {DeleteOutcome::kNotStored};
}

TouchResponse Executor::Touch(const Request& request) {
  stats_->cmd_touch.Add();
  // The item comes back because binary Touch answers with its flags and CAS.
  slabs::GetResult found =
      context_.store.Get(request.key, GatOptions(context_.clock.ToRelTime(request.exptime)));
  if (events_.Watching(proto::kWatchFetchers)) {  // memcached logs a touch as a get
    events_.ItemGet(request.key, found.outcome, found.item, client_fd_);
  }
  (found.item ? stats_->touch_hits : stats_->touch_misses).Add();
  return {std::move(found.item)};
}

ArithmeticResponse Executor::Arithmetic(const Request& request) {
  const bool incr = request.command == Command::kIncr;
  slabs::DeltaOptions options;
  options.incr = incr;
  options.delta = request.delta;
  options.cas_compare = request.cas_unique;  // binary only; 0 for text
  if (request.create_on_miss) {              // binary incr/decr seeds the initial value on a miss
    options.ttl.vivify = true;
    options.initial = request.initial;
    options.ttl.vivify_exptime = context_.clock.ToRelTime(request.exptime);
  }
  const slabs::DeltaResult result = context_.store.Delta(request.key, options);
  ArithmeticResponse response;
  response.value = result.value;
  response.item.cas = result.cas;
  response.item.created = result.created;
  if (result.created) return response;  // counted as neither hit nor miss, as in memcached
  switch (result.status) {
    case slabs::DeltaStatus::kOk:
      (incr ? stats_->incr_hits : stats_->decr_hits).Add();
      break;
    case slabs::DeltaStatus::kNotFound:
      (incr ? stats_->incr_misses : stats_->decr_misses).Add();
      response.outcome = ArithmeticOutcome::kNotFound;
      break;
    case slabs::DeltaStatus::kExists:  // binary CAS mismatch
      response.outcome = ArithmeticOutcome::kExists;
      break;
    case slabs::DeltaStatus::kNonNumeric:
      response.outcome = ArithmeticOutcome::kNonNumeric;
      break;
    case slabs::DeltaStatus::kNoMemory:
      response.outcome =
          options.ttl.vivify ? ArithmeticOutcome::kNoMemoryCreating : ArithmeticOutcome::kNoMemory;
      break;
  }
  return response;
}

void Executor::FlushAll(const Request& request, Responder& out) {
  if (request.count_refused_flush) stats_->cmd_flush.Add();
  if (!context_.config.flush_enabled) {
    out.Fail(ReplyError::kFlushDisabled);
    return;
  }
  if (!request.count_refused_flush) stats_->cmd_flush.Add();
  // A delay follows the exptime rules; zero or negative means now.
  context_.store.FlushAll(request.exptime > 0 ? context_.clock.ToRelTime(request.exptime) : 0);
  out.Ok();
}

void Executor::Stats(const Request& request, Responder& out) {
  const StatsSources sources{context_.config,       context_.services.tls.get(),
                             context_.server_stats, context_.store,
                             context_.clock,        context_.control.verbosity()};
  const std::string_view group = request.key;  // as the parser found it
  if (group.empty()) {
    AppendGeneralStats(sources, &out);
    // slabcached's own: operations on prefixes past stats detail's cap.
    if (context_.prefix_stats != nullptr) {
      AppendStat(&out, "detail_untracked_ops", context_.prefix_stats->untracked());
    }
  } else if (group == "settings") {
    AppendLiveSettings(sources, out);
  } else if (group == "slabs") {
    AppendSlabsStats(sources, &out);
  } else if (group == "items") {
    AppendItemsStats(sources, &out);
  } else if (group == "sizes") {
    AppendSizesStats(sources, &out);
  } else if (group == "latency") {
    AppendLatencyStats(sources, &out);
  } else if (group == "hotkeys") {
    // Binary's args are the group alone: the default count.
    const std::optional<size_t> limit = ParseHotKeysLimit(request.args);
    if (!limit) {
      out.Fail(ReplyError::kBadFormat);
      return;
    }
    AppendHotKeyStats(sources, *limit, &out);
  } else if (group == "conns" && context_.conns != nullptr) {
    context_.conns->AppendStats(context_.clock.Now(), client_fd_, &out);
  } else if (group == "detail" && request.text_subcommands) {
    StatsDetail(request, out);  // its own framing
    return;
  } else if (group == "cachedump" && request.text_subcommands) {
    StatsCachedump(request, out);  // its own framing
    return;
  } else if (group == "reset") {
    context_.server_stats.Reset();
    context_.store.ResetClassCounters();
    out.StatsReset();
    return;
  } else {
    out.UnknownStatsGroup();
    return;
  }
  out.EndStats();
}

void Executor::Verbosity(const Request& request, Responder& out) {
  // memcached clamps the level to its maximum of -vvv.
  context_.control.SetVerbosity(static_cast<int>(std::min<uint64_t>(request.number, 3)));
  out.Ok();
}

// -Z: reloads the certificate files. memcached answers OK (unless the line
// ends in noreply), or why the files did not load, noreply or not.
void Executor::RefreshCerts(const Request& request, Responder& out) {
  TlsContext* tls = context_.services.tls.get();
  std::string error = "Error TLS not enabled";
  if (tls != nullptr && tls->Reload(&error)) {
    bool noreply = false;
    proto::ForEachToken(request.args, [&](std::string_view word) { noreply = word == "noreply"; });
    if (!noreply) out.Ok();
    return;
  }
  out.CertsNotReloaded(error);
}

Executor::Next Executor::Shutdown(const Request& request, Responder& out) {
  if (!context_.config.shutdown_enabled) {
    out.Fail(ReplyError::kShutdownDisabled);
    return Next::kContinue;
  }
  const std::string_view mode = FirstWord(request.args);
  if (!mode.empty() && mode != "graceful") {
    out.Fail(ReplyError::kInvalidShutdownMode);
    return Next::kContinue;
  }
  context_.control.RequestShutdown(mode == "graceful");
  return Next::kClose;
}

void Executor::Slabs(const Request& request, Responder& out) {
  const proto::LineTokens words(request.args);
  if (words.size() == 3 && words[0] == "reassign") {
    if (!context_.config.store.slab_reassign) {
      out.Fail(ReplyError::kReassignDisabled);
      return;
    }
    int src = 0;
    int dst = 0;
    if (!ParseSigned(words[1], &src) || !ParseSigned(words[2], &dst)) {
      out.Fail(ReplyError::kBadFormat);
      return;
    }
    using Status = slabs::Store::ReassignStatus;
    switch (context_.store.Reassign(src, dst)) {
      case Status::kOk:
        out.Ok();
        break;
      case Status::kBusy:
        out.Fail(ReplyError::kReassignBusy);
        break;
      case Status::kBadClass:
        out.Fail(ReplyError::kReassignBadClass);
        break;
      case Status::kNoSpare:
        out.Fail(ReplyError::kReassignNoSpare);
        break;
      case Status::kSame:
        out.Fail(ReplyError::kReassignSame);
        break;
    }
    return;
  }
  if (words.size() >= 2 && words[0] == "automove") {
    int level = 0;
    if (!ParseSigned(words[1], &level) || level < 0) {
      out.Fail(ReplyError::kBadFormat);
    } else if (level > 2) {
      out.Fail(ReplyError::kUnknownCommand);
    } else {
      context_.store.SetAutomove(static_cast<uint32_t>(level));
      out.Ok();
    }
    return;
  }
  out.Fail(ReplyError::kUnknownCommand);
}

void Executor::CacheMemlimit(const Request& request, Responder& out) {
  const uint64_t megabytes = request.number;
  if (megabytes < 8) {
    out.Fail(ReplyError::kMemlimitTooSmall);
  } else if (megabytes > 1000000000) {
    out.Fail(ReplyError::kMemlimitNotBytes);
  } else if (context_.store.SetMemoryLimit(megabytes * 1024 * 1024)) {
    out.Ok();
  } else {
    out.Fail(ReplyError::kMemlimitFailed);
  }
}

void Executor::Sasl(const Request& request, Responder& out, Session& session) {
  if (!context_.config.net.sasl) {
    out.Fail(ReplyError::kUnknownCommand);
    return;
  }
  if (request.command == Command::kSaslListMechs) {
    out.Mechanisms(kSaslMechanisms);
    return;
  }
  if (request.key.size() > proto::binary::kMaxSaslMechLength) {
    out.Fail(ReplyError::kInvalidArguments);
    return;
  }
  // PLAIN completes in one step, so a step (or another mechanism) fails.
  stats_->auth_cmds.Add();
  if (request.command == Command::kSaslAuth && request.key == "PLAIN" &&
      CheckPlain(context_.services.sasl_users, request.args)) {
    session.authenticated = true;
    out.Authenticated();
  } else {
    stats_->auth_errors.Add();
    out.Fail(ReplyError::kAuthError);
  }
}

}  // namespace slabcached
