// One pass of `ironward run` (the pass itself is RunOnePass, shared with reconcile and apply) and
// what the loop does with its result.
#include <unistd.h>

#include <iostream>

#include <spdlog/spdlog.h>

#include "controller/pass.h"
#include "controller/plan_output.h"
#include "controller/run/run_daemon.h"
#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/io/clock.h"
#include "state/encoding.h"

namespace ironward::run {
namespace {

using std::chrono::milliseconds;


ResultKind KindOf(const ResourceResult& r) {
  if (r.skipped) return ResultKind::kNotApplied;
  if (r.plan.error && !r.outcome) return r.plan.error->terminal() ? ResultKind::kTerminal : ResultKind::kRetry;
  if (!r.outcome) return ResultKind::kSuccess;
  switch (r.outcome->kind) {
    case Outcome::Kind::kDone:
      return ResultKind::kSuccess;
    case Outcome::Kind::kRequeueAfter:
      return ResultKind::kRequeueAfter;
    case Outcome::Kind::kRetry:
      return ResultKind::kRetry;
    case Outcome::Kind::kTerminal:
      return ResultKind::kTerminal;
  }
  return ResultKind::kRetry;
}

/// The names /readyz gives for "resources": the failed ones (run.failed counts no skipped
/// resource, so a skipped dependent whose own plan failed is named apart), then the held ones. A
/// resource held after a failure (back-off or a terminal wait) is not ready either, though this
/// pass did not apply it: /readyz must not say "resources ok" over it (the engine soak found a
/// sandbox held while /readyz answered 200).
std::pair<int, std::string> NotReady(const RunResult& run) {
  std::string failed_names, behind;
  for (const auto& r : run.resources) {
    if (!r.Failed()) continue;
    std::string& list = r.skipped ? behind : failed_names;
    list += (list.empty() ? "" : ", ") + r.plan.resource;
  }
  if (!behind.empty()) failed_names += " (skipped behind it, failing too: " + behind + ")";
  int held = 0;
  for (const auto& r : run.resources) {
    if (!r.skipped || r.skip_reason.rfind(kHeldPrefix, 0) != 0 || r.Failed()) continue;
    ++held;
    failed_names += (failed_names.empty() ? "" : ", ") + r.plan.resource + " (held)";
  }
  return {run.failed + held, failed_names};
}

}  // namespace

void Daemon::TrackRecordedProxy() {
  auto text = writer_.Read(daemon::kPidFile);
  if (!text.ok() || !text->has_value()) return;
  if (auto rec = daemon::ParsePidRecord(**text); rec.ok() && rec->pid > 0) proxy_pids_.insert(rec->pid);
}

std::vector<pid_t> Daemon::ReapProxies() {
  // Only the proxies: other children (the spawner's middle process, survey commands) are waited
  // for by the code that started them.
  std::vector<pid_t> reaped;
  for (auto it = proxy_pids_.begin(); it != proxy_pids_.end();) {
    if (auto exit = rt_.processes.ReapIfExited(*it)) {
      spdlog::warn("iron-proxy (pid {}) {}", *it, exit->Words());
      exits_->Record(*it, *exit);
      reaped.push_back(*it);
      it = proxy_pids_.erase(it);
    } else if (!rt_.processes.Exists(*it)) {
      it = proxy_pids_.erase(it);  // gone, reaped by someone else (a proxy a one-shot command started)
    } else {
      ++it;
    }
  }
  return reaped;
}

std::string Daemon::Summary(const RunResult& run) const {
  std::string s = "ok=" + std::to_string(run.ok) + " changed=" + std::to_string(run.changed) +
                  " failed=" + std::to_string(run.failed) + " skipped=" + std::to_string(run.skipped);
  if (desired_) s = desired_->name + " sha256:" + ShortDigest(desired_->digest) + " " + s;
  if (!refusal_.is_null()) s += "; refusing the new desired-state file";
  if (desired_ && desired_->spec.reconcile.suspend) s += "; suspended";
  return s;
}

void Daemon::RunPass(const std::vector<WorkItem>& items, SteadyClock::time_point now) {
  std::set<std::string> reasons;
  for (const auto& i : items) reasons.insert(i.reasons.begin(), i.reasons.end());
  PassOptions pass;
  pass.lock_timeout = options_.lock_timeout;
  pass.apply.hold = queue_.Holds(now, desired_->digest);
  pass.apply.inline_requeue_wait = false;  // requeues are scheduled; the loop never sleeps in a pass
  bool first_pass = false;
  {
    std::lock_guard guard(health_mu_);
    first_pass = !first_pass_done_;
  }
  // Between drift checks a pass trusts what container list entries prove (docs/sandboxes.md#drift-checks).
  pass.apply.drift_check = NeedsFullDriftCheck(reasons, first_pass) ? DriftCheck::kFull : DriftCheck::kListed;
  pass.before_apply = [this, &reasons, full = pass.apply.drift_check == DriftCheck::kFull] {
    spdlog::info("pass: {}{}", Join(reasons), full ? " (full drift check)" : "");
    TrackRecordedProxy();
    ReapProxies();                                 // so the daemon reconciler can tell how a dead proxy ended
    if (proxy_requests_) proxy_requests_->Poll();  // before the pass may rotate iron-proxy.log
  };
  pass.after_apply = [this] {
    TrackRecordedProxy();
    ReapProxies();  // proxies the pass stopped
  };
  pass.annotate = [this, &reasons](state::StatusDoc& doc) {
    ApplyExtras(doc);
    doc.extra["run"] = {{"pid", ::getpid()},
                        {"last_pass", FormatRfc3339(rt_.clock.Now())},
                        {"triggers", std::vector<std::string>(reasons.begin(), reasons.end())},
                        {"metrics_addr", options_.metrics_addr}};
  };
  auto ran = RunOnePass(engine_, rt_, writer_, *desired_, pass);
  if (const auto* refused = std::get_if<PassRefused>(&ran)) {
    if (refused->why == PassRefused::Why::kLockBusy) {
      spdlog::warn("pass postponed: {}", refused->message);
    } else {
      spdlog::error("pass postponed: {}", refused->message);
    }
    for (const auto& i : items) {
      for (const auto& r : i.reasons) queue_.Add(i.resource, r, now + kLockRetry);
    }
    return;
  }
  const PassResult& result = std::get<PassResult>(ran);
  if (result.save_error) spdlog::error("saving status: {}", result.save_error->message);
  AfterPass(result.run, result.doc, result.drifted);
}

void Daemon::AfterPass(const RunResult& run, const state::StatusDoc& doc, const std::vector<std::string>& drifted) {
  const auto after = SteadyClock::now();
  for (const auto& r : run.resources) {
    const auto wait = r.outcome ? std::chrono::duration_cast<milliseconds>(r.outcome->after) : milliseconds(0);
    queue_.Record(r.plan.resource, KindOf(r), wait, desired_->digest, after);
  }
  metrics_.ObservePass(run, drifted);
  metrics_.SetFromStatus(doc);
  const auto [not_ready, names] = NotReady(run);
  {
    std::lock_guard guard(health_mu_);
    first_pass_done_ = true;
    last_failed_ = not_ready;
    last_failed_names_ = names;
    if (auto it = doc.resources.find("daemon"); it != doc.resources.end() && it->second.details.contains("running") &&
                                                it->second.details["running"].is_boolean()) {
      proxy_up_ = it->second.details["running"].get<bool>();
    }
  }
  // The same recap as the one-shot command, when something happened; a quiet pass logs one line.
  if (run.changed > 0 || run.failed > 0) {
    std::cout << RenderRecapText(run, OutputStyle{false}) << std::flush;
  } else {
    spdlog::info("pass done in {:.3f}s, in sync: Recap: ok={} changed=0 failed=0 skipped={}", run.duration_seconds,
                 run.ok, run.skipped);
  }
  if (!drifted.empty()) {
    // Only what this pass converged is healed; the rest counts in ironward_drift_unhealed_passes.
    std::set<std::string> unhealed;
    for (const auto& name : drifted) {
      const ResourceResult* r = run.Find(name);
      if (r == nullptr || ResultLabel(*r) != "success") unhealed.insert(name);
    }
    const auto healed = drifted.size() - unhealed.size();
    if (healed > 0) spdlog::info("healed {} resource(s) that drifted", healed);
    if (!unhealed.empty()) spdlog::warn("drifted and not healed by this pass: {}", Join(unhealed));
  }
  if (state_watch_.ok()) {
    // The pass's own writes, or a change made meanwhile (a file deleted right after the pass
    // healed another): a file left missing, a symlink or loose gets one more pass.
    const auto changed = state_watch_.Unsettled(state_watch_.Drain());
    state_watch_.Arm();
    NoteStateChanges(changed);
  }
  const std::string summary = Summary(run);
  if (!ready_announced_) {
    notifier_.Ready(summary);
    ready_announced_ = true;
  } else {
    notifier_.Status(summary);
  }
  // The periodic drift check: Add keeps the earliest due time, so this never postpones one.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  queue_.Add(kAllResources, kDriftCheckReason,
             after + Jittered(std::chrono::duration_cast<milliseconds>(desired_->spec.reconcile.interval), unit(rng_)));
  UpdatePidfdWatch();
  EnsureDockerWatcher();
}

}  // namespace ironward::run
