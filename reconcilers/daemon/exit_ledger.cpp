#include "reconcilers/daemon/exit_ledger.h"

namespace ironward::daemon {

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

}  // namespace ironward::daemon
