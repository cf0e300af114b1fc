// Which worker thread an accepted connection goes to (memcached's
// dispatch_conn_new): the next one in turn, or with -N the one that serves
// the NIC receive queue the connection arrived on.
//
// With -N, workers learn NAPI ids (the kernel's id of a receive queue,
// SO_INCOMING_NAPI_ID) in the order connections bring them: the first new
// id goes to worker 0, the next to worker 1, and so on, so each queue is
// served by one worker. As in memcached (thread.c), every worker can learn
// one id, whatever -N says (-N only turns the choice on and may not exceed
// -t); a new id once every worker has one is unexpected (more queues than
// workers, or a driver reload renumbered them): the table is cleared and
// learning starts again with that id. A connection without an id (0, as on
// loopback or a UNIX socket) falls back to round robin.
//
// The id comes from the kernel, never from what a client sends, and the
// table is bounded by the number of workers.
#pragma once

#include <cstdint>
#include <vector>

#include "src/stats.h"

namespace slabcached {

class WorkerPicker {
 public:
  enum class Reason : uint8_t {
    kRoundRobin,  // without -N
    kNapiId,      // a worker serving that id, known or just learned
    kUnexpected,  // as kNapiId, after clearing the table: unexpected_napi_ids
    kFallback,    // -N, but no id: round robin, round_robin_fallback
  };
  struct Pick {
    uint32_t worker;
    Reason reason;
  };

  // `workers` > 0; `by_napi_id`: -N was given.
  WorkerPicker(uint32_t workers, bool by_napi_id);

  bool by_napi_id() const { return by_napi_id_; }
  // The next worker in turn (also used for UDP sockets).
  uint32_t RoundRobin();
  // For a connection whose socket reported `napi_id` (0: none).
  Pick ForConnection(uint32_t napi_id);

 private:
  const uint32_t workers_;
  const bool by_napi_id_;
  uint32_t next_ = 0;  // round robin
  // The ids learned so far; worker i serves learned_[i].
  std::vector<uint32_t> learned_;
};

// The NAPI id of `fd`'s receive queue, 0 if the socket has none or the
// kernel cannot tell (before 4.12).
uint32_t IncomingNapiId(int fd);
// False when the kernel lacks SO_INCOMING_NAPI_ID: -N cannot work.
bool NapiIdSupported(int fd);

// The worker for accepted socket `fd`; counts unexpected_napi_ids and
// round_robin_fallback in `stats`.
uint32_t PickWorker(WorkerPicker& picker, int fd, ServerStats* stats);

}  // namespace slabcached
