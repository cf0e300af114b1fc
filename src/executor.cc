#include "src/executor.h"

#include <algorithm>
#include <charconv>
#include <vector>
#include <string_view>

#include "build_config.h"
#include "proto/text_encoder.h"

namespace slabcached {

using proto::Command;
using proto::Request;

namespace {

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

// Splits "word rest" into its first space-separated word and the remainder.
std::pair<std::string_view, std::string_view> FirstWord(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return {text, {}};
  std::string_view rest = text.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return {text.substr(0, space), rest};
}

// A decimal int with nothing after it.
bool ParseSigned(std::string_view text, int* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

Executor::Executor(const ExecutorContext& context, ThreadStats* stats)
    : context_(context), stats_(stats) {}

void Executor::Reply(const Request& request, std::string_view reply, OutputQueue* out) {
  if (!request.noreply) out->Append(reply);
}

Executor::Next Executor::Execute(const Request& request, OutputQueue* out) {
  switch (request.command) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      Retrieve(request, out);
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
      proto::AppendVersion(out->text(), MEMCACHED_COMPAT_VERSION);
      break;
    case Command::kVerbosity:
      Verbosity(request, out);
      break;
    case Command::kQuit:
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
    default:
      // lru, lru_crawler, watch and slabs subcommands slabcached does not serve yet.
      Reply(request, proto::kError, out);
      break;
  }
  return Next::kContinue;
}

void Executor::ReplyParseError(const Request& request, proto::ParseError error,
                               OutputQueue* out) {
  if (request.command == Command::kFlushAll) {
    // memcached counts the flush and checks -F before it reads the delay.
    stats_->cmd_flush.Add();
    if (!context_.config.flush_enabled) {
      Reply(request, proto::kFlushDisabled, out);
      return;
    }
  }
  Reply(request, proto::ErrorReply(error), out);
}

void Executor::Retrieve(const Request& request, OutputQueue* out) {
  const bool with_cas = request.command == Command::kGets || request.command == Command::kGats;
  const bool touch = request.command == Command::kGat || request.command == Command::kGats;
  const slabs::RelTime exptime = touch ? context_.clock.ToRelTime(request.exptime) : 0;
  proto::ForEachKey(request.keys, [&](std::string_view key) {
    slabs::GetOutcome outcome = slabs::GetOutcome::kMiss;
    slabs::ItemHandle item = touch ? context_.store.GetAndTouch(key, exptime, &outcome)
                                   : context_.store.Get(key, &outcome);
    stats_->cmd_get.Add();
    if (touch) {
      stats_->cmd_touch.Add();
      (item ? stats_->touch_hits : stats_->touch_misses).Add();
    } else {
      (item ? stats_->get_hits : stats_->get_misses).Add();
    }
    if (outcome == slabs::GetOutcome::kExpired) stats_->get_expired.Add();
    if (outcome == slabs::GetOutcome::kFlushed) stats_->get_flushed.Add();
    if (!item) return;
    proto::AppendValueHeader(out->text(), key, item.client_flags(), item.value_length(), with_cas,
                             item.cas());
    out->AppendValue(std::move(item));
  });
  out->Append(proto::kEnd);
}

Executor::PendingStore Executor::BeginStore(const Request& request, OutputQueue* out) {
  PendingStore pending;
  pending.command = request.command;
  pending.noreply = request.noreply;
  pending.cas_unique = request.cas_unique;
  slabs::AllocResult alloc =
      context_.store.Allocate(request.key, request.client_flags,
                              context_.clock.ToRelTime(request.exptime), request.value_bytes);
  if (alloc.status == slabs::AllocStatus::kOk) {
    pending.item = std::move(alloc.item);
    return pending;
  }
  if (alloc.status == slabs::AllocStatus::kTooLarge) {
    stats_->store_too_large.Add();
    Reply(request, proto::kTooLarge, out);
  } else {
    stats_->store_no_memory.Add();
    Reply(request, proto::kOutOfMemoryStoring, out);
  }
  // A failed set must not leave the previous value behind (memcached does the same).
  if (request.command == Command::kSet) context_.store.Delete(request.key);
  return pending;
}

void Executor::CompleteStore(PendingStore pending, bool data_ok, OutputQueue* out) {
  Request request;
  request.noreply = pending.noreply;
  if (!pending.item) return;
  if (!data_ok) {
    Reply(request, proto::kBadDataChunk, out);
    return;
  }
  stats_->cmd_set.Add();
  const slabs::StoreStatus status = context_.store.Link(
      std::move(pending.item), ModeFor(pending.command), pending.cas_unique, nullptr);
  const bool is_cas = pending.command == Command::kCas;
  switch (status) {
    case slabs::StoreStatus::kStored:
      if (is_cas) stats_->cas_hits.Add();
      Reply(request, proto::kStored, out);
      break;
    case slabs::StoreStatus::kNotStored:
      Reply(request, proto::kNotStored, out);
      break;
    case slabs::StoreStatus::kExists:
      stats_->cas_badval.Add();
      Reply(request, proto::kExists, out);
      break;
    case slabs::StoreStatus::kNotFound:
      stats_->cas_misses.Add();
      Reply(request, proto::kNotFound, out);
      break;
    case slabs::StoreStatus::kNoMemory:
      stats_->store_no_memory.Add();
      Reply(request, proto::kOutOfMemoryStoring, out);
      break;
    case slabs::StoreStatus::kTooLarge:
      stats_->store_too_large.Add();
      Reply(request, proto::kTooLarge, out);
      break;
  }
}

void Executor::Delete(const Request& request, OutputQueue* out) {
  if (context_.store.Delete(request.key) == slabs::DeleteStatus::kDeleted) {
    stats_->delete_hits.Add();
    Reply(request, proto::kDeleted, out);
  } else {
    stats_->delete_misses.Add();
    Reply(request, proto::kNotFound, out);
  }
}

void Executor::Touch(const Request& request, OutputQueue* out) {
  stats_->cmd_touch.Add();
  if (context_.store.Touch(request.key, context_.clock.ToRelTime(request.exptime))) {
    stats_->touch_hits.Add();
    Reply(request, proto::kTouched, out);
  } else {
    stats_->touch_misses.Add();
    Reply(request, proto::kNotFound, out);
  }
}

void Executor::Arithmetic(const Request& request, OutputQueue* out) {
  const bool incr = request.command == Command::kIncr;
  const slabs::DeltaResult result = context_.store.Delta(request.key, incr, request.delta);
  switch (result.status) {
    case slabs::DeltaStatus::kOk:
      (incr ? stats_->incr_hits : stats_->decr_hits).Add();
      if (!request.noreply) proto::AppendNumberLine(out->text(), result.value);
      break;
    case slabs::DeltaStatus::kNotFound:
    case slabs::DeltaStatus::kExists:
      (incr ? stats_->incr_misses : stats_->decr_misses).Add();
      Reply(request, proto::kNotFound, out);
      break;
    case slabs::DeltaStatus::kNonNumeric:
      Reply(request, proto::kNonNumeric, out);
      break;
    case slabs::DeltaStatus::kNoMemory:
      Reply(request, proto::kOutOfMemory, out);
      break;
  }
}

void Executor::FlushAll(const Request& request, OutputQueue* out) {
  stats_->cmd_flush.Add();
  if (!context_.config.flush_enabled) {
    Reply(request, proto::kFlushDisabled, out);
    return;
  }
  // A delay follows the exptime rules; zero or negative means now.
  context_.store.FlushAll(request.exptime > 0 ? context_.clock.ToRelTime(request.exptime) : 0);
  Reply(request, proto::kOk, out);
}

void Executor::Stats(const Request& request, OutputQueue* out) {
  const StatsSources sources{context_.config, context_.server_stats, context_.store,
                             context_.clock, context_.control.verbosity()};
  const auto [group, rest] = FirstWord(request.args);
  std::string* text = out->text();
  if (group.empty()) {
    AppendGeneralStats(sources, text);
  } else if (group == "settings") {
    AppendSettingsStats(sources, text);
  } else if (group == "slabs") {
    AppendSlabsStats(sources, text);
  } else if (group == "items") {
    AppendItemsStats(sources, text);
  } else if (group == "sizes") {
    AppendSizesStats(sources, text);
  } else if (group == "reset") {
    context_.server_stats.Reset();
    out->Append(proto::kReset);
  } else {
    out->Append(proto::kError);
  }
}

void Executor::Verbosity(const Request& request, OutputQueue* out) {
  // memcached clamps the level to its maximum of -vvv.
  context_.control.SetVerbosity(static_cast<int>(std::min<uint64_t>(request.number, 3)));
  Reply(request, proto::kOk, out);
}

Executor::Next Executor::Shutdown(const Request& request, OutputQueue* out) {
  if (!context_.config.shutdown_enabled) {
    out->Append(proto::kShutdownDisabled);
    return Next::kContinue;
  }
  const auto [mode, rest] = FirstWord(request.args);
  if (!mode.empty() && mode != "graceful") {
    out->Append("CLIENT_ERROR invalid shutdown mode\r\n");
    return Next::kContinue;
  }
  context_.control.RequestShutdown(mode == "graceful");
  return Next::kClose;
}

void Executor::Slabs(const Request& request, OutputQueue* out) {
  std::vector<std::string_view> words;
  proto::ForEachKey(request.args, [&](std::string_view word) { words.push_back(word); });
  if (words.size() == 3 && words[0] == "reassign") {
    if (!context_.config.store.slab_reassign) {
      Reply(request, "CLIENT_ERROR slab reassignment disabled\r\n", out);
      return;
    }
    int src = 0;
    int dst = 0;
    if (!ParseSigned(words[1], &src) || !ParseSigned(words[2], &dst)) {
      Reply(request, "CLIENT_ERROR bad command line format\r\n", out);
      return;
    }
    using Status = slabs::Store::ReassignStatus;
    switch (context_.store.Reassign(src, dst)) {
      case Status::kOk:
        Reply(request, proto::kOk, out);
        break;
      case Status::kBusy:
        Reply(request, "BUSY currently processing reassign request\r\n", out);
        break;
      case Status::kBadClass:
        Reply(request, "BADCLASS invalid src or dst class id\r\n", out);
        break;
      case Status::kNoSpare:
        Reply(request, "NOSPARE source class has no spare pages\r\n", out);
        break;
      case Status::kSame:
        Reply(request, "SAME src and dst class are identical\r\n", out);
        break;
    }
    return;
  }
  if (words.size() >= 2 && words[0] == "automove") {
    int level = 0;
    if (!ParseSigned(words[1], &level) || level < 0) {
      Reply(request, "CLIENT_ERROR bad command line format\r\n", out);
    } else if (level > 2) {
      Reply(request, proto::kError, out);
    } else {
      context_.store.SetAutomove(static_cast<uint32_t>(level));
      Reply(request, proto::kOk, out);
    }
    return;
  }
  Reply(request, proto::kError, out);
}

void Executor::CacheMemlimit(const Request& request, OutputQueue* out) {
  const uint64_t megabytes = request.number;
  if (megabytes < 8) {
    Reply(request, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n", out);
  } else if (megabytes > 1000000000) {
    Reply(request, "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n", out);
  } else if (context_.store.SetMemoryLimit(megabytes * 1024 * 1024)) {
    Reply(request, proto::kOk, out);
  } else {
    Reply(request, "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n", out);
  }
}

}  // namespace slabcached
