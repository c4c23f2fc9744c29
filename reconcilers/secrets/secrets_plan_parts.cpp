#include "reconcilers/secrets/secrets_plan_parts.h"

#include "reconcilers/secrets/secret_facts.h"
#include "reconcilers/secrets/secret_value.h"
#include "state/encoding.h"
#include "state/spec/units.h"

namespace ironward::secrets::detail {

std::string Seconds(std::optional<std::chrono::nanoseconds> d) {
  if (!d) return "never (stopped)";
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*d + std::chrono::milliseconds(999)).count()) +
         "s";
}

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

}  // namespace ironward::secrets::detail
