#include "reconcilers/secrets/secret_facts.h"

#include <algorithm>

#include "reconcilers/secrets/secret_delivery.h"
#include "state/encoding.h"

namespace ironward::secrets {

bool IsIn(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool Covers(const std::map<std::string, std::string>& values, const spec::Spec& spec) {
  for (const auto& name : spec::ProviderSecretNames(spec)) {
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
  for (const auto& [name, why] : missing) {
    if (facts.sandbox_digests.count(name) == 0) facts.sandbox_missing[name] = why;
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

nlohmann::json DigestSummary(const std::map<std::string, std::string>& values) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : values) j[name] = ShortDigest(Sha256Hex(value));
  return j;
}

nlohmann::json RecordSummary(const std::optional<SecretRecord>& record) {
  nlohmann::json j = nlohmann::json::object();
  if (record) {
    for (const auto& [name, e] : record->secrets) j[name] = ShortDigest(e.sha256);
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
  for (const auto& name : spec::ProviderSecretNames(spec)) {
    if (digests.count(name) == 0) return std::nullopt;
  }
  SecretFacts known = DigestFacts(digests, b.file_delivery, spec);
  known.values_unavailable = true;
  return known;
}

}  // namespace ironward::secrets
