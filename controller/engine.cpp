#include "controller/engine.h"

#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "reconcilers/docker/pass_snapshot.h"

namespace ironward {
namespace {

constexpr std::chrono::seconds kMaxInlineWait{10};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ResourcePlan SafePlan(Reconciler& r, ReconcileContext& ctx, const ReadDeps& deps) {
  try {
    const auto start = std::chrono::steady_clock::now();
    ResourcePlan plan = r.Plan(ctx, deps);
    // Where a pass spends its time (`--log-level debug`), e.g. to see what a heal waits for.
    spdlog::debug("{}: observed and planned in {:.1f} ms", r.Name(), SecondsSince(start) * 1000);
    return plan;
  } catch (const std::exception& e) {
    // One catch-all at the reconcile boundary: a surprise is a counted failure, not a crash.
    ResourcePlan p;
    p.resource = std::string(r.Name());
    p.error = Error::Transient(std::string("internal error while planning: ") + e.what());
    return p;
  }
}

/// The condition reason of a failed plan: the reconciler's own when it named one.
std::string PlanErrorReason(const ResourcePlan& plan) {
  return plan.error_reason.empty() ? "ObserveFailed" : plan.error_reason;
}

Outcome SafeApply(Reconciler& r, ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) {
  try {
    return r.Apply(ctx, plan, deps);
  } catch (const std::exception& e) {
    return Outcome::Failed(Error::Transient(std::string("internal error while applying: ") + e.what()),
                           "InternalError");
  }
}

void Count(RunResult& run) {
  run.ok = run.changed = run.failed = run.skipped = 0;
  for (const auto& r : run.resources) {
    if (r.skipped) {
      ++run.skipped;
    } else if (r.Failed()) {
      ++run.failed;
    } else {
      ++run.ok;
      if (r.Changed()) ++run.changed;
    }
  }
}

}  // namespace

bool ResourceResult::Failed() const {
  if (plan.error) return true;
  return outcome && outcome->kind != Outcome::Kind::kDone;
}

bool RunResult::HasChanges() const {
  for (const auto& r : resources) {
    if (!r.plan.changes.empty()) return true;
  }
  return false;
}

bool RunResult::HasErrors() const {
  for (const auto& r : resources) {
    if (r.Failed()) return true;
  }
  return false;
}

const ResourceResult* RunResult::Find(std::string_view resource) const {
  for (const auto& r : resources) {
    if (r.plan.resource == resource) return &r;
  }
  return nullptr;
}

Status CheckDependencies(const std::vector<std::unique_ptr<Reconciler>>& reconcilers, bool require_all) {
  std::set<std::string_view> all;
  for (const auto& r : reconcilers) all.insert(r->Name());
  std::set<std::string_view> earlier;
  for (const auto& r : reconcilers) {
    for (const bool waits : {true, false}) {
      for (auto dep : waits ? r->DependsOn() : r->AlsoReads()) {
        if (earlier.count(dep) != 0) continue;
        const std::string who =
            std::string(r->Name()) + (waits ? " depends on \"" : " reads \"") + std::string(dep) + "\"";
        if (all.count(dep) != 0) {
          return Error::Terminal(who + ", which runs after it: " +
                                 (waits ? "it can never be Ready in time" : "its facts are never there in time"));
        }
        if (require_all) return Error::Terminal(who + ", which is not a reconciler of this set (misspelled?)");
      }
    }
    earlier.insert(r->Name());
  }
  return Status::Ok();
}

Engine::Engine(std::vector<std::unique_ptr<Reconciler>> reconcilers) : reconcilers_(std::move(reconcilers)) {
  if (Status s = CheckDependencies(reconcilers_, /*require_all=*/false); !s) throw std::logic_error(s.error().message);
}

RunResult Engine::Plan(const spec::DesiredState& desired, const ReadDeps& deps, Facts* facts_out) {
  const auto start = std::chrono::steady_clock::now();
  RunResult run;
  run.dry_run = true;
  run.desired_digest = desired.digest;
  Facts local;
  Facts& facts = facts_out != nullptr ? *facts_out : local;
  ReconcileContext ctx{desired, facts, true};
  ReadDeps reads = deps;
  std::optional<docker::PassSnapshot> snapshot;
  if (deps.docker != nullptr) reads.docker = &snapshot.emplace(*deps.docker);
  for (auto& r : reconcilers_) {
    const auto resource_start = std::chrono::steady_clock::now();
    ResourceResult result;
    result.plan = SafePlan(*r, ctx, reads);
    result.plan.resource = std::string(r->Name());
    result.duration_seconds = SecondsSince(resource_start);
    run.resources.push_back(std::move(result));
  }
  Count(run);
  run.duration_seconds = SecondsSince(start);
  return run;
}

RunResult Engine::Apply(const spec::DesiredState& desired, WriteDeps& deps) {
  return Apply(desired, deps, ApplyOptions{});
}

RunResult Engine::Apply(const spec::DesiredState& desired, WriteDeps& given, const ApplyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RunResult run;
  run.dry_run = false;
  run.desired_digest = desired.digest;
  Facts facts;
  ReconcileContext ctx{desired, facts, false, options.drift_check};
  std::set<std::string, std::less<>> not_ready;
  WriteDeps deps = given;
  std::optional<docker::PassSnapshotApi> snapshot;
  if (given.docker != nullptr) deps.docker = &snapshot.emplace(*given.docker);
  // Apply re-observes before acting: it gets a fresh look, not the list the plans shared.
  const auto fresh = [&snapshot] {
    if (snapshot) snapshot->snapshot().Invalidate();
  };
  const ReadDeps read = deps.Read();
  for (auto& r : reconcilers_) {
    const auto resource_start = std::chrono::steady_clock::now();
    ResourceResult result;
    const std::string name(r->Name());
    std::string blocked;
    for (auto dep : r->DependsOn()) {
      if (not_ready.count(dep) != 0) blocked += (blocked.empty() ? "" : ", ") + std::string(dep);
    }
    result.plan = SafePlan(*r, ctx, read);
    result.plan.resource = name;
    if (!blocked.empty()) {
      result.skipped = true;
      result.skip_reason = "DependencyNotReady: waiting for " + blocked;
      not_ready.insert(name);
    } else if (result.plan.error) {
      result.outcome = Outcome::Failed(*result.plan.error, PlanErrorReason(result.plan));
      not_ready.insert(name);
    } else if (result.plan.changes.empty()) {
      result.outcome = Outcome::Done(0);
    } else if (auto held = options.hold.find(name); held != options.hold.end()) {
      result.skipped = true;
      result.skip_reason = held->second;
      not_ready.insert(name);
    } else if (desired.spec.reconcile.suspend) {
      result.skipped = true;
      result.skip_reason = "Suspended: reconcile.suspend is true; " + std::to_string(result.plan.changes.size()) +
                           " change(s) pending";
      not_ready.insert(name);
    } else {
      spdlog::info("{}: applying {} change(s)", name, result.plan.changes.size());
      fresh();
      result.outcome = SafeApply(*r, ctx, result.plan, deps);
      // A one-shot run waits out a short back-off (e.g. the 1 s after a proxy crash) once,
      // instead of leaving the resource down until the next run.
      if (options.inline_requeue_wait && result.outcome->kind == Outcome::Kind::kRequeueAfter &&
          result.outcome->after <= kMaxInlineWait) {
        spdlog::warn("{}: {}; waiting {}s, then retrying once", name, result.outcome->message,
                     result.outcome->after.count());
        std::this_thread::sleep_for(result.outcome->after);
        fresh();
        result.plan = SafePlan(*r, ctx, read);
        result.plan.resource = name;
        result.outcome = result.plan.error        ? Outcome::Failed(*result.plan.error, PlanErrorReason(result.plan))
                         : result.plan.changes.empty() ? Outcome::Done(0)
                                                       : SafeApply(*r, ctx, result.plan, deps);
      }
      if (result.outcome->kind != Outcome::Kind::kDone) {
        spdlog::warn("{}: {} ({})", name, result.outcome->message, result.outcome->reason);
        not_ready.insert(name);
      }
    }
    result.duration_seconds = SecondsSince(resource_start);
    run.resources.push_back(std::move(result));
  }
  Count(run);
  run.duration_seconds = SecondsSince(start);
  return run;
}

void RecordRun(state::StatusDoc& doc, const spec::DesiredState& desired, const RunResult& run,
               const std::string& now, const std::string& revision) {
  doc.desired_name = desired.name;
  doc.desired_path = desired.source_path;
  doc.desired_paths = desired.source_paths;
  doc.desired_digest = desired.digest;
  doc.updated = now;
  for (const auto& r : run.resources) {
    auto& rs = doc.resources[r.plan.resource];
    rs.last_reconcile_time = now;
    rs.last_attempted_digest = r.plan.desired_digest;
    if (!r.plan.details.empty()) rs.details = r.plan.details;
    if (r.outcome && !r.outcome->details.empty()) rs.details = r.outcome->details;
    if (r.skipped && r.skip_reason.rfind(kHeldPrefix, 0) == 0) {
      continue;  // held by the run loop's back-off: the failure conditions that caused it stay
    }
    if (r.skipped) {
      const bool suspended = r.skip_reason.rfind("Suspended", 0) == 0;
      rs.SetCondition("Ready", "False", suspended ? "Suspended" : "DependencyNotReady", r.skip_reason, now);
      rs.SetCondition("Reconciling", suspended ? "False" : "True", suspended ? "Suspended" : "DependencyNotReady",
                      r.skip_reason, now);
      rs.SetCondition("Stalled", "False", "", "", now);
      continue;
    }
    const Outcome& o = *r.outcome;
    if (o.kind == Outcome::Kind::kDone) {
      rs.SetCondition("Ready", "True", o.reason, o.message.empty() ? "in sync" : o.message, now);
      rs.SetCondition("Reconciling", "False", o.reason, "", now);
      rs.SetCondition("Stalled", "False", o.reason, "", now);
      rs.observed_digest = r.plan.desired_digest;
      if (o.changed > 0) rs.last_applied_digest = r.plan.desired_digest;
    } else if (o.kind == Outcome::Kind::kTerminal) {
      rs.SetCondition("Ready", "False", o.reason, o.message, now);
      rs.SetCondition("Reconciling", "False", o.reason, "terminal: waiting for a change of the desired state", now);
      rs.SetCondition("Stalled", "True", o.reason, o.message, now);
    } else {
      rs.SetCondition("Ready", "False", o.reason, o.message, now);
      rs.SetCondition("Reconciling", "True", "ProgressingWithRetry", o.message, now);
      rs.SetCondition("Stalled", o.stalled ? "True" : "False", o.reason, o.stalled ? o.message : "", now);
    }
  }
  // Resources this binary no longer reconciles are dropped from status.
  for (auto it = doc.resources.begin(); it != doc.resources.end();) {
    it = run.Find(it->first) == nullptr ? doc.resources.erase(it) : std::next(it);
  }
  doc.AddHistory({now, desired.digest, revision, run.duration_seconds, run.failed > 0 ? "failed" : "converged",
                  run.changed, run.failed});
}

}  // namespace ironward
