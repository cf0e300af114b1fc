// -o metrics_port / metrics_addr / metrics_timeout: the native Prometheus
// endpoint (src/metrics_server.h). Off unless a port is given. And what the
// workers observe for it and for "stats latency" / "stats hotkeys".
#pragma once

#include <cstdint>
#include <string>

namespace slabcached {

struct MetricsConfig {
  int port = 0;                    // metrics_port: 0 = no endpoint
  std::string addr = "127.0.0.1";  // metrics_addr: loopback unless asked
  // metrics_timeout: a connection is closed when its next request has not
  // arrived, or its last reply has not been taken, within this many seconds.
  uint32_t timeout_seconds = 10;
  // !no_latency: time requests (src/latency.h), one batch in latency_sample.
  bool latency = true;
  uint32_t latency_sample = 16;
  // hot_keys_sample: count the keys of one keyed request in this many
  // (src/hot_keys.h); 0 = no hot-key sketch.
  uint32_t hot_keys_sample = 8;
};

}  // namespace slabcached
