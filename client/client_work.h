// The Client's unit of work, shared by client.cc and async_multi_get.cc:
// the commands an operation sends to one server connection, pipelined, and
// what each reply turned into. Internal to libslabclient (not installed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "client/client.h"

namespace slabcached::client {

// One command sent to a server and what its reply turned into.
struct Client::Op {
  enum class Expect : uint8_t { kLine, kValues, kStats, kMeta, kVersion };
  Expect expect = Expect::kLine;
  Status status = Status::kTimeout;
  uint64_t number = 0;                    // kLine: incr/decr result
  const ItemCallback* on_item = nullptr;  // kValues of a multi-get: each hit
  Item* item = nullptr;                   // kValues of one key (instead of on_item): its hit
  bool hit = false;                       // kValues with `item`: the key was found
  std::vector<std::pair<std::string, std::string>>* stats = nullptr;  // kStats
  uint8_t opcode = 0;        // binary protocol: the request's opcode
  MetaItem* meta = nullptr;  // kMeta: filled from mg's return flags (may be null)
  bool error_line = false;   // the answer was ERROR (unknown command)
};

// Everything one operation sends to one server, pipelined, and its ops in order.
struct Client::Work {
  uint32_t server = 0;
  std::string request;
  std::vector<Op> ops;
  size_t next = 0;  // first op still waiting for its reply
  bool done = false;
  size_t conn = 0;  // index into connections_, set by Execute
};

}  // namespace slabcached::client
