// Identity helpers of the supervised proxy, built on the process seam (reconcilers/io/process.h,
// where ProcessIdentity, Liveness and the identity-checked signal live): waiting for a process
// to go, and finding proxies of a state directory that no pidfile names.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "reconcilers/io/process.h"

namespace ironward::daemon {

/// Polls until `id` is no longer alive; true when it went away within `timeout`.
bool WaitGone(const Processes& processes, const ProcessIdentity& id, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll = std::chrono::milliseconds(20));

/// Processes (other than `except`) whose environment holds `IRONWARD_PROXY_NONCE` and
/// HOME=`home`: proxies of this state directory that no pidfile tracks. Read-only.
std::vector<ProcessIdentity> FindStrays(const Processes& processes, const std::string& home, pid_t except);

}  // namespace ironward::daemon
