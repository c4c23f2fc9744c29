// The apply path shared by `reconcile` and `apply PLAN`: lock, apply, record status, recap.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "controller/engine.h"

namespace ironward {

struct ApplyRunOptions {
  std::string state_dir;
  std::string output = "text";  ///< text | json
  std::chrono::milliseconds lock_timeout{30000};
  /// Called with the lock held and a fresh dry run, before anything changes; a non-empty
  /// return aborts with that message (the stale-plan check of `apply PLAN`).
  std::function<std::string(const RunResult&)> precheck;
  /// When set: write the run's metrics to DIR/ironward.prom (node_exporter textfile collector).
  std::string textfile_dir;
};

/// Returns the process exit code (0 converged, 1 error).
int RunApply(const spec::DesiredState& desired, const ApplyRunOptions& options);

}  // namespace ironward
