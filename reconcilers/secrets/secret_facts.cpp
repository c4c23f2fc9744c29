#include "reconcilers/secrets/secret_facts.h"

#include <algorithm>

#include "reconcilers/secrets/secret_delivery.h"
#include "state/encoding.h"

namespace ironward::secrets {

bool IsIn(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool Covers(const std::map<std::string, std::string>& values, const spec::Spec& spec) {
  for (const auto& name : spec::RequiredProviderSecretNames(spec)) {
    if (values.count(name) == 0) return false;
  }
  return true;
}

SecretFacts DigestFacts(const std::map<std::string, std::string>& digests, bool file_delivery,
                        const spec::Spec& spec) {
  SecretFacts facts;
  const auto providers = spec::ProviderSecretNames(spec);
  const auto sandbox = spec::SandboxSecretNames(spec);
  for (const auto& [name, digest] : digests) {
    if (IsIn(providers, name)) facts.digests[name] = digest;
    else if (IsIn(sandbox, name)) facts.sandbox_digests[name] = digest;
  }
  for (const auto& p : spec.providers) {
    if (p.optional && facts.digests.count(p.secret) == 0) facts.skipped_providers.insert(p.name);
  }
  facts.combined_digest = CombinedDigest(facts.digests, file_delivery);
  return facts;
}

SecretFacts FactsOf(const std::map<std::string, std::string>& values, bool file_delivery, const spec::Spec& spec,
                    const std::map<std::string, std::string>& missing) {
  std::map<std::string, std::string> digests;
  for (const auto& [name, value] : values) digests[name] = Sha256Hex(value);
  SecretFacts facts = DigestFacts(digests, file_delivery, spec);
  for (const auto& [name, value] : values) {
    if (facts.digests.count(name) != 0) facts.values[name] = value;
    else if (facts.sandbox_digests.count(name) != 0) facts.sandbox_values[name] = value;
  }
  const auto sandbox = spec::SandboxSecretNames(spec);
  for (const auto& [name, why] : missing) {
    // An optional provider's key without a value is in skipped_providers, not here.
    if (IsIn(sandbox, name) && facts.sandbox_digests.count(name) == 0) facts.sandbox_missing[name] = why;
  }
  return facts;
}

std::map<std::string, std::string> ProviderValues(const std::map<std::string, std::string>& values,
                                                  const spec::Spec& spec) {
  std::map<std::string, std::string> out;
  for (const auto& name : spec::ProviderSecretNames(spec)) {
    if (auto it = values.find(name); it != values.end()) out.emplace(name, it->second);
  }
  return out;
}

void WarnSandboxMissing(ResourcePlan& plan, const SecretFacts& facts) {
  for (const auto& [name, why] : facts.sandbox_missing) {
    plan.warnings.push_back("secretEnv secret " + name + ": " + why +
                            "; the sandboxes that name it are not (re)created until it has a value");
  }
}

std::vector<std::string> SkippedProviderWarnings(const SecretFacts& facts, const spec::Spec& spec,
                                                 const std::string& where, const std::string& then) {
  std::vector<std::string> out;
  for (const auto& p : spec.providers) {
    if (facts.skipped_providers.count(p.name) == 0) continue;
    out.push_back("Degraded: optional provider '" + p.name + "' is left out of the proxy config (no secrets entry; " +
                  "its hosts are refused unless spec.allowlist lists them): " + p.secret + " has no value " + where +
                  "; set it there and " + then);
  }
  return out;
}

void AddSkippedProviders(Outcome& done, const std::vector<std::string>& warnings, const SecretFacts& facts) {
  if (facts.skipped_providers.empty()) return;
  done.details["skipped_providers"] = facts.skipped_providers;
  std::string joined;
  for (const auto& w : warnings) joined += (joined.empty() ? "" : "; ") + w.substr(std::string("Degraded: ").size());
  done.details["degraded"] = done.details.contains("degraded")
                                 ? done.details["degraded"].get<std::string>() + "; " + joined
                                 : joined;
  done.reason = "Degraded";
  if (done.message.rfind("Degraded: ", 0) == 0) {
    done.message += "; " + joined;
  } else {
    done.message = "Degraded: " + joined + (done.message.empty() ? "" : "; " + done.message);
  }
}

nlohmann::json DigestSummary(const std::map<std::string, std::string>& values) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : values) j[name] = "sha256:" + ShortDigest(Sha256Hex(value));
  return j;
}

nlohmann::json RecordSummary(const std::optional<SecretRecord>& record) {
  nlohmann::json j = nlohmann::json::object();
  if (record) {
    for (const auto& [name, e] : record->secrets) j[name] = "sha256:" + ShortDigest(e.sha256);
  }
  return j;
}

std::optional<SecretFacts> RecordedFacts(const BitwardenObservation& b, const spec::Spec& spec) {
  if (!b.record || b.record->source != "bitwarden" || b.record->project_id != spec.credentials.bitwarden.project_id) {
    return std::nullopt;
  }
  std::map<std::string, std::string> digests;
  for (const auto& name : spec::AllSecretNames(spec)) {
    auto it = b.record->secrets.find(name);
    if (it != b.record->secrets.end() && !it->second.sha256.empty()) digests[name] = it->second.sha256;
  }
  for (const auto& name : spec::RequiredProviderSecretNames(spec)) {
    if (digests.count(name) == 0) return std::nullopt;
  }
  SecretFacts known = DigestFacts(digests, b.file_delivery, spec);
  known.values_unavailable = true;
  return known;
}

}  // namespace ironward::secrets
