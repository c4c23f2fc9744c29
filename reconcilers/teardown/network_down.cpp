#include "reconcilers/teardown/network_down.h"

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/network/firewall.h"
#include "reconcilers/network/network_reconciler.h"
#include "state/encoding.h"

namespace ironward::teardown {

Result<ObservedNetwork> NetworkDown::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedNetwork o;
  if (deps.docker != nullptr) {
    auto net = deps.docker->InspectNetwork(ctx.desired.spec.enforcement.network_name);
    if (net && net->has_value()) {
      o.network = **net;
      o.network_ours = network::OwnedNetwork(**net);
    } else if (!net && ctx.desired.spec.enforcement.network == spec::NetworkMode::kInternal) {
      return net.error();  // it should exist: do not claim there is nothing to remove
    }
  }
  auto owner = deps.state.Read(network::kFirewallOwnerFile);
  if (!owner) return owner.error();
  o.table_ours = owner->has_value();
  if (deps.firewall != nullptr) {
    auto table = deps.firewall->ReadTable();
    if (table) o.table = table->has_value();
    else if (o.table_ours) return table.error();
  }
  std::string fp = o.network ? o.network->id + " " + std::to_string(o.network->containers.size()) : "no-network";
  o.fingerprint = Sha256Hex(fp + (o.table ? " table" : "") + (o.table_ours ? " ours" : ""));
  return o;
}

ResourcePlan NetworkDown::Diff(ReconcileContext&, const ObservedNetwork& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = "down";
  if (o.table_ours) {
    Change c;
    c.action = Action::kDelete;
    c.address = network::TableAddress();
    c.type = network::kFirewallType;
    c.disruptive = true;
    c.reason = o.table ? "delete the firewall table inet ironward this state dir loaded"
                       : "the firewall table is already gone; forget firewall.json";
    plan.changes.push_back(std::move(c));
  } else if (o.table) {
    plan.warnings.push_back("table inet ironward was not loaded from this state dir (no firewall.json): left alone");
  }
  if (o.network && o.network_ours) {
    Change c;
    c.action = Action::kDelete;
    c.address = network::NetworkAddress(o.network->name);
    c.type = network::kNetworkType;
    c.disruptive = true;
    c.reason = "remove the sandbox network " + o.network->name;
    c.before = {{"id", o.network->id.substr(0, 12)}, {"subnet", o.network->subnet}};
    plan.changes.push_back(std::move(c));
  } else if (o.network) {
    plan.warnings.push_back("network " + o.network->name + " is not ironward's (no ironward.dev/role label): left alone");
  }
  return plan;
}

Outcome NetworkDown::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  int changed = 0;
  if (observed->table_ours) {
    if (observed->table) {
      if (deps.firewall == nullptr) return Outcome::Failed(Error::Terminal("no firewall access"), "FirewallFailed");
      if (Status s = deps.firewall->DeleteTable(); !s) return Outcome::Failed(s.error(), "FirewallFailed");
      ++changed;
    }
    if (Status s = deps.state.Remove(network::kFirewallOwnerFile); !s) return Outcome::Failed(s.error(), "WriteFailed");
  }
  if (observed->network && observed->network_ours) {
    if (!observed->network->containers.empty()) {
      std::string names;
      for (const auto& [id, a] : observed->network->containers) names += (names.empty() ? "" : ", ") + a.name;
      return Outcome::Failed(Error::Terminal("network " + observed->network->name + " still has containers attached (" +
                                             names + "); they were not created by ironward and are left alone: "
                                             "disconnect or remove them, then run `ironward down` again"),
                             "NetworkInUse");
    }
    auto r = deps.docker->RemoveNetwork(observed->network->id);
    if (!r) return Outcome::Failed(r.error(), "RemoveFailed");
    ++changed;
  }
  return Outcome::Done(changed, changed > 0 ? "removed the sandbox network and/or firewall table" : "");
}

}  // namespace ironward::teardown
