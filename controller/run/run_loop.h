// `ironward run`: the event-driven self-healing loop.
//
// One thread runs every pass (the same Engine and reconcilers as `ironward reconcile`, created
// once and kept for the daemon's lifetime) and sleeps in epoll between them on:
//   inotify   the desired-state files (a base and its overlays) and their directories (content
//             digest decides)
//   pidfd     the supervised proxy exiting
//   eventfd   the mailbox: Docker events (helper thread), harden survey results (helper thread)
//   signalfd  SIGTERM/SIGINT (stop, exit 0), SIGHUP (forced pass: re-read file, clear back-off)
//   timerfd   the earliest of: queued work (drift check, RequeueAfter, back-off), debounce, watchdog
// The HTTP endpoint serves from its own thread. See docs/run.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace ironward::run {

struct RunOptions {
  std::vector<std::string> files;  ///< the desired state, then overlays merged in order
  std::string state_dir;
  std::string metrics_addr = "127.0.0.1:9466";  ///< "" or "off" = no HTTP endpoint
  /// How often the harden survey is refreshed into status and /metrics (0 = never).
  std::chrono::seconds harden_interval{std::chrono::hours(1)};
  std::chrono::milliseconds lock_timeout{5000};
  /// Hosts with a label value of their own in ironward_proxy_requests_total (proxy_metrics.h).
  std::size_t metrics_host_limit = 50;
};

/// Runs until SIGTERM/SIGINT; returns the exit code (0 on a clean stop, 1 on a startup error).
int RunDaemon(const RunOptions& options);

}  // namespace ironward::run
