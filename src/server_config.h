// Plain configuration structs, built once from the command line through the
// option table (src/options.h) and handed to each module through its
// constructor. Values only: the live services built from them (the TLS
// context, the password files) belong to the server (src/services.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slabs/store.h"
#include "src/metrics_config.h"

namespace slabcached {

enum class BindingProtocol : uint8_t { kAuto, kAscii, kBinary };

// -Z and memcached's -o ssl_* options. Empty strings are unset.
struct TlsConfig {
  bool enabled = false;            // -Z: every TCP listener but "notls:" ones speaks TLS
  std::string chain_cert;          // ssl_chain_cert: certificate chain, PEM
  std::string key;                 // ssl_key: the private key
  int key_format = 1;              // ssl_keyformat: OpenSSL's file type (1 PEM, 2 DER)
  int verify_mode = 0;             // ssl_verify_mode: 0 none, 1 request, 2 require, 3 once
  std::string ciphers;             // ssl_ciphers: OpenSSL cipher list (TLS 1.2 and older)
  std::string ca_cert;             // ssl_ca_cert: CAs client certificates must chain to, PEM
  uint32_t wbuf_size = 16 * 1024;  // ssl_wbuf_size: replies are sent in records of this size
  bool session_cache = false;      // ssl_session_cache: server-side session resumption
  bool kernel_tls = false;         // ssl_kernel_tls: let OpenSSL use kernel TLS offload
  int min_version = 2;             // ssl_min_version: 0 TLS 1.0, 1 TLS 1.1, 2 TLS 1.2, 3 TLS 1.3
};

struct NetConfig {
  int tcp_port = 11211;                   // -p
  int udp_port = 0;                       // -U (0 = off)
  uint32_t udp_threads = 4;               // workers reading each UDP socket (num_threads_per_udp)
  std::vector<std::string> listen_hosts;  // -l, comma separated; empty = every interface
  std::string unix_socket;                // -s: when set, no TCP listener
  int unix_mask = 0700;                   // -a
  int backlog = 1024;                     // -b
  uint32_t max_conns = 1024;              // -c
  bool maxconns_fast = true;              // -o maxconns_fast: reject at once with an ERROR line
  uint32_t reqs_per_event = 20;           // -R
  uint32_t idle_timeout = 0;              // -o idle_timeout (seconds, 0 = never)
  // -o read_buf_mem_limit (megabytes in the flag, bytes here; 0 = none): the
  // most all connections' read buffers may hold together; a request that
  // would grow one past it gets "SERVER_ERROR out of memory reading request"
  // and its connection is closed.
  uint64_t read_buf_mem_limit = 0;
  // -o resp_obj_mem_limit (likewise): past it, every connection sends its
  // queued replies before it runs another request (or another key of a
  // multi-get), instead of each holding up to its own 1 MiB.
  uint64_t resp_obj_mem_limit = 0;
  // -N: hand each connection to the worker serving its NIC receive queue
  // (src/worker_picker.h); 0 = round robin.
  uint32_t napi_ids = 0;
  BindingProtocol protocol = BindingProtocol::kAuto;  // -B
  bool sasl = false;  // -S: binary requests need SASL authentication first
  // -Y: text connections authenticate with "set <key> <f> <e> <n>\r\n<user> <pass>"
  // against this file first; empty: no ASCII authentication.
  std::string ascii_auth_file;
  TlsConfig tls;
};

// `watch` (src/logger.h): memcached's defaults.
struct LoggerConfig {
  size_t worker_buffer_bytes = 64 * 1024;    // -o worker_logbuf_size (KiB there)
  size_t watcher_buffer_bytes = 256 * 1024;  // -o watcher_logbuf_size
};

struct ServerConfig {
  NetConfig net;
  slabs::StoreConfig store;
  uint32_t num_threads = 4;       // -t
  int verbosity = 0;              // -v count
  bool shutdown_enabled = false;  // -A
  bool flush_enabled = true;      // !-F
  bool dump_enabled = true;       // !-X
  bool watch_enabled = true;      // !-W
  char prefix_delimiter = ':';    // -D
  bool detail_enabled = false;    // -D (memcached 1.6.45), "stats detail on|off"
  LoggerConfig logger;            // -o watcher_logbuf_size, worker_logbuf_size
  std::string sasl_pwdb;          // -o sasl_pwdb=<file>, else $MEMCACHED_SASL_PWDB
  // Process set-up (daemon.cc).
  bool daemonize = false;      // -d
  bool lock_memory = false;    // -k
  bool maximize_core = false;  // -r
  std::string user;            // -u
  std::string pid_file;        // -P
  MetricsConfig metrics;       // -o metrics_*
};

}  // namespace slabcached
