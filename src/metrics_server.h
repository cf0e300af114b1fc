// The native Prometheus endpoint (-o metrics_port): libevent's evhttp on a
// thread and event loop of its own, so a scrape never runs on a worker.
// "GET /metrics" answers FormatExposition (src/metrics_exposition.h) of the
// stats a client would read; other paths get 404, other methods 405.
//
// A new input path, so everything is bounded: at most kMaxConnections open
// connections (the listener stops accepting at the cap), request headers of
// kMaxHeaderBytes and bodies of kMaxBodyBytes, and a connection is closed
// when its next request has not arrived, or its reply has not been taken,
// within metrics_timeout seconds (whatever it trickles meanwhile).
#pragma once

#include <event2/bufferevent.h>
#include <event2/http.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "src/ev.h"
#include "src/metrics_config.h"
#include "src/metrics_exposition.h"
#include "src/stats.h"

namespace slabcached {

// The pairs of "stats", "stats settings", "stats slabs" and "stats items",
// read through the renderers the text protocol uses.
StatsSnapshot CollectStatsSnapshot(const StatsSources& sources);

class MetricsServer {
 public:
  static constexpr size_t kMaxConnections = 16;
  static constexpr size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 1024;

  // Binds config.addr:config.port (throws std::runtime_error saying why).
  // `collect` runs on the endpoint's thread, once per scrape.
  MetricsServer(const MetricsConfig& config, std::function<StatsSnapshot()> collect);
  ~MetricsServer();  // Stop(), then joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Starts serving on the endpoint's own thread.
  void Start();
  // Thread-safe: ends the loop; open connections are closed with it.
  void Stop();

 private:
  struct Connection;

  static bufferevent* OnNewConnection(event_base* base, void* arg);
  static void OnAdopt(evutil_socket_t, short, void* arg);
  static void OnClosed(evhttp_connection* evcon, void* arg);
  static void OnDeadline(evutil_socket_t, short, void* arg);
  static void OnRequest(evhttp_request* request, void* arg);
  static void OnStop(evutil_socket_t, short, void* arg);
  void Forget(bufferevent* bev);
  void Arm(Connection* connection);
  void Reply(evhttp_request* request);

  const MetricsConfig config_;
  const std::function<StatsSnapshot()> collect_;
  ev::Base base_;
  std::unique_ptr<evhttp, decltype(&evhttp_free)> http_{nullptr, &evhttp_free};
  evconnlistener* listener_ = nullptr;  // owned by http_
  ev::Fd stop_fd_;                      // eventfd: Stop() wakes the loop
  ev::Event stop_event_;
  ev::Event adopt_event_;
  // Loop thread only. Connections by the bufferevent evhttp reads them with.
  std::unordered_map<bufferevent*, std::unique_ptr<Connection>> connections_;
  std::vector<bufferevent*> unadopted_;
  std::jthread thread_;
};

}  // namespace slabcached
