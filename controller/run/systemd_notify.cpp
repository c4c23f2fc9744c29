#include "controller/run/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace ironward::run {

void SystemdNotifier::Ready(const std::string& status) {
  ::sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void SystemdNotifier::Status(const std::string& status) { ::sd_notify(0, ("STATUS=" + status).c_str()); }

void SystemdNotifier::Stopping() { ::sd_notify(0, "STOPPING=1"); }

}  // namespace ironward::run
