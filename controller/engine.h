// The engine runs every reconciler in dependency order, once: Plan (dry run) or Apply.
// It never writes status itself; RecordRun() turns a run into status conditions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/reconciler.h"
#include "state/status.h"

namespace ironward {

struct ResourceResult {
  ResourcePlan plan;
  std::optional<Outcome> outcome;  ///< set when apply ran (or failed)
  bool skipped = false;
  std::string skip_reason;         ///< e.g. "DependencyNotReady: ca"

  bool Failed() const;
  bool Changed() const { return outcome && outcome->changed > 0; }
};

struct RunResult {
  bool dry_run = true;
  std::string desired_digest;
  std::vector<ResourceResult> resources;
  double duration_seconds = 0;
  int ok = 0;
  int changed = 0;
  int failed = 0;
  int skipped = 0;

  bool HasChanges() const;  ///< any planned change (dry run)
  bool HasErrors() const;
  const ResourceResult* Find(std::string_view resource) const;
};

class Engine {
 public:
  explicit Engine(std::vector<std::unique_ptr<Reconciler>> reconcilers);

  /// Observe + diff every resource. Gets read-only dependencies only.
  RunResult Plan(const spec::DesiredState& desired, const ReadDeps& deps);
  /// Plan, then apply each resource with changes, in order. A resource whose dependency
  /// failed is skipped. `suspend` plans but applies nothing (reconcile.suspend).
  RunResult Apply(const spec::DesiredState& desired, WriteDeps& deps);

  const std::vector<std::unique_ptr<Reconciler>>& reconcilers() const { return reconcilers_; }

 private:
  std::vector<std::unique_ptr<Reconciler>> reconcilers_;
};

/// The production set, in dependency order (binary -> ca -> mappings -> secrets -> config
/// -> daemon -> sandboxes); only the ones built into this binary.
std::vector<std::unique_ptr<Reconciler>> MakeReconcilers();

/// Updates status conditions, digests, details and history from an apply run.
void RecordRun(state::StatusDoc& doc, const spec::DesiredState& desired, const RunResult& run,
               const std::string& now, const std::string& revision);

}  // namespace ironward
