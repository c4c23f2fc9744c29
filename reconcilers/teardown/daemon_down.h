// Teardown of the supervised iron-proxy of this state directory (see teardown.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/io/process.h"
#include "reconcilers/reconciler.h"

namespace ironward::teardown {

struct ObservedProxy {
  std::optional<daemon::PidRecord> record;
  bool running = false;  ///< the recorded process is alive (identity checked)
  int strays = 0;        ///< processes with this state dir's proxy HOME that no pidfile names
  std::string fingerprint;
};

class DaemonDown final : public ResourceReconciler<ObservedProxy> {
 public:
  /// `processes`: the identity checks, stray search and signals; null means RealProcesses.
  explicit DaemonDown(std::shared_ptr<Processes> processes = nullptr);
  std::string_view Name() const override { return "daemon"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedProxy> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedProxy& o, const Clock& clock) const override;

 private:
  std::shared_ptr<Processes> processes_;
};

}  // namespace ironward::teardown
