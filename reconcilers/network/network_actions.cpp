#include <string>
#include <vector>

#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/network/ruleset.h"
#include "reconcilers/proxy_config/render.h"
#include "state/encoding.h"

// The diff half of the network reconciler: what the sandbox network, the firewall table and each
// sandbox's attachments need, from the spec and one observation. Observe and apply are in
// network_reconciler.cpp.
namespace ironward::network {

netfilter::SandboxRulesInput RulesInputFor(const spec::Spec& spec, const std::string& bridge, const std::string& gateway) {
  netfilter::SandboxRulesInput in{bridge, gateway, {spec.proxy.tunnel_port, spec.proxy.http_port}, std::nullopt};
  if (spec.enforcement.RoutesDns()) {
    in.steering = netfilter::DnsSteering{spec.enforcement.network_subnet, spec.proxy.dns_port, spec.proxy.http_port,
                                         spec.proxy.https_port};
  }
  return in;
}

Result<NetworkActions> ComputeActions(const spec::Spec& spec, const ObservedNetwork& o) {
  NetworkActions a;
  const auto& e = spec.enforcement;
  a.warnings = o.warnings;
  if (!o.internal_wanted) {
    if (o.table && o.table_ours) {
      a.table = NetworkActions::TableOp::kDelete;
      a.table_reason = "enforcement.network is none; table inet ironward is no longer wanted";
    } else if (o.table) {
      // Never suggest deleting it: another state directory's ironward may be enforcing with it.
      a.warnings.push_back(std::string("table inet ironward exists but was not loaded from this state dir (no ") +
                           kFirewallOwnerFile + "); left alone: another ironward state directory on this host "
                           "may own it (its `ironward status` shows its network resource)");
    }
    if (o.network && OwnedNetwork(*o.network)) {
      if (o.network->containers.empty()) {
        a.network = NetworkActions::NetOp::kDelete;
        a.network_reason = "enforcement.network is none; network " + e.network_name + " is no longer wanted";
      } else {
        a.warnings.push_back("network " + e.network_name + " is kept: " + std::to_string(o.network->containers.size()) +
                             " container(s) still attached");
      }
    }
    return a;
  }

  auto gateway = proxy_config::GatewayOf(e.network_subnet);
  if (!gateway) return gateway.error().Wrap("enforcement.networkSubnet");
  a.gateway = *gateway;
  const bool proxy_on_gateway = spec.proxy.bind == spec::BindKind::kSandboxNetwork ||
                                (spec.proxy.bind == spec::BindKind::kAddress && spec.proxy.bind_address == a.gateway);
  if (!proxy_on_gateway) {
    a.warnings.push_back("sandboxes on " + e.network_name + " can reach only " + a.gateway +
                         " (the proxy ports there); the proxy binds elsewhere: set proxy.bind: sandbox-network");
  }
  a.bridge = BridgeNameFor(e.network_name);

  if (!o.network) {
    a.network = NetworkActions::NetOp::kCreate;
    a.network_reason = "network " + e.network_name + " does not exist";
  } else if (!OwnedNetwork(*o.network)) {
    return Error::Terminal("network " + e.network_name +
                           " exists but is not ironward's (no ironward.dev/role=sandbox-network label); "
                           "remove it or choose another enforcement.networkName");
  } else {
    std::vector<std::string> wrong;
    if (!o.network->internal) wrong.push_back("not internal");
    if (o.network->driver != "bridge") wrong.push_back("driver " + o.network->driver);
    if (o.network->subnet != e.network_subnet) wrong.push_back("subnet " + o.network->subnet + " != " + e.network_subnet);
    if (o.network->gateway != a.gateway) wrong.push_back("gateway " + o.network->gateway + " != " + a.gateway);
    if (!wrong.empty()) {
      a.network = NetworkActions::NetOp::kReplace;
      a.network_reason = "network " + e.network_name + ": " + Join(wrong, ", ") + " (attached containers are disconnected)";
    } else {
      a.bridge = BridgeOf(*o.network);
    }
  }

  auto table = netfilter::BuildSandboxTable(RulesInputFor(spec, a.bridge, a.gateway));
  if (!table) return table.error();
  a.desired_table = *table;
  if (!o.table) {
    a.table = NetworkActions::TableOp::kReplace;
    a.table_reason = "table inet ironward does not exist";
  } else if (auto diffs = netfilter::CompareTable(*table, *o.table); !diffs.empty()) {
    a.table = NetworkActions::TableOp::kReplace;
    a.table_reason = Join(diffs, "; ");
  }

  for (const auto& s : o.sandboxes) {
    if (s.networks.count(e.network_name) == 0) {
      a.attachments.push_back({s.id, s.name, e.network_name, true});
    }
    for (const auto& [net, ep] : s.networks) {
      if (net != e.network_name) a.attachments.push_back({s.id, s.name, net, false});
    }
  }
  return a;
}

}  // namespace ironward::network
