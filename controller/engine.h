// The engine runs every reconciler in dependency order, once: Plan (dry run) or Apply.
// It never writes status itself; RecordRun() turns a run into status conditions.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/reconciler.h"
#include "state/status.h"

namespace ironward {
namespace daemon {
class ExitLedger;  // reconcilers/daemon/exit_ledger.h
}  // namespace daemon


struct ResourceResult {
  ResourcePlan plan;
  std::optional<Outcome> outcome;  ///< set when apply ran (or failed)
  bool skipped = false;
  std::string skip_reason;         ///< e.g. "DependencyNotReady: ca"
  double duration_seconds = 0;     ///< plan + apply of this resource (metrics)

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

/// Skip reasons starting with this leave the resource's conditions as they were (RecordRun).
inline constexpr const char* kHeldPrefix = "Held: ";

/// How Apply treats individual resources (the `run` loop's per-resource back-off).
struct ApplyOptions {
  /// Resources that are planned but not applied this pass (back-off or terminal wait), with the
  /// reason (starting with kHeldPrefix) as the skip reason; their dependents are skipped as DependencyNotReady.
  std::map<std::string, std::string, std::less<>> hold;
  /// One-shot behaviour: wait out a RequeueAfter of <= 10 s once, inline. The daemon turns this
  /// off and schedules the requeue instead, so its loop never sleeps inside a pass.
  bool inline_requeue_wait = true;
  /// What Observe proves (DriftCheck in reconcilers/reconciler.h): one-shot commands inspect
  /// every sandbox and trust recorded file identities; `ironward run` raises it to kFull for its
  /// drift checks and lowers it to kListed between them.
  DriftCheck drift_check = DriftCheck::kInspect;
};

/// The dependency graph as declared (each DependsOn() and AlsoReads()) against the execution order
/// (the list): every dependency must name a reconciler earlier in the list. `require_all`: a name that is not
/// in the list at all is an error too (a misspelling would otherwise never block anything); off
/// for test engines built from a few reconcilers. The error names the reconciler and the name.
Status CheckDependencies(const std::vector<std::unique_ptr<Reconciler>>& reconcilers, bool require_all);

class Engine {
 public:
  /// Throws std::logic_error when a dependency names a reconciler that runs later (it could never
  /// be Ready in time): a programming error, reported at start-up rather than as a silent skip.
  explicit Engine(std::vector<std::unique_ptr<Reconciler>> reconcilers);

  // Plan and Apply each read the engine's containers through one snapshot per pass
  // (docker::PassSnapshot): one list shared by every reconciler, invalidated by each write and
  // before each apply, which acts on a fresh look.

  /// Observe + diff every resource. Gets read-only dependencies only. `facts`, when given,
  /// receives what the reconcilers published (in memory only: it may hold tokens).
  RunResult Plan(const spec::DesiredState& desired, const ReadDeps& deps, Facts* facts = nullptr);
  /// Plan, then apply each resource with changes, in order. A resource whose dependency
  /// failed is skipped. `suspend` plans but applies nothing (reconcile.suspend).
  RunResult Apply(const spec::DesiredState& desired, WriteDeps& deps);
  RunResult Apply(const spec::DesiredState& desired, WriteDeps& deps, const ApplyOptions& options);

  const std::vector<std::unique_ptr<Reconciler>>& reconcilers() const { return reconcilers_; }

 private:
  std::vector<std::unique_ptr<Reconciler>> reconcilers_;
};

/// The production set, in execution order: binary, ca, mappings, secrets, network, host_firewall,
/// proxy_config, daemon, sandboxes, enforcement. Checked with CheckDependencies(require_all) on
/// every call: a missing or misspelled dependency throws std::logic_error.
/// `exits`: where `ironward run` records how the proxies it reaped ended (null elsewhere).
std::vector<std::unique_ptr<Reconciler>> MakeReconcilers(std::shared_ptr<daemon::ExitLedger> exits = nullptr);

/// Updates status conditions, digests, details and history from an apply run.
void RecordRun(state::StatusDoc& doc, const spec::DesiredState& desired, const RunResult& run,
               const std::string& now, const std::string& revision);

}  // namespace ironward
