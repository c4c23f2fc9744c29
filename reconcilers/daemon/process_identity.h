// Identity helpers of the supervised proxy, built on the process seam (reconcilers/io/process.h,
// where ProcessIdentity, Liveness and the identity-checked signal live): waiting for a process
// to go, and finding proxies of a state directory that no pidfile names.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "reconcilers/io/process.h"

namespace ironward::daemon {

/// Polls until `id` is no longer alive; true when it went away within `timeout`.
bool WaitGone(const Processes& processes, const ProcessIdentity& id, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll = std::chrono::milliseconds(20));

/// Processes (other than `except`) whose environment holds `IRONWARD_PROXY_NONCE` and
/// HOME=<state_root>/proxy-home: proxies of this state directory that no pidfile tracks. Read-only.
///
/// Reading a process's environment is the expensive part of a /proc scan (the kernel walks the
/// target's memory: ~20 µs each, 5 ms for 220 processes here, every pass). ironward starts the proxy
/// in the state directory and iron-proxy never changes directory, so a process whose working
/// directory can be read and is elsewhere is skipped without reading its environment; one whose
/// directory cannot be read (another user's, a kernel thread) is still checked the full way.
std::vector<ProcessIdentity> FindStrays(const Processes& processes, const std::filesystem::path& state_root,
                                        pid_t except);

}  // namespace ironward::daemon
