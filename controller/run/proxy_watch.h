// Watches the supervised proxy process for exit with a pidfd (poll/epoll readable on exit),
// so a killed proxy is healed at once instead of at the next drift check. The proxy is not our
// child (it is started detached and outlives ironward), which pidfd_open handles fine.
#pragma once

#include <sys/types.h>

#include "reconcilers/io/process.h"
#include "state/state_dir.h"

namespace ironward::run {

class ProxyWatch {
 public:
  explicit ProxyWatch(Processes& processes) : processes_(processes) {}
  ~ProxyWatch() { Disarm(); }
  ProxyWatch(const ProxyWatch&) = delete;
  ProxyWatch& operator=(const ProxyWatch&) = delete;

  /// Reads iron-proxy.pid and watches that process if it is the one ironward started (pid,
  /// starttime and nonce match: Processes::OpenExitWatch). Keeps an existing watch on the same pid. No process: no watch
  /// (the daemon reconciler's own requeue covers restarts in back-off).
  void Arm(const state::StateReader& state);
  void Disarm();
  /// The pidfd to poll, -1 when not watching.
  int fd() const { return fd_; }
  pid_t pid() const { return pid_; }

 private:
  Processes& processes_;
  int fd_ = -1;
  pid_t pid_ = 0;
};

}  // namespace ironward::run
