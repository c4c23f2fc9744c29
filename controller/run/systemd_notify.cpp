#include "controller/run/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace ironward::run {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::milliseconds(static_cast<std::int64_t>(usec / 2000));
  }
}

void SystemdNotifier::Ready(const std::string& status) {
  ::sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void SystemdNotifier::Status(const std::string& status) { ::sd_notify(0, ("STATUS=" + status).c_str()); }

void SystemdNotifier::Watchdog() { ::sd_notify(0, "WATCHDOG=1"); }

void SystemdNotifier::Stopping() { ::sd_notify(0, "STOPPING=1"); }

}  // namespace ironward::run
