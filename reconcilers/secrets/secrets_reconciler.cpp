#include "reconcilers/secrets/secrets_reconciler.h"

#include "state/encoding.h"

namespace ironward::secrets {
namespace {

const ProcessEnvironment kProcessEnvironment;

std::string ShortDigest(const std::string& value) { return "sha256:" + Sha256Hex(value).substr(0, 12); }

}  // namespace

SecretsReconciler::SecretsReconciler(const Environment* env) : env_(env != nullptr ? env : &kProcessEnvironment) {}

Result<ObservedSecrets> SecretsReconciler::Observe(const ReconcileContext& ctx, const ReadDeps&) const {
  const auto& spec = ctx.desired.spec;
  ObservedSecrets o;
  const auto own = env_->All();
  o.uncovered = FindUncovered(spec, own);
  if (spec.credentials.source == spec::CredentialSource::kBitwarden) {
    o.source_error = Error::Terminal(
        "credentials.source: bitwarden is not wired into reconcile in this build yet (the native client is in "
        "reconcilers/bitwarden/); use source: env for now");
    o.fingerprint = "bitwarden";
    return o;
  }
  std::map<std::string, std::string> file_values;
  if (!spec.credentials.env_file.empty()) {
    auto parsed = ReadEnvFile(spec.credentials.env_file);
    if (!parsed) {
      o.source_error = parsed.error();
      o.fingerprint = "env-file-error";
      return o;
    }
    file_values = std::move(*parsed);
  }
  std::string combined;
  for (const auto& p : spec.providers) {
    // The process environment wins over the env file (an operator's explicit override).
    std::string value;
    if (auto it = own.find(p.secret); it != own.end()) value = it->second;
    if (value.empty()) {
      if (auto it = file_values.find(p.secret); it != file_values.end()) value = it->second;
    }
    if (value.empty()) {
      o.missing.push_back(p.secret + " (provider " + p.name + ")");
      continue;
    }
    o.values[p.secret] = value;
  }
  for (const auto& [name, value] : o.values) combined += name + "=" + Sha256Hex(value) + "\n";
  o.fingerprint = Sha256Hex(combined + "missing:" + std::to_string(o.missing.size()));
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
  if (o.source_error) {
    plan.error = *o.source_error;
    return plan;
  }
  if (!o.missing.empty()) {
    std::string names;
    for (const auto& m : o.missing) names += (names.empty() ? "" : ", ") + m;
    plan.error = Error::Terminal("missing or empty secret value: " + names +
                                 "; set it in ironward's environment" +
                                 (spec.credentials.env_file.empty() ? "" : " or in " + spec.credentials.env_file) +
                                 ". The proxy is not started without it.");
    return plan;
  }
  SecretFacts facts;
  nlohmann::json digests = nlohmann::json::object();
  std::string combined;
  for (const auto& [name, value] : o.values) {
    facts.digests[name] = Sha256Hex(value);
    combined += name + "=" + facts.digests[name] + "\n";
    digests[name] = ShortDigest(value);
  }
  facts.values = o.values;
  facts.combined_digest = Sha256Hex(combined);
  ctx.facts.secrets = std::move(facts);
  plan.details = {{"source", spec::ToString(spec.credentials.source)},
                  {"secrets", digests},
                  {"checked_at", FormatRfc3339(clock.Now())}};
  return plan;
}

Outcome SecretsReconciler::Apply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  // Nothing to write for the env source; re-observe so the facts reflect this moment.
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  ResourcePlan fresh = Diff(ctx, *observed, deps.clock);
  if (fresh.error) return Outcome::Failed(*fresh.error, "SecretUnavailable");
  Outcome done = Outcome::Done(0);
  done.details = fresh.details;
  return done;
}

}  // namespace ironward::secrets
