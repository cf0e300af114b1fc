// Client's hot-key replication (the rules are in hot_keys.h): which servers
// hold a hot key, and how each operation spreads over them. Every operation
// here is made of ordinary single-key operations pinned to one server.
#include "client/client.h"
#include "client/hot_keys.h"
#include "proto/request.h"

namespace slabcached::client {
namespace {

using proto::Command;

// The server did not answer (it may still hold an old copy).
bool Unanswered(Status s) {
  switch (s) {
    case Status::kTimeout:
    case Status::kConnectionFailure:
    case Status::kProtocolError:
    case Status::kNoServer:
    case Status::kServerEjected:
      return true;
    default:
      return false;
  }
}

// SplitMix64: a random choice per read. A round-robin counter shared by all
// hot keys would alias (two keys read in alternation would each always get
// the same replica).
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The primary's answer, unless a secondary did not answer.
Status Combined(Status primary, Status secondary_failure) {
  if (Unanswered(primary) || secondary_failure == Status::kOk) return primary;
  return secondary_failure;
}

}  // namespace

template <typename Fn>
Status Client::Pinned(uint32_t server, const Fn& op) {
  pinned_ = server;
  const Status s = op();
  pinned_ = Continuum::kNoServer;
  return s;
}

bool Client::HotReplicas(std::string_view key) {
  const HotKeys* hot = config_.hot_keys.get();
  if (hot == nullptr || pinned_ != Continuum::kNoServer || hot->config().replicas < 2 ||
      !IsValidKey(key) || !hot->IsHot(key)) {
    return false;
  }
  RestoreDueServers();
  continuum_->PickDistinct(continuum_->HashForKey(key), hot->config().replicas, &replicas_);
  return replicas_.size() > 1;
}

void Client::ServersFor(std::string_view key, std::vector<uint32_t>* servers) {
  servers->clear();
  if (HotReplicas(key)) {
    *servers = replicas_;
    return;
  }
  const uint32_t server = ServerFor(key);
  if (server != Continuum::kNoServer) servers->push_back(server);
}

Status Client::DeleteFrom(uint32_t server, std::string_view key) {
  if (server >= state_.size()) return Status::kInvalidArgument;
  return Pinned(server,
                [&] { return Single(static_cast<int>(Command::kDelete), key, 0, 0, nullptr); });
}

bool Client::NearCacheTakes(std::string_view key) const {
  const HotKeys* hot = config_.hot_keys.get();
  return hot == nullptr || !hot->config().near_cache_hot_only || hot->IsHot(key);
}

Status Client::RetrieveReplicated(std::string_view key, Item* item) {
  const int get = static_cast<int>(Command::kGet);
  const uint32_t primary = replicas_[0];
  const uint32_t chosen = replicas_[NextRandom(&replica_rng_) % replicas_.size()];
  if (chosen != primary) {
    const Status s = Pinned(chosen, [&] { return Retrieve(get, key, 0, item); });
    if (s == Status::kOk) return s;
    const Status p = Pinned(primary, [&] { return Retrieve(get, key, 0, item); });
    if (p == Status::kOk && s == Status::kNotFound) {
      // Read repair; add, so that a newer write that reached the secondary
      // meanwhile is not overwritten.
      const int64_t exptime = config_.hot_keys->SecondaryExptime(0);
      Pinned(chosen, [&] {
        return Store(static_cast<int>(Command::kAdd), key, item->value, item->flags, exptime, 0);
      });
    }
    return p;
  }
  return Pinned(primary, [&] { return Retrieve(get, key, 0, item); });
}

Status Client::StoreReplicated(int command, std::string_view key, std::string_view value,
                               uint32_t flags, int64_t exptime, uint64_t cas) {
  const std::vector<uint32_t> replicas = replicas_;  // nested operations may not touch it
  const Status primary =
      Pinned(replicas[0], [&] { return Store(command, key, value, flags, exptime, cas); });
  const auto c = static_cast<Command>(command);
  const bool copy =
      c == Command::kSet || (primary == Status::kOk &&
                             (c == Command::kAdd || c == Command::kReplace || c == Command::kCas));
  const bool drop = c == Command::kAppend || c == Command::kPrepend;
  if (!copy && !drop) return primary;
  const int64_t secondary_exptime = config_.hot_keys->SecondaryExptime(exptime);
  Status failure = Status::kOk;
  for (size_t i = 1; i < replicas.size(); ++i) {
    const Status s = Pinned(replicas[i], [&] {
      return copy ? Store(static_cast<int>(Command::kSet), key, value, flags, secondary_exptime, 0)
                  : Single(static_cast<int>(Command::kDelete), key, 0, 0, nullptr);
    });
    if (Unanswered(s) && failure == Status::kOk) failure = s;
  }
  return Combined(primary, failure);
}

Status Client::SingleReplicated(int command, std::string_view key, int64_t exptime, uint64_t delta,
                                uint64_t* number) {
  const std::vector<uint32_t> replicas = replicas_;
  const Status primary =
      Pinned(replicas[0], [&] { return Single(command, key, exptime, delta, number); });
  const auto c = static_cast<Command>(command);
  // Delete and touch repeat on every replica; incr/decr drop the secondaries'
  // copies (they repair from the primary, flags included).
  const int secondary_command = c == Command::kTouch ? command : static_cast<int>(Command::kDelete);
  const int64_t secondary_exptime =
      c == Command::kTouch ? config_.hot_keys->SecondaryExptime(exptime) : 0;
  Status failure = Status::kOk;
  for (size_t i = 1; i < replicas.size(); ++i) {
    const Status s = Pinned(
        replicas[i], [&] { return Single(secondary_command, key, secondary_exptime, 0, nullptr); });
    if (Unanswered(s) && failure == Status::kOk) failure = s;
  }
  return Combined(primary, failure);
}

void Client::DropSecondaries(std::string_view key) {
  if (!HotReplicas(key)) return;
  const std::vector<uint32_t> replicas = replicas_;
  for (size_t i = 1; i < replicas.size(); ++i) {
    Pinned(replicas[i],
           [&] { return Single(static_cast<int>(Command::kDelete), key, 0, 0, nullptr); });
  }
}

}  // namespace slabcached::client
