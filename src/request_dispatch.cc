#include "src/request_dispatch.h"

#include <glog/logging.h>

#include <algorithm>
#include <utility>

#include "proto/binary_parser.h"
#include "proto/commands.h"
#include "proto/text_parser.h"
#include "src/responder.h"

namespace slabcached {
namespace {

using Next = DispatchResult::Next;

bool IsStorage(proto::Command command) { return proto::InfoOf(command).Has(proto::kStorage); }

// Allocates the item a storage request's data block goes to (or, when that
// failed and the error is answered, has the block swallowed).
void BeginStore(Executor& executor, const proto::Request& request, Responder& responder,
                DispatchCarry* carry, DispatchResult* result) {
  StoreContinuation pending = executor.BeginStore(request, responder);
  result->block = pending.block_bytes();
  if (!pending.has_item()) {
    // Answered already; nothing to keep past this call (an ms holds a copy
    // of its key and flags, which the carry would otherwise keep).
    result->next = Next::kSwallow;
    return;
  }
  result->next = Next::kValue;
  carry->pending = std::move(pending);
}

bool IsRetrieval(proto::Command command) { return proto::InfoOf(command).Has(proto::kRetrieval); }

// Counts a sampled request's keys (the rare path, kept out of line).
[[gnu::noinline]] void AddKeys(const proto::Request& request, WorkerHotKeys* hot_keys) {
  if (!request.key.empty()) hot_keys->Add(request.key);
  proto::ForEachKey(request.keys, [&](std::string_view key) { hot_keys->Add(key); });
}

// One get or set in the worker's sampling rate has its keys counted
// (src/hot_keys.h).
inline void SampleKeys(const proto::Request& request, WorkerHotKeys* hot_keys) {
  const proto::Command command = request.command;
  const bool get_or_set =
      IsRetrieval(command) || IsStorage(command) || command == proto::Command::kMetaGet;
  if (get_or_set && hot_keys->Sample()) AddKeys(request, hot_keys);
}

// Runs a text retrieval's keys until its replies pass `reply_cap`: a
// multi-get of millions of keys from a client that does not read holds one
// cap's worth of replies, not one per key (the connection resumes it as
// the socket drains).
void RunRetrieval(Executor& executor, const proto::Request& request, Responder& responder,
                  const OutputQueue* out, size_t reply_cap, DispatchCarry* carry,
                  DispatchResult* result) {
  const std::string_view rest =
      executor.Retrieve(request, responder, ReplyBudget{.queue = out, .cap = reply_cap});
  if (rest.empty()) return;
  result->next = Next::kPaused;
  carry->paused = request;
  carry->paused.keys = rest;
}

}  // namespace

DispatchResult DispatchText(Executor& executor, std::string_view input, Session& session,
                            OutputQueue* out, DispatchCarry* carry, int log_id,
                            const TextDispatchOptions& options) {
  DispatchResult result;
  const proto::ParsedText text = proto::ParseText(input, options.scanned);
  const proto::ParseResult& parsed = text.result;
  const proto::Request& request = text.request;
  if (VLOG_IS_ON(2) && parsed.status != proto::ParseStatus::kNeedMore) {
    std::string_view line = input.substr(0, std::min(parsed.consumed, input.find('\n')));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    VLOG(2) << "<" << log_id << " " << line;
  }
  result.silent = request.noreply || request.meta.quiet();
  result.command = request.command;
  switch (parsed.status) {
    case proto::ParseStatus::kNeedMore:
      return result;
    case proto::ParseStatus::kClose:
      result.next = Next::kAbort;
      return result;
    case proto::ParseStatus::kError: {
      result.consumed = parsed.consumed;
      result.next = Next::kContinue;
      TextResponder responder(request, out);
      executor.ReplyParseError(request, parsed.error, responder);
      if (request.meta.swallow_data) {
        // ms rejected after <datalen>: memcached drops the data block too.
        result.next = Next::kSwallow;
        result.block = static_cast<size_t>(request.value_bytes) + 2;
      }
      return result;
    }
    case proto::ParseStatus::kOk:
      break;
  }
  result.consumed = parsed.consumed;
  result.next = Next::kContinue;
  SampleKeys(request, &executor.stats()->hot_keys);
  ComposerFor composer(request, out);  // text or meta
  Responder& responder = composer.get();
  if (IsStorage(request.command)) {
    BeginStore(executor, request, responder, carry, &result);
  } else if (IsRetrieval(request.command)) {
    RunRetrieval(executor, request, responder, out, options.reply_cap, carry, &result);
  } else if (executor.Execute(request, responder, session) == Executor::Next::kClose) {
    result.next = Next::kClose;
  }
  return result;
}

DispatchResult DispatchBinary(Executor& executor, std::string_view input, Session& session,
                              bool sasl, OutputQueue* out, DispatchCarry* carry, int log_id) {
  DispatchResult result;
  proto::Request request;
  const proto::BinaryParseResult parsed = proto::ParseBinaryRequest(input, &request);
  if (parsed.status == proto::ParseStatus::kNeedMore) return result;
  if (parsed.status == proto::ParseStatus::kClose) {
    VLOG(1) << "Invalid magic: " << std::hex << static_cast<int>(static_cast<uint8_t>(input[0]));
    result.next = Next::kAbort;
    return result;
  }
  VLOG(2) << "<" << log_id << " binary opcode 0x" << std::hex << static_cast<int>(request.opcode)
          << std::dec << " key " << request.key;
  result.consumed = parsed.consumed;
  result.next = Next::kContinue;
  result.command = request.command;
  BinaryResponder responder(request, out);
  // -S: only SASL and version before authentication; the rest gets
  // "Auth failure." and the connection closes (memcached's order of checks).
  const bool error = parsed.status == proto::ParseStatus::kError;
  if (sasl && !session.authenticated && !proto::AllowedBeforeAuth(request.opcode) &&
      !(error && parsed.before_auth)) {
    responder.Fail(proto::ReplyError::kAuthError);
    result.next = Next::kClose;
    return result;
  }
  if (error) {
    responder.Error(parsed.error);
    if (parsed.close) {
      result.next = Next::kClose;
    } else if (parsed.swallow > 0) {
      result.next = Next::kSwallow;
      result.block = parsed.swallow;
    }
    return result;
  }
  SampleKeys(request, &executor.stats()->hot_keys);
  if (IsStorage(request.command)) {
    BeginStore(executor, request, responder, carry, &result);
  } else if (executor.Execute(request, responder, session) == Executor::Next::kClose) {
    result.next = Next::kClose;
  }
  return result;
}

DispatchResult ResumeRetrieval(Executor& executor, const proto::Request& paused, OutputQueue* out,
                               DispatchCarry* carry, size_t reply_cap) {
  DispatchResult result;
  result.next = Next::kContinue;
  TextResponder responder(paused, out);
  RunRetrieval(executor, paused, responder, out, reply_cap, carry, &result);
  return result;
}

}  // namespace slabcached
