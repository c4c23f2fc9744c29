#include "reconcilers/teardown/teardown.h"

#include "reconcilers/teardown/daemon_down.h"
#include "reconcilers/teardown/host_firewall_down.h"
#include "reconcilers/teardown/network_down.h"
#include "reconcilers/teardown/sandboxes_down.h"
#include "reconcilers/teardown/state_purge.h"

namespace ironward::teardown {

std::vector<std::unique_ptr<Reconciler>> MakeTeardownReconcilers(bool purge) {
  std::vector<std::unique_ptr<Reconciler>> out;
  out.push_back(std::make_unique<SandboxesDown>());
  out.push_back(std::make_unique<DaemonDown>());
  out.push_back(std::make_unique<NetworkDown>());
  out.push_back(std::make_unique<HostFirewallDown>());
  if (purge) out.push_back(std::make_unique<StatePurge>());
  return out;
}

}  // namespace ironward::teardown
