// Teardown of the sandbox network and of the firewall table this state directory loaded (see
// teardown.h). A network not labelled ironward's, or with containers still attached, is kept;
// a table another state directory loaded (no firewall.json here) is never touched.
#pragma once

#include <optional>
#include <string>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/reconciler.h"

namespace ironward::teardown {

struct ObservedNetwork {
  std::optional<docker::NetworkInfo> network;  ///< spec.enforcement.networkName, when it exists
  bool network_ours = false;
  bool table = false;      ///< table inet ironward exists
  bool table_ours = false; ///< this state dir's firewall.json says it loaded it
  std::string fingerprint;
};

class NetworkDown final : public ResourceReconciler<ObservedNetwork> {
 public:
  std::string_view Name() const override { return "network"; }
  /// A sandbox that could not be removed keeps the network.
  std::vector<std::string_view> DependsOn() const override { return {"sandboxes"}; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedNetwork> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedNetwork& o, const Clock& clock) const override;
};

}  // namespace ironward::teardown
