#include "reconcilers/ca/ca_rotation.h"

#include "state/encoding.h"
#include "state/status.h"

namespace ironward::ca {
namespace {

std::string Normalized(std::string_view pem) {
  std::string out(pem);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  if (!out.empty()) out += '\n';
  return out;
}


}  // namespace

std::string_view ToString(Phase p) {
  switch (p) {
    case Phase::kStable: return "stable";
    case Phase::kStaged: return "staged";
    case Phase::kSwitched: return "switched";
  }
  return "stable";
}

LastRun ReadLastRun(const state::StateReader& state) {
  LastRun last;
  Result<state::LoadedStatus> loaded = state::LoadStatus(state);
  if (!loaded.ok()) {
    last.not_ready = "status.json unreadable: " + loaded.error().message;
    return last;
  }
  const state::StatusDoc& doc = loaded->doc;
  auto ca = doc.resources.find("ca");
  if (ca == doc.resources.end() || doc.history.empty()) {
    last.not_ready = "no recorded run in status.json";
    return last;
  }
  last.found = true;
  const nlohmann::json& details = ca->second.details;
  if (details.is_object()) {
    if (auto it = details.find("rotation_phase"); it != details.end() && it->is_string()) last.phase = *it;
    if (auto it = details.find("trust_bundle_digest"); it != details.end() && it->is_string()) {
      last.bundle_digest = *it;
    }
  }
  std::string not_ready;
  for (const auto& [name, rs] : doc.resources) {
    if (!rs.Ready()) not_ready += (not_ready.empty() ? "" : ", ") + name;
  }
  if (!not_ready.empty()) {
    last.not_ready = "not Ready in the last run: " + not_ready;
  } else if (doc.history.back().result != "converged") {
    last.not_ready = "the last run " + doc.history.back().result;
  } else {
    last.converged = true;
  }
  return last;
}

std::string GateClosedReason(const LastRun& last, Phase phase, const std::string& bundle_digest) {
  if (!last.converged) return last.not_ready.empty() ? "the last run did not converge" : last.not_ready;
  if (last.phase != ToString(phase) || last.bundle_digest != bundle_digest) {
    return "the last run converged with phase " + (last.phase.empty() ? std::string("unknown") : last.phase) +
           " and trust bundle " + ShortDigest(last.bundle_digest) + ", not " + std::string(ToString(phase)) + " and " +
           ShortDigest(bundle_digest) + " (run once more)";
  }
  return "";
}

std::string Bundle(std::string_view older, std::string_view newer) {
  return Normalized(older) + Normalized(newer);
}

}  // namespace ironward::ca
