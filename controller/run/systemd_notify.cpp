#include "controller/run/systemd_notify.h"

#include "controller/run/systemd_api.h"

#include <cstdint>

namespace ironward::run {

namespace {

/// Without libsystemd there is no one to notify that the event loop could have run for.
void Notify(const std::string& message) {
  if (const SystemdApi& sd = Systemd(); sd.error.empty()) sd.notify(0, message.c_str());
}

}  // namespace

void SystemdNotifier::Ready(const std::string& status) { Notify("READY=1\nSTATUS=" + status); }

void SystemdNotifier::Status(const std::string& status) { Notify("STATUS=" + status); }

void SystemdNotifier::Stopping() { Notify("STOPPING=1"); }

}  // namespace ironward::run
