#include "client/multi_get.h"

#include <algorithm>

#include "client/binary_codec.h"
#include "proto/request.h"
#include "proto/text_encoder.h"

namespace slabcached::client {

namespace {

MultiGetBatch& AddBatch(MultiGetPlan* plan, uint32_t server) {
  if (plan->size == plan->batches.size()) plan->batches.emplace_back();
  MultiGetBatch& b = plan->batches[plan->size++];
  b.server = server;
  b.request.clear();
  b.commands = 0;
  return b;
}

// Text: one get line per max_keys_per_get keys, dealt round-robin over up to
// connections_per_server batches of this server.
void PlanTextServer(std::span<const std::string_view> keys, uint32_t server,
                    const MultiGetPlanOptions& options, MultiGetPlan* plan, std::string* line) {
  const size_t first = plan->size;
  size_t chunk = 0;
  for (size_t i = 0; i < keys.size(); i += options.max_keys_per_get, ++chunk) {
    const size_t slot = chunk % options.connections_per_server;
    if (first + slot >= plan->size) AddBatch(plan, server);
    MultiGetBatch& target = plan->batches[first + slot];
    line->clear();
    const size_t end = std::min(keys.size(), i + options.max_keys_per_get);
    for (size_t j = i; j < end; ++j) {
      if (j > i) *line += ' ';
      line->append(keys[j]);
    }
    proto::Request req;
    req.command = options.with_cas ? proto::Command::kGets : proto::Command::kGet;
    req.keys = *line;
    proto::AppendRequestLine(&target.request, req);
    ++target.commands;
  }
}

}  // namespace

void PlanRequests(const MultiGetPlanOptions& options, MultiGetPlan* plan) {
  plan->size = 0;
  const auto servers = static_cast<uint32_t>(plan->by_server.size());
  for (uint32_t server = 0; server < servers; ++server) {
    const std::vector<std::string_view>& server_keys = plan->by_server[server];
    if (server_keys.empty()) continue;
    if (options.binary) {
      MultiGetBatch& b = AddBatch(plan, server);
      for (std::string_view k : server_keys) {
        AppendKeyOnlyRequest(&b.request, proto::binary::Opcode::kGetKQ, k);
      }
      AppendKeyOnlyRequest(&b.request, proto::binary::Opcode::kNoop, {});
      b.commands = 1;
      continue;
    }
    PlanTextServer(server_keys, server, options, plan, &plan->line);
  }
}

}  // namespace slabcached::client
