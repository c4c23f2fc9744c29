#include "reconcilers/secrets/secrets_reconciler.h"

#include <algorithm>

#include "state/spec/units.h"
#include "reconcilers/secrets/secret_facts.h"
#include "reconcilers/secrets/secret_value.h"
#include "reconcilers/secrets/secrets_plan_parts.h"
#include "state/encoding.h"

namespace ironward::secrets {

using detail::SkippedWarnings;

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

void NoteSkipped(ResourcePlan& plan, const spec::Spec& spec, const SecretFacts& facts) {
  if (facts.skipped_providers.empty()) return;
  for (auto& w : SkippedWarnings(spec, facts)) plan.warnings.push_back(std::move(w));
  plan.details["skipped_providers"] = facts.skipped_providers;
}


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

}  // namespace ironward::secrets
