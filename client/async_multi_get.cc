#include "client/async_multi_get.h"

#include <poll.h>

#include <algorithm>

#include "client/client_work.h"
#include "client/connection.h"

namespace slabcached::client {

AsyncMultiGet::AsyncMultiGet(Client* client, std::span<const std::string_view> keys,
                             std::function<void(const ItemView&)> on_item, bool with_cas)
    : client_(client),
      on_item_(std::move(on_item)),
      deadline_(std::chrono::steady_clock::now() + client->config().timeout) {
  for (std::string_view k : keys) {
    if (!IsValidKey(k)) {
      invalid_ = true;
      return;
    }
  }
  unplaced_ = !client_->PlanWorks(keys, with_cas, &on_item_ref_, &works_);
  client_->BeginExecute(&works_);
}

AsyncMultiGet::~AsyncMultiGet() {
  for (const Client::Work& w : works_) {
    if (!w.done) client_->connections_[w.conn]->Close();
  }
}

const std::vector<AsyncMultiGet::Wait>& AsyncMultiGet::Waits() {
  waits_.clear();
  for (const Client::Work& w : works_) {
    if (w.done) continue;
    waits_.push_back({client_->connections_[w.conn]->fd(), client_->PollEvents(w)});
  }
  return waits_;
}

void AsyncMultiGet::OnReady(int fd, short revents) {
  for (Client::Work& w : works_) {
    if (!w.done && client_->connections_[w.conn]->fd() == fd) {
      client_->Progress(&w, revents);
      return;
    }
  }
}

void AsyncMultiGet::OnTimeout() {
  const bool expired = std::chrono::steady_clock::now() >= deadline_;
  for (Client::Work& w : works_) {
    if (w.done) continue;
    if (expired) {
      client_->FailWork(&w, Status::kTimeout);
    } else {
      client_->AdvanceStalledConnect(&w, deadline_);
    }
  }
}

std::chrono::steady_clock::time_point AsyncMultiGet::next_timeout() const {
  auto wake = deadline_;
  for (const Client::Work& w : works_) wake = std::min(wake, client_->NextWake(w, deadline_));
  return wake;
}

bool AsyncMultiGet::done() const {
  for (const Client::Work& w : works_) {
    if (!w.done) return false;
  }
  return true;
}

Status AsyncMultiGet::status() const {
  if (invalid_) return Status::kInvalidArgument;
  if (!done()) return Status::kTimeout;
  bool failed = unplaced_;
  for (const Client::Work& w : works_) {
    for (const Client::Op& op : w.ops) failed = failed || op.status != Status::kOk;
  }
  return failed ? Status::kSomeErrors : Status::kOk;
}

}  // namespace slabcached::client
