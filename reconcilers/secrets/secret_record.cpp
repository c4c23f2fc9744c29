#include "reconcilers/secrets/secret_record.h"

#include <nlohmann/json.hpp>

namespace ironward::secrets {

std::string SerializeSecretRecord(const SecretRecord& r) {
  nlohmann::json secrets = nlohmann::json::object();
  for (const auto& [name, e] : r.secrets) {
    secrets[name] = {{"sha256", e.sha256}, {"fetched_at", e.fetched_at}, {"changed_at", e.changed_at}};
  }
  const nlohmann::json j = {{"version", 1},
                            {"source", r.source},
                            {"project_id", r.project_id},
                            {"fetched_at", r.fetched_at},
                            {"secrets", secrets}};
  return j.dump(2) + "\n";
}

Result<SecretRecord> ParseSecretRecord(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("version", 0) != 1) return Error::Transient("secrets.json: unknown version");
    SecretRecord r;
    r.source = j.value("source", "");
    r.project_id = j.value("project_id", "");
    r.fetched_at = j.value("fetched_at", "");
    if (j.contains("secrets") && j["secrets"].is_object()) {
      for (auto it = j["secrets"].begin(); it != j["secrets"].end(); ++it) {
        const std::string name = it.key();
        const nlohmann::json e = it.value();
        if (!e.is_object()) continue;
        r.secrets[name] = {e.value("sha256", ""), e.value("fetched_at", ""), e.value("changed_at", "")};
      }
    }
    return r;
  } catch (const std::exception& e) {
    return Error::Transient(std::string("secrets.json is not valid JSON: ") + e.what());
  }
}

SecretRecord NextRecord(const SecretRecord* previous, const std::string& project_id,
                        const std::map<std::string, std::string>& digests, const std::string& now) {
  SecretRecord r;
  r.source = "bitwarden";
  r.project_id = project_id;
  r.fetched_at = now;
  for (const auto& [name, digest] : digests) {
    SecretRecordEntry e{digest, now, now};
    if (previous != nullptr) {
      if (auto it = previous->secrets.find(name); it != previous->secrets.end() && it->second.sha256 == digest &&
                                                  !it->second.changed_at.empty()) {
        e.changed_at = it->second.changed_at;
      }
    }
    r.secrets[name] = e;
  }
  return r;
}

}  // namespace ironward::secrets
