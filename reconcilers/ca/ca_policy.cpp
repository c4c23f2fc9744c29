#include "reconcilers/ca/ca_policy.h"

#include <cstdio>
#include <cstdlib>

#include "state/encoding.h"

namespace ironward::ca {
namespace {

using std::chrono::seconds;

/// Slack when comparing a certificate's lifetime to ca.validity (notBefore is backdated 1 min).
constexpr seconds kValiditySlack{120};

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string Hours(seconds s) {
  if (s.count() % 3600 == 0) return std::to_string(s.count() / 3600) + "h";
  return std::to_string(s.count()) + "s";
}

/// Why a usable live pair must still be replaced ("" = it may stay). Always disruptive.
std::string ReplaceReason(const spec::CaSpec& spec, const CaInfo& info, SystemTime now) {
  if (info.rotation < spec.rotation) {
    return "ca.rotation " + std::to_string(info.rotation) + " -> " + std::to_string(spec.rotation);
  }
  if (now >= info.not_after) return "CA expired at " + FormatRfc3339(info.not_after);
  const SystemTime renewal = RenewalTime(info, spec);
  if (now >= renewal) return "renewal due since " + FormatRfc3339(renewal);
  return "";
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

}  // namespace

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

nlohmann::json StatusDetails(const CaInfo& info, const spec::CaSpec& spec) {
  return {{"fingerprint_sha256", info.fingerprint_sha256},
          {"not_before", FormatRfc3339(info.not_before)},
          {"not_after", FormatRfc3339(info.not_after)},
          {"renewal_time", FormatRfc3339(RenewalTime(info, spec))},
          {"algorithm", info.algorithm},
          {"rotation", info.rotation}};
}

nlohmann::json Summary(const CaInfo& info) {
  return {{"fingerprint_sha256", info.fingerprint_sha256},
          {"not_after", FormatRfc3339(info.not_after)},
          {"algorithm", info.algorithm},
          {"rotation", info.rotation}};
}

Decision Decide(const spec::CaSpec& spec, std::string_view gateway_name, const ObservedCa& o, SystemTime now) {
  Decision d;
  const CaPair& live = o.live;
  if (!live.Present()) {
    d.kind = Decision::Kind::kCreate;
    d.reason = "no CA yet";
  } else if (!live.Usable()) {
    d.kind = Decision::Kind::kReplace;
    d.reason = live.defect;
    d.disruptive = true;
  } else if (std::string why = ReplaceReason(spec, *live.info, now); !why.empty()) {
    d.kind = Decision::Kind::kReplace;
    d.reason = why;
    d.disruptive = true;
  } else {
    DriftWarnings(spec, gateway_name, *live.info, now, &d.warnings);
  }

  if (d.kind != Decision::Kind::kKeep && StagedCompletes(spec, o, now)) {
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
    return d;
  }
  if (d.kind != Decision::Kind::kKeep) return d;

  d.remove_staged = o.staged.cert_pem.has_value() || (o.staged.key_pem.has_value() && !o.staged_key_is_live);
  d.chmod_cert = o.cert_stat.exists && o.cert_stat.mode != kCertMode;
  d.chmod_key = o.key_stat.exists && o.key_stat.mode != kKeyMode;
  std::vector<std::string> fixes;
  if (d.chmod_key) fixes.push_back("ca.key mode " + Octal(o.key_stat.mode) + " -> " + Octal(kKeyMode));
  if (d.chmod_cert) fixes.push_back("ca.crt mode " + Octal(o.cert_stat.mode) + " -> " + Octal(kCertMode));
  if (d.remove_staged) fixes.push_back("remove leftover ca.new.* from an interrupted rotation");
  for (std::size_t i = 0; i < fixes.size(); ++i) d.reason += (i ? "; " : "") + fixes[i];
  return d;
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
    case Decision::Kind::kKeep:
      c.action = Action::kUpdate;
      c.after = c.before;
      if (d.chmod_key) {
        c.before["key_mode"] = Octal(o.key_stat.mode);
        c.after["key_mode"] = Octal(kKeyMode);
      }
      if (d.chmod_cert) {
        c.before["cert_mode"] = Octal(o.cert_stat.mode);
        c.after["cert_mode"] = Octal(kCertMode);
      }
      if (d.remove_staged) {
        c.before["staged"] = true;
        c.after["staged"] = false;
      }
      break;
  }
  return c;
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
