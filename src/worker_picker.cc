#include "src/worker_picker.h"

#include <sys/socket.h>

#include <algorithm>
#include <optional>

// Linux 4.12's value, for older C libraries' headers.
#ifndef SO_INCOMING_NAPI_ID
#define SO_INCOMING_NAPI_ID 56
#endif

namespace slabcached {

WorkerPicker::WorkerPicker(uint32_t workers, bool by_napi_id)
    : workers_(workers), by_napi_id_(by_napi_id) {
  learned_.reserve(workers);
}

uint32_t WorkerPicker::RoundRobin() {
  const uint32_t worker = next_;
  next_ = (next_ + 1) % workers_;
  return worker;
}

WorkerPicker::Pick WorkerPicker::ForConnection(uint32_t napi_id) {
  if (!by_napi_id_) return {RoundRobin(), Reason::kRoundRobin};
  if (napi_id == 0) return {RoundRobin(), Reason::kFallback};
  const auto known = std::find(learned_.begin(), learned_.end(), napi_id);
  if (known != learned_.end()) {
    return {static_cast<uint32_t>(known - learned_.begin()), Reason::kNapiId};
  }
  Reason reason = Reason::kNapiId;
  if (learned_.size() == workers_) {
    learned_.clear();
    reason = Reason::kUnexpected;
  }
  learned_.push_back(napi_id);
  return {static_cast<uint32_t>(learned_.size() - 1), reason};
}

namespace {

// SO_INCOMING_NAPI_ID of `fd`, or nullopt when the kernel cannot tell.
std::optional<uint32_t> ReadNapiId(int fd) {
  unsigned int napi_id = 0;
  socklen_t length = sizeof(napi_id);
  if (getsockopt(fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &napi_id, &length) != 0) return std::nullopt;
  return napi_id;
}

}  // namespace

uint32_t IncomingNapiId(int fd) { return ReadNapiId(fd).value_or(0); }

bool NapiIdSupported(int fd) { return ReadNapiId(fd).has_value(); }

uint32_t PickWorker(WorkerPicker& picker, int fd, ServerStats* stats) {
  const WorkerPicker::Pick pick =
      picker.ForConnection(picker.by_napi_id() ? IncomingNapiId(fd) : 0);
  if (pick.reason == WorkerPicker::Reason::kUnexpected) {
    stats->unexpected_napi_ids.fetch_add(1, std::memory_order_relaxed);
  } else if (pick.reason == WorkerPicker::Reason::kFallback) {
    stats->round_robin_fallback.fetch_add(1, std::memory_order_relaxed);
  }
  return pick.worker;
}

}  // namespace slabcached
