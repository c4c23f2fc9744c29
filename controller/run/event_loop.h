// The run loop's event sources, on sd-event (libsystemd): file descriptors that become readable
// (inotify watches, the mailbox's eventfd, the proxy's pidfd), signals, one timer for the earliest
// queued piece of work, and the systemd watchdog (sd-event sends WATCHDOG=1 by itself when the unit
// sets WatchdogSec). Everything runs on the thread that calls Loop().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>

#include "state/result.h"

struct sd_event;
struct sd_event_source;

namespace ironward::run {

class EventLoop {
 public:
  using Handler = std::function<void()>;
  using SourceId = std::uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Calls `on_ready` whenever `fd` is readable; the fd stays the caller's. 0 on failure (errno set).
  SourceId AddInput(int fd, Handler on_ready);
  /// Stops watching (before the caller closes the fd). Unknown ids are ignored.
  void Remove(SourceId id);
  /// The signals must be blocked in every thread already (pthread_sigmask before threads start).
  Status AddSignals(std::initializer_list<int> signals, std::function<void(int signo)> on_signal);
  /// The one timer: `on_due` runs once at `at` (steady_clock); nullopt disarms it.
  Status SetTimer(std::optional<std::chrono::steady_clock::time_point> at);
  void OnTimer(Handler on_due) { on_due_ = std::move(on_due); }
  /// WATCHDOG=1 from the loop itself when systemd asks for it; false when not asked (or outside systemd).
  bool EnableWatchdog();
  /// Dispatches until Exit(); returns Exit's code (or a negative errno on a loop failure).
  int Loop();
  void Exit(int code);

 private:
  sd_event* event_ = nullptr;
  sd_event_source* timer_ = nullptr;
  Handler on_due_;
  SourceId next_id_ = 1;
  struct Source;
  std::map<SourceId, std::unique_ptr<Source>> sources_;
  std::function<void(int)> on_signal_;
};

}  // namespace ironward::run
