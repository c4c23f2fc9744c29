// sd_notify(3) for Type=notify units: READY=1 after the first pass, STATUS=<one line> after each
// pass, WATCHDOG=1 from the main loop at half of WATCHDOG_USEC, STOPPING=1 on shutdown.
// Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ironward::run {

class SystemdNotifier {
 public:
  SystemdNotifier();
  void Ready(const std::string& status);
  void Status(const std::string& status);
  void Watchdog();
  void Stopping();
  /// Interval at which WATCHDOG=1 must be sent (half the unit's WatchdogSec), if enabled.
  std::optional<std::chrono::milliseconds> watchdog_interval() const { return watchdog_; }

 private:
  std::optional<std::chrono::milliseconds> watchdog_;
};

}  // namespace ironward::run
