#include "reconcilers/daemon/pid_record.h"

#include <nlohmann/json.hpp>

#include "state/encoding.h"

namespace ironward::daemon {
namespace {

nlohmann::json InputsJson(const Inputs& i) {
  return {{"binary_sha256", i.binary_sha256},     {"config_digest", i.config_digest},
          {"listeners_digest", i.listeners_digest}, {"ruleset_digest", i.ruleset_digest},
          {"ca_cert_digest", i.ca_cert_digest},   {"secrets_digest", i.secrets_digest},
          {"env_digest", i.env_digest},           {"management_key_digest", i.management_key_digest},
          {"log_level", i.log_level}};
}

}  // namespace

std::string Inputs::Digest() const { return Sha256Hex(InputsJson(*this).dump()); }

std::string ToString(RecordState s) {
  switch (s) {
    case RecordState::kStarting: return "starting";
    case RecordState::kRunning: return "running";
    case RecordState::kStopping: return "stopping";
    case RecordState::kCrashed: return "crashed";
  }
  return "?";
}

std::string SerializePidRecord(const PidRecord& r) {
  nlohmann::json j = {{"version", 1},       {"pid", r.pid},
                      {"nonce", r.nonce},   {"starttime", r.starttime},
                      {"started_at", r.started_at}, {"state", ToString(r.state)},
                      {"inputs", InputsJson(r.inputs)}};
  if (!r.inputs.config_summary.is_null()) j["inputs"]["config_summary"] = r.inputs.config_summary;
  if (!r.inputs.secret_digests.empty()) j["inputs"]["secret_digests"] = r.inputs.secret_digests;
  return j.dump(2) + "\n";
}

Result<PidRecord> ParsePidRecord(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("version", 0) != 1) return Error::Terminal("iron-proxy.pid is not valid");
  try {
    PidRecord r;
    r.pid = j.at("pid").get<pid_t>();
    r.nonce = j.at("nonce").get<std::string>();
    r.starttime = j.at("starttime").get<std::uint64_t>();
    r.started_at = j.value("started_at", "");
    const std::string state = j.value("state", "running");
    if (state == "starting") r.state = RecordState::kStarting;
    else if (state == "running") r.state = RecordState::kRunning;
    else if (state == "stopping") r.state = RecordState::kStopping;
    else if (state == "crashed") r.state = RecordState::kCrashed;
    else return Error::Terminal("iron-proxy.pid has an unknown state");
    const auto& in = j.at("inputs");
    r.inputs.binary_sha256 = in.value("binary_sha256", "");
    r.inputs.config_digest = in.value("config_digest", "");
    r.inputs.listeners_digest = in.value("listeners_digest", "");
    r.inputs.ruleset_digest = in.value("ruleset_digest", "");
    r.inputs.ca_cert_digest = in.value("ca_cert_digest", "");
    r.inputs.secrets_digest = in.value("secrets_digest", "");
    r.inputs.env_digest = in.value("env_digest", "");
    r.inputs.management_key_digest = in.value("management_key_digest", "");
    r.inputs.log_level = in.value("log_level", "");
    if (in.contains("config_summary") && in["config_summary"].is_object()) r.inputs.config_summary = in["config_summary"];
    if (in.contains("secret_digests") && in["secret_digests"].is_object()) {
      for (const auto& [name, digest] : in["secret_digests"].items()) {
        if (digest.is_string()) r.inputs.secret_digests[name] = digest.get<std::string>();
      }
    }
    if (r.pid < 0) return Error::Terminal("iron-proxy.pid has a negative pid");
    return r;
  } catch (const std::exception&) {
    return Error::Terminal("iron-proxy.pid has missing or mistyped fields");
  }
}

}  // namespace ironward::daemon
