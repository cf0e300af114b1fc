// Multi-get building blocks shared by Client::MultiGet, its streaming form
// and AsyncMultiGet: what a found item looks like while it is delivered, and
// the planner that turns a key list into one pipelined request per server
// connection (pure: no sockets, no clock).
//
// Duplicate keys: a key listed twice is requested once and delivered at most
// once (the planner sorts the keys and drops repeats); MultiGet's std::map
// holds one entry per distinct key found. Order of delivery: per server, the
// server's reply order (its keys sorted); across servers, as replies arrive.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace slabcached::client {

// A found item as it comes off the wire: the views point into the
// connection's input buffer and are valid only during the callback.
struct ItemView {
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;
  uint64_t cas = 0;  // 0 unless with_cas (gets / binary getkq)
};

// Called once per distinct key found, on the thread running the multi-get.
// A non-owning reference to any callable taking an ItemView (C++26's
// std::function_ref): the callable must outlive the call it is passed to,
// as a lambda written in the argument list does. One indirect call per item,
// no allocation.
class ItemCallback {
 public:
  template <typename F>
  requires(std::is_invocable_v<F&, const ItemView&> &&
           !std::is_same_v<std::remove_cvref_t<F>, ItemCallback>) ItemCallback(F&& f)
  noexcept  // NOLINT(google-explicit-constructor): like function_ref
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, const ItemView& item) {
          (*static_cast<std::remove_reference_t<F>*>(object))(item);
        }) {}

  void operator()(const ItemView& item) const { call_(object_, item); }

 private:
  void* object_;
  void (*call_)(void*, const ItemView&);
};

struct MultiGetPlanOptions {
  bool binary = false;    // getkq per key and one noop, instead of get/gets lines
  bool with_cas = false;  // gets instead of get (binary getkq always carries the CAS)
  size_t max_keys_per_get = 100;
  uint32_t connections_per_server = 1;
};

// One server connection's share of a multi-get.
struct MultiGetBatch {
  uint32_t server = 0;
  std::string request;    // the pipelined commands
  uint32_t commands = 0;  // reply streams to read: get lines, or 1 (the noop) for binary
};

// Reused across multi-gets so that steady-state planning allocates nothing.
struct MultiGetPlan {
  std::vector<MultiGetBatch> batches;  // only the first `size` are this plan's
  size_t size = 0;
  bool unplaced = false;                 // some key had no live server (its key cannot be found)
  std::vector<std::string_view> sorted;  // scratch
  std::vector<std::vector<std::string_view>> by_server;  // scratch
  std::string line;                                      // scratch
};

// The requests for plan->by_server (see PlanMultiGet).
void PlanRequests(const MultiGetPlanOptions& options, MultiGetPlan* plan);

// Plans a multi-get of `keys` (assumed valid) over `servers` servers:
// `pick(key)` names the live server for a key, or a value >= servers when
// there is none. The text protocol sends one get line per max_keys_per_get
// keys, spreading a server's lines over up to connections_per_server
// batches (consecutive batches of one server go to distinct connections).
// A template so that `pick` is inlined: it runs once per key.
template <typename Pick>
void PlanMultiGet(std::span<const std::string_view> keys, uint32_t servers, const Pick& pick,
                  const MultiGetPlanOptions& options, MultiGetPlan* plan) {
  plan->unplaced = false;
  plan->by_server.resize(servers);
  for (auto& server_keys : plan->by_server) server_keys.clear();
  // Sorted and unique: each key is asked once, and a server's replies come
  // back in key order.
  plan->sorted.assign(keys.begin(), keys.end());
  std::sort(plan->sorted.begin(), plan->sorted.end());
  plan->sorted.erase(std::unique(plan->sorted.begin(), plan->sorted.end()), plan->sorted.end());
  for (std::string_view k : plan->sorted) {
    const uint32_t server = pick(k);
    if (server >= servers) {
      plan->unplaced = true;
      continue;
    }
    plan->by_server[server].push_back(k);
  }
  PlanRequests(options, plan);
}

}  // namespace slabcached::client
