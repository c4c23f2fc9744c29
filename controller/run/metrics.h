// Prometheus text exposition (format 0.0.4) of the controller's counters and the domain gauges.
//
// Counters/histograms and the unhealed-drift gauge are fed per pass (ObservePass); the other gauges
// are recomputed from status.json (SetFromStatus): conditions per resource, CA not-after, secret
// last fetch and refresh interval, proxy up, sandboxes, harden survey. A gauge whose source detail
// is absent is omitted, never reported as 0. Alert rules and the Grafana dashboard in packaging/
// use these names (tests/monitoring checks them against Render()): rename one only with them.
// Thread-safe: the HTTP thread renders while the loop records.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/engine.h"
#include "state/result.h"
#include "state/status.h"

namespace ironward::run {

/// Buckets of ironward_reconcile_time_seconds (seconds).
inline constexpr double kTimeBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

/// "success" | "requeue_after" | "requeue" | "error" | "skipped" (controller-runtime's labels + skipped).
std::string ResultLabel(const ResourceResult& r);

/// A label value escaped for the exposition format (backslash, double quote, newline).
std::string EscapeLabel(const std::string& value);

/// Resources with planned changes although the desired state is the one of the last recorded run
/// and they were Ready then: the actual state drifted (proxy killed, file edited, container removed).
std::vector<std::string> DriftedResources(const state::StatusDoc& before, const RunResult& run);
inline int CountDrift(const state::StatusDoc& before, const RunResult& run) {
  return static_cast<int>(DriftedResources(before, run).size());
}

class Metrics {
 public:
  /// `drifted`: DriftedResources of this pass. A drifted resource is tracked until a pass ends with
  /// it converged (result "success"); each pass that does not counts in
  /// ironward_drift_unhealed_passes{resource}.
  void ObservePass(const RunResult& run, const std::vector<std::string>& drifted);
  /// Recomputes the gauges from a status document (after RecordRun + save).
  void SetFromStatus(const state::StatusDoc& doc);
  /// Set by the daemon: 1 while the desired-state file on disk is refused.
  void SetDesiredRefused(bool refused);
  std::string Render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, std::size(kTimeBuckets)> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> reconcile_total_;  ///< (resource, result)
  std::map<std::string, std::uint64_t> errors_total_;
  std::map<std::string, Histogram> time_;
  std::uint64_t drift_total_ = 0;
  std::map<std::string, std::uint64_t> unhealed_passes_;  ///< per resource of the last pass; 0 = healed
  std::uint64_t passes_total_ = 0;
  nlohmann::json gauges_ = nlohmann::json::object();  ///< computed by SetFromStatus
  std::optional<bool> desired_refused_;
};

/// Writes `text` to DIR/ironward.prom atomically (temp file in DIR, fsync, rename), mode 0644,
/// the node_exporter textfile collector's contract.
Status WriteTextfile(const std::string& dir, const std::string& text);

}  // namespace ironward::run
