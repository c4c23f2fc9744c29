#include "reconcilers/teardown/daemon_down.h"

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/daemon_plan.h"
#include "reconcilers/daemon/process_identity.h"
#include "reconcilers/daemon/spawn.h"
#include "state/encoding.h"

namespace ironward::teardown {

DaemonDown::DaemonDown(std::shared_ptr<Processes> processes)
    : processes_(processes ? std::move(processes) : std::make_shared<RealProcesses>()) {}

Result<ObservedProxy> DaemonDown::Observe(const ReconcileContext&, const ReadDeps& deps) const {
  const Processes& processes = *processes_;  // reads only: no signal
  ObservedProxy o;
  auto text = deps.state.Read(daemon::kPidFile);
  if (!text) return text.error();
  if (text->has_value()) {
    if (auto rec = daemon::ParsePidRecord(**text); rec) o.record = std::move(*rec);
  }
  pid_t running_pid = 0;
  if (o.record && o.record->pid > 0) {
    o.running = processes.CheckIdentity({o.record->pid, o.record->nonce, o.record->starttime}) == Liveness::kAlive;
    if (o.running) running_pid = o.record->pid;
  }
  o.strays = static_cast<int>(
      daemon::FindStrays(processes, deps.state.root(), running_pid).size());
  o.fingerprint = Sha256Hex(std::to_string(running_pid) + "|" + std::to_string(o.strays) + "|" +
                            (o.record ? "record" : "none"));
  return o;
}

ResourcePlan DaemonDown::Diff(ReconcileContext&, const ObservedProxy& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = "down";
  if (!o.running && o.strays == 0 && !o.record) return plan;
  Change c;
  c.action = Action::kDelete;
  c.address = daemon::kAddress;
  c.type = daemon::kType;
  c.disruptive = o.running;
  if (o.running) {
    c.reason = "stop iron-proxy pid " + std::to_string(o.record->pid) + " (SIGTERM, then SIGKILL after the grace period)";
    c.before = {{"pid", o.record->pid}, {"state", "running"}};
  } else {
    c.reason = "iron-proxy is not running; remove its pid record";
    c.before = {{"state", "not running"}};
  }
  if (o.strays > 0) c.reason += "; stop " + std::to_string(o.strays) + " stray iron-proxy process(es) of this state dir";
  c.after = nullptr;
  plan.changes.push_back(std::move(c));
  return plan;
}

Outcome DaemonDown::DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps& deps) {
  auto stopped = daemon::StopProxy(*processes_, deps.state);
  if (!stopped) return Outcome::Failed(stopped.error(), "StopFailed");
  return Outcome::Done(stopped->was_running || stopped->strays_stopped > 0 ? 1 : 0,
                       stopped->message.empty() ? "iron-proxy stopped" : stopped->message);
}

}  // namespace ironward::teardown
