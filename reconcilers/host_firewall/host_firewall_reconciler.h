// HostFirewallReconciler: the accept the sandbox network needs in ufw / firewalld (host_firewall.h).
//
// Desired, with enforcement.network: internal and enforcement.hostFirewall: auto (the default):
// every installed host firewall that is active and would drop sandbox -> proxy traffic admits it,
// through an accept this state directory added and recorded (record.h) unless one is there
// already (an operator's rule, a zone with target ACCEPT: left alone, never recorded). A recorded
// accept that is gone (`ufw reset`, removed by hand) is added again; one that no longer matches
// (bridge, subnet, ports, firewalld zone changed), or is no longer wanted (network: none,
// hostFirewall: off), is removed. `ironward down` removes them all (teardown/host_firewall_down.h).
// With no ufw or firewall-cmd installed nothing runs but two PATH lookups.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reconcilers/host_firewall/host_firewall.h"
#include "reconcilers/host_firewall/record.h"
#include "reconcilers/reconciler.h"

namespace ironward::hostfw {

inline constexpr const char* kRuleType = "ironward_host_firewall_rule";
/// host_firewall.ufw["iw-1a2b3c4d"]
std::string RuleAddress(Tool tool, const std::string& bridge);

/// The command line(s) an operator would run to add the accept by hand (plans, doctor).
std::string AllowCommand(Tool tool, const Opening& opening, const std::string& where);

/// The opening the desired state needs (nullopt unless enforcement.network: internal); `bridge`:
/// the network's real bridge when known, else the name ironward gives it.
Result<std::optional<Opening>> DesiredOpening(const spec::DesiredState& desired, const std::string& bridge);

struct ObservedTool {
  Tool tool = Tool::kUfw;
  ToolState state;
};

struct ObservedHostFirewall {
  bool wanted = false;              ///< network internal and hostFirewall auto
  std::optional<Opening> desired;   ///< with network internal
  std::vector<ObservedTool> tools;  ///< the installed ones
  std::vector<RecordedAccept> record;
  std::string fingerprint;
};

struct HostFirewallActions {
  struct Step {
    RecordedAccept accept;
    std::string reason;
    bool heal = false;  ///< allow: it was recorded and is gone
  };
  std::vector<Step> revoke;  ///< first
  std::vector<Step> allow;
  std::vector<std::string> notes;  ///< for details / doctor ("ufw: admitted by an existing rule")
  bool Empty() const { return revoke.empty() && allow.empty(); }
};

/// Pure: observed -> actions.
HostFirewallActions ComputeActions(const ObservedHostFirewall& observed);

class HostFirewallReconciler final : public ResourceReconciler<ObservedHostFirewall> {
 public:
  std::string_view Name() const override { return "host_firewall"; }
  /// The bridge must exist (and its real name be known) before a rule can name it.
  std::vector<std::string_view> DependsOn() const override { return {"network"}; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedHostFirewall> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedHostFirewall& observed, const Clock& clock) const override;
};

/// The tool of that kind in `firewalls` / `tools` (nullptr when absent or not installed).
HostFirewall* FindFirewall(const std::vector<HostFirewall*>& firewalls, Tool tool);
const ObservedTool* FindObserved(const std::vector<ObservedTool>& tools, Tool tool);

/// Observes every installed tool in `firewalls` against `opening` (shared with doctor and down).
/// `thorough`: always ask the tools' CLIs; otherwise a tool whose Glance proves it inactive is not run.
Result<std::vector<ObservedTool>> ObserveTools(const std::vector<HostFirewallReader*>& firewalls,
                                                const Opening& opening, bool thorough = true);

}  // namespace ironward::hostfw
