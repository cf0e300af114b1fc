// The daemon: owns the store, the clock, the services (TLS, password files),
// the workers, the listeners and the main event loop (accepts, the 1-second
// clock tick, signals).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "slabs/clock.h"
#include "slabs/store.h"
#include "src/clock_control.h"
#include "src/conn_registry.h"
#include "src/ev.h"
#include "src/executor.h"
#include "src/listener.h"
#include "src/logger.h"
#include "src/metrics_server.h"
#include "src/prefix_stats.h"
#include "src/server_config.h"
#include "src/services.h"
#include "src/stats.h"
#include "src/worker.h"
#include "src/worker_picker.h"

namespace slabcached {

class Server : public ServerControl {
 public:
  // `services`: LoadServices(config), loaded before the process dropped root.
  // `make_clock_control`: test builds only (src/clock_control.h).
  Server(const ServerConfig& config, Services services,
         ClockControlFactory make_clock_control = nullptr);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listeners and the metrics endpoint (throws std::runtime_error
  // with a readable message).
  void Open();
  // Serves until SIGINT/SIGTERM/SIGUSR1 or "shutdown"; then stops accepting,
  // sends what is queued, joins every thread. Returns the exit code.
  int Run();

  // ServerControl
  void RequestShutdown(bool graceful) override;
  int verbosity() const override { return verbosity_.load(std::memory_order_relaxed); }
  void SetVerbosity(int level) override;

 private:
  static void OnClockTick(evutil_socket_t, short, void* arg);
  static void OnSignal(evutil_socket_t signal, short, void* arg);
  // SIGHUP: re-reads the -Y auth file and reloads the -Z certificates, as
  // current memcached does (it does not stop).
  static void OnHangup(evutil_socket_t signal, short, void* arg);
  // systemd's WatchdogSec=: the workers beat 4 times per `ping` interval
  // (Worker::EnableHeartbeat); every `ping` the main loop pings systemd if
  // all of them did.
  void StartWatchdog(std::chrono::microseconds ping);
  static void OnWatchdogTick(evutil_socket_t, short, void* arg);
  // Test build only: SIGUSR2 blocks worker 0 (a stuck loop for the watchdog test).
  static void OnStallSignal(evutil_socket_t, short, void* arg);
  void Dispatch(ev::Fd fd, bool tls);
  // After the workers stopped: writes the -e file's restart record.
  void SaveMemoryFile();

  const ServerConfig config_;
  const Services services_;  // before everything that holds a reference to it
  slabs::Clock clock_;
  std::unique_ptr<ClockControl> clock_control_;  // null in the installed daemon
  std::unique_ptr<slabs::Store> store_;
  ServerStats stats_;
  // watch, stats conns, stats detail: before the workers, which use them.
  // (conns_ first: watchers leave it as the logger goes.)
  std::unique_ptr<ConnDirectory> conns_;
  std::unique_ptr<PrefixStats> prefix_stats_;
  std::unique_ptr<Logger> logger_;
  std::atomic<int> verbosity_;
  ev::Base base_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<MetricsServer> metrics_;  // -o metrics_port, or null
  std::vector<ev::Event> events_;           // clock tick and signal handlers
  // Used by the main loop thread only.
  WorkerPicker picker_;
  int stop_signal_ = 0;                    // the signal that ended Run()
  std::vector<uint64_t> last_heartbeats_;  // per worker, at the last watchdog tick
  bool watchdog_withheld_ = false;         // the last tick found a worker stuck
};

}  // namespace slabcached
