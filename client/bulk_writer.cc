#include "client/bulk_writer.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "client/binary_codec.h"
#include "client/connection.h"
#include "client/near_cache.h"
#include "proto/binary_encoder.h"

namespace slabcached::client {

using Clock = std::chrono::steady_clock;
namespace bin = proto::binary;

struct BulkWriter::Lane {
  Lane(uint32_t index, ServerSpec server, ConnectionSettings settings)
      : index(index), conn(std::move(server), std::move(settings)) {}
  uint32_t index;  // in config.servers
  Connection conn;
  uint64_t pending = 0;  // sets queued or sent since the last confirmation
  uint64_t refused = 0;  // error replies among them
  Clock::time_point down_until{};
  Status down_status = Status::kConnectionFailure;  // why it is held down
};

namespace {

void AppendNumber(std::string* out, int64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
  out->append(digits, end);
}

// "set <key> <flags> <exptime> <bytes> noreply\r\n<value>\r\n"
void AppendTextSet(std::string* out, std::string_view key, std::string_view value, uint32_t flags,
                   int64_t exptime) {
  out->append("set ");
  out->append(key);
  out->push_back(' ');
  AppendNumber(out, flags);
  out->push_back(' ');
  AppendNumber(out, exptime);
  out->push_back(' ');
  AppendNumber(out, static_cast<int64_t>(value.size()));
  out->append(" noreply\r\n");
  out->append(value);
  out->append("\r\n");
}

int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

}  // namespace

BulkWriter::BulkWriter(Client* client, size_t flush_bytes)
    : client_(client),
      flush_bytes_(flush_bytes),
      binary_(client->config().protocol == Protocol::kBinary) {
  // One TLS context for every lane, as the Client loads one for its connections.
  const ConnectionSettings settings = MakeConnectionSettings(client->config());
  const std::vector<ServerSpec>& servers = client->config().servers;
  for (uint32_t i = 0; i < servers.size(); ++i) {
    lanes_.push_back(std::make_unique<Lane>(i, servers[i], settings));
  }
}

BulkWriter::~BulkWriter() { Flush(); }

Status BulkWriter::Set(std::string_view key, std::string_view value, uint32_t flags,
                       int64_t exptime) {
  if (!IsValidKey(key) || value.size() > UINT32_MAX) return Status::kInvalidArgument;
  const uint32_t server = client_->ServerFor(key);
  if (server == Continuum::kNoServer) {
    ++counts_.failed;
    return Status::kNoServer;
  }
  Lane* lane = Open(server);
  if (lane == nullptr) {
    ++counts_.failed;
    return lanes_[server]->down_status;
  }
  if (const auto& near = client_->config().near_cache; near != nullptr) near->Invalidate(key);
  std::string& out = lane->conn.output();
  if (binary_) {
    AppendQuietSet(&out, key, value, flags, static_cast<uint32_t>(exptime));
  } else {
    AppendTextSet(&out, key, value, flags, exptime);
  }
  ++lane->pending;
  if (out.size() >= flush_bytes_) Send(lane);
  return Status::kOk;
}

BulkWriter::Lane* BulkWriter::Open(uint32_t server) {
  Lane* lane = lanes_[server].get();
  if (lane->conn.open()) return lane;
  if (Clock::now() < lane->down_until) return nullptr;
  if (!lane->conn.StartConnect(Clock::now() + client_->config().timeout)) {
    Fail(lane, lane->conn.resolve_timed_out() ? Status::kTimeout : Status::kConnectionFailure,
         errno);
    return nullptr;
  }
  return lane;
}

void BulkWriter::Fail(Lane* lane, Status status, int sys_errno) {
  counts_.failed += lane->pending;
  lane->pending = 0;
  lane->refused = 0;
  lane->conn.Close();
  lane->down_until = Clock::now() + client_->config().retry_interval;
  lane->down_status = status;
  last_error_ = ClientError{
      .status = status,
      .server = lane->index,
      .address = lane->conn.server().Address(),
      .operation = "bulk set",
      .sys_errno = sys_errno,
      .reply = {},
      .timeout_ms = status == Status::kTimeout ? client_->config().timeout.count() : 0,
      .via = {},
      .resolve_error = {},
  };
}

void BulkWriter::Confirm(Lane* lane) {
  const uint64_t refused = std::min(lane->refused, lane->pending);
  counts_.failed += refused;
  counts_.stored += lane->pending - refused;
  lane->pending = 0;
  lane->refused = 0;
}

bool BulkWriter::Drain(Lane* lane, bool* broken) {
  Connection& c = lane->conn;
  bool synced = false;
  for (;;) {
    const std::string_view in = c.input();
    if (binary_) {
      bin::Response r;
      const size_t used = bin::ParseResponse(in, &r);
      if (used == SIZE_MAX) *broken = true;
      if (used == 0 || used == SIZE_MAX) return synced;
      if (r.header.opcode == static_cast<uint8_t>(bin::Opcode::kNoop)) {
        synced = true;
      } else if (r.header.status != bin::Status::kSuccess) {
        ++lane->refused;
      }
      c.Consume(used);
      continue;
    }
    const size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return synced;
    if (in.starts_with("VERSION ")) {
      synced = true;
    } else {
      ++lane->refused;  // ERROR, CLIENT_ERROR: sent even with noreply
    }
    c.Consume(eol + 2);
  }
}

bool BulkWriter::Send(Lane* lane) {
  Connection& c = lane->conn;
  const auto deadline = Clock::now() + client_->config().timeout;
  for (;;) {
    if (!c.connecting()) {
      errno = 0;
      if (const IoResult r = c.Write(); r != IoResult::kOk) {
        Fail(lane, FailureStatus(r), errno);
        return false;
      }
      // Write empties the buffer once every byte is out; while a TLS
      // handshake waits for the server the requests stay queued.
      if (c.output().empty()) return true;
    }
    const int left = MillisLeft(deadline);
    if (left == 0) {
      Fail(lane, Status::kTimeout);
      return false;
    }
    pollfd p{c.fd(), static_cast<short>(POLLIN | (c.WantsWrite() ? POLLOUT : 0)), 0};
    if (poll(&p, 1, left) < 0 && errno != EINTR) {
      Fail(lane, Status::kConnectionFailure, errno);
      return false;
    }
    if (p.revents == 0) continue;
    if (c.connecting()) {
      if (!c.FinishConnect()) {
        Fail(lane, Status::kConnectionFailure, errno);  // FinishConnect leaves SO_ERROR in errno
        return false;
      }
      continue;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      // Error replies (and the TLS handshake, the SASL reply) arrive while
      // we write: read them so neither side blocks.
      errno = 0;
      if (const IoResult r = c.Read(); r != IoResult::kOk) {
        Fail(lane, FailureStatus(r), errno);
        return false;
      }
      bool broken = false;
      const bool synced = Drain(lane, &broken);
      if (broken) {
        Fail(lane, Status::kProtocolError);
        return false;
      }
      // Over TLS, the read that finishes the handshake also writes the
      // queued batch and reads on: Flush's sync reply can arrive here.
      if (synced) Confirm(lane);
    }
  }
}

BulkCounts BulkWriter::Flush() {
  std::vector<Lane*> waiting;
  for (const auto& owned : lanes_) {
    Lane* lane = owned.get();
    if (lane->pending == 0) continue;
    if (binary_) {
      bin::AppendRequest(&lane->conn.output(), bin::Opcode::kNoop, {}, {}, {});
    } else {
      lane->conn.output().append("version\r\n");
    }
    // pending is 0 when Send already read the sync reply.
    if (Send(lane) && lane->pending > 0) waiting.push_back(lane);
  }
  const auto deadline = Clock::now() + client_->config().timeout;
  std::vector<pollfd> fds;
  while (!waiting.empty()) {
    fds.clear();
    for (Lane* lane : waiting) fds.push_back({lane->conn.fd(), POLLIN, 0});
    const int left = MillisLeft(deadline);
    const int n = left == 0 ? 0 : poll(fds.data(), fds.size(), left);
    if (n == 0 || (n < 0 && errno != EINTR)) {
      const int poll_errno = n < 0 ? errno : 0;
      for (Lane* lane : waiting) {  // nothing confirmed
        Fail(lane, n == 0 ? Status::kTimeout : Status::kConnectionFailure, poll_errno);
      }
      break;
    }
    std::vector<Lane*> still;
    for (size_t i = 0; i < waiting.size(); ++i) {
      Lane* lane = waiting[i];
      if (fds[i].revents == 0) {
        still.push_back(lane);
        continue;
      }
      bool broken = false;
      errno = 0;
      const IoResult read = lane->conn.Read();
      const int read_errno = errno;
      if (Drain(lane, &broken) && !broken) {
        Confirm(lane);
      } else if (broken) {
        Fail(lane, Status::kProtocolError);
      } else if (read != IoResult::kOk) {
        Fail(lane, FailureStatus(read), read_errno);
      } else {
        still.push_back(lane);
      }
    }
    waiting.swap(still);
  }
  return counts_;
}

}  // namespace slabcached::client
