#include "reconcilers/daemon/exit_ledger.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace ironward::daemon {

std::string ProxyExit::Words() const {
  if (!signaled) return "exited with code " + std::to_string(value);
  const char* abbrev = ::sigabbrev_np(value);
  return "killed by " + (abbrev != nullptr ? "SIG" + std::string(abbrev) : "signal " + std::to_string(value));
}

void ExitLedger::Record(pid_t pid, ProxyExit exit) {
  std::lock_guard lock(mu_);
  exits_[pid] = exit;
  order_[next_++] = pid;
  while (order_.size() > kKept) {
    exits_.erase(order_.begin()->second);
    order_.erase(order_.begin());
  }
}

std::optional<ProxyExit> ExitLedger::Find(pid_t pid) const {
  std::lock_guard lock(mu_);
  auto it = exits_.find(pid);
  if (it == exits_.end()) return std::nullopt;
  return it->second;
}

std::optional<ProxyExit> ReapIfExited(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid) return std::nullopt;  // 0: still running; -1 ECHILD: not our child
  if (WIFSIGNALED(status)) return ProxyExit{true, WTERMSIG(status)};
  return ProxyExit{false, WIFEXITED(status) ? WEXITSTATUS(status) : 0};
}

}  // namespace ironward::daemon
