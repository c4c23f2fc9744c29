// The survey's result and its two renderings: the text table and the JSON document.
#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "controller/harden/baseline.h"
#include "controller/harden/signal.h"

namespace ironward::harden {

struct HardenReport {
  std::vector<SignalResult> signals;  ///< all ten, in kSignalNames order
  BaselineVerdict verdict;            ///< of the baseline the survey was asked about
  std::chrono::milliseconds elapsed{0};
};

/// {"signals":[{"name","status","detail","fix"}, ...], "baseline", "satisfied", "missing":[...]}
/// Always every signal, whatever --all says.
nlohmann::json ToJson(const HardenReport& report);

/// Columns signal | status | detail | fix; only fail and warn rows unless show_all; then the
/// summary line ("Baseline minimal: satisfied" / "Baseline catalin: NOT satisfied (missing: ...)"),
/// which alone is coloured when `colour`.
std::string RenderText(const HardenReport& report, bool show_all, bool colour);

/// The summary line without colour.
std::string SummaryLine(const BaselineVerdict& verdict);

}  // namespace ironward::harden
