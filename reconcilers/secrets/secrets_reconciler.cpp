#include "reconcilers/secrets/secrets_reconciler.h"

#include <algorithm>

#include "state/spec/units.h"
#include "reconcilers/secrets/secret_facts.h"
#include "reconcilers/secrets/secret_value.h"
#include "state/encoding.h"

namespace ironward::secrets {
namespace {

const ProcessEnvironment kProcessEnvironment;

/// Env source resolution: the process environment wins over the env file (an operator's
/// explicit override). Fills values / missing / source_error.
void ResolveEnv(const spec::Spec& spec, const std::map<std::string, std::string>& own, ObservedSecrets* o) {
  std::map<std::string, std::string> file_values;
  if (!spec.credentials.env_file.empty()) {
    auto parsed = ReadEnvFile(spec.credentials.env_file);
    if (!parsed) {
      o->source_error = parsed.error();
      return;
    }
    file_values = std::move(*parsed);
  }
  // ironward's own environment first, then the file; `source` says where the value came from.
  auto lookup = [&](const std::string& name, std::string* source) {
    if (auto it = own.find(name); it != own.end() && !it->second.empty()) {
      *source = "in ironward's environment";
      return it->second;
    }
    *source = "in credentials.envFile " + spec.credentials.env_file;
    auto it = file_values.find(name);
    return it != file_values.end() ? it->second : std::string();
  };
  for (const auto& p : spec.providers) {
    std::string source;
    std::string value = lookup(p.secret, &source);
    if (value.empty()) {
      // An optional provider is left out instead (SecretFacts::skipped_providers).
      if (!p.optional) o->missing.push_back(p.secret + " (provider " + p.name + ")");
      continue;
    }
    CheckedValue checked = CheckProviderValue(p.secret, source, std::move(value));
    if (!checked.problem.empty()) {
      o->invalid.push_back(checked.problem);
      continue;
    }
    if (!checked.warning.empty()) o->value_warnings.push_back(checked.warning);
    o->values[p.secret] = std::move(checked.value);
  }
  for (const auto& name : spec::SandboxSecretNames(spec)) {
    std::string source;
    std::string value = lookup(name, &source);
    if (value.empty()) {
      o->sandbox_missing[name] = "not set (or empty) in ironward's environment" +
                                 (spec.credentials.env_file.empty() ? "" : " or in " + spec.credentials.env_file);
      continue;
    }
    o->values[name] = value;
  }
}

std::string Seconds(std::optional<std::chrono::nanoseconds> d) {
  if (!d) return "never (stopped)";
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*d + std::chrono::milliseconds(999)).count()) +
         "s";
}

/// A `secrets.files` change when <state>/secrets/ differs from `want` (name -> sha256).
void AddFileChange(ResourcePlan& plan, const std::map<std::string, std::string>& want,
                   const std::map<std::string, std::string>& files) {
  std::vector<std::string> off;
  for (const auto& [name, digest] : want) {
    auto it = files.find(name);
    if (it == files.end()) off.push_back(name + " missing");
    else if (it->second != digest) off.push_back(name + " differs from the fetched value");
  }
  for (const auto& [name, digest] : files) {
    if (want.count(name) == 0) off.push_back(name + " is no longer wanted");
  }
  if (off.empty()) return;
  std::string why;
  for (const auto& w : off) why += (why.empty() ? "" : "; ") + w;
  Change c;
  c.action = Action::kUpdate;
  c.address = kSecretFilesAddress;
  c.type = kSecretsType;
  c.reason = "secret files under " + std::string(kSecretsDir) + "/: " + why;
  nlohmann::json before = nlohmann::json::object();
  for (const auto& [name, digest] : files) before[name] = "sha256:" + ShortDigest(digest);
  nlohmann::json after = nlohmann::json::object();
  for (const auto& [name, digest] : want) after[name] = "sha256:" + ShortDigest(digest);
  c.before = {{"files", before}};
  c.after = {{"files", after}};
  plan.changes.push_back(std::move(c));
}

/// The Degraded warnings of the optional providers left out for want of a key, with where to set
/// it for this credential source and when that takes effect.
std::vector<std::string> SkippedWarnings(const spec::Spec& spec, const SecretFacts& facts) {
  const auto& cred = spec.credentials;
  if (cred.source == spec::CredentialSource::kBitwarden) {
    return SkippedProviderWarnings(facts, spec, "in Bitwarden project " + cred.bitwarden.project_id,
                                   "the next fetch adds the provider (refreshInterval " +
                                       spec::FormatDuration(cred.bitwarden.refresh_interval) + ")");
  }
  if (!cred.env_file.empty()) {
    return SkippedProviderWarnings(facts, spec, "in ironward's environment or in " + cred.env_file,
                                   "the next pass adds the provider (`ironward run` starts one as soon as " +
                                       cred.env_file + " changes)");
  }
  return SkippedProviderWarnings(facts, spec, "in ironward's environment",
                                 "run ironward again (`ironward run` reads its environment only at start: restart "
                                 "it, or use credentials.envFile, which every pass re-reads)");
}

void NoteSkipped(ResourcePlan& plan, const spec::Spec& spec, const SecretFacts& facts) {
  if (facts.skipped_providers.empty()) return;
  for (auto& w : SkippedWarnings(spec, facts)) plan.warnings.push_back(std::move(w));
  plan.details["skipped_providers"] = facts.skipped_providers;
}

constexpr const char* kFailClosed = "; no secret values yet, so iron-proxy is not started (fail closed)";

}  // namespace

SecretsReconciler::SecretsReconciler(const Environment* env, BitwardenOptions bitwarden)
    : env_(env != nullptr ? env : &kProcessEnvironment),
      bitwarden_(std::make_unique<BitwardenSource>(env_, std::move(bitwarden))) {}

Result<ObservedSecrets> SecretsReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  const auto& spec = ctx.desired.spec;
  ObservedSecrets o;
  const auto own = env_->All();
  o.uncovered = FindUncovered(spec, own);
  if (spec.credentials.source == spec::CredentialSource::kBitwarden) {
    o.bitwarden = bitwarden_->Observe(spec, deps, ctx.dry_run);
    if (spec.credentials.allow_env_fallback) ResolveEnv(spec, own, &o);
    const auto& b = *o.bitwarden;
    o.value_warnings.insert(o.value_warnings.end(), b.value_warnings.begin(), b.value_warnings.end());
    nlohmann::json files = b.file_digests;
    // Not `due`/`from_record`: they differ between a dry run and apply of the same state, and
    // `ironward apply PLAN` compares this fingerprint to refuse stale plans.
    o.fingerprint = Sha256Hex(nlohmann::json{{"key", b.key},
                                             {"stopped", b.stopped.value_or("")},
                                             {"failure", b.last_failure.value_or("")},
                                             {"fetched_at", b.last_fetched_at},
                                             {"record", b.record ? b.record->fetched_at : ""},
                                             {"values", DigestSummary(b.values)},
                                             {"files", files}}
                                  .dump());
    return o;
  }
  ResolveEnv(spec, own, &o);
  if (o.source_error) {
    o.fingerprint = "env-file-error";
    return o;
  }
  std::string combined;
  for (const auto& [name, value] : o.values) combined += name + "=" + Sha256Hex(value) + "\n";
  o.fingerprint = Sha256Hex(combined + "missing:" + std::to_string(o.missing.size()) +
                            " invalid:" + std::to_string(o.invalid.size()));
  return o;
}

ResourcePlan SecretsReconciler::Diff(ReconcileContext& ctx, const ObservedSecrets& o, const Clock& clock) const {
  const auto& spec = ctx.desired.spec;
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = Sha256Hex(spec::ToString(spec.credentials.source) + "|" + spec.credentials.env_file);
  for (const auto& f : o.uncovered) {
    if (f.strict && spec.enforcement.uncovered_providers == spec::UncoveredPolicy::kFail) {
      plan.error = Error::Terminal(f.Message() + " (enforcement.uncoveredProviders: fail)");
      return plan;
    }
    plan.warnings.push_back(f.Message());
  }
  plan.warnings.insert(plan.warnings.end(), o.value_warnings.begin(), o.value_warnings.end());
  if (o.bitwarden) {
    ResourcePlan bw = DiffBitwarden(ctx, o, clock);
    bw.warnings.insert(bw.warnings.begin(), plan.warnings.begin(), plan.warnings.end());
    if (ctx.facts.secrets()) WarnSandboxMissing(bw, *ctx.facts.secrets());
    // Pending: whether an optional provider's key exists is known only after the fetch.
    if (!bw.error && ctx.facts.secrets() && !ctx.facts.secrets()->pending) NoteSkipped(bw, spec, *ctx.facts.secrets());
    return bw;
  }
  if (o.source_error) {
    plan.error = *o.source_error;
    return plan;
  }
  // ironward's own environment cannot change under a running process, its env file can: with
  // one, the error is transient (`ironward run` retries with back-off and at once when the file
  // changes); without, only a restart with the variable set fixes it.
  const std::string& env_file = spec.credentials.env_file;
  auto fail = [&](const std::string& message, const char* reason) {
    plan.error = env_file.empty() ? Error::Terminal(message + " (set it and restart ironward)")
                                  : Error::Transient(message + " (`ironward run` retries with back-off, and at once when " +
                                                     env_file + " changes)");
    plan.error_reason = reason;
  };
  if (!o.invalid.empty()) {
    std::string why;
    for (const auto& m : o.invalid) why += (why.empty() ? "" : "; ") + m;
    fail(why + ". The proxy is not started with it", "SecretValueInvalid");
    return plan;
  }
  if (!o.missing.empty()) {
    std::string names;
    for (const auto& m : o.missing) names += (names.empty() ? "" : ", ") + m;
    fail("missing or empty secret value: " + names + "; set it in ironward's environment" +
             (env_file.empty() ? "" : " or in " + env_file) + ". The proxy is not started without it",
         "SecretMissing");
    return plan;
  }
  ctx.facts.Publish(FactsOf(o.values, false, spec, o.sandbox_missing));
  WarnSandboxMissing(plan, *ctx.facts.secrets());
  plan.details = {{"source", spec::ToString(spec.credentials.source)},
                  {"secrets", DigestSummary(o.values)},
                  {"checked_at", FormatRfc3339(clock.Now())}};
  NoteSkipped(plan, spec, *ctx.facts.secrets());
  return plan;
}

ResourcePlan SecretsReconciler::DiffBitwarden(ReconcileContext& ctx, const ObservedSecrets& o, const Clock& clock) const {
  const auto& spec = ctx.desired.spec;
  const auto& cred = spec.credentials;
  const auto& b = *o.bitwarden;
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = Sha256Hex(nlohmann::json{{"source", "bitwarden"},
                                                 {"project", cred.bitwarden.project_id},
                                                 {"server", cred.bitwarden.server_url},
                                                 {"api", cred.bitwarden.api_url},
                                                 {"identity", cred.bitwarden.identity_url},
                                                 {"token_env", cred.bitwarden.access_token_env},
                                                 {"refresh", cred.bitwarden.refresh_interval.count()},
                                                 {"retry", cred.bitwarden.retry_interval.count()},
                                                 {"fallback", cred.allow_env_fallback},
                                                 {"names", spec::AllSecretNames(spec)}}
                                      .dump());
  const bool complete = Covers(b.values, spec);
  const std::vector<std::string> wanted = spec::AllSecretNames(spec);
  const bool env_ready = cred.allow_env_fallback && !o.source_error && o.missing.empty();
  plan.details = {{"source", "bitwarden"},
                  {"project_id", cred.bitwarden.project_id},
                  {"refresh_interval_seconds", cred.bitwarden.refresh_interval.count()},
                  {"delivery", b.file_delivery ? "file" : "env"},
                  {"secrets", complete ? DigestSummary(b.values) : RecordSummary(b.record)},
                  {"fetched_at", !b.last_fetched_at.empty() ? b.last_fetched_at
                                                            : (b.record ? b.record->fetched_at : "")},
                  {"checked_at", FormatRfc3339(clock.Now())}};
  if (b.next_attempt_in) plan.details["next_fetch_in"] = *b.next_attempt_in;
  if (!b.record_problem.empty()) plan.warnings.push_back(std::string(kSecretRecordFile) + ": " + b.record_problem);

  // Serve `values` (last good or the env fallback) with a Degraded warning.
  auto serve_degraded = [&](const std::string& problem) {
    if (complete) {
      plan.warnings.push_back("Degraded: " + problem + "; keeping the last good values (fetched at " +
                              b.last_fetched_at + "); iron-proxy is left as it is");
      ctx.facts.Publish(FactsOf(b.values, b.file_delivery, spec, b.missing));
    } else {
      plan.warnings.push_back("Degraded: " + problem + "; using the values from ironward's environment "
                              "(allowEnvFallback: true)");
      ctx.facts.Publish(FactsOf(o.values, b.file_delivery, spec, o.sandbox_missing));
    }
    plan.details["degraded"] = problem;
  };

  std::string refused;
  if (b.token_error) refused = b.token_error->message;
  else if (b.stopped) {
    refused = "Bitwarden refused the last fetch: " + *b.stopped + "; not fetching again until credentials.bitwarden, "
              "the providers' secrets or $" + cred.bitwarden.access_token_env + " change";
  }
  if (!refused.empty()) {
    if (complete || env_ready) {
      serve_degraded(refused);
      if (b.file_delivery) AddFileChange(plan, ctx.facts.secrets()->digests, b.file_digests);
    } else {
      plan.error = Error::Terminal(refused + kFailClosed);
      plan.error_reason = b.stopped && !b.token_error ? "BitwardenRefused" : "AccessTokenInvalid";
    }
    return plan;
  }

  if (b.due) {
    Change c;
    c.action = (complete || b.record) ? Action::kUpdate : Action::kCreate;
    c.address = kBitwardenAddress;
    c.type = kSecretsType;
    c.reason = b.due_reason;
    c.before = {{"secrets", complete ? DigestSummary(b.values) : RecordSummary(b.record)}};
    c.after = {{"secrets", kKnownAfterApply}};
    plan.changes.push_back(std::move(c));
    std::map<std::string, std::string> recorded;
    if (b.record) {
      for (const auto& [name, e] : b.record->secrets) recorded[name] = e.sha256;
    }
    SecretFacts pending = DigestFacts(recorded, b.file_delivery, spec);
    pending.pending = true;
    pending.combined_digest.clear();  // the proxy's inputs are only known after the fetch
    ctx.facts.Publish(std::move(pending));
    if (b.last_failure && complete) plan.details["degraded"] = *b.last_failure;
    return plan;
  }

  if (b.from_record) {
    // Dry run of a fresh process: what the proxy runs with is known from secrets.json.
    std::map<std::string, std::string> recorded;
    for (const auto& [name, e] : b.record->secrets) {
      if (IsIn(wanted, name)) recorded[name] = e.sha256;
    }
    ctx.facts.Publish(DigestFacts(recorded, b.file_delivery, spec));
    plan.details["known_from"] = std::string(kSecretRecordFile) + " (values are fetched at apply)";
    if (b.file_delivery) AddFileChange(plan, ctx.facts.secrets()->digests, b.file_digests);
    return plan;
  }

  if (!complete) {
    const std::string failure = "Bitwarden fetch failed: " + b.last_failure.value_or("no successful fetch yet") +
                                "; next attempt in " + b.next_attempt_in.value_or("?");
    if (env_ready) {
      serve_degraded(failure);
    } else if (auto recorded = RecordedFacts(b, spec)) {
      // As in ApplyBitwarden: no values in memory, the digests the proxy runs with are recorded.
      ctx.facts.Publish(std::move(*recorded));
      plan.warnings.push_back("Degraded: " + failure + "; no values in this process, " + kSecretRecordFile +
                              " records the last good ones: a running iron-proxy keeps them");
      plan.details["degraded"] = failure;
      plan.details["values_in_memory"] = false;
    } else {
      plan.error = Error::Transient(failure + kFailClosed);
    }
    return plan;
  }

  ctx.facts.Publish(FactsOf(b.values, b.file_delivery, spec, b.missing));
  if (b.last_failure) serve_degraded("the last fetch failed: " + *b.last_failure);
  if (b.file_delivery) AddFileChange(plan, ctx.facts.secrets()->digests, b.file_digests);
  return plan;
}

Outcome SecretsReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  if (ctx.desired.spec.credentials.source == spec::CredentialSource::kBitwarden) return ApplyBitwarden(ctx, deps);
  // Nothing to write for the env source; re-observe so the facts reflect this moment.
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  ResourcePlan fresh = Diff(ctx, *observed, deps.clock);
  if (fresh.error) {
    return Outcome::Failed(*fresh.error, fresh.error_reason.empty() ? "SecretUnavailable" : fresh.error_reason);
  }
  Outcome done = Outcome::Done(0);
  done.details = fresh.details;
  if (!observed->value_warnings.empty()) {
    done.details["warnings"] = observed->value_warnings;
    done.message = std::to_string(observed->value_warnings.size()) +
                   " secret value(s) trimmed of a trailing line break (details.warnings name them)";
  }
  AddSkippedProviders(done, SkippedWarnings(ctx.desired.spec, *ctx.facts.secrets()), *ctx.facts.secrets());
  return done;
}

Outcome SecretsReconciler::ApplyBitwarden(ReconcileContext& ctx, WriteDeps& deps) {
  const auto& spec = ctx.desired.spec;
  const auto& cred = spec.credentials;
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  const BitwardenObservation& b = *observed->bitwarden;

  RefreshResult r;
  if (b.due) {
    r = bitwarden_->Refresh(spec, deps);
  } else {
    r.values = b.values;
    r.fetched_at = b.last_fetched_at;
    if (b.token_error) r.error = *b.token_error;
    else if (b.stopped) r.error = Error::Terminal(*b.stopped);
    else if (b.last_failure) r.error = Error::Transient(*b.last_failure);
  }
  std::map<std::string, std::string> values = r.values;
  std::map<std::string, std::string> missing = r.missing;
  std::string degraded;
  if (!Covers(values, spec)) {
    const Error e = r.error.value_or(Error::Transient("Bitwarden returned no values yet"));
    if (cred.allow_env_fallback && !observed->source_error && observed->missing.empty()) {
      values = observed->values;
      missing = observed->sandbox_missing;
      degraded = e.message + "; using the values from ironward's environment (allowEnvFallback: true)";
    } else if (auto recorded = RecordedFacts(b, spec)) {
      // Nothing in memory, but secrets.json says which values the proxy was given: a running proxy
      // keeps them (the daemon compares digests, so it is left alone); only a (re)start needs the
      // values, and the daemon refuses that (SecretValuesUnavailable). Secret files are not synced.
      ctx.facts.Publish(std::move(*recorded));
      Outcome done = Outcome::Done(0);
      done.reason = "Degraded";
      const auto next = bitwarden_->TimeUntilNext();
      if (next && !e.terminal()) {
        done.after = std::chrono::duration_cast<std::chrono::seconds>(*next + std::chrono::milliseconds(999));
      }
      done.message = "Degraded: Bitwarden: " + e.message + "; no values in this process, " + kSecretRecordFile +
                     " records the last good ones (fetched at " + b.record->fetched_at +
                     "): a running iron-proxy keeps them, none is started or restarted until a fetch succeeds; "
                     "next fetch in " + Seconds(e.terminal() ? std::nullopt : next);
      done.details = {{"source", "bitwarden"},
                      {"project_id", cred.bitwarden.project_id},
                      {"refresh_interval_seconds", cred.bitwarden.refresh_interval.count()},
                      {"delivery", b.file_delivery ? "file" : "env"},
                      {"secrets", RecordSummary(b.record)},
                      {"fetched_at", b.record->fetched_at},
                      {"next_fetch_in", Seconds(e.terminal() ? std::nullopt : next)},
                      {"values_in_memory", false},
                      {"degraded", "Bitwarden: " + e.message},
                      {"checked_at", FormatRfc3339(deps.clock.Now())}};
      AddSkippedProviders(done, SkippedWarnings(spec, *ctx.facts.secrets()), *ctx.facts.secrets());
      return done;
    } else {
      const std::string message = "Bitwarden: " + e.message + kFailClosed;
      if (e.terminal()) return Outcome::Failed(Error{e.kind, message}, "BitwardenRefused");
      // Retried when the client's schedule says (its back-off, or the server's Retry-After).
      std::chrono::seconds after{0};
      if (auto left = bitwarden_->TimeUntilNext()) {
        after = std::chrono::duration_cast<std::chrono::seconds>(*left + std::chrono::milliseconds(999));
      }
      return Outcome::Retry("BitwardenUnavailable", message, after);
    }
  } else if (r.error) {
    degraded = r.error->message + "; keeping the last good values (fetched at " + r.fetched_at +
               "); iron-proxy is left as it is";
  }

  int files_changed = 0;
  if (b.file_delivery) {
    auto synced = SyncSecretFiles(deps.state, ProviderValues(values, spec));
    if (!synced) return Outcome::Failed(synced.error(), "WriteFailed");
    files_changed = *synced;
  }
  ctx.facts.Publish(FactsOf(values, b.file_delivery, spec, missing));

  std::string message;
  if (b.due && !r.error) {
    message = "fetched " + std::to_string(values.size()) + " secret(s) from Bitwarden project " +
              cred.bitwarden.project_id;
    if (!r.rotated.empty()) {
      message += "; rotated:";
      for (const auto& rot : r.rotated) message += " " + rot;
    }
  }
  if (files_changed > 0) {
    message += std::string(message.empty() ? "" : "; ") + "wrote " + std::to_string(files_changed) +
               " secret file change(s) under " + kSecretsDir + "/ (0600)";
  }
  Outcome done = Outcome::Done(static_cast<int>(r.rotated.size()) + files_changed);
  if (!degraded.empty()) {
    done.reason = "Degraded";
    message = "Degraded: " + degraded + (message.empty() ? "" : "; " + message);
  } else if (!r.rotated.empty()) {
    done.reason = "Rotated";
  } else if (b.due) {
    done.reason = "Fetched";
  }
  const auto next = bitwarden_->TimeUntilNext();
  // `ironward run` comes back when the next fetch is due (one-shot commands ignore it).
  if (next) done.after = std::chrono::duration_cast<std::chrono::seconds>(*next + std::chrono::milliseconds(999));
  message += std::string(message.empty() ? "" : "; ") + "next fetch in " + Seconds(next);
  done.message = message;
  done.details = {{"source", "bitwarden"},
                  {"project_id", cred.bitwarden.project_id},
                  {"refresh_interval_seconds", cred.bitwarden.refresh_interval.count()},
                  {"delivery", b.file_delivery ? "file" : "env"},
                  {"secrets", DigestSummary(values)},
                  {"fetched_at", r.fetched_at},
                  {"next_fetch_in", Seconds(next)},
                  {"checked_at", FormatRfc3339(deps.clock.Now())}};
  if (!degraded.empty()) done.details["degraded"] = degraded;
  if (!bitwarden_->last_warnings().empty()) {
    done.details["warnings"] = bitwarden_->last_warnings();
    done.message += "; " + std::to_string(bitwarden_->last_warnings().size()) +
                    " secret value(s) trimmed of a trailing line break (details.warnings name them)";
  }
  const SecretFacts& published = *ctx.facts.secrets();
  if (!published.sandbox_missing.empty()) done.details["sandbox_secrets_missing"] = published.sandbox_missing;
  AddSkippedProviders(done, SkippedWarnings(spec, published), published);
  return done;
}

}  // namespace ironward::secrets
