#include "reconcilers/daemon/daemon_reconciler.h"

#include <signal.h>

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/log_file.h"
#include "reconcilers/daemon/management_client.h"
#include "reconcilers/daemon/spawn.h"
#include "reconcilers/io/file_reader.h"
#include "reconcilers/proxy_config/render.h"
#include "state/encoding.h"

namespace ironward::daemon {
namespace {

constexpr const char* kConfigFile = "proxy.yaml";

std::vector<std::string> SecretValues(const ReconcileContext& ctx) {
  std::vector<std::string> out;
  if (ctx.facts.secrets()) {
    for (const auto& [name, value] : ctx.facts.secrets()->values) out.push_back(value);
    // A sandbox's secretEnv value can reach the proxy's log too (a bot token in a request path).
    for (const auto& [name, value] : ctx.facts.secrets()->sandbox_values) out.push_back(value);
  }
  return out;
}

nlohmann::json Details(const ObservedDaemon& o) {
  nlohmann::json j = {{"running", o.Running()}, {"consecutive_crashes", o.crash.consecutive}, {"log", kLogFile}};
  if (o.crash.consecutive > 0) {
    // Told apart where ironward run was the parent: killed from outside vs. exits by itself.
    j["crash_causes"] = {{"killed_by_signal", o.crash.killed_by_signal},
                         {"exited", o.crash.exited},
                         {"unknown", o.crash.consecutive - o.crash.killed_by_signal - o.crash.exited}};
    j["last_crash"] = o.crash.last_reason;
  }
  if (o.record && o.record->pid > 0) {
    j["pid"] = o.record->pid;
    j["started_at"] = o.record->started_at;
    j["config"] = ShortDigest(o.record->inputs.config_digest);
  }
  return j;
}

/// Details with the crash count this apply recorded (a crash Observe found is counted by Apply), so
/// status and ironward_proxy_consecutive_crashes do not lag a whole back-off behind the message.
nlohmann::json DetailsCounting(const ObservedDaemon& o, const CrashState& crash) {
  ObservedDaemon counted = o;
  counted.crash = crash;
  return Details(counted);
}

/// What the daemon's inputs record for a file the desired state names: its SHA-256, or
/// "missing" when it cannot be read (absent or not readable alike).
std::string ReadFileDigest(const FileReader& files, const std::string& path) {
  auto text = files.Read(path);
  if (!text.ok() || !text->has_value()) return "missing";
  return Sha256Hex(**text);
}

}  // namespace

DesiredInputs CollectDesired(const ReconcileContext& ctx, const ObservedDaemon& o) {
  DesiredInputs d;
  const FactsView& f = ctx.facts;
  if (!f.binary() || f.binary()->pending) d.pending.push_back("binary");
  else d.inputs.binary_sha256 = f.binary()->sha256;
  if (!f.config() || f.config()->pending) {
    d.pending.push_back("config");
  } else {
    d.inputs.config_digest = f.config()->digest;
    d.inputs.listeners_digest = f.config()->listeners_digest;
    d.inputs.ruleset_digest = f.config()->ruleset_digest;
    d.inputs.config_summary = f.config()->summary;
  }
  if (!f.ca() || f.ca()->pending) d.pending.push_back("CA");
  else d.inputs.ca_cert_digest = f.ca()->cert_digest;
  if (!f.secrets()) {
    if (!ctx.desired.spec.providers.empty()) d.pending.push_back("secrets");
  } else if (f.secrets()->pending) {
    d.pending.push_back("secrets");
  } else {
    d.inputs.secrets_digest = f.secrets()->combined_digest;
    for (const auto& [name, digest] : f.secrets()->digests) {
      d.inputs.secret_digests[name] = "sha256:" + ShortDigest(digest);
    }
  }
  const std::string& ca_file = ctx.desired.spec.proxy.upstream_ca_file;
  d.inputs.env_digest = ca_file.empty() ? "" : Sha256Hex(ca_file + "\n" + o.upstream_ca_digest);
  d.inputs.management_key_digest = o.management_key_digest;
  d.inputs.log_level = ctx.desired.spec.proxy.log_level;
  return d;
}

DaemonReconciler::DaemonReconciler(DaemonOptions options) : options_(std::move(options)) {
  if (!options_.processes) options_.processes = std::make_shared<RealProcesses>();
}

Result<ObservedDaemon> DaemonReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  const Processes& processes = *options_.processes;  // reads only: no spawn, no signal
  ObservedDaemon o;
  o.root = deps.state.root().string();
  auto pid_text = deps.state.Read(kPidFile);
  if (!pid_text) return pid_text.error().Wrap("reading iron-proxy.pid");
  if (pid_text->has_value()) {
    auto rec = ParsePidRecord(**pid_text);
    if (rec.ok()) o.record = std::move(*rec);
    else o.record_problem = rec.error().message;
  }
  if (o.record && o.record->pid > 0) {
    o.liveness = processes.CheckIdentity(ProcessIdentity{o.record->pid, o.record->nonce, o.record->starttime});
    if (o.liveness != Liveness::kAlive && options_.exits) o.exit = options_.exits->Find(o.record->pid);
  }
  o.strays = FindStrays(processes, deps.state.root(), o.Running() ? o.record->pid : 0);
  auto crash = ReadCrashState(deps.state);
  if (crash.ok()) o.crash = *crash;  // unreadable bookkeeping starts over (never blocks healing)
  if (auto config = deps.state.Read(kConfigFile); config.ok() && config->has_value()) {
    if (auto eps = EndpointsFromConfig(**config); eps.ok()) o.endpoints = *eps;
  }
  if (auto key = deps.state.Read(kManagementKeyFile); key.ok() && key->has_value()) {
    std::string k = **key;
    while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
    o.management_key_digest = Sha256Hex(k);
  }
  if (const std::string& ca_file = ctx.desired.spec.proxy.upstream_ca_file; !ca_file.empty()) {
    if (deps.files == nullptr) return Error::Terminal("no file access to read proxy.upstreamCaFile " + ca_file);
    o.upstream_ca_digest = ReadFileDigest(*deps.files, ca_file);
  }
  if (o.Running()) {
    o.unhealthy = o.endpoints ? CheckHealthyRepeatedly(deps.http, *o.endpoints, options_.health_checks,
                                                       options_.health_check_pause)
                              : "proxy.yaml is missing or unreadable";
  }
  if (auto st = deps.state.Stat(kLogFile); st.ok() && st->exists) o.log_rotation_due = st->size > options_.log_rotate_bytes;
  o.log_tail = TailLines(deps.state, options_.tail_lines);
  o.fingerprint = Sha256Hex(nlohmann::json{{"pid", pid_text->value_or("")},
                                           {"liveness", ToString(o.liveness)},
                                           {"healthy", o.unhealthy},
                                           {"crash", SerializeCrashState(o.crash)},
                                           {"strays", o.strays.size()}}
                                .dump());
  return o;
}

ResourcePlan DaemonReconciler::Diff(ReconcileContext& ctx, const ObservedDaemon& o, const Clock& clock) const {
  ResourcePlan plan;
  const DesiredInputs want = CollectDesired(ctx, o);
  plan.desired_digest = want.PendingAny() ? kKnownAfterApply : want.inputs.Digest();
  plan.observed_fingerprint = o.fingerprint;
  plan.details = Details(o);
  if (!o.record_problem.empty()) plan.warnings.push_back(o.record_problem + "; it will be replaced");
  const Decision d = Decide(want, o, clock.Now(), Policy(ctx));
  if (auto c = ToChange(d, want, o)) plan.changes.push_back(std::move(*c));
  return plan;
}

Outcome DaemonReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  const ObservedDaemon& o = *observed;
  const SystemTime now = deps.clock.Now();
  const DesiredInputs want = CollectDesired(ctx, o);
  Decision d = Decide(want, o, now, Policy(ctx));
  const std::vector<std::string> secrets = SecretValues(ctx);
  const std::string tail = FormatTail(o.log_tail, secrets);
  std::string notes;
  if (auto rotated = RotateIfNeeded(deps.state, options_.log_rotate_bytes); rotated.ok() && *rotated) {
    notes = "rotated iron-proxy.log; ";
  }

  // Count a crash Observe found, once: daemon.json gets it and the pidfile says "crashed".
  if (d.new_crash || !(d.crash == o.crash)) {
    if (auto s = WriteCrashState(deps.state, d.crash); !s) return Outcome::Failed(s.error(), "WriteFailed");
  }
  if (d.new_crash) {
    PidRecord rec = *o.record;
    rec.state = RecordState::kCrashed;
    if (auto s = WritePidRecord(deps.state, rec); !s) return Outcome::Failed(s.error(), "WriteFailed");
  }
  for (const auto& stray : o.strays) TerminateIdentified(*options_.processes, stray, options_.stop_grace);
  const int strays = static_cast<int>(o.strays.size());

  switch (d.step) {
    case Step::kNone:
      return Outcome::Done(strays, notes + "iron-proxy in sync");
    case Step::kBookkeeping:
      return Outcome::Done(1, notes + d.reason);
    case Step::kStalled: {
      // Stalled in status, but requeued: the loop is retried when the back-off ends.
      Outcome stalled = Outcome::Stalled(Outcome::RequeueAfter(
          d.wait, "CrashLoop", d.reason + "\nlast " + std::to_string(o.log_tail.size()) + " log lines:\n" + tail));
      stalled.details = DetailsCounting(o, d.crash);
      return stalled;
    }
    case Step::kWait: {
      Outcome wait = Outcome::RequeueAfter(d.wait, "CrashBackoff", d.reason);
      wait.details = DetailsCounting(o, d.crash);
      return wait;
    }
    case Step::kReload: {
      auto key = EnsureManagementKey(deps.state);
      if (!key) return Outcome::Failed(key.error(), "ManagementKeyFailed");
      const ReloadResult r = Reload(deps.http, *o.endpoints->management, *key);
      if (r.kind == ReloadResult::Kind::kOk) {
        PidRecord rec = *o.record;
        rec.inputs.config_digest = want.inputs.config_digest;
        rec.inputs.ruleset_digest = want.inputs.ruleset_digest;
        rec.inputs.secrets_digest = want.inputs.secrets_digest;  // file-delivered secrets re-read
        rec.inputs.config_summary = want.inputs.config_summary;
        rec.inputs.secret_digests = want.inputs.secret_digests;
        if (auto s = WritePidRecord(deps.state, rec); !s) return Outcome::Failed(s.error(), "WriteFailed");
        Outcome done = Outcome::Done(1, notes + d.reason + ": reloaded pid " + std::to_string(rec.pid));
        done.details = Details(o);
        return done;
      }
      if (r.kind == ReloadResult::Kind::kRejected) {
        return Outcome::Failed(Error::Terminal("iron-proxy rejected the reload (nothing changed): " + r.message),
                               "ReloadRejected");
      }
      notes += "reload failed (" + r.message + "), restarting instead; ";
      d.reason = "restart: reload failed";
      break;  // fall back to a restart
    }
    case Step::kStart:
    case Step::kRestart:
      break;
  }

  // Start or restart.
  if (want.PendingAny()) {
    std::string missing;
    for (const auto& p : want.pending) missing += (missing.empty() ? "" : ", ") + p;
    return Outcome::Failed(Error::Transient("cannot start iron-proxy: " + missing + " not known yet"),
                           "DependencyNotReady");
  }
  if (!o.endpoints) return Outcome::Failed(Error::Transient("proxy.yaml is missing or unreadable"), "ConfigMissing");
  // Checked before a running proxy is stopped: one that still holds the last good values is worth
  // more than a restart that cannot hand them over. File delivery needs no values here (the proxy
  // reads its 0600 files).
  if (ctx.facts.secrets() && ctx.facts.secrets()->values_unavailable &&
      ctx.facts.secrets()->combined_digest.rfind("file:", 0) != 0) {
    return Outcome::Failed(Error::Transient("cannot " + std::string(o.Running() ? "restart" : "start") +
                                            " iron-proxy (" + d.reason +
                                            "): this process has no secret values (Bitwarden could not be "
                                            "reached); " + (o.Running() ? "the running proxy keeps its last good "
                                            "values" : "fail closed") + " until a fetch succeeds"),
                           "SecretValuesUnavailable");
  }
  if (o.Running()) {
    PidRecord rec = *o.record;
    rec.state = RecordState::kStopping;
    if (auto s = WritePidRecord(deps.state, rec); !s) return Outcome::Failed(s.error(), "WriteFailed");
    const bool killed = TerminateIdentified(*options_.processes, ProcessIdentity{rec.pid, rec.nonce, rec.starttime},
                                            options_.stop_grace);
    notes += "stopped pid " + std::to_string(rec.pid) + (killed ? " (SIGKILL)" : "") + "; ";
  }
  auto key = EnsureManagementKey(deps.state);
  if (!key) return Outcome::Failed(key.error(), "ManagementKeyFailed");

  StartRequest rq;
  rq.binary = ctx.facts.binary()->path;
  const ConfigFacts& config = *ctx.facts.config();
  rq.config_path = config.path.empty() ? deps.state.PathOf(kConfigFile).string() : config.path;
  rq.inputs = want.inputs;
  rq.inputs.management_key_digest = Sha256Hex(*key);
  rq.management_key_env =
      o.endpoints->management_key_env.empty() ? proxy_config::kManagementKeyEnv : o.endpoints->management_key_env;
  rq.management_key = *key;
  // Env delivery only: with the `file` source (combined digest "file:...") the proxy reads its 0600
  // secret files, so the values stay out of its environment (/proc/<pid>/environ).
  if (ctx.facts.secrets() && ctx.facts.secrets()->combined_digest.rfind("file:", 0) != 0) {
    rq.secrets = ctx.facts.secrets()->values;
  }
  rq.upstream_ca_file = ctx.desired.spec.proxy.upstream_ca_file;
  rq.endpoints = *o.endpoints;
  rq.readiness = options_.readiness;
  rq.http = deps.http;
  auto started = StartProxy(*options_.processes, deps.state, deps.clock, rq);
  if (!started) return Outcome::Failed(started.error(), "StartFailed");

  if (started->ready) {
    CrashState cs = RecordStarted(d.crash, now);
    if (auto s = WriteCrashState(deps.state, cs); !s) return Outcome::Failed(s.error(), "WriteFailed");
    Outcome done = Outcome::Done(1, notes + d.reason + ": started iron-proxy pid " +
                                        std::to_string(started->record.pid));
    ObservedDaemon after = o;
    after.record = started->record;
    after.liveness = Liveness::kAlive;
    after.crash = cs;
    done.details = Details(after);
    return done;
  }
  // Under `ironward run` the proxy is our child (subreaper): how it ended, if it did.
  CrashCause cause = CrashCause::kUnknown;
  std::string ended;
  if (options_.exits && started->exited) {  // not when ironward killed it for hanging
    if (auto exit = options_.processes->ReapIfExited(started->record.pid)) {
      options_.exits->Record(started->record.pid, *exit);
      cause = exit->signaled ? CrashCause::kSignal : CrashCause::kExit;
      ended = " (" + exit->Words() + ")";
    }
  }
  const CrashState cs =
      RecordCrash(d.crash, now, "NotReady: " + started->detail + ended, rq.inputs.Digest(), Policy(ctx), cause);
  if (auto s = WriteCrashState(deps.state, cs); !s) return Outcome::Failed(s.error(), "WriteFailed");
  const auto lines = TailLines(deps.state, options_.tail_lines);
  const std::string message = started->detail + ended + " (crash " + std::to_string(cs.consecutive) + ", back-off " +
                              FormatDuration(cs.backoff) + ")\nlast " + std::to_string(lines.size()) +
                              " log lines:\n" + FormatTail(lines, secrets);
  // This crash counted in the details too (see DetailsCounting).
  ObservedDaemon after = o;
  after.record = started->record;
  after.liveness = Liveness::kGone;
  after.crash = cs;
  if (InCrashLoop(cs, rq.inputs.Digest(), options_.crash_loop_threshold)) {
    Outcome loop = Outcome::Stalled(
        Outcome::Retry("CrashLoop", CrashLoopWords(cs.consecutive, Policy(ctx)) + "; last: " + message, cs.backoff));
    loop.details = Details(after);
    return loop;
  }
  Outcome retry = Outcome::Retry("NotReady", notes + message, cs.backoff);
  retry.details = Details(after);
  return retry;
}

}  // namespace ironward::daemon
