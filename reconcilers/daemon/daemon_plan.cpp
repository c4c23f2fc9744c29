#include "reconcilers/daemon/daemon_plan.h"

#include "reconcilers/proxy_config/config_summary.h"
#include "state/encoding.h"

#include <algorithm>

namespace ironward::daemon {
namespace {

/// File-delivered secrets (SecretFacts::combined_digest starts with "file:", see
/// reconcilers/secrets/secret_delivery.h) on both sides: the secrets reconciler already rewrote
/// the 0600 files, and POST /v1/reload makes the proxy re-read them; no restart needed.
bool SecretFilesRotated(const Inputs& have, const DesiredInputs& want) {
  const std::string& w = want.inputs.secrets_digest;
  return !want.Pending("secrets") && have.secrets_digest != w && w.rfind("file:", 0) == 0 &&
         have.secrets_digest.rfind("file:", 0) == 0;
}

/// Per secret: added, no longer delivered, rotated. Empty when either side has no per-secret
/// digests (a record written before they existed).
std::vector<FieldChange> SecretChanges(const Inputs& have, const Inputs& want) {
  std::vector<FieldChange> out;
  if (have.secret_digests.empty() || want.secret_digests.empty()) return out;
  for (const auto& [name, digest] : want.secret_digests) {
    auto it = have.secret_digests.find(name);
    if (it == have.secret_digests.end()) out.push_back({"secret " + name, Action::kCreate, nullptr, digest});
    else if (it->second != digest) out.push_back({"secret " + name, Action::kUpdate, it->second, digest});
  }
  for (const auto& [name, digest] : have.secret_digests) {
    if (want.secret_digests.count(name) == 0) out.push_back({"secret " + name, Action::kDelete, digest, nullptr});
  }
  return out;
}

std::string SecretWords(const FieldChange& f) {
  switch (f.action) {
    case Action::kCreate: return f.field + " added";
    case Action::kDelete: return f.field + " no longer delivered";
    default: return f.field + " rotated";
  }
}

/// One cause in a line: "allowlist + pypi.org", "provider openai removed",
/// "proxy.tunnel_listen 127.0.0.1:19090 -> 127.0.0.1:19091".
std::string FieldWords(const FieldChange& f) {
  switch (f.action) {
    case Action::kCreate: return f.field + (f.after.is_string() ? " + " + f.after.get<std::string>() : " added");
    case Action::kDelete: return f.field + (f.before.is_string() ? " - " + f.before.get<std::string>() : " removed");
    default:
      if (f.before.is_string() && f.after.is_string()) {
        return f.field + " " + f.before.get<std::string>() + " -> " + f.after.get<std::string>();
      }
      return f.field + " changed";
  }
}

/// Restart-class differences between what runs and what is desired (pending fields skipped):
/// every cause in words, and the field changes behind them (config fields of both classes: a
/// restart applies the transforms too).
std::vector<std::string> RestartReasons(const Inputs& have, const DesiredInputs& want, std::vector<FieldChange>* fields) {
  const Inputs& w = want.inputs;
  std::vector<std::string> r;
  if (!want.Pending("binary") && have.binary_sha256 != w.binary_sha256) {
    r.push_back("binary changed (sha256 " + ShortDigest(have.binary_sha256) + " -> " + ShortDigest(w.binary_sha256) +
                ")");
  }
  const bool config_moved = !want.Pending("config") && have.listeners_digest != w.listeners_digest;
  const proxy_config::ConfigDiff config =
      want.Pending("config") ? proxy_config::ConfigDiff{}
                             : proxy_config::DiffConfigSummaries(have.config_summary, w.config_summary);
  if (config_moved) {
    if (!config.restart.empty()) {
      for (const auto& f : config.restart) {
        r.push_back(f.field == "log.level" && f.action == Action::kUpdate
                        ? "log level changed (" + have.log_level + " -> " + w.log_level + ")"
                        : FieldWords(f));
      }
    } else if (!w.log_level.empty() && have.log_level != w.log_level) {
      r.push_back("log level changed (" + have.log_level + " -> " + w.log_level + ")");
    } else {
      r.push_back("listeners changed (listeners digest " + ShortDigest(have.listeners_digest) + " -> " +
                  ShortDigest(w.listeners_digest) + ")");
    }
  }
  if (!want.Pending("CA") && have.ca_cert_digest != w.ca_cert_digest) {
    r.push_back("CA changed (ca.crt " + ShortDigest(have.ca_cert_digest) + " -> " + ShortDigest(w.ca_cert_digest) +
                ")");
  }
  std::vector<FieldChange> secrets;
  if (!want.Pending("secrets") && have.secrets_digest != w.secrets_digest && !SecretFilesRotated(have, want)) {
    secrets = SecretChanges(have, w);
    if (secrets.empty()) r.push_back("secrets rotated");
    for (const auto& f : secrets) r.push_back(SecretWords(f));
  }
  if (have.env_digest != w.env_digest) r.push_back("upstream CA (SSL_CERT_FILE) changed");
  if (!w.management_key_digest.empty() && have.management_key_digest != w.management_key_digest) {
    r.push_back("management key changed");
  }
  if (!r.empty()) {
    // A restart also applies the transforms: name those changes too.
    for (const auto& f : config.reload) r.push_back(FieldWords(f));
    *fields = config.All();
    fields->insert(fields->end(), secrets.begin(), secrets.end());
  }
  return r;
}

std::string CrashWords(const ObservedDaemon& o) {
  if (!o.record) return "never started";
  if (o.record->pid == 0) return "start interrupted before the pid was recorded";
  const std::string pid = "pid " + std::to_string(o.record->pid);
  if (o.record->state == RecordState::kStopping) return "stopped by ironward (" + pid + ")";
  if (o.exit) return "crashed: " + pid + " " + o.exit->Words();
  return "crashed: " + pid + (o.liveness == Liveness::kRecycled ? " gone (pid now belongs to another process)" : " gone");
}

}  // namespace

bool DesiredInputs::Pending(const std::string& what) const {
  return std::find(pending.begin(), pending.end(), what) != pending.end();
}

std::string CrashLoopWords(int consecutive, const CrashPolicy& policy) {
  return "crash loop: " + std::to_string(consecutive) + " consecutive crashes, retried every " +
         FormatDuration(policy.max_backoff) + " (a change of the binary, config, CA or secrets retries at once)";
}

Decision Decide(const DesiredInputs& desired, const ObservedDaemon& o, SystemTime now, const CrashPolicy& policy) {
  Decision d;
  d.crash = o.crash;
  const std::string want_digest = desired.PendingAny() ? "" : desired.inputs.Digest();
  if (!o.Running()) {
    // Any exit ironward did not ask for is a crash, whatever the exit code.
    const bool unexpected = o.record && o.record->pid > 0 && o.record->state != RecordState::kStopping;
    d.new_crash = unexpected && o.record->state != RecordState::kCrashed;
    if (d.new_crash) {
      const CrashCause cause = !o.exit ? CrashCause::kUnknown : o.exit->signaled ? CrashCause::kSignal : CrashCause::kExit;
      d.crash = RecordCrash(d.crash, now, CrashWords(o), o.record->inputs.Digest(), policy, cause);
    }
    std::string why = "not running (" + CrashWords(o);
    if (unexpected) {
      why += ", crash " + std::to_string(d.crash.consecutive) + ", back-off " + FormatDuration(d.crash.backoff);
    }
    why += ")";
    // Inputs that differ from what crashed (a fixed config, a new binary) get a new attempt at once.
    const bool new_inputs = !want_digest.empty() && !d.crash.inputs_digest.empty() && want_digest != d.crash.inputs_digest;
    d.wait = unexpected && !new_inputs ? RemainingBackoff(d.crash, now) : std::chrono::seconds(0);
    if (unexpected && InCrashLoop(d.crash, want_digest, policy.threshold)) {
      // Never given up on: retried every maxRestartBackoff until one start stays up.
      d.crash_loop = true;
      const std::string loop = CrashLoopWords(d.crash.consecutive, policy);
      d.step = d.wait.count() > 0 ? Step::kStalled : Step::kStart;
      d.reason = why + "; " + loop + (d.wait.count() > 0 ? "; next attempt in " + FormatDuration(d.wait) : "; retrying now");
      return d;
    }
    if (d.wait.count() > 0) {
      d.step = Step::kWait;
      d.reason = why + "; restart in " + FormatDuration(d.wait);
      return d;
    }
    d.step = Step::kStart;
    d.reason = why;
    if (desired.PendingAny()) d.reason += "; start inputs known after apply: " + Join(desired.pending, ", ");
    return d;
  }

  const Inputs& have = o.record->inputs;
  std::vector<std::string> restart = RestartReasons(have, desired, &d.fields);
  if (!o.unhealthy.empty()) restart.push_back("pid " + std::to_string(o.record->pid) + " is unhealthy: " + o.unhealthy);
  const bool secret_files_rotated = SecretFilesRotated(have, desired);
  const bool reload_needed = secret_files_rotated ||
                             (!desired.Pending("config") && (have.ruleset_digest != desired.inputs.ruleset_digest ||
                                                             have.config_digest != desired.inputs.config_digest));
  if (restart.empty() && reload_needed && (!o.endpoints || !o.endpoints->management)) {
    restart.push_back("transforms changed and proxy.yaml has no management listener to reload through");
  }
  if (!restart.empty()) {
    d.step = Step::kRestart;
    d.reason = "restart: " + Join(restart, "; ");
    if (desired.PendingAny()) d.reason += " (" + Join(desired.pending, ", ") + " known after apply)";
    return d;
  }
  if (desired.Pending("config") || desired.Pending("CA") || desired.Pending("binary")) {
    // Projected inputs unknown until apply: show the worst case.
    d.step = Step::kRestart;
    d.reason = "reload or restart known after apply: " + Join(desired.pending, ", ") + " (known after apply)";
    return d;
  }
  if (reload_needed) {
    d.step = Step::kReload;
    if (!desired.Pending("config")) {
      d.fields = proxy_config::DiffConfigSummaries(have.config_summary, desired.inputs.config_summary).All();
    }
    if (!d.fields.empty() && !secret_files_rotated) {
      std::vector<std::string> causes;
      for (const auto& f : d.fields) causes.push_back(FieldWords(f));
      d.reason = "reload: " + Join(causes, "; ");
      return d;
    }
    d.reason = secret_files_rotated && have.ruleset_digest == desired.inputs.ruleset_digest &&
                       have.config_digest == desired.inputs.config_digest
                   ? "reload: secrets rotated (secret files rewritten; the proxy re-reads them on reload)"
               : have.ruleset_digest != desired.inputs.ruleset_digest
                   ? "reload: transforms changed (ruleset digest " + ShortDigest(have.ruleset_digest) + " -> " +
                         ShortDigest(desired.inputs.ruleset_digest) + ")"
                   : "reload: proxy.yaml changed outside listeners and transforms (config digest " +
                         ShortDigest(have.config_digest) + " -> " + ShortDigest(desired.inputs.config_digest) + ")";
    return d;
  }
  std::vector<std::string> chores;
  if (!o.strays.empty()) {
    std::vector<std::string> pids;
    for (const auto& s : o.strays) pids.push_back(std::to_string(s.pid));
    chores.push_back("stop stray iron-proxy pid " + Join(pids, ", ") + " (not the recorded process)");
  }
  if (ResetDue(o.crash, now, true)) {
    d.crash = Reset(o.crash);
    chores.push_back("healthy for " + FormatDuration(kHealthyReset) + ": reset crash count " +
                     std::to_string(o.crash.consecutive) + " -> 0");
  }
  if (o.log_rotation_due) chores.push_back("rotate iron-proxy.log (over the size limit; copy-truncate)");
  if (!chores.empty()) {
    d.step = Step::kBookkeeping;
    d.reason = Join(chores, "; ");
  }
  return d;
}

std::optional<Change> ToChange(const Decision& d, const DesiredInputs& desired, const ObservedDaemon& o) {
  if (d.step == Step::kNone) return std::nullopt;
  Change c;
  c.address = kAddress;
  c.type = kType;
  c.reason = d.reason;
  c.fields = d.fields;
  if (!o.strays.empty() && d.step != Step::kBookkeeping) {
    c.reason += "; stray iron-proxy process(es) of this state dir will be stopped first";
  }
  if (o.record && o.record->pid > 0) {
    c.before = {{"pid", o.record->pid}, {"state", o.Running() ? "running" : ToString(o.liveness)},
                {"config", ShortDigest(o.record->inputs.config_digest)}};
  }
  const nlohmann::json after_config =
      desired.Pending("config") ? kKnownAfterApply : ShortDigest(desired.inputs.config_digest);
  switch (d.step) {
    case Step::kStart:
    case Step::kWait:
    case Step::kStalled:
      c.action = Action::kCreate;
      c.disruptive = false;
      c.after = {{"pid", kKnownAfterApply}, {"config", after_config}};
      break;
    case Step::kRestart:
      c.action = Action::kReplace;
      c.disruptive = true;
      c.after = {{"pid", kKnownAfterApply}, {"config", after_config}};
      break;
    case Step::kReload:
    case Step::kBookkeeping:
      c.action = Action::kUpdate;
      c.after = {{"pid", o.record ? o.record->pid : 0}, {"config", after_config}};
      break;
    case Step::kNone: break;
  }
  return c;
}

}  // namespace ironward::daemon
