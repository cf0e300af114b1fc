#include "src/metrics_server.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <glog/logging.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace slabcached {
namespace {

// Collects a "stats" reply's pairs as the text protocol would send them.
class PairSink : public StatSink {
 public:
  explicit PairSink(StatsSnapshot::Pairs* pairs) : pairs_(pairs) {}
  void Stat(std::string_view name, std::string_view value) override {
    pairs_->emplace_back(name, value);
  }

 private:
  StatsSnapshot::Pairs* pairs_;
};

constexpr uint16_t kEveryMethod = EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                  EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                  EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH;

}  // namespace

StatsSnapshot CollectStatsSnapshot(const StatsSources& sources) {
  StatsSnapshot snapshot;
  PairSink general(&snapshot.general);
  PairSink settings(&snapshot.settings);
  PairSink slabs(&snapshot.slabs);
  PairSink items(&snapshot.items);
  AppendGeneralStats(sources, &general);
  AppendSettingsStats(sources, &settings);
  AppendSlabsStats(sources, &slabs);
  AppendItemsStats(sources, &items);
  snapshot.latency = sources.server.Latency();
  snapshot.hot_keys = sources.server.HotKeys(kExportedHotKeys);
  return snapshot;
}

// One accepted connection. evhttp owns it; we hold a reference on its
// bufferevent (so the pointer stays readable after evhttp frees it) and the
// deadline that bounds how long it may take over its next request.
struct MetricsServer::Connection {
  Connection(MetricsServer* server, bufferevent* bev) : server(server), bev(bev) {
    bufferevent_incref(bev);
  }
  ~Connection() { bufferevent_decref(bev); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // evhttp sets its event callback on the bufferevent right after creating
  // it, keeps it through every phase, and bufferevent_free() clears it
  // (libevent 2.1's http.c). The read callback is no sign: evhttp clears it
  // while it writes a reply, which is when a client that never reads stalls.
  bool alive() const {
    bufferevent_event_cb event = nullptr;
    bufferevent_getcb(bev, nullptr, nullptr, &event, nullptr);
    return event != nullptr;
  }

  MetricsServer* const server;
  bufferevent* const bev;
  evhttp_connection* evcon = nullptr;  // set once adopted
  ev::Event deadline;
};

MetricsServer::MetricsServer(const MetricsConfig& config, std::function<StatsSnapshot()> collect)
    : config_(config),
      collect_(std::move(collect)),
      base_(event_base_new()),
      stop_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!base_ || !stop_fd_.valid()) throw std::runtime_error("metrics: event loop setup failed");
  http_.reset(evhttp_new(base_.get()));
  if (!http_) throw std::runtime_error("metrics: evhttp_new failed");
  evhttp_set_max_headers_size(http_.get(), kMaxHeaderBytes);
  evhttp_set_max_body_size(http_.get(), kMaxBodyBytes);
  evhttp_set_timeout(http_.get(), static_cast<int>(config_.timeout_seconds));
  // Every method reaches OnRequest, which answers 405 (evhttp would say 501).
  evhttp_set_allowed_methods(http_.get(), kEveryMethod);
  evhttp_set_gencb(http_.get(), &MetricsServer::OnRequest, this);
  evhttp_set_bevcb(http_.get(), &MetricsServer::OnNewConnection, this);
  evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http_.get(), config_.addr.c_str(),
                                                              static_cast<uint16_t>(config_.port));
  if (bound == nullptr) {
    throw std::runtime_error("metrics: cannot listen on " + config_.addr + ":" +
                             std::to_string(config_.port) + ": " + std::strerror(errno));
  }
  listener_ = evhttp_bound_socket_get_listener(bound);
  adopt_event_.reset(event_new(base_.get(), -1, 0, &MetricsServer::OnAdopt, this));
  stop_event_.reset(event_new(base_.get(), stop_fd_.get(), EV_READ, &MetricsServer::OnStop, this));
  if (!adopt_event_ || !stop_event_ || event_add(stop_event_.get(), nullptr) != 0) {
    throw std::runtime_error("metrics: event setup failed");
  }
}

MetricsServer::~MetricsServer() {
  Stop();
  if (thread_.joinable()) thread_.join();
  // Freeing evhttp frees its listener, then closes the open connections
  // (their close callbacks run, and must not re-enable that listener).
  listener_ = nullptr;
  http_.reset();
  connections_.clear();
}

void MetricsServer::Start() {
  thread_ = std::jthread([this] {
    VLOG(1) << "metrics endpoint on " << config_.addr << ":" << config_.port;
    event_base_dispatch(base_.get());
  });
}

void MetricsServer::Stop() {
  const uint64_t one = 1;
  if (write(stop_fd_.get(), &one, sizeof(one)) < 0 && errno != EAGAIN) {
    LOG(ERROR) << "metrics: stop wake-up failed: " << std::strerror(errno);
  }
}

void MetricsServer::OnStop(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<MetricsServer*>(arg)->base_.get());
}

// evhttp asks for a bufferevent for each accepted socket: count it, and stop
// accepting at the cap. No BEV_OPT_CLOSE_ON_FREE: evhttp then closes the
// socket itself when it frees the connection, whatever holds the bufferevent.
bufferevent* MetricsServer::OnNewConnection(event_base* base, void* arg) {
  auto* server = static_cast<MetricsServer*>(arg);
  bufferevent* bev = bufferevent_socket_new(base, -1, 0);
  if (bev == nullptr) return nullptr;
  server->connections_.emplace(bev, std::make_unique<Connection>(server, bev));
  server->unadopted_.push_back(bev);
  if (server->connections_.size() >= kMaxConnections) evconnlistener_disable(server->listener_);
  event_active(server->adopt_event_.get(), EV_TIMEOUT, 1);
  return bev;
}

// Runs once evhttp has wrapped the new bufferevents in connections (after
// the accept callback returned): finds each one's evhttp_connection (the
// argument of the callbacks evhttp set, checked against the public
// accessor), asks to be told when it closes, and starts its deadline.
void MetricsServer::OnAdopt(evutil_socket_t, short, void* arg) {
  auto* server = static_cast<MetricsServer*>(arg);
  for (bufferevent* bev : std::exchange(server->unadopted_, {})) {
    Connection* connection = server->connections_.at(bev).get();
    void* callback_arg = nullptr;
    bufferevent_getcb(bev, nullptr, nullptr, nullptr, &callback_arg);
    auto* evcon = static_cast<evhttp_connection*>(callback_arg);
    if (!connection->alive() || evcon == nullptr ||
        evhttp_connection_get_bufferevent(evcon) != bev) {
      server->Forget(bev);  // evhttp gave up on it already
      continue;
    }
    connection->evcon = evcon;
    evhttp_connection_set_closecb(evcon, &MetricsServer::OnClosed, connection);
    connection->deadline.reset(
        event_new(server->base_.get(), -1, 0, &MetricsServer::OnDeadline, connection));
    server->Arm(connection);
  }
}

void MetricsServer::Arm(Connection* connection) {
  if (!connection->deadline) return;
  const timeval limit{static_cast<time_t>(config_.timeout_seconds), 0};
  event_add(connection->deadline.get(), &limit);
}

void MetricsServer::OnClosed(evhttp_connection*, void* arg) {
  auto* connection = static_cast<Connection*>(arg);
  connection->server->Forget(connection->bev);
}

void MetricsServer::OnDeadline(evutil_socket_t, short, void* arg) {
  auto* connection = static_cast<Connection*>(arg);
  MetricsServer* server = connection->server;
  bufferevent* bev = connection->bev;
  VLOG(1) << "metrics: closing a connection that took more than " << server->config_.timeout_seconds
          << " s over a request";
  if (connection->alive()) evhttp_connection_free(connection->evcon);  // runs OnClosed
  if (server->connections_.contains(bev)) server->Forget(bev);
}

void MetricsServer::Forget(bufferevent* bev) {
  connections_.erase(bev);
  if (listener_ != nullptr && connections_.size() < kMaxConnections) {
    evconnlistener_enable(listener_);
  }
}

void MetricsServer::OnRequest(evhttp_request* request, void* arg) {
  auto* server = static_cast<MetricsServer*>(arg);
  // A new window for the reply to be taken and the next request to come.
  evhttp_connection* evcon = evhttp_request_get_connection(request);
  if (evcon != nullptr) {
    const auto it = server->connections_.find(evhttp_connection_get_bufferevent(evcon));
    if (it != server->connections_.end()) server->Arm(it->second.get());
  }
  server->Reply(request);
}

void MetricsServer::Reply(evhttp_request* request) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  if (path == nullptr || std::string_view(path) != "/metrics") {
    evhttp_send_error(request, HTTP_NOTFOUND, "Not Found");
    return;
  }
  if (evhttp_request_get_command(request) != EVHTTP_REQ_GET) {
    evhttp_add_header(headers, "Allow", "GET");
    evhttp_send_error(request, 405, "Method Not Allowed");
    return;
  }
  const std::string text = FormatExposition(collect_());
  evhttp_add_header(headers, "Content-Type", kExpositionContentType);
  std::unique_ptr<evbuffer, decltype(&evbuffer_free)> body(evbuffer_new(), &evbuffer_free);
  if (!body || evbuffer_add(body.get(), text.data(), text.size()) != 0) {
    evhttp_send_error(request, HTTP_INTERNAL, nullptr);
    return;
  }
  evhttp_send_reply(request, HTTP_OK, "OK", body.get());
}

}  // namespace slabcached
