#include "controller/run/event_loop.h"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "controller/run/systemd_api.h"

namespace ironward::run {

struct EventLoop::Source {
  sd_event_source* source = nullptr;
  Handler handler;
  ~Source() { Systemd().source_disable_unref(source); }  // only made when libsystemd loaded
};

namespace {

/// A late timer costs an edit's latency; sd-event's default accuracy is 250 ms.
constexpr std::uint64_t kTimerAccuracyUsec = 1000;

int OnInput(sd_event_source* /*s*/, int /*fd*/, std::uint32_t /*revents*/, void* userdata) {
  (*static_cast<EventLoop::Handler*>(userdata))();
  return 0;
}

std::uint64_t MonotonicUsec(std::chrono::steady_clock::time_point at) {
  // steady_clock is CLOCK_MONOTONIC on Linux, the clock the timer source is on.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  return us <= 0 ? 1 : static_cast<std::uint64_t>(us);
}

Error LoopError(const std::string& what, int r) { return Error::Transient(what + ": " + std::strerror(-r)); }

/// Why there is no event loop: libsystemd could not be loaded, or sd_event_new failed.
Error NoLoop() {
  const std::string& why = Systemd().error;
  return Error::Transient(why.empty() ? "sd_event_new failed" : "no event loop: " + why);
}

}  // namespace

EventLoop::EventLoop() {
  if (const SystemdApi& sd = Systemd(); !sd.error.empty() || sd.event_new(&event_) < 0) event_ = nullptr;
}

EventLoop::~EventLoop() {
  sources_.clear();
  if (event_ == nullptr) return;  // nothing was made (and libsystemd may not be loaded)
  Systemd().source_disable_unref(timer_);
  Systemd().event_unref(event_);
}

EventLoop::SourceId EventLoop::AddInput(int fd, Handler on_ready) {
  if (event_ == nullptr || fd < 0) return 0;
  auto src = std::make_unique<Source>();
  src->handler = std::move(on_ready);
  const int r = Systemd().event_add_io(event_, &src->source, fd, EPOLLIN, OnInput, &src->handler);
  if (r < 0) {
    errno = -r;
    return 0;
  }
  const SourceId id = next_id_++;
  sources_[id] = std::move(src);
  return id;
}

void EventLoop::Remove(SourceId id) { sources_.erase(id); }

Status EventLoop::AddSignals(std::initializer_list<int> signals, std::function<void(int)> on_signal) {
  if (event_ == nullptr) return NoLoop();
  on_signal_ = std::move(on_signal);
  for (int sig : signals) {
    auto cb = [](sd_event_source*, const struct signalfd_siginfo* info, void* userdata) -> int {
      (*static_cast<std::function<void(int)>*>(userdata))(static_cast<int>(info->ssi_signo));
      return 0;
    };
    // Floating: owned by the event loop, gone with it.
    const int r = Systemd().event_add_signal(event_, nullptr, sig, cb, &on_signal_);
    if (r < 0) return LoopError("watching signal " + std::to_string(sig), r);
  }
  return {};
}

Status EventLoop::SetTimer(std::optional<std::chrono::steady_clock::time_point> at) {
  if (event_ == nullptr) return NoLoop();
  if (!at) {
    if (timer_ != nullptr) Systemd().source_set_enabled(timer_, SD_EVENT_OFF);
    return {};
  }
  if (timer_ == nullptr) {
    auto cb = [](sd_event_source*, std::uint64_t, void* userdata) -> int {
      auto* self = static_cast<EventLoop*>(userdata);
      if (self->on_due_) self->on_due_();
      return 0;
    };
    const int r = Systemd().event_add_time(event_, &timer_, CLOCK_MONOTONIC, MonotonicUsec(*at), kTimerAccuracyUsec, cb, this);
    if (r < 0) return LoopError("adding the timer", r);
    return {};
  }
  int r = Systemd().source_set_time(timer_, MonotonicUsec(*at));
  if (r >= 0) r = Systemd().source_set_enabled(timer_, SD_EVENT_ONESHOT);
  if (r < 0) return LoopError("arming the timer", r);
  return {};
}

bool EventLoop::EnableWatchdog() { return event_ != nullptr && Systemd().event_set_watchdog(event_, 1) > 0; }

int EventLoop::Loop() { return event_ == nullptr ? -ENOMEM : Systemd().event_loop(event_); }

void EventLoop::Exit(int code) {
  if (event_ != nullptr) Systemd().event_exit(event_, code);
}

}  // namespace ironward::run
