// Rendering of plans and recaps: Terraform-style text and the JSON plan of contract.md.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "controller/engine.h"

namespace ironward {

struct OutputStyle {
  bool color = false;
};

/// One line per change (+ ~ - -/+), each with its reason, then warnings, errors and the
/// "Plan: N to add, N to change, N to destroy." / "No changes. ..." footer.
std::string RenderPlanText(const spec::DesiredState& desired, const RunResult& run, OutputStyle style);
/// {"format_version":"1.0","desired_digest",...,"resource_changes":[...]}.
nlohmann::json RenderPlanJson(const spec::DesiredState& desired, const RunResult& run);
/// Per-resource result lines and "Recap: ok=N changed=N failed=N skipped=N".
std::string RenderRecapText(const RunResult& run, OutputStyle style);
nlohmann::json RenderRecapJson(const spec::DesiredState& desired, const RunResult& run);

/// True when stdout is a terminal and NO_COLOR is unset.
bool StdoutWantsColor();

}  // namespace ironward
