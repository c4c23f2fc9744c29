// Teardown of the sandbox containers this gateway owns (see teardown.h).
#pragma once

#include <string>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/reconciler.h"

namespace ironward::teardown {

struct ObservedContainers {
  std::vector<docker::ContainerSummary> owned;  ///< ironward.dev/owner=<metadata.name>
  std::vector<std::string> untouched;           ///< wired or foreign: "name (why)"
  bool no_engine = false;
  std::string fingerprint;
};

class SandboxesDown final : public ResourceReconciler<ObservedContainers> {
 public:
  std::string_view Name() const override { return "sandboxes"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedContainers> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedContainers& o, const Clock& clock) const override;
};

}  // namespace ironward::teardown
