#include "src/services.h"

#include <stdexcept>
#include <string>

namespace slabcached {

Services LoadServices(const ServerConfig& config) {
  Services services;
  std::string error;
  if (config.net.sasl && !LoadSaslPasswords(config.sasl_pwdb, &services.sasl_users, &error)) {
    throw std::runtime_error(error);
  }
  if (!config.net.ascii_auth_file.empty()) {
    services.ascii_auth = std::make_unique<PasswordFile>(config.net.ascii_auth_file);
    if (!services.ascii_auth->Load(&error)) throw std::runtime_error(error);
  }
  if (config.net.tls.enabled) services.tls = std::make_unique<TlsContext>(config.net.tls);
  return services;
}

}  // namespace slabcached
