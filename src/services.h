// The live services the server runs with, built from the file names in the
// config: the TLS context (-Z), the -Y password file and the -S users. The
// Server owns them (src/server.h) and hands them by reference to what needs
// them: listeners and workers (TLS), connections (-Y), the executor
// (refresh_certs, SASL). SIGHUP and refresh_certs reload them in place.
#pragma once

#include <memory>

#include "src/sasl.h"
#include "src/server_config.h"
#include "src/tls.h"

namespace slabcached {

struct Services {
  std::unique_ptr<TlsContext> tls;           // -Z; null without it
  std::unique_ptr<PasswordFile> ascii_auth;  // -Y; null without it
  SaslUsers sasl_users;                      // -S: the users of -o sasl_pwdb
};

// Reads the files `config` names: the SASL users, the -Y file, then the
// certificates. Called before the process drops root, so files only root
// can read still load. Throws std::runtime_error with memcached's message.
Services LoadServices(const ServerConfig& config);

}  // namespace slabcached
