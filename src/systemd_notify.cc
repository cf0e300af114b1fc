#include "src/systemd_notify.h"

#include <string>

#include "build_config.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace slabcached::systemd {
namespace {

void Notify(const std::string& state) {
#ifdef HAVE_LIBSYSTEMD
  sd_notify(/*unset_environment=*/0, state.c_str());
#else
  (void)state;
#endif
}

}  // namespace

void NotifyReady(std::string_view status) { Notify("READY=1\nSTATUS=" + std::string(status)); }

void NotifyStopping(std::string_view status) {
  Notify("STOPPING=1\nSTATUS=" + std::string(status));
}

void NotifyStatus(std::string_view status) { Notify("STATUS=" + std::string(status)); }

void NotifyWatchdog() { Notify("WATCHDOG=1"); }

std::chrono::microseconds WatchdogPingInterval() {
#ifdef HAVE_LIBSYSTEMD
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is ours).
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(usec / 2);
  }
#endif
  return std::chrono::microseconds(0);
}

}  // namespace slabcached::systemd
