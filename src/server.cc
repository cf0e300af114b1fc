#include "src/server.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

#include "src/conn_registry.h"
#include "src/flags.h"
#include "src/logger.h"
#include "src/prefix_stats.h"
#include "src/systemd_notify.h"
#include "src/tls.h"

namespace slabcached {
namespace {

// One line on how a start with -e went: restored, or cold and why.
void LogMemoryFileStart(const std::string& path, const slabs::RestartReport& report) {
  if (report.restored) {
    LOG(INFO) << "warm restart from " << path << ": " << report.items_restored
              << " items restored, " << report.items_dropped << " dropped (expired or flushed), "
              << report.downtime_seconds << " s down, restored in " << report.restore_micros / 1000
              << " ms";
  } else if (!report.why_cold.empty()) {
    LOG(WARNING) << "memory file " << path << " not restored, starting cold: " << report.why_cold;
  } else {
    LOG(INFO) << "memory file " << path << " is new: starting cold";
  }
}

// The STATUS= line systemd shows once the daemon is ready.
std::string ReadyStatus(const ServerConfig& config, const slabs::RestartReport& report) {
  if (config.store.memory_file.empty()) return "serving";
  if (report.restored) {
    return "serving; warm restart: " + std::to_string(report.items_restored) + " items restored";
  }
  return report.why_cold.empty() ? "serving; cold start (new memory file)"
                                 : "serving; cold start: " + report.why_cold;
}

}  // namespace

Server::Server(const ServerConfig& config, Services services,
               ClockControlFactory make_clock_control)
    : config_(config),
      services_(std::move(services)),
      clock_(&slabs::TimeSource::System()),
      clock_control_(make_clock_control != nullptr ? make_clock_control(&clock_) : nullptr),
      store_(std::make_unique<slabs::Store>(config_.store, &clock_)),
      stats_(config_.num_threads, clock_.UnixNow()),
      conns_(std::make_unique<ConnDirectory>(config_.num_threads)),
      prefix_stats_(
          std::make_unique<PrefixStats>(config_.prefix_delimiter, config_.detail_enabled)),
      logger_(std::make_unique<Logger>(config_.logger, config_.num_threads, &stats_)),
      verbosity_(config_.verbosity),
      base_(event_base_new()),
      picker_(config_.num_threads, config_.net.napi_ids != 0) {
  if (!base_) throw std::runtime_error("event_base_new failed");
  stats_.ConfigureObservation(config_.metrics);
  if (!config_.store.memory_file.empty()) {
    LogMemoryFileStart(config_.store.memory_file, store_->restart_report());
  }
  const ExecutorContext context{.config = config_,
                                .services = services_,
                                .store = *store_,
                                .clock = clock_,
                                .server_stats = stats_,
                                .control = *this,
                                .clock_control = clock_control_.get(),
                                .logger = logger_.get(),
                                .conns = conns_.get(),
                                .prefix_stats = prefix_stats_.get()};
  store_->SetEvictionObserver(logger_.get());
  for (uint32_t i = 0; i < config_.num_threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, context, stats_.worker(i), config_.net));
  }
  listener_ =
      std::make_unique<Listener>(base_.get(), config_.net, services_.tls.get(), &stats_,
                                 [this](ev::Fd fd, bool tls) { Dispatch(std::move(fd), tls); });
}

Server::~Server() {
  metrics_.reset();  // joins its thread, which reads the store
  listener_.reset();
  workers_.clear();  // each stops and joins its thread before the store goes away
  store_->SetEvictionObserver(nullptr);
}

void Server::Open() {
  // The endpoint first: once the memcached port accepts, it listens too
  // (its connections wait in the backlog until Run() starts its thread).
  if (config_.metrics.port != 0) {
    metrics_ = std::make_unique<MetricsServer>(config_.metrics, [this] {
      const StatsSources sources{config_, services_.tls.get(), stats_, *store_,
                                 clock_,  verbosity()};
      return CollectStatsSnapshot(sources);
    });
  }
  listener_->Open();
  for (int fd : listener_->ListeningFds()) {
    conns_->listeners()->Add(fd, /*listening=*/true, clock_.Now());
  }
  // memcached's num_threads_per_udp: every worker reads each UDP socket
  // (through its own descriptor), or one worker per socket when -l lists
  // several addresses; sockets are handed out round-robin like connections.
  for (ev::Fd& socket : listener_->TakeUdpSockets()) {
    for (uint32_t i = 0; i < config_.net.udp_threads; ++i) {
      ev::Fd fd = i + 1 == config_.net.udp_threads
                      ? std::move(socket)
                      : ev::Fd(fcntl(socket.get(), F_DUPFD_CLOEXEC, 0));
      if (!fd.valid()) {
        throw std::runtime_error(std::string("dup of a UDP socket: ") + std::strerror(errno));
      }
      if (!workers_[picker_.RoundRobin()]->ServeUdp(std::move(fd))) {
        throw std::runtime_error("could not register a UDP socket");
      }
    }
  }
}

void Server::Dispatch(ev::Fd fd, bool tls) {
  const uint32_t worker = PickWorker(picker_, fd.get(), &stats_);
  workers_[worker]->Enqueue(std::move(fd), tls);
}

void Server::OnClockTick(evutil_socket_t, short, void* arg) {
  auto* server = static_cast<Server*>(arg);
  server->clock_.Update();
}

void Server::OnSignal(evutil_socket_t signal, short, void* arg) {
  auto* server = static_cast<Server*>(arg);
  LOG(INFO) << "signal " << signal << " received: shutting down";
  server->stop_signal_ = signal;
  systemd::NotifyStopping("stopping on signal " + std::to_string(signal));
  server->listener_->Close();
  event_base_loopbreak(server->base_.get());
}

void Server::OnHangup(evutil_socket_t, short, void* arg) {
  auto* server = static_cast<Server*>(arg);
  PasswordFile* auth = server->services_.ascii_auth.get();
  TlsContext* tls = server->services_.tls.get();
  if (auth == nullptr && tls == nullptr) {
    LOG(INFO) << "SIGHUP received: nothing to reload";
    return;
  }
  std::string error;
  if (auth != nullptr) {
    if (auth->Load(&error)) {
      LOG(INFO) << "SIGHUP received: reloaded the auth file " << auth->path();
    } else {
      LOG(WARNING) << "SIGHUP received: " << error << "; keeping the users loaded before";
    }
  }
  // -Z: the certificates too, as refresh_certs does. memcached does this
  // since its PR #1243 (in 1.6.45); 1.6.18 re-reads only the -Y file.
  if (tls != nullptr) {
    if (tls->Reload(&error)) {
      LOG(INFO) << "SIGHUP received: reloaded the TLS certificates";
    } else {
      LOG(WARNING) << "Could not reload TLS certificates on SIGHUP: " << error
                   << "; keeping the certificates loaded before";
    }
  }
}

void Server::StartWatchdog(std::chrono::microseconds ping) {
  last_heartbeats_.assign(workers_.size(), 0);
  const timeval period{static_cast<time_t>(ping.count() / 1000000),
                       static_cast<suseconds_t>(ping.count() % 1000000)};
  ev::Event watchdog(event_new(base_.get(), -1, EV_PERSIST, &Server::OnWatchdogTick, this));
  event_add(watchdog.get(), &period);
  events_.push_back(std::move(watchdog));
}

void Server::OnWatchdogTick(evutil_socket_t, short, void* arg) {
  auto* server = static_cast<Server*>(arg);
  // Ping only when every worker loop has run its heartbeat since the last tick.
  bool all_alive = true;
  for (size_t i = 0; i < server->workers_.size(); ++i) {
    const uint64_t beat = server->workers_[i]->heartbeat();
    if (beat == server->last_heartbeats_[i]) {
      all_alive = false;
      if (!server->watchdog_withheld_) {
        LOG(WARNING) << "worker " << i
                     << " made no progress: withholding the systemd watchdog ping";
      }
    }
    server->last_heartbeats_[i] = beat;
  }
  server->watchdog_withheld_ = !all_alive;
  if (all_alive) systemd::NotifyWatchdog();
}

void Server::OnStallSignal(evutil_socket_t, short, void* arg) {
  auto* server = static_cast<Server*>(arg);
  LOG(WARNING) << "SIGUSR2 (test build): blocking worker 0's loop until shutdown";
  server->workers_[0]->StallForTests();
}

void Server::RequestShutdown(bool graceful) {
  // The main loop's signal handler does the work, as memcached's "shutdown".
  kill(getpid(), graceful ? SIGUSR1 : SIGINT);
}

void Server::SaveMemoryFile() {
  const auto started = std::chrono::steady_clock::now();
  std::string why;
  if (!store_->SaveForRestart(&why)) {
    LOG(ERROR) << "could not save the memory file " << config_.store.memory_file << ": " << why
               << "; the next start will be cold";
    return;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  const uint64_t items = store_->GetStats().curr_items;
  LOG(INFO) << "memory file " << config_.store.memory_file << " saved for a warm restart (" << items
            << " items, " << took.count() << " ms)";
  systemd::NotifyStatus("memory file saved: " + std::to_string(items) + " items");
}

void Server::SetVerbosity(int level) {
  verbosity_.store(level, std::memory_order_relaxed);
  SetLogVerbosity(level);
}

int Server::Run() {
  const std::chrono::microseconds ping = systemd::WatchdogPingInterval();
  for (auto& worker : workers_) {
    if (ping.count() > 0) worker->EnableHeartbeat(ping / 4);
    if (!worker->Start()) throw std::runtime_error("could not start a worker thread");
  }
  if (ping.count() > 0) StartWatchdog(ping);
  if (clock_control_ != nullptr) {  // the test build: SIGUSR2 makes a worker stuck
    ev::Event stall(evsignal_new(base_.get(), SIGUSR2, &Server::OnStallSignal, this));
    event_add(stall.get(), nullptr);
    events_.push_back(std::move(stall));
  }
  const timeval one_second{1, 0};
  ev::Event tick(event_new(base_.get(), -1, EV_PERSIST, &Server::OnClockTick, this));
  event_add(tick.get(), &one_second);
  events_.push_back(std::move(tick));
  for (int signal : {SIGINT, SIGTERM, SIGUSR1}) {
    ev::Event handler(evsignal_new(base_.get(), signal, &Server::OnSignal, this));
    event_add(handler.get(), nullptr);
    events_.push_back(std::move(handler));
  }
  ev::Event hangup(evsignal_new(base_.get(), SIGHUP, &Server::OnHangup, this));
  event_add(hangup.get(), nullptr);
  events_.push_back(std::move(hangup));
  signal(SIGPIPE, SIG_IGN);
  if (metrics_) metrics_->Start();
  // The listeners accept since Open(); the workers run.
  logger_->Start();
  systemd::NotifyReady(ReadyStatus(config_, store_->restart_report()));

  event_base_dispatch(base_.get());

  listener_->Close();
  metrics_.reset();  // stops and joins
  for (auto& worker : workers_) worker->Stop();
  workers_.clear();  // joins
  events_.clear();
  // SIGUSR1 (or "shutdown graceful") with -e: the items outlive the process.
  if (stop_signal_ == SIGUSR1 && !config_.store.memory_file.empty()) SaveMemoryFile();
  LOG(INFO) << "stopped";
  return 0;
}

}  // namespace slabcached
