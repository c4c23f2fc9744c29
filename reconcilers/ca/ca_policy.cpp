#include "reconcilers/ca/ca_policy.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "state/encoding.h"

namespace ironward::ca {
namespace {

using std::chrono::seconds;

/// Slack when comparing a certificate's lifetime to ca.validity (notBefore is backdated 1 min).
constexpr seconds kValiditySlack{120};

std::string Hours(seconds s) {
  if (s.count() % 3600 == 0) return std::to_string(s.count() / 3600) + "h";
  return std::to_string(s.count()) + "s";
}

/// Why a usable, unexpired CA should be rotated ("" = it may stay): a ca.rotation bump or
/// renewal time. Both go through the staged rotation.
std::string RotateReason(const spec::CaSpec& spec, const CaInfo& info, SystemTime now) {
  if (info.rotation < spec.rotation) {
    return "ca.rotation " + std::to_string(info.rotation) + " -> " + std::to_string(spec.rotation);
  }
  const SystemTime renewal = RenewalTime(info, spec);
  if (now >= renewal) return "renewal due since " + FormatRfc3339(renewal);
  return "";
}

/// Why a usable live pair must still be replaced ("" = it may stay). Always disruptive.
std::string ReplaceReason(const spec::CaSpec& spec, const CaInfo& info, SystemTime now) {
  if (now >= info.not_after) return "CA expired at " + FormatRfc3339(info.not_after);
  return RotateReason(spec, info, now);
}

/// Differences that only a rotation bump applies (never regenerate a valid CA on its own).
void DriftWarnings(const spec::CaSpec& spec, std::string_view gateway_name, const CaInfo& info,
                   SystemTime now, std::vector<std::string>* out) {
  const std::string bump = "; bump ca.rotation to apply";
  const std::string want_alg = spec::ToString(spec.algorithm);
  if (info.algorithm != want_alg) {
    out->push_back("CA algorithm is " + info.algorithm + ", spec wants " + want_alg + bump);
  }
  const auto lifetime = std::chrono::duration_cast<seconds>(info.not_after - info.not_before) - seconds(60);
  if (std::abs((lifetime - spec.validity).count()) > kValiditySlack.count()) {
    out->push_back("CA validity is " + Hours(lifetime) + ", spec wants " + Hours(spec.validity) + bump);
  }
  if (!info.rotation_marked) {
    out->push_back("CA was not minted by ironward (no \"OU=rotation <n>\"); adopted as rotation 1");
  } else if (info.common_name != CaSubject::For(gateway_name, info.rotation).common_name) {
    out->push_back("CA common name \"" + info.common_name + "\" differs from metadata.name" + bump);
  }
  if (info.rotation > spec.rotation) {
    out->push_back("CA is rotation " + std::to_string(info.rotation) + " but ca.rotation is " +
                   std::to_string(spec.rotation) + "; rotation never goes back, keeping the CA");
  }
  if (!info.path_len.has_value() || *info.path_len != 0) {
    out->push_back("CA pathlen is " + (info.path_len ? std::to_string(*info.path_len) : "unconstrained") +
                   ", ironward mints pathlen 0" + bump);
  }
  if (now < info.not_before) {
    out->push_back("CA notBefore " + FormatRfc3339(info.not_before) + " is in the future (clock skew?)");
  }
}

/// A staged pair good enough to finish an interrupted rotation with.
bool StagedCompletes(const spec::CaSpec& spec, const ObservedCa& o, SystemTime now) {
  return o.staged.Usable() && ReplaceReason(spec, *o.staged.info, now).empty() &&
         o.staged.info->rotation <= spec.rotation;
}

/// A staged next CA good enough to switch to (one already due for renewal still is: it is
/// trusted by the sandboxes, and the next rotation starts once this one completes).
bool NextGood(const ObservedCa& o, SystemTime now) { return o.next.Usable() && now < o.next.info->not_after; }

std::string Fp(const CaPair& p) { return p.info ? ShortDigest(p.info->fingerprint_sha256) : "?"; }

std::string PemOr(const std::optional<std::string>& pem) { return pem.value_or(""); }

}  // namespace

Phase PhaseOf(const ObservedCa& o) {
  const bool next_files = o.next.cert_pem.has_value() || (o.next.key_pem.has_value() && !o.next_key_is_live);
  if (o.prev.cert_pem && !(next_files && o.next.Usable())) return Phase::kSwitched;
  if (next_files) return Phase::kStaged;
  return Phase::kStable;
}

std::string WantedBundle(const ObservedCa& o) {
  if (!o.live.cert_pem) return "";
  switch (PhaseOf(o)) {
    case Phase::kStaged:
      return o.next.Usable() ? Bundle(*o.live.cert_pem, *o.next.cert_pem) : Bundle(*o.live.cert_pem);
    case Phase::kSwitched: return Bundle(*o.prev.cert_pem, *o.live.cert_pem);
    case Phase::kStable: break;
  }
  return Bundle(*o.live.cert_pem);
}

std::optional<std::string> ProjectedCert(const Decision& d, const ObservedCa& o) {
  switch (d.kind) {
    case Decision::Kind::kKeep:
    case Decision::Kind::kStage:
    case Decision::Kind::kDrop: return o.live.cert_pem;
    case Decision::Kind::kSwitch: return o.next.cert_pem;
    case Decision::Kind::kCompleteSwap: return o.staged.cert_pem;
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> ProjectedBundle(const Decision& d, const ObservedCa& o) {
  switch (d.kind) {
    case Decision::Kind::kKeep:
      if (d.remove_next) {
        return o.prev.cert_pem ? Bundle(*o.prev.cert_pem, PemOr(o.live.cert_pem)) : Bundle(PemOr(o.live.cert_pem));
      }
      return WantedBundle(o);
    case Decision::Kind::kDrop: return Bundle(PemOr(o.live.cert_pem));
    case Decision::Kind::kSwitch:
      if (!d.keep_previous) return Bundle(*o.next.cert_pem);
      return Bundle(o.prev.cert_pem ? *o.prev.cert_pem : PemOr(o.live.cert_pem), *o.next.cert_pem);
    case Decision::Kind::kCompleteSwap: return Bundle(*o.staged.cert_pem);
    case Decision::Kind::kStage:
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace: return std::nullopt;
  }
  return std::nullopt;
}

Phase ProjectedPhase(const Decision& d, const ObservedCa& o) {
  switch (d.kind) {
    case Decision::Kind::kStage: return Phase::kStaged;
    case Decision::Kind::kSwitch: return d.keep_previous ? Phase::kSwitched : Phase::kStable;
    case Decision::Kind::kKeep:
      if (d.remove_next) return o.prev.cert_pem ? Phase::kSwitched : Phase::kStable;
      return PhaseOf(o);
    case Decision::Kind::kDrop:
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace:
    case Decision::Kind::kCompleteSwap: return Phase::kStable;
  }
  return Phase::kStable;
}

CaPair MakePair(std::optional<std::string> cert_pem, std::optional<std::string> key_pem,
                std::string_view cert_name, std::string_view key_name) {
  CaPair p;
  p.cert_pem = std::move(cert_pem);
  p.key_pem = std::move(key_pem);
  const std::string cert(cert_name);
  const std::string key(key_name);
  if (!p.cert_pem && !p.key_pem) return p;
  if (p.cert_pem) {
    if (Result<CaInfo> info = ParseCertificate(*p.cert_pem); info.ok()) p.info = *info;
  }
  if (!p.cert_pem) {
    p.defect = cert + " is missing (" + key + " exists)";
  } else if (!p.info) {
    p.defect = cert + " is unreadable: " + ParseCertificate(*p.cert_pem).error().message;
  } else if (!p.key_pem) {
    p.defect = key + " is missing (" + cert + " exists)";
  } else if (Result<CaInfo> both = ParseCa(*p.cert_pem, *p.key_pem); !both.ok()) {
    p.defect = key + " is unreadable: " + ParsePrivateKey(*p.key_pem).error().message;
  } else {
    p.info = *both;
    if (!both->key_matches) {
      p.defect = key + " does not match " + cert;
    } else if (std::string d = CaDefect(*both); !d.empty()) {
      p.defect = cert + ": " + d;
    }
  }
  return p;
}

Status ValidateSpec(const spec::CaSpec& spec) {
  if (spec.validity <= seconds(0)) return Error::Invalid("ca.validity must be positive");
  if (spec.rotation < 1) return Error::Invalid("ca.rotation must be >= 1");
  if (spec.renew_before && (*spec.renew_before <= seconds(0) || *spec.renew_before >= spec.validity)) {
    return Error::Invalid("ca.renewBefore (" + Hours(*spec.renew_before) + ") must be positive and shorter than " +
                          "ca.validity (" + Hours(spec.validity) + "), or every new CA would be due at once");
  }
  return Status::Ok();
}

SystemTime RenewalTime(const CaInfo& info, const spec::CaSpec& spec) {
  if (spec.renew_before) return info.not_after - *spec.renew_before;
  return info.not_before + (info.not_after - info.not_before) * 2 / 3;
}

Decision Decide(const spec::CaSpec& spec, std::string_view gateway_name, const ObservedCa& o, SystemTime now) {
  Decision d;
  const CaPair& live = o.live;
  const Phase phase = PhaseOf(o);
  const bool next_good = NextGood(o, now);
  d.write_bundle = true;  // every kind but kKeep ends by writing the bundle it leaves behind

  // 1. A switch that began (ca-prev.* written, or ca-next.key already renamed over ca.key) is
  //    finished first, whatever else is true: the decision to switch was already taken.
  if (next_good && (o.prev.cert_pem || o.next_key_is_live)) {
    d.kind = Decision::Kind::kSwitch;
    d.switch_resumed = true;
    d.switch_key_in_place = o.next_key_is_live;
    d.keep_previous = o.prev.cert_pem.has_value();
    d.disruptive = true;
    d.reason = "complete the interrupted switch to the next CA " + Fp(o.next);
    return d;
  }

  // 2. No usable, unexpired live pair: nothing worth keeping trusted.
  const bool live_ok = live.Usable() && now < live.info->not_after;
  if (!live.Present()) {
    d.kind = Decision::Kind::kCreate;
    d.reason = "no CA yet";
  } else if (!live_ok) {
    const std::string why = live.Usable() ? "CA expired at " + FormatRfc3339(live.info->not_after) : live.defect;
    d.disruptive = true;
    if (next_good && phase == Phase::kStaged) {
      // Sandboxes already trust the staged CA: switch to it now instead of minting another.
      d.kind = Decision::Kind::kSwitch;
      d.keep_previous = false;
      d.reason = why + ": switch to the staged next CA " + Fp(o.next) + " now";
      return d;
    }
    d.kind = Decision::Kind::kReplace;
    d.reason = why;
  }
  if (d.kind != Decision::Kind::kKeep) {
    if (StagedCompletes(spec, o, now)) {
      // A previous apply archived the old pair and staged this one, then died before (or while)
      // swapping it in. Finish with the staged pair instead of minting yet another CA.
      d.half_swapped = o.staged_key_is_live;
      d.kind = Decision::Kind::kCompleteSwap;
      if (d.half_swapped) {
        d.reason = "complete interrupted rotation (ca.key already holds the staged key)";
        d.disruptive = false;  // the live pair is already broken; finishing is the only way back
      } else {
        d.reason = "complete interrupted rotation: " + d.reason;
      }
    }
    return d;
  }

  // 3. A usable live pair: the staged rotation.
  d.write_bundle = false;
  // Leftover ca.new.* of an interrupted immediate replace: removed by whatever this pass does.
  d.remove_staged = o.staged.cert_pem.has_value() || (o.staged.key_pem.has_value() && !o.staged_key_is_live);
  DriftWarnings(spec, gateway_name, *live.info, now, &d.warnings);
  const std::string rotate = RotateReason(spec, *live.info, now);
  const std::string wanted = WantedBundle(o);
  const bool bundle_ok = o.bundle && *o.bundle == wanted;
  switch (phase) {
    case Phase::kStable:
      if (!rotate.empty()) {
        d.kind = Decision::Kind::kStage;
        d.write_bundle = true;
        d.disruptive = true;
        d.reason = rotate + ": stage the next CA (old + new trusted; the proxy keeps signing with the old one)";
        return d;
      }
      break;
    case Phase::kStaged:
      if (!next_good) {
        if (!rotate.empty()) {
          d.kind = Decision::Kind::kStage;
          d.write_bundle = true;
          d.disruptive = true;
          d.reason = rotate + ": the staged next CA is unusable (" +
                     (o.next.defect.empty() ? std::string("expired") : o.next.defect) +
                     "); stage a fresh one (old + new trusted)";
          return d;
        }
        d.remove_next = true;
      } else if (bundle_ok) {
        const std::string gate = GateClosedReason(o.last_run, Phase::kStaged, Sha256Hex(wanted));
        if (gate.empty()) {
          d.kind = Decision::Kind::kSwitch;
          d.write_bundle = true;
          d.disruptive = true;
          d.reason = "rotation " + std::to_string(o.next.info->rotation) + " staged and the last run converged " +
                     "with old + new trusted: switch the proxy to the next CA " + Fp(o.next) +
                     " (proxy restart; the old CA stays trusted)";
          return d;
        }
        d.warnings.push_back("CA rotation staged (next CA " + Fp(o.next) + "); the switch waits: " + gate);
      }
      break;
    case Phase::kSwitched:
      if (o.next.Present()) d.remove_next = true;  // unusable leftover (a usable one is a resumed switch)
      if (bundle_ok && !d.remove_next) {
        const std::string gate = GateClosedReason(o.last_run, Phase::kSwitched, Sha256Hex(wanted));
        if (gate.empty()) {
          d.kind = Decision::Kind::kDrop;
          d.write_bundle = true;
          d.disruptive = true;
          d.reason = "rotation " + std::to_string(live.info->rotation) + " switched and the last run converged " +
                     "on the new CA: drop the previous CA " + Fp(o.prev) + " from the trust bundle";
          return d;
        }
        d.warnings.push_back("CA rotation switched (previous CA " + Fp(o.prev) +
                             " still trusted); dropping it waits: " + gate);
      }
      if (!rotate.empty()) d.warnings.push_back(rotate + ": starts once the current rotation completes");
      break;
  }

  d.chmod_cert = o.cert_stat.exists && o.cert_stat.mode != kCertMode;
  d.chmod_key = o.key_stat.exists && o.key_stat.mode != kKeyMode;
  std::vector<std::string> fixes;
  if (d.chmod_key) fixes.push_back("ca.key mode " + OctalMode(o.key_stat.mode) + " -> " + OctalMode(kKeyMode));
  if (d.chmod_cert) fixes.push_back("ca.crt mode " + OctalMode(o.cert_stat.mode) + " -> " + OctalMode(kCertMode));
  for (const auto& [name, mode] : o.rotation_modes) {
    const bool is_key = name.ends_with(".key");
    if (d.remove_next && name.rfind("ca-next.", 0) == 0) continue;
    const mode_t want = is_key ? kKeyMode : kCertMode;
    if (mode != want) {
      d.chmods.emplace_back(name, want);
      fixes.push_back(name + " mode " + OctalMode(mode) + " -> " + OctalMode(want));
    }
  }
  if (d.remove_staged) fixes.push_back("remove leftover ca.new.* from an interrupted rotation");
  if (d.remove_next) fixes.push_back("remove the unusable or unwanted staged ca-next.*");
  const std::optional<std::string> bundle = ProjectedBundle(d, o);
  if (bundle && (!o.bundle || *o.bundle != *bundle)) {
    d.write_bundle = true;
    d.disruptive = o.bundle.has_value();  // trust changes: sandboxes recycle
    fixes.push_back(std::string(o.bundle ? "rewrite" : "write") + " ca-trust.pem (" + std::string(ToString(ProjectedPhase(d, o))) +
                    ": " + (ProjectedPhase(d, o) == Phase::kStable ? "active CA only" : "old + new CA") + ")");
  }
  for (std::size_t i = 0; i < fixes.size(); ++i) d.reason += (i ? "; " : "") + fixes[i];
  return d;
}

std::string DesiredDigest(const spec::CaSpec& spec, std::string_view gateway_name) {
  const nlohmann::json j = {
      {"name", gateway_name},
      {"algorithm", spec::ToString(spec.algorithm)},
      {"validity_s", spec.validity.count()},
      {"renew_before_s", spec.renew_before ? nlohmann::json(spec.renew_before->count()) : nlohmann::json(nullptr)},
      {"rotation", spec.rotation}};
  return Sha256Hex(j.dump());
}

}  // namespace ironward::ca
