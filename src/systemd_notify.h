// systemd's service notification protocol (sd_notify(3)): readiness,
// stopping, status lines and watchdog pings for a Type=notify unit. Every
// call does nothing when the daemon was not started by systemd (no
// NOTIFY_SOCKET) or was built without libsystemd (configure --without-systemd).
#pragma once

#include <chrono>
#include <string_view>

namespace slabcached::systemd {

// READY=1 with a STATUS= line: the listeners accept connections.
void NotifyReady(std::string_view status);
// STOPPING=1 with a STATUS= line: a stop has begun.
void NotifyStopping(std::string_view status);
// STATUS= only.
void NotifyStatus(std::string_view status);
// WATCHDOG=1: the daemon is alive (WatchdogSec= in the unit).
void NotifyWatchdog();
// How often to ping: half of the unit's WatchdogSec (WATCHDOG_USEC), or zero
// when systemd expects no pings (or without libsystemd).
std::chrono::microseconds WatchdogPingInterval();

}  // namespace slabcached::systemd
