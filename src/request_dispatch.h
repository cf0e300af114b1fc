// The command handling every transport shares: parse one request from the
// front of the input, run it through the executor, and encode the reply into
// an OutputQueue. What happens to the bytes after it is the transport's
// business: a storage command's data block is read from the socket into the
// item by a Connection, and found in the same datagram by a UdpPort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/executor.h"
#include "src/output_queue.h"

namespace slabcached {

struct DispatchResult {
  enum class Next : uint8_t {
    kNeedMore,  // no complete request yet; nothing consumed
    kContinue,  // done; parse the next request after `consumed` bytes
    kValue,     // `block` data-block bytes follow: write them into the carry's
                // `pending`, then Complete() it
    kSwallow,   // `block` bytes follow that are to be discarded
    kPaused,    // a text retrieval stopped before `paused.keys`: its replies reached
                // the cap; ResumeRetrieval() once they are sent. Nothing consumed yet:
                // the line (`consumed` bytes) must stay where `paused` points into it
    kClose,     // close once the queued replies are sent (quit, binary framing errors)
    kAbort,     // close without a reply (an HTTP request line, an overlong line)
  };
  Next next = Next::kNeedMore;
  size_t consumed = 0;  // bytes of the request itself (its data block excluded)
  size_t block = 0;     // kValue, kSwallow
  // The request asked for no reply (text "noreply", meta "q").
  bool silent = false;
  // What was parsed (kNone for a line that named no command): latency's label.
  proto::Command command = proto::Command::kNone;
};

// What a dispatch leaves for the caller beyond its DispatchResult: the
// request it could not finish. The caller owns one and reuses it for every
// request: a Request is ~240 bytes, and making (zeroing) two per request
// was ~4% of the server's CPU on pipelined gets.
struct DispatchCarry {
  StoreContinuation pending;  // kValue: the item the data block goes into
  proto::Request paused;      // kPaused: the request, `keys` holding the keys not yet run
};

// How a text request is read and answered beyond the defaults.
struct TextDispatchOptions {
  // Bytes at the front of the input already known to hold no line end
  // (proto::ParseTextRequest).
  size_t scanned = 0;
  // A multi-key retrieval pauses (kPaused) once `out` holds more than this
  // (OutputQueue::footprint()); it always runs at least one key.
  size_t reply_cap = SIZE_MAX;
};

// `log_id` names the client in -vv logs (memcached prints the socket).
DispatchResult DispatchText(Executor& executor, std::string_view input, Session& session,
                            OutputQueue* out, DispatchCarry* carry, int log_id,
                            const TextDispatchOptions& options = {});
// Runs more keys of a kPaused retrieval: kContinue once its reply has ended,
// or kPaused again.
DispatchResult ResumeRetrieval(Executor& executor, const proto::Request& paused, OutputQueue* out,
                               DispatchCarry* carry, size_t reply_cap);
// `sasl`: -S, requests need authentication first.
DispatchResult DispatchBinary(Executor& executor, std::string_view input, Session& session,
                              bool sasl, OutputQueue* out, DispatchCarry* carry, int log_id);

}  // namespace slabcached
