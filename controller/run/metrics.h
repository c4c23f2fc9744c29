// Prometheus text exposition (format 0.0.4) of the controller's counters and the domain gauges.
//
// Counters/histograms are fed per pass (ObservePass); gauges are recomputed from status.json
// (SetFromStatus): CA not-after, secret last fetch, proxy up, sandboxes, harden survey. A gauge
// whose source detail is absent is omitted, never reported as 0.
// Thread-safe: the HTTP thread renders while the loop records.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <utility>

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
int CountDrift(const state::StatusDoc& before, const RunResult& run);

class Metrics {
 public:
  void ObservePass(const RunResult& run, int drift_events);
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
  std::uint64_t passes_total_ = 0;
  nlohmann::json gauges_ = nlohmann::json::object();  ///< computed by SetFromStatus
  std::optional<bool> desired_refused_;
};

/// Writes `text` to DIR/ironward.prom atomically (temp file in DIR, fsync, rename), mode 0644,
/// the node_exporter textfile collector's contract.
Status WriteTextfile(const std::string& dir, const std::string& text);

}  // namespace ironward::run
