// How supervised proxies ended, as their parent saw it. The proxy is started detached (double
// fork), so normally no ironward process is its parent and its exit status is lost. `ironward run`
// makes itself a child subreaper (PR_SET_CHILD_SUBREAPER): the proxies it starts are re-parented to
// it, it reaps them and records here whether each was killed by a signal ("killed by SIGKILL": the
// OOM killer, an operator, an attacker) or exited by itself ("exited with code 1": a bad config, a
// port in use). The daemon reconciler reads it when it counts a crash. A proxy a one-shot command
// started is nobody's child: its death stays "gone".
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "reconcilers/io/process.h"

namespace ironward::daemon {

/// How a proxy ended (reaped with Processes::ReapIfExited).
using ProxyExit = ChildExit;

class ExitLedger {
 public:
  void Record(pid_t pid, ProxyExit exit);
  std::optional<ProxyExit> Find(pid_t pid) const;

 private:
  static constexpr std::size_t kKept = 32;  ///< the newest pids; a crash is read within a pass
  mutable std::mutex mu_;
  std::map<pid_t, ProxyExit> exits_;
  std::map<std::uint64_t, pid_t> order_;
  std::uint64_t next_ = 0;
};

}  // namespace ironward::daemon
