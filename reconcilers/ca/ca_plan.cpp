#include <algorithm>

#include "reconcilers/ca/ca_policy.h"
#include "state/encoding.h"

// How the CA looks in plans and status: the ToChange rendering of a Decision and the JSON
// details status and the plan's before/after show. The decisions themselves are in ca_policy.cpp.
namespace ironward::ca {

nlohmann::json StatusDetails(const CaInfo& info, const spec::CaSpec& spec) {
  return {{"fingerprint_sha256", info.fingerprint_sha256},
          {"not_before", FormatRfc3339(info.not_before)},
          {"not_after", FormatRfc3339(info.not_after)},
          {"renewal_time", FormatRfc3339(RenewalTime(info, spec))},
          {"algorithm", info.algorithm},
          {"rotation", info.rotation}};
}

nlohmann::json RotationDetails(const ObservedCa& o, const spec::CaSpec& spec) {
  nlohmann::json j = o.live.info ? StatusDetails(*o.live.info, spec) : nlohmann::json::object();
  const Phase phase = PhaseOf(o);
  j["rotation_phase"] = std::string(ToString(phase));
  j["trust_bundle_digest"] = o.bundle ? nlohmann::json(Sha256Hex(*o.bundle)) : nlohmann::json(nullptr);
  if (phase == Phase::kStaged && o.next.info) j["next_fingerprint_sha256"] = o.next.info->fingerprint_sha256;
  if (phase == Phase::kSwitched && o.prev.info) j["previous_fingerprint_sha256"] = o.prev.info->fingerprint_sha256;
  return j;
}

nlohmann::json Summary(const CaInfo& info) {
  return {{"fingerprint_sha256", info.fingerprint_sha256},
          {"not_after", FormatRfc3339(info.not_after)},
          {"algorithm", info.algorithm},
          {"rotation", info.rotation}};
}

Change ToChange(const Decision& d, const ObservedCa& o, const spec::CaSpec& spec) {
  Change c;
  c.address = "ca.local";
  c.type = "ironward_ca";
  c.reason = d.reason;
  c.disruptive = d.disruptive;
  c.before = o.live.info ? Summary(*o.live.info) : nlohmann::json(nullptr);
  if (o.live.Present() && !o.live.Usable()) c.before["defect"] = o.live.defect;
  switch (d.kind) {
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace:
      c.action = d.kind == Decision::Kind::kCreate ? Action::kCreate : Action::kReplace;
      c.after = {{"fingerprint_sha256", kKnownAfterApply},
                 {"not_after", kKnownAfterApply},
                 {"algorithm", spec::ToString(spec.algorithm)},
                 {"rotation", spec.rotation}};
      break;
    case Decision::Kind::kCompleteSwap:
      c.action = d.half_swapped ? Action::kUpdate : Action::kReplace;
      c.after = Summary(*o.staged.info);
      break;
    case Decision::Kind::kStage:
      c.action = Action::kUpdate;
      c.before["rotation_phase"] = std::string(ToString(PhaseOf(o)));
      c.after = c.before;
      c.after["rotation_phase"] = "staged";
      c.after["next_fingerprint_sha256"] = kKnownAfterApply;
      c.after["next_rotation"] = std::max(spec.rotation, o.live.info->rotation);
      break;
    case Decision::Kind::kSwitch:
      c.action = Action::kUpdate;
      c.before["rotation_phase"] = "staged";
      c.before["next_fingerprint_sha256"] = o.next.info->fingerprint_sha256;
      c.after = Summary(*o.next.info);
      c.after["rotation_phase"] = std::string(ToString(ProjectedPhase(d, o)));
      if (d.keep_previous && o.live.info) c.after["previous_fingerprint_sha256"] = o.live.info->fingerprint_sha256;
      if (d.keep_previous && o.prev.info) c.after["previous_fingerprint_sha256"] = o.prev.info->fingerprint_sha256;
      break;
    case Decision::Kind::kDrop:
      c.action = Action::kUpdate;
      c.before["rotation_phase"] = "switched";
      if (o.prev.info) c.before["previous_fingerprint_sha256"] = o.prev.info->fingerprint_sha256;
      c.after = Summary(*o.live.info);
      c.after["rotation_phase"] = "stable";
      break;
    case Decision::Kind::kKeep:
      c.action = Action::kUpdate;
      c.after = c.before;
      if (d.write_bundle) {
        c.before["trust_bundle"] =
            o.bundle ? nlohmann::json(ShortDigest(Sha256Hex(*o.bundle))) : nlohmann::json(nullptr);
        const std::optional<std::string> bundle = ProjectedBundle(d, o);
        c.after["trust_bundle"] =
            bundle ? nlohmann::json(ShortDigest(Sha256Hex(*bundle))) : nlohmann::json(kKnownAfterApply);
        c.after["rotation_phase"] = std::string(ToString(ProjectedPhase(d, o)));
      }
      if (d.chmod_key) {
        c.before["key_mode"] = OctalMode(o.key_stat.mode);
        c.after["key_mode"] = OctalMode(kKeyMode);
      }
      if (d.chmod_cert) {
        c.before["cert_mode"] = OctalMode(o.cert_stat.mode);
        c.after["cert_mode"] = OctalMode(kCertMode);
      }
      if (d.remove_staged) {
        c.before["staged"] = true;
        c.after["staged"] = false;
      }
      break;
  }
  return c;
}

}  // namespace ironward::ca
