// sd_notify(3) for Type=notify units: READY=1 after the first pass, STATUS=<one line> after each
// pass, STOPPING=1 on shutdown. (WATCHDOG=1 comes from the event loop itself: event_loop.h.)
// Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ironward::run {

class SystemdNotifier {
 public:
  void Ready(const std::string& status);
  void Status(const std::string& status);
  void Stopping();
};

}  // namespace ironward::run
