// status.json: what the controller last saw and did, per resource. Owned by the controller;
// reconcilers only return outcomes. Versioned, written atomically, 0600, never a secret.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/result.h"
#include "state/state_dir.h"

namespace ironward::state {

inline constexpr int kStatusVersion = 1;
inline constexpr const char* kStatusFile = "status.json";

/// Kubernetes-style condition ("Ready", "Reconciling", "Stalled").
struct Condition {
  std::string type;
  std::string status = "Unknown";  ///< "True" | "False" | "Unknown"
  std::string reason;              ///< CamelCase
  std::string message;
  std::string last_transition_time;  ///< RFC 3339; changes only when status flips
};

struct ResourceStatus {
  std::vector<Condition> conditions;
  std::string observed_digest;        ///< desired digest last reconciled successfully
  std::string last_applied_digest;    ///< desired digest of the last apply that changed something
  std::string last_attempted_digest;  ///< desired digest of the last attempt, success or not
  std::string last_reconcile_time;
  nlohmann::json details = nlohmann::json::object();  ///< resource-specific, non-sensitive

  const Condition* Find(const std::string& type) const;
  /// Sets a condition; lastTransitionTime moves only when `status` changes.
  void SetCondition(const std::string& type, const std::string& status, const std::string& reason,
                    const std::string& message, const std::string& now);
  bool Ready() const;
  /// The one-word state `ironward status` and the status page show: "Stalled" when the Stalled
  /// condition is True, else the Ready condition's status ("True" | "False" | "Unknown").
  std::string DisplayState() const;
};

struct HistoryEntry {
  std::string time;
  std::string desired_digest;
  std::string revision;  ///< git revision of the desired-state file's repository, if any
  double duration_seconds = 0;
  std::string result;    ///< "converged" | "failed" | "planned"
  int changed = 0;
  int failed = 0;
};

struct StatusDoc {
  int version = kStatusVersion;
  std::string desired_name;
  std::string desired_path;                ///< the (first) desired-state file
  std::vector<std::string> desired_paths;  ///< every file, with overlays, in order
  std::string desired_digest;
  std::string updated;
  std::map<std::string, ResourceStatus> resources;
  std::vector<HistoryEntry> history;  ///< newest last, at most kHistoryLimit
  nlohmann::json extra = nlohmann::json::object();  ///< other sections (e.g. "harden", "verify")

  static constexpr std::size_t kHistoryLimit = 10;
  void AddHistory(HistoryEntry entry);
  /// At least one resource, and every one Ready.
  bool AllReady() const;
};

nlohmann::json ToJson(const StatusDoc& doc);

struct LoadedStatus {
  StatusDoc doc;
  std::optional<std::string> warning;  ///< set when the file was corrupt or from another version
};

/// Reads status.json. A missing file gives an empty doc; a corrupt or unknown-version file
/// gives an empty doc plus a warning (it is rewritten on the next apply), never a failure.
/// Symlinks / foreign owners are errors.
Result<LoadedStatus> LoadStatus(const StateReader& reader);
Status SaveStatus(StateWriter& writer, const StatusDoc& doc);

}  // namespace ironward::state
