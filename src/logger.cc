#include "src/logger.h"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "src/stats.h"
#include "src/watcher.h"

namespace slabcached {
namespace {

// memcached's logger thread sleeps 1 ms while it finds lines, backing off
// to 1 s when it does not.
constexpr auto kMinSleep = std::chrono::microseconds(1000);
constexpr auto kMaxSleep = std::chrono::microseconds(1000000);
// How often "watch hotkeys" compares the top list with the one it sent.
constexpr auto kHotKeysInterval = std::chrono::seconds(1);

}  // namespace

void WorkerLog::Append(uint32_t kind, uint64_t gid, std::string_view line) {
  const Header header{kind, static_cast<uint32_t>(line.size()), gid};
  std::lock_guard lock(mutex_);
  if (entries_.size() + sizeof(header) + line.size() > capacity_) {
    ++dropped_;
    return;
  }
  entries_.append(reinterpret_cast<const char*>(&header), sizeof(header));
  entries_.append(line);
  ++written_;
}

WorkerLog::Taken WorkerLog::TakeAll(std::string* entries) {
  entries->clear();
  std::lock_guard lock(mutex_);
  entries->swap(entries_);
  return {std::exchange(written_, 0), std::exchange(dropped_, 0)};
}

Logger::Logger(const LoggerConfig& config, uint32_t writers, ServerStats* stats)
    : config_(config), stats_(stats) {
  for (uint32_t i = 0; i <= writers; ++i) {
    logs_.push_back(std::make_unique<WorkerLog>(config_.worker_buffer_bytes));
  }
}

Logger::~Logger() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  std::lock_guard lock(watchers_mutex_);
  for (auto& watcher : watchers_) {
    watcher->Flush();
    stats_->curr_connections.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Logger::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

Logger::AddResult Logger::AddWatcher(ev::Fd* fd, uint32_t kinds, std::function<void()> closed) {
  std::lock_guard lock(watchers_mutex_);
  if (watchers_.size() >= kMaxWatchers) return AddResult::kTooMany;
  auto watcher = std::make_unique<Watcher>(std::move(*fd), kinds, NextGid(),
                                           config_.watcher_buffer_bytes, std::move(closed));
  watchers_.push_back(std::move(watcher));
  // The newcomer knows no list yet: the next report sends all of it.
  if ((kinds & proto::kWatchHotkeys) != 0) hot_keys_sent_.clear();
  // The socket is no connection's any more, but memcached still counts it.
  stats_->curr_connections.fetch_add(1, std::memory_order_relaxed);
  // Workers log the new kinds before the client can see "OK" and act.
  UpdateKinds();
  watchers_.back()->Offer("OK\r\n");
  watchers_.back()->Flush();
  wake_.notify_all();
  return AddResult::kOk;
}

void Logger::Evicted(const slabs::EvictionInfo& info) {
  Record(logs_.back().get(), proto::kWatchEvictions,
         [&](std::string* out, const proto::LogStamp& stamp) {
           proto::AppendEvictionLine(out, stamp,
                                     {.key = info.key,
                                      .fetched = info.fetched,
                                      .ttl = info.ttl,
                                      .last_access = info.last_access,
                                      .clsid = info.clsid,
                                      .size = info.value_bytes});
         });
}

void Logger::UpdateKinds() {
  uint32_t kinds = 0;
  for (const auto& watcher : watchers_) kinds |= watcher->kinds();
  kinds_.store(kinds, std::memory_order_relaxed);
  stats_->log_watchers.store(watchers_.size(), std::memory_order_relaxed);
}

void Logger::ReportHotKeys() {
  const std::vector<HotKey> now = stats_->HotKeys(kDefaultHotKeysListed);
  std::lock_guard lock(watchers_mutex_);
  // The wall clock, as "stats hotkeys" computes its rates.
  const double seconds =
      static_cast<double>(std::max<time_t>(time(nullptr) - stats_->hot_keys_since(), 1));
  for (const HotKeyChange& change : DiffHotKeys(hot_keys_sent_, now)) {
    Record(logs_.back().get(), proto::kWatchHotkeys,
           [&](std::string* out, const proto::LogStamp& stamp) {
             proto::AppendHotKeyLine(out, stamp,
                                     {.key = change.key->key,
                                      .rank = change.rank,
                                      .requests = change.key->requests,
                                      .rate = static_cast<double>(change.key->requests) / seconds});
           });
  }
  hot_keys_sent_ = now;
}

void Logger::Run(std::stop_token stop) {
  using SteadyClock = std::chrono::steady_clock;
  auto sleep = kMinSleep;
  SteadyClock::time_point next_hot_keys = SteadyClock::now();
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(watchers_mutex_);
      // Nobody watches: nothing is logged, so sleep until somebody does.
      wake_.wait(lock, stop, [&] { return !watchers_.empty(); });
      if (stop.stop_requested()) return;
      auto wait = std::chrono::duration_cast<std::chrono::microseconds>(sleep);
      if (Watching(proto::kWatchHotkeys)) {
        wait = std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(
                                  next_hot_keys - SteadyClock::now()));
      }
      if (wait > kMinSleep) wake_.wait_for(lock, stop, wait, [] { return false; });
      if (stop.stop_requested()) return;
    }
    if (Watching(proto::kWatchHotkeys) && SteadyClock::now() >= next_hot_keys) {
      ReportHotKeys();
      next_hot_keys = SteadyClock::now() + kHotKeysInterval;
    }
    const size_t found = Pump();
    if (found == 0) {
      sleep = std::min<std::chrono::microseconds>(sleep + sleep / 8, kMaxSleep);
    } else {
      sleep = std::max<std::chrono::microseconds>(sleep / 2, kMinSleep);
    }
  }
}

size_t Logger::Pump() {
  std::lock_guard lock(watchers_mutex_);
  for (auto& watcher : watchers_) watcher->NewRound();
  size_t found = 0;
  uint64_t sent = 0;
  uint64_t skipped = 0;
  for (auto& log : logs_) {
    const WorkerLog::Taken taken = log->TakeAll(&scratch_);
    stats_->log_worker_written.fetch_add(taken.written, std::memory_order_relaxed);
    stats_->log_worker_dropped.fetch_add(taken.dropped, std::memory_order_relaxed);
    found += scratch_.size();
    WorkerLog::ForEach(scratch_, [&](uint32_t kind, uint64_t gid, std::string_view line) {
      for (auto& watcher : watchers_) {
        if (!watcher->Wants(kind, gid)) continue;
        (watcher->Offer(line) ? sent : skipped) += 1;
      }
    });
  }
  stats_->log_watcher_sent.fetch_add(sent, std::memory_order_relaxed);
  stats_->log_watcher_skipped.fetch_add(skipped, std::memory_order_relaxed);
  const size_t before = watchers_.size();
  std::erase_if(watchers_, [](const std::unique_ptr<Watcher>& watcher) {
    return !watcher->Service();  // closes the socket of a watcher that left
  });
  if (watchers_.size() != before) {
    stats_->curr_connections.fetch_sub(before - watchers_.size(), std::memory_order_relaxed);
    UpdateKinds();
  }
  return found;
}

void EventLog::ItemGet(std::string_view key, slabs::GetOutcome outcome,
                       const slabs::ItemHandle& item, int cfd) const {
  proto::GetStatus status = proto::GetStatus::kNotFound;
  if (item) status = proto::GetStatus::kFound;
  if (outcome == slabs::GetOutcome::kFlushed) status = proto::GetStatus::kFlushed;
  if (outcome == slabs::GetOutcome::kExpired) status = proto::GetStatus::kExpired;
  const proto::ItemGetLog log{.key = key,
                              .status = status,
                              .clsid = item ? item.slab_class() : 0u,
                              .cfd = cfd,
                              .size = item ? item.value_length() : 0u};
  logger_->Record(log_, proto::kWatchFetchers, [&](std::string* out, const proto::LogStamp& stamp) {
    proto::AppendItemGetLine(out, stamp, log);
  });
}

EventLog::PendingStore EventLog::BeforeStore(const slabs::ItemHandle& item, slabs::StoreMode mode,
                                             slabs::RelTime now) const {
  PendingStore pending;
  if (!Watching(proto::kWatchMutations) || !item) return pending;
  using Cmd = proto::StoreLogCmd;
  switch (mode) {
    case slabs::StoreMode::kAdd:
      pending.cmd = Cmd::kAdd;
      break;
    case slabs::StoreMode::kReplace:
      pending.cmd = Cmd::kReplace;
      break;
    case slabs::StoreMode::kAppend:
      pending.cmd = Cmd::kAppend;
      break;
    case slabs::StoreMode::kPrepend:
      pending.cmd = Cmd::kPrepend;
      break;
    case slabs::StoreMode::kCas:
      pending.cmd = Cmd::kCas;
      break;
    default:
      pending.cmd = Cmd::kSet;
      break;
  }
  pending.active = true;
  pending.key = item.key();
  const slabs::RelTime exptime = item.exptime();
  pending.ttl = exptime == 0 ? 0 : exptime - now;  // unsigned, as memcached prints it
  pending.clsid = item.slab_class();
  pending.size = item.value_length();
  return pending;
}

void EventLog::ItemStore(const PendingStore& pending, slabs::StoreStatus status, int cfd) const {
  if (!pending.active) return;
  using Status = proto::StoreLogStatus;
  Status logged = Status::kNotStored;
  switch (status) {
    case slabs::StoreStatus::kStored:
      logged = Status::kStored;
      break;
    case slabs::StoreStatus::kNotStored:
      logged = Status::kNotStored;
      break;
    case slabs::StoreStatus::kExists:
      logged = Status::kExists;
      break;
    case slabs::StoreStatus::kNotFound:
      logged = Status::kNotFound;
      break;
    case slabs::StoreStatus::kNoMemory:
      logged = Status::kNoMemory;
      break;
    case slabs::StoreStatus::kTooLarge:
      logged = Status::kTooLarge;
      break;
  }
  const proto::ItemStoreLog log{.key = pending.key,
                                .status = logged,
                                .cmd = pending.cmd,
                                .ttl = pending.ttl,
                                .clsid = pending.clsid,
                                .cfd = cfd,
                                .size = pending.size};
  logger_->Record(log_, proto::kWatchMutations,
                  [&](std::string* out, const proto::LogStamp& stamp) {
                    proto::AppendItemStoreLine(out, stamp, log);
                  });
}

void EventLog::Deletion(const slabs::ItemHandle& item, proto::DeleteLogCmd cmd) const {
  if (!item) return;
  const proto::DeletionLog log{
      .key = item.key(), .cmd = cmd, .clsid = item.slab_class(), .size = item.value_length()};
  logger_->Record(log_, proto::kWatchDeletions,
                  [&](std::string* out, const proto::LogStamp& stamp) {
                    proto::AppendDeletionLine(out, stamp, log);
                  });
}

void EventLog::ConnEvent(const proto::ConnLog& conn, bool opened, proto::CloseReason reason) const {
  logger_->Record(log_, proto::kWatchConnevents,
                  [&](std::string* out, const proto::LogStamp& stamp) {
                    if (opened) {
                      proto::AppendConnNewLine(out, stamp, conn);
                    } else {
                      proto::AppendConnCloseLine(out, stamp, conn, reason);
                    }
                  });
}

}  // namespace slabcached
