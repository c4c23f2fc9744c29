// Teardown of the ufw / firewalld accepts this state directory added (host-firewall.json, see
// reconcilers/host_firewall/record.h). Only recorded accepts are removed: a rule an operator wrote
// is never touched. A tool that is no longer installed takes its rules with it: the record is
// dropped. firewalld not running cannot change its permanent configuration: that fails with the
// command that removes the rule offline, and the record is kept.
#pragma once

#include <vector>

#include "reconcilers/host_firewall/host_firewall_reconciler.h"
#include "reconcilers/reconciler.h"

namespace ironward::teardown {

struct ObservedHostFirewall {
  std::vector<hostfw::RecordedAccept> record;
  std::vector<hostfw::ObservedTool> tools;  ///< the installed ones
  std::string fingerprint;
};

class HostFirewallDown final : public ResourceReconciler<ObservedHostFirewall> {
 public:
  std::string_view Name() const override { return "host_firewall"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedHostFirewall> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedHostFirewall& o, const Clock& clock) const override;
};

}  // namespace ironward::teardown
