// One pass, the same for `ironward reconcile`, `ironward apply PLAN` and every pass of `ironward
// run`: take the writer lock, load status, (optionally) check a fresh plan, apply, record the
// run in status and save it. The callers differ only in what they do around it (a recap on
// stdout, a textfile of metrics; the run loop's queue, health and watches).
#pragma once

#include <functional>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include "controller/command_support.h"
#include "controller/engine.h"
#include "state/status.h"

namespace ironward {

struct PassOptions {
  ApplyOptions apply;
  std::chrono::milliseconds lock_timeout{30000};
  /// Called with the lock held and a fresh dry run, before anything changes; a non-empty
  /// return aborts the pass with that message (the stale-plan check of `apply PLAN`).
  std::function<std::string(const RunResult&)> precheck;
  /// Called with the lock held, just before and just after the engine applies (the run loop
  /// tracks and reaps the proxies a pass starts or stops there).
  std::function<void()> before_apply;
  std::function<void()> after_apply;
  /// Adds what the caller records beside the run in status.json (the run loop's "run" block,
  /// a refusal of the file on disk, the latest harden survey). Called after RecordRun.
  std::function<void(state::StatusDoc&)> annotate;
};

struct PassResult {
  RunResult run;
  state::StatusDoc doc;               ///< status as saved (or as it would have been)
  std::vector<std::string> drifted;   ///< resources found drifted (run::DriftedResources)
  std::optional<Error> save_error;    ///< the pass ran but status.json could not be saved
};

/// Why a pass did not run at all.
struct PassRefused {
  enum class Why { kLockBusy, kStatusUnreadable, kPrecheck };
  Why why;
  std::string message;
};

/// Runs one pass. Refused (nothing changed) when the lock or status cannot be had, or the
/// precheck says no; otherwise the pass ran, whatever its resources did.
std::variant<PassResult, PassRefused> RunOnePass(Engine& engine, Runtime& rt, state::StateWriter& writer,
                                                 const spec::DesiredState& desired, const PassOptions& options);

/// `ironward run` records a refusal of its desired-state files in status ("desired_refused"). A
/// successful pass of those same files (now valid) means the refusal no longer holds.
void ClearRefusalOf(state::StatusDoc& doc, const spec::DesiredState& desired, const RunResult& run);

}  // namespace ironward
