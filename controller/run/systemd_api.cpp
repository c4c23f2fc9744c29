#include "controller/run/systemd_api.h"

#include "reconcilers/io/lazy_library.h"

namespace ironward::run {
namespace {

SystemdApi LoadSystemd() {
  static LazyLibrary lib(IRONWARD_SYSTEMD_SONAME);
  SystemdApi a;
  if (a.error = lib.Open(); !a.error.empty()) return a;
  std::string missing;
  IRONWARD_LAZY_BIND(lib, sd_notify, a.notify, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_new, a.event_new, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_unref, a.event_unref, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_add_io, a.event_add_io, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_add_signal, a.event_add_signal, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_add_time, a.event_add_time, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_source_set_time, a.source_set_time, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_source_set_enabled, a.source_set_enabled, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_source_disable_unref, a.source_disable_unref, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_set_watchdog, a.event_set_watchdog, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_loop, a.event_loop, missing);
  IRONWARD_LAZY_BIND(lib, sd_event_exit, a.event_exit, missing);
  if (!missing.empty()) a.error = std::string(lib.soname()) + " lacks " + missing;
  return a;
}

}  // namespace

const SystemdApi& Systemd() {
  static const SystemdApi api = LoadSystemd();
  return api;
}

}  // namespace ironward::run
