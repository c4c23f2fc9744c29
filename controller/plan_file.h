// Saved plans (`reconcile --dry-run --out PLAN`, `apply PLAN`): the JSON plan plus the exact
// desired-state text it was made from. No secret is ever in it (the desired state holds
// none, and tokens only appear as sensitive labels).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "controller/engine.h"

namespace ironward {

inline constexpr int kPlanFileVersion = 1;

/// Records the state directory (absolute) and the gateway's name: `apply` acts on that one.
Status WritePlanFile(const std::string& path, const spec::DesiredState& desired, const RunResult& run,
                     const std::string& state_dir);

struct SavedPlan {
  nlohmann::json plan;       ///< the JSON plan as saved
  std::string desired_path;                ///< the (first) desired-state file
  std::vector<std::string> desired_paths;  ///< every file, with overlays (the yaml is their merge)
  std::string desired_yaml;
  std::string state_dir;  ///< absolute; "" in plans written before it was recorded
  std::string gateway;
};

Result<SavedPlan> ReadPlanFile(const std::string& path);

/// Empty when `fresh` (a new dry run of the saved desired state) matches the saved plan:
/// same observed fingerprints and the same changes. Otherwise, why the plan is stale.
std::string StaleReason(const SavedPlan& saved, const RunResult& fresh);

}  // namespace ironward
