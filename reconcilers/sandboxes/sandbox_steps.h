// Carrying out the sandboxes plan: each step (create, replace, delete) is independent of the
// others, so they run with a bounded number in flight (spec.reconcile.parallelism), and each
// step's result lands in its own slot, so the recap lists them in plan (= spec) order whatever
// order they finished in. A failed step never stops or hides the others.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/io/progress.h"
#include "reconcilers/sandboxes/sandbox_plan.h"
#include "reconcilers/sandboxes/wiring.h"
#include "state/result.h"

namespace ironward::sandboxes {

/// Passes with at least this many steps report progress (a short pass stays quiet).
inline constexpr std::size_t kProgressMinSteps = 10;

struct StepResult {
  bool removed = false;        ///< the old container was stopped and removed
  std::string created_id;      ///< the new container, created and started
  std::optional<Error> error;  ///< why the step failed ("" = it did not)
};

struct StepsOptions {
  std::chrono::seconds stop_timeout{10};
  std::size_t parallelism = 4;
  ProgressSink progress{};  ///< null = silent
  bool every_step = false;  ///< report every step (a terminal line), else each tenth (log lines)
};

/// Carries out `steps` under wiring `w` (not pending): first the deletes and the replaces of
/// renamed containers (they free names other steps may create), then the rest; within each
/// group up to options.parallelism at once. results[i] is what steps[i] did.
std::vector<StepResult> RunSteps(docker::DockerApi& api, const std::vector<Step>& steps, const EgressWiring& w,
                                 const StepsOptions& options);

}  // namespace ironward::sandboxes
