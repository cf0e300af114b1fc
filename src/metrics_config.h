// -o metrics_port / metrics_addr / metrics_timeout: the native Prometheus
// endpoint (src/metrics_server.h). Off unless a port is given.
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
};

}  // namespace slabcached
