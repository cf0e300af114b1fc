// The meta protocol (mg ms md ma mn me) in the executor: memcached 1.6.18's
// process_m*_command semantics over the store's one-lock meta operations
// (slabs/store.h, slabs/meta_state.h), replies encoded by proto/meta_encoder.h.
//
// Counters follow memcached 1.6.18 (checked against Debian's build):
//   mg: hit (and N's creation) cmd_get + get_hits, or with T cmd_touch +
//       touch_hits; miss cmd_get + get_misses (T or not).
//   ms: cmd_set; with C (cas mode) cas_hits / cas_badval / cas_misses.
//   md: delete_hits when deleted, delete_misses on NF and EX, none for I.
//   ma: incr/decr hits and misses; nothing for N's creation or EX.
//   me: cmd_meta (the only meta command memcached counts there); mn: none.
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "proto/meta.h"
#include "proto/meta_encoder.h"
#include "proto/meta_parser.h"
#include "slabs/store.h"
#include "src/executor.h"

namespace slabcached {

using proto::Command;
using proto::Request;

namespace {

slabs::StoreMode MetaStoreMode(char mode) {
  switch (mode) {
    case 'E':
    case 'e':
      return slabs::StoreMode::kAdd;
    case 'A':
    case 'a':
      return slabs::StoreMode::kAppend;
    case 'P':
    case 'p':
      return slabs::StoreMode::kPrepend;
    case 'R':
    case 'r':
      return slabs::StoreMode::kReplace;
    default:
      return slabs::StoreMode::kSet;
  }
}

// The letters of `wanted` among the request's flags, in the order sent
// ('\0' pads): the order memcached applies T, N and R in.
template <size_t N>
std::array<char, N> FlagOrder(const proto::MetaFlags& m, std::string_view wanted) {
  std::array<char, N> order{};
  size_t n = 0;
  proto::ForEachMetaToken(m.tokens, [&](std::string_view tok) {
    if (n < N && wanted.find(tok[0]) != std::string_view::npos) order[n++] = tok[0];
  });
  return order;
}

}  // namespace

int64_t Executor::MetaTtl(slabs::RelTime exptime) const {
  if (exptime == 0) return -1;
  return int64_t{exptime} - int64_t{context_.clock.Now()};
}

MetaGetResponse Executor::MetaGet(const Request& request) {
  const proto::MetaFlags& m = request.meta;
  proto::MetaKeyBuffer scratch;
  const std::string_view key = proto::MetaKey(request, &scratch);
  const slabs::Clock& clock = context_.clock;
  slabs::GetOptions options;
  options.bump = !m.Has('u');
  options.meta = true;
  slabs::TtlFlags& ttl = options.ttl;
  ttl.touch = m.Has('T');
  if (ttl.touch) ttl.exptime = clock.ToRelTime(m.ttl);
  ttl.vivify = m.Has('N');
  if (ttl.vivify) ttl.vivify_exptime = clock.ToRelTime(m.vivify_ttl);
  ttl.recache = m.Has('R');
  if (ttl.recache) ttl.recache_time = clock.ToRelTime(m.recache_ttl);
  if (m.Has('E')) options.new_cas = m.new_cas;
  ttl.order = FlagOrder<3>(m, "TNR");
  slabs::GetResult r = context_.store.Get(key, options);
  if (events_.Watching(proto::kWatchFetchers)) events_.ItemGet(key, r.outcome, r.item, client_fd_);
  if (r.outcome == slabs::GetOutcome::kExpired) stats_->get_expired.Add();
  if (r.outcome == slabs::GetOutcome::kFlushed) stats_->get_flushed.Add();
  if (!r.item) {
    stats_->cmd_get.Add();
    stats_->get_misses.Add();
    return {};
  }
  if (ttl.touch) {
    stats_->cmd_touch.Add();
    stats_->touch_hits.Add();
  } else {
    stats_->cmd_get.Add();
    stats_->get_hits.Add();
  }
  MetaGetResponse response;
  proto::MetaItemView& view = response.view;
  view.cas = r.item.cas();
  view.client_flags = r.item.client_flags();
  view.value_length = r.item.value_length();
  view.ttl = MetaTtl(r.exptime_before);
  view.ttl_after_T = MetaTtl(ttl.exptime);
  view.ttl_after_N = MetaTtl(ttl.vivify_exptime);
  view.created = r.created;
  view.last_access = clock.Now() - r.item.last_access();
  view.fetched = r.item.fetched();
  view.key_binary = r.key_binary;  // the item's, not the request's (memcached's META_KEY)
  view.token_sent = r.token_sent;
  view.stale = r.stale;
  view.won = r.won;
  response.item = std::move(r.item);
  return response;
}

StoreContinuation Executor::BeginMetaStore(const Request& request, Responder& out) {
  StoreContinuation pending(this, request);
  // The reply is written after the data block, when the input buffer the
  // request points into is gone: keep the key and flag tokens.
  const std::string_view key = request.key;
  const std::string_view tokens = request.meta.tokens;
  pending.kept_ = std::make_unique<char[]>(key.size() + tokens.size() + 1);
  char* copy = pending.kept_.get();
  std::memcpy(copy, key.data(), key.size());
  // An ms without flags has an empty (null) token view: memcpy must not see it.
  if (!tokens.empty()) std::memcpy(copy + key.size(), tokens.data(), tokens.size());
  Request& kept = pending.request_;
  kept.keys = kept.args = {};
  kept.key = std::string_view(copy, key.size());
  kept.meta.tokens = std::string_view(copy + key.size(), tokens.size());
  if (!request.meta.opaque.empty()) {
    const size_t offset = static_cast<size_t>(request.meta.opaque.data() - tokens.data());
    kept.meta.opaque = kept.meta.tokens.substr(offset, request.meta.opaque.size());
  }
  proto::MetaKeyBuffer scratch;
  const std::string_view item_key = proto::MetaKey(request, &scratch);
  const slabs::RelTime exptime =
      request.meta.Has('T') ? context_.clock.ToRelTime(request.meta.ttl) : 0;
  slabs::AllocResult alloc =
      context_.store.Allocate(item_key, request.meta.client_flags, exptime, request.value_bytes);
  if (alloc.status == slabs::AllocStatus::kOk) {
    pending.item_ = std::move(alloc.item);
    return pending;
  }
  // memcached answers the error (even with q), swallows the data block and
  // drops the old value whatever the mode.
  out.Reply(FailAllocation(alloc.status));
  context_.store.Delete(item_key);
  return pending;
}

StoreResponse Executor::CompleteMetaStore(slabs::ItemHandle item, const Request& request) {
  stats_->cmd_set.Add();
  const proto::MetaFlags& m = request.meta;
  slabs::LinkOptions options;
  options.mode = MetaStoreMode(m.mode);
  options.has_cas = m.Has('C');
  options.cas_compare = m.compare_cas;
  options.invalidate = m.Has('I');
  if (m.Has('E')) options.new_cas = m.new_cas;
  options.vivify = m.Has('N');
  if (options.vivify) options.vivify_exptime = context_.clock.ToRelTime(m.vivify_ttl);
  options.key_binary = m.base64_key();
  const bool cas_mode = options.has_cas && (options.mode == slabs::StoreMode::kSet ||
                                            options.mode == slabs::StoreMode::kReplace);
  const uint32_t value_length = item.value_length();
  const EventLog::PendingStore logged =
      events_.BeforeStore(item, options.mode, context_.clock.Now());
  const slabs::LinkResult linked = context_.store.Link(std::move(item), options);
  events_.ItemStore(logged, linked.status, client_fd_);
  StoreResponse response = Linked(linked, cas_mode);
  response.value_length = value_length;
  return response;
}

DeleteResponse Executor::MetaDelete(const Request& request) {
  const proto::MetaFlags& m = request.meta;
  proto::MetaKeyBuffer scratch;
  const std::string_view key = proto::MetaKey(request, &scratch);
  slabs::DeleteOptions options;
  options.has_cas = m.Has('C');
  if (options.has_cas) options.cas_compare = m.compare_cas;
  options.invalidate = m.Has('I');
  options.touch = m.Has('T');
  if (options.touch) options.exptime = context_.clock.ToRelTime(m.ttl);
  options.remove_value = m.Has('x');
  options.client_flags = m.client_flags;
  if (m.Has('E')) options.new_cas = m.new_cas;
  slabs::ItemHandle doomed;  // what `watch deletions` shows
  if (events_.Watching(proto::kWatchDeletions)) {
    doomed = context_.store.Get(key, {.bump = false, .peek = true}).item;
  }
  switch (context_.store.Delete(key, options)) {
    case slabs::DeleteStatus::kDeleted:
      events_.Deletion(doomed, proto::DeleteLogCmd::kMetaDelete);
      stats_->delete_hits.Add();
      return {DeleteOutcome::kDeleted};
    case slabs::DeleteStatus::kInvalidated:
      return {DeleteOutcome::kInvalidated};
    case slabs::DeleteStatus::kNotFound:
      stats_->delete_misses.Add();
      return {DeleteOutcome::kNotFound};
    case slabs::DeleteStatus::kExists:
      stats_->delete_misses.Add();
      return {DeleteOutcome::kExists};
    case slabs::DeleteStatus::kNotStored:
      break;
  }
  return {DeleteOutcome::kNotStored};
}

ArithmeticResponse Executor::MetaArithmetic(const Request& request) {
  const proto::MetaFlags& m = request.meta;
  proto::MetaKeyBuffer scratch;
  const std::string_view key = proto::MetaKey(request, &scratch);
  slabs::DeltaOptions options;
  options.incr = !(m.mode == 'D' || m.mode == 'd' || m.mode == '-');
  options.delta = m.delta;
  options.cas_compare = m.compare_cas;
  slabs::TtlFlags& ttl = options.ttl;
  ttl.vivify = m.Has('N');
  options.initial = m.initial;
  if (ttl.vivify) ttl.vivify_exptime = context_.clock.ToRelTime(m.vivify_ttl);
  ttl.touch = m.Has('T');
  if (ttl.touch) ttl.exptime = context_.clock.ToRelTime(m.ttl);
  if (m.Has('E')) options.new_cas = m.new_cas;
  ttl.order = FlagOrder<3>(m, "TN");
  const slabs::DeltaResult r = context_.store.Delta(key, options);
  ArithmeticResponse response;
  switch (r.status) {
    case slabs::DeltaStatus::kOk:
      break;
    case slabs::DeltaStatus::kNotFound:
      (options.incr ? stats_->incr_misses : stats_->decr_misses).Add();
      response.outcome = ArithmeticOutcome::kNotFound;
      return response;
    case slabs::DeltaStatus::kExists:
      response.outcome = ArithmeticOutcome::kExists;
      return response;
    case slabs::DeltaStatus::kNonNumeric:
      response.outcome = ArithmeticOutcome::kNonNumeric;
      return response;
    case slabs::DeltaStatus::kNoMemory:
      response.outcome =
          ttl.vivify ? ArithmeticOutcome::kNoMemoryCreating : ArithmeticOutcome::kNoMemory;
      return response;
  }
  if (!r.created) (options.incr ? stats_->incr_hits : stats_->decr_hits).Add();
  response.value = r.value;
  proto::MetaItemView& view = response.item;
  view.cas = r.cas;
  view.ttl = MetaTtl(r.exptime_before);
  view.ttl_after_T = MetaTtl(ttl.exptime);
  view.ttl_after_N = MetaTtl(ttl.vivify_exptime);
  view.created = r.created;
  return response;
}

MetaDebugResponse Executor::MetaDebug(const Request& request) {
  stats_->cmd_meta.Add();
  proto::MetaKeyBuffer scratch;
  const std::string_view key = proto::MetaKey(request, &scratch);
  slabs::GetOptions peek;  // no LRU bump, no hit, no win
  peek.bump = false;
  peek.peek = true;
  peek.meta = true;
  const slabs::GetResult r = context_.store.Get(key, peek);
  MetaDebugResponse response;
  if (!r.item) return response;
  response.found = true;
  const int64_t now = context_.clock.Now();
  proto::MetaDebugView& view = response.view;
  view.exp = r.exptime_before == 0 ? -1 : now - int64_t{r.exptime_before};
  view.last_access = static_cast<uint64_t>(now - int64_t{r.item.last_access()});
  view.cas = r.item.cas();
  view.fetched = r.item.fetched();
  view.slab_class = r.item.slab_class();
  view.total_size = r.item.total_size();
  view.key_binary = r.key_binary;  // stored by ms with b, whatever this request says
  return response;
}

}  // namespace slabcached
