#include "client/client_error.h"

#include <cstring>

#include "client/client.h"

namespace slabcached::client {

std::string ClientError::Describe() const {
  if (status == Status::kOk) return "";
  std::string out(StatusName(status));
  out.append(": ").append(operation);
  if (!address.empty()) out.append(" on host ").append(address);
  if (!via.empty()) out.append(" via ").append(via);
  if (status == Status::kTimeout) {
    out.append(" timed out after ").append(std::to_string(timeout_ms)).append(" ms");
  }
  if (!resolve_error.empty()) out.append(": resolve: ").append(resolve_error);
  if (sys_errno != 0) {
    out.append(": ").append(std::strerror(sys_errno));
    out.append(" (errno ").append(std::to_string(sys_errno)).append(")");
  }
  if (!reply.empty()) out.append(": ").append(reply);
  return out;
}

}  // namespace slabcached::client
