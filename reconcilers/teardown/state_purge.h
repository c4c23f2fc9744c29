// `ironward down --purge`: everything in the state directory goes, the directory stays (empty).
#pragma once

#include <string>
#include <vector>

#include "reconcilers/reconciler.h"

namespace ironward::teardown {

struct ObservedStateDir {
  std::vector<std::string> entries;  ///< names directly under the state directory
  std::string fingerprint;
};

class StatePurge final : public ResourceReconciler<ObservedStateDir> {
 public:
  std::string_view Name() const override { return "state"; }
  /// Nothing that still runs may lose its CA, tokens or binary.
  std::vector<std::string_view> DependsOn() const override { return {"sandboxes", "daemon", "network", "host_firewall"}; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedStateDir> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedStateDir& o, const Clock& clock) const override;
};

}  // namespace ironward::teardown
