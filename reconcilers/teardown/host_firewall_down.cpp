#include "reconcilers/teardown/host_firewall_down.h"

#include <algorithm>

#include "reconcilers/host_firewall/firewalld.h"
#include "state/encoding.h"

namespace ironward::teardown {
namespace {

/// The firewall-offline-cmd lines that remove a firewalld accept while the daemon is down.
std::string OfflineRemoval(const hostfw::RecordedAccept& a) {
  return "firewall-offline-cmd --zone=" + a.where + hostfw::RichRuleOptions("remove", a.opening);
}

}  // namespace

Result<ObservedHostFirewall> HostFirewallDown::Observe(const ReconcileContext&, const ReadDeps& deps) const {
  ObservedHostFirewall o;
  auto record = hostfw::ReadRecord(deps.state);
  if (!record) return record.error();
  o.record = std::move(*record);
  if (!o.record.empty()) {
    auto tools = hostfw::ObserveTools(deps.host_firewalls, o.record.front().opening);
    if (!tools) return tools.error();
    o.tools = std::move(*tools);
  }
  std::string fp;
  for (const auto& a : o.record) fp += std::string(hostfw::ToolName(a.tool)) + a.where + a.opening.ToJson().dump();
  for (const auto& t : o.tools) fp += std::string(hostfw::ToolName(t.tool)) + (t.state.active ? "+" : "-");
  o.fingerprint = Sha256Hex(fp);
  return o;
}

ResourcePlan HostFirewallDown::Diff(ReconcileContext&, const ObservedHostFirewall& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = "down";
  for (const auto& a : o.record) {
    const std::string tool(hostfw::ToolName(a.tool));
    Change c;
    c.action = Action::kDelete;
    c.address = hostfw::RuleAddress(a.tool, a.opening.bridge);
    c.type = hostfw::kRuleType;
    c.reason = hostfw::FindObserved(o.tools, a.tool) != nullptr
                   ? "remove the " + tool + " accept ironward added for " + a.opening.Describe()
                   : tool + " is no longer installed; forget its accept for " + a.opening.Describe();
    c.before = {{"admits", a.opening.Describe()}, {"zone", a.where}};
    plan.changes.push_back(std::move(c));
  }
  return plan;
}

Outcome HostFirewallDown::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  std::vector<hostfw::RecordedAccept> record = observed->record;
  int changed = 0;
  for (const auto& a : observed->record) {
    const hostfw::ObservedTool* tool = hostfw::FindObserved(observed->tools, a.tool);
    if (tool != nullptr && a.tool == hostfw::Tool::kFirewalld && !tool->state.active) {
      return Outcome::Failed(Error::Transient("firewalld is not running, so its permanent configuration cannot be "
                                              "changed; start it and run down again, or: " +
                                              OfflineRemoval(a)),
                             "HostFirewallFailed");
    }
    if (tool != nullptr) {
      hostfw::HostFirewall* f = hostfw::FindFirewall(deps.host_firewalls, a.tool);
      if (f == nullptr) return Outcome::Failed(Error::Terminal("no access to the host firewall"), "HostFirewallFailed");
      if (Status s = f->Revoke(a.opening, a.where); !s) return Outcome::Failed(s.error(), "HostFirewallFailed");
    }
    record.erase(std::remove(record.begin(), record.end(), a), record.end());
    if (Status s = hostfw::WriteRecord(deps.state, record); !s) return Outcome::Failed(s.error(), "StateWriteFailed");
    ++changed;
  }
  return Outcome::Done(changed, changed == 0 ? "" : std::to_string(changed) + " host firewall accept(s) removed");
}

}  // namespace ironward::teardown
