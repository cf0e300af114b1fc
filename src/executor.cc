#include "src/executor.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

#include "build_config.h"
#include "proto/binary_protocol.h"
#include "proto/commands.h"
#include "proto/meta_encoder.h"
#include "proto/text_encoder.h"
#include "proto/tokenizer.h"
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

// The first token of a command's arguments ("" when there is none).
std::string_view FirstWord(std::string_view args) { return proto::PopToken(&args); }

// A decimal int with nothing after it.
bool ParseSigned(std::string_view text, int* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

void Executor::FailAllocation(slabs::AllocStatus status, Responder& out) {
  if (status == slabs::AllocStatus::kTooLarge) {
    stats_->store_too_large.Add();
    out.Fail(ReplyError::kTooLarge);
  } else {
    stats_->store_no_memory.Add();
    out.Fail(ReplyError::kOutOfMemoryStoring);
  }
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
      Delete(request, out);
      break;
    case Command::kTouch:
      Touch(request, out);
      break;
    case Command::kIncr:
    case Command::kDecr:
      Arithmetic(request, out);
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
      MetaGet(request, out);
      break;
    case Command::kMetaDelete:
      MetaDelete(request, out);
      break;
    case Command::kMetaArithmetic:
      MetaArithmetic(request, out);
      break;
    case Command::kMetaDebug:
      MetaDebug(request, out);
      break;
    case Command::kMetaNoop:
      out.MetaNoop();
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
    case Command::kDebugTime:  // ERROR, as any unknown command, unless a test build
      if (context_.clock_control != nullptr && context_.clock_control->DebugTime(request.args)) {
        out.Ok();
      } else {
        out.Fail(ReplyError::kUnknownCommand);
      }
      break;
    default:
      // watch and slabs subcommands slabcached does not serve yet.
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

std::string_view Executor::Retrieve(const Request& request, Responder& out,
                                    const std::function<bool()>& enough) {
  const proto::CommandInfo& info = proto::InfoOf(request.command);
  const bool with_cas = info.Has(proto::kReturnsCas);
  const bool touch = info.Has(proto::kTouches);
  std::optional<slabs::GetOptions> gat;
  if (touch) {
    gat.emplace();
    gat->ttl.touch = true;
    gat->ttl.exptime = context_.clock.ToRelTime(request.exptime);
  }
  const slabs::GetOptions& options = touch ? *gat : kPlainGet;
  auto retrieve = [&](std::string_view key) {
    slabs::GetResult found = context_.store.Get(key, options);
    slabs::ItemHandle& item = found.item;
    const slabs::GetOutcome outcome = found.outcome;
    // memcached 1.6.18 counts gat/gats (and binary GAT) as touches only.
    if (touch) {
      stats_->cmd_touch.Add();
      (item ? stats_->touch_hits : stats_->touch_misses).Add();
    } else {
      stats_->cmd_get.Add();
      (item ? stats_->get_hits : stats_->get_misses).Add();
    }
    if (outcome == slabs::GetOutcome::kExpired) stats_->get_expired.Add();
    if (outcome == slabs::GetOutcome::kFlushed) stats_->get_flushed.Add();
    if (!item) {
      out.Miss(key);
      return;
    }
    out.Value(key, std::move(item), with_cas);
  };
  // A binary key is one key of any bytes (in `key`, `keys` empty); a text
  // line holds a list.
  if (request.keys.empty()) {
    retrieve(request.key);
    out.EndValues();
    return {};
  }
  std::string_view keys = request.keys;
  for (std::string_view key = proto::PopKey(&keys); !key.empty(); key = proto::PopKey(&keys)) {
    retrieve(key);
    if (enough && enough()) {
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
  StoreContinuation pending(this, request);
  pending.request_.key = pending.request_.keys = pending.request_.args = {};
  slabs::AllocResult alloc =
      context_.store.Allocate(request.key, request.client_flags,
                              context_.clock.ToRelTime(request.exptime), request.value_bytes);
  if (alloc.status == slabs::AllocStatus::kOk) {
    pending.item_ = std::move(alloc.item);
    return pending;
  }
  FailAllocation(alloc.status, out);
  // A failed set must not leave the previous value behind (memcached does
  // the same).
  if (request.drop_on_failed_alloc) context_.store.Delete(request.key);
  return pending;
}

void Executor::CompleteStore(slabs::ItemHandle item, const Request& request, bool data_ok,
                             Responder& out) {
  if (!data_ok) {
    out.Fail(ReplyError::kBadDataChunk);
    return;  // `item` is freed unlinked
  }
  if (request.command == Command::kMetaSet) {
    CompleteMetaStore(std::move(item), request, out);
    return;
  }
  stats_->cmd_set.Add();
  const Command command = request.command;
  slabs::LinkOptions options;
  options.mode = ModeFor(command);
  options.cas_compare = request.cas_unique;
  const slabs::LinkResult linked = context_.store.Link(std::move(item), options);
  const slabs::StoreStatus status = linked.status;
  const uint64_t cas = linked.cas;
  const bool is_cas = command == Command::kCas;
  using Reason = Responder::NotStoredReason;
  switch (status) {
    case slabs::StoreStatus::kStored:
      if (is_cas) stats_->cas_hits.Add();
      out.Stored(cas);
      break;
    case slabs::StoreStatus::kNotStored:
      out.NotStored(Reason::kNotStored);
      break;
    case slabs::StoreStatus::kExists:  // cas mismatch (binary append/prepend too)
      if (is_cas) stats_->cas_badval.Add();
      out.Fail(ReplyError::kExists);
      break;
    case slabs::StoreStatus::kNotFound:
      if (is_cas) stats_->cas_misses.Add();
      out.Fail(ReplyError::kNotFound);
      break;
    case slabs::StoreStatus::kNoMemory:
      stats_->store_no_memory.Add();
      out.NotStored(Reason::kNoMemory);
      break;
    case slabs::StoreStatus::kTooLarge:
      stats_->store_too_large.Add();
      out.NotStored(Reason::kTooLarge);
      break;
  }
}

void Executor::Delete(const Request& request, Responder& out) {
  slabs::DeleteOptions options;
  options.cas_compare = request.cas_unique;
  switch (context_.store.Delete(request.key, options)) {
    case slabs::DeleteStatus::kDeleted:
      stats_->delete_hits.Add();
      out.Deleted();
      break;
    case slabs::DeleteStatus::kNotFound:
      stats_->delete_misses.Add();
      out.Fail(ReplyError::kNotFound);
      break;
    case slabs::DeleteStatus::kExists:  // binary delete with a stale CAS
      out.Fail(ReplyError::kExists);
      break;
    case slabs::DeleteStatus::kInvalidated:  // md only
    case slabs::DeleteStatus::kNotStored:
      break;
  }
}

void Executor::Touch(const Request& request, Responder& out) {
  stats_->cmd_touch.Add();
  // The item comes back because binary Touch answers with its flags and CAS.
  slabs::GetOptions options;
  options.ttl.touch = true;
  options.ttl.exptime = context_.clock.ToRelTime(request.exptime);
  const slabs::ItemHandle item = context_.store.Get(request.key, options).item;
  if (item) {
    stats_->touch_hits.Add();
    out.Touched(item);
  } else {
    stats_->touch_misses.Add();
    out.Fail(ReplyError::kNotFound);
  }
}

void Executor::Arithmetic(const Request& request, Responder& out) {
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
  if (result.created) {  // counted as neither hit nor miss, as in memcached
    out.Number(result.value, result.cas);
    return;
  }
  switch (result.status) {
    case slabs::DeltaStatus::kOk:
      (incr ? stats_->incr_hits : stats_->decr_hits).Add();
      out.Number(result.value, result.cas);
      break;
    case slabs::DeltaStatus::kNotFound:
      (incr ? stats_->incr_misses : stats_->decr_misses).Add();
      out.Fail(ReplyError::kNotFound);
      break;
    case slabs::DeltaStatus::kExists:  // binary CAS mismatch
      out.Fail(ReplyError::kExists);
      break;
    case slabs::DeltaStatus::kNonNumeric:
      out.Fail(ReplyError::kNonNumeric);
      break;
    case slabs::DeltaStatus::kNoMemory:
      out.Fail(ReplyError::kOutOfMemory);
      break;
  }
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
  // Text: "stats <group> ..."; binary: the key is the group, and memcached
  // matches "reset" and "settings" by prefix only.
  std::string_view group = request.binary ? request.args : FirstWord(request.args);
  if (request.binary) {
    for (std::string_view prefixed : {"reset", "settings"}) {
      if (group.starts_with(prefixed)) group = prefixed;
    }
  }
  if (group.empty()) {
    AppendGeneralStats(sources, &out);
  } else if (group == "settings") {
    AppendSettingsStats(sources, &out);
  } else if (group == "slabs") {
    AppendSlabsStats(sources, &out);
  } else if (group == "items") {
    AppendItemsStats(sources, &out);
  } else if (group == "sizes") {
    AppendSizesStats(sources, &out);
  } else if (group == "cachedump" && !request.binary) {
    StatsCachedump(request, out);  // its own framing
    return;
  } else if (group == "reset") {
    context_.server_stats.Reset();
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
