#include "controller/engine.h"

#include <stdexcept>

#include "reconcilers/binary/binary_reconciler.h"
#include "reconcilers/ca/ca_reconciler.h"
#include "reconcilers/daemon/daemon_reconciler.h"
#include "reconcilers/host_firewall/host_firewall_reconciler.h"
#include "reconcilers/io/process.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/proxy_config_reconciler.h"
#include "reconcilers/sandboxes/enforcement_reconciler.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "reconcilers/secrets/secrets_reconciler.h"

namespace ironward {

std::vector<std::unique_ptr<Reconciler>> MakeReconcilers(std::shared_ptr<daemon::ExitLedger> exits) {
  std::vector<std::unique_ptr<Reconciler>> out;
  // The resources that run or supervise programs share the real process seam.
  const auto processes = std::make_shared<RealProcesses>();
  binary::BinaryOptions binary_options;
  binary_options.processes = processes;
  out.push_back(std::make_unique<binary::BinaryReconciler>(std::move(binary_options)));
  out.push_back(std::make_unique<ca::CaReconciler>());
  out.push_back(std::make_unique<MappingsReconciler>());
  out.push_back(std::make_unique<secrets::SecretsReconciler>());
  // Before the proxy config and daemon: with bind: sandbox-network the proxy binds the
  // network's gateway, which exists only once the bridge does.
  out.push_back(std::make_unique<network::NetworkReconciler>());
  // Right after the network whose bridge it names: sandbox -> proxy traffic must pass ufw /
  // firewalld before the proxy is declared Ready.
  out.push_back(std::make_unique<hostfw::HostFirewallReconciler>());
  out.push_back(std::make_unique<ProxyConfigReconciler>());
  daemon::DaemonOptions daemon_options;
  daemon_options.exits = std::move(exits);
  daemon_options.processes = processes;
  out.push_back(std::make_unique<daemon::DaemonReconciler>(std::move(daemon_options)));
  out.push_back(std::make_unique<sandboxes::SandboxesReconciler>());
  out.push_back(std::make_unique<sandboxes::EnforcementReconciler>());
  if (Status s = CheckDependencies(out, /*require_all=*/true); !s) throw std::logic_error(s.error().message);
  return out;
}

}  // namespace ironward
