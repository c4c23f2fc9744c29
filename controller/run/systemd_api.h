// libsystemd, opened when `ironward run` first needs it (its event loop, sd_notify) rather than at
// every process start: it links gcrypt, gpg-error, lzma, zstd, lz4 and cap, six libraries no other
// command uses (reconcilers/io/lazy_library.h explains the mechanism). The functions called, typed
// by the sd-event.h / sd-daemon.h declarations; IRONWARD_SYSTEMD_SONAME comes from CMakeLists.txt.
#pragma once

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include <string>

namespace ironward::run {

struct SystemdApi {
  decltype(&sd_notify) notify = nullptr;
  decltype(&sd_event_new) event_new = nullptr;
  decltype(&sd_event_unref) event_unref = nullptr;
  decltype(&sd_event_add_io) event_add_io = nullptr;
  decltype(&sd_event_add_signal) event_add_signal = nullptr;
  decltype(&sd_event_add_time) event_add_time = nullptr;
  decltype(&sd_event_source_set_time) source_set_time = nullptr;
  decltype(&sd_event_source_set_enabled) source_set_enabled = nullptr;
  decltype(&sd_event_source_disable_unref) source_disable_unref = nullptr;
  decltype(&sd_event_set_watchdog) event_set_watchdog = nullptr;
  decltype(&sd_event_loop) event_loop = nullptr;
  decltype(&sd_event_exit) event_exit = nullptr;
  std::string error;  ///< "" when every function is bound; else why libsystemd is unusable
};

/// Loaded once, on the first call (thread-safe); never at process start.
const SystemdApi& Systemd();

}  // namespace ironward::run
