#include "reconcilers/ca/ca_apply.h"

#include <algorithm>
#include <set>

#include "state/fault.h"

namespace ironward::ca {
namespace {

std::string PathIn(std::string_view dir, std::string_view name) { return std::string(dir) + "/" + std::string(name); }

/// "2026-11-23T04:45:14Z" -> "20261123T044514Z" (file-name safe, still sortable).
std::string CompactUtc(SystemTime t) {
  std::string out;
  for (char c : FormatRfc3339(t)) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

Status Check(const Status& s, const std::string& context) {
  if (!s.ok()) return s.error().Wrap(context);
  return Status::Ok();
}

/// Installs the staged pair: rename ca.new.key over ca.key, then ca.new.crt over ca.crt. Each
/// rename is atomic; in between, ca.new.crt + ca.key form the pair a later run completes with.
Status SwapIn(state::StateWriter& w, bool key_in_place) {
  if (!key_in_place) {
    if (Status s = w.Rename(kNewKeyFile, kKeyFile); !s.ok()) return s.error().Wrap("swapping in ca.key");
  }
  IRONWARD_FAULT_POINT("ca.after-key-swap");
  return Check(w.Rename(kNewCertFile, kCertFile), "swapping in ca.crt");
}

Status WriteBundle(state::StateWriter& w, const std::string& bundle) {
  return Check(w.WriteAtomic(kTrustBundleFile, bundle, kCertMode), "writing ca-trust.pem");
}

Result<GeneratedCa> Mint(const spec::CaSpec& spec, std::string_view gateway_name, std::int64_t rotation,
                         SystemTime now) {
  CaRequest request;
  request.algorithm = spec.algorithm;
  request.subject = CaSubject::For(gateway_name, rotation);
  request.validity = spec.validity;
  request.now = now;
  Result<GeneratedCa> ca = GenerateCa(request);
  if (!ca.ok()) return ca.error().Wrap("generating CA");
  return ca;
}

/// Before an immediate create/replace: the rotation files are about a CA that is going away.
/// ca-next.* never signed anything (removed); ca-prev.* is archived, then removed.
Status ClearRotation(state::StateWriter& w, const ObservedCa& o, SystemTime now) {
  if (o.prev.key_pem) {
    if (Result<std::string> base = ArchivePair(w, o.prev, now); !base.ok()) return base.error();
  }
  for (const char* name : {kNextCertFile, kNextKeyFile, kPrevKeyFile, kPrevCertFile}) {
    if (Status s = w.Remove(name); !s.ok()) return s.error().Wrap(std::string("removing ") + name);
  }
  return Status::Ok();
}

/// Rotation phase 1: mint ca-next.* (key 0600 first), then trust old + new.
Result<Applied> Stage(const ObservedCa& o, const spec::CaSpec& spec, std::string_view gateway_name,
                      state::StateWriter& w, SystemTime now, const std::string& reason) {
  const std::int64_t rotation = std::max(spec.rotation, o.live.info->rotation);
  Result<GeneratedCa> ca = Mint(spec, gateway_name, rotation, now);
  if (!ca.ok()) return ca.error();
  if (Status s = w.WriteAtomic(kNextKeyFile, ca->key_pem, kKeyMode); !s.ok()) return s.error().Wrap("staging ca-next.key");
  IRONWARD_FAULT_POINT("ca.rotation.after-next-key");
  if (Status s = w.WriteAtomic(kNextCertFile, ca->cert_pem, kCertMode); !s.ok()) {
    return s.error().Wrap("staging ca-next.crt");
  }
  IRONWARD_FAULT_POINT("ca.rotation.after-next-cert");
  if (Status s = WriteBundle(w, Bundle(*o.live.cert_pem, ca->cert_pem)); !s.ok()) return s.error();
  Applied out;
  // reason = "<why>: stage the next CA (...)"; the message repeats only the why.
  out.message = "staged the next CA (" + reason.substr(0, reason.find(": stage")) +
                "): ca-trust.pem now holds old + new; the proxy keeps signing with the old CA";
  out.cert_pem = *o.live.cert_pem;
  return out;
}

/// Rotation phase 2: the next pair becomes the live one; the old one is kept as ca-prev.*
/// (written before the first rename, so the old key is never lost).
Result<Applied> Switch(const Decision& d, const ObservedCa& o, state::StateWriter& w, SystemTime now) {
  if (!d.switch_key_in_place) {
    if (d.keep_previous && !o.prev.cert_pem) {
      if (Status s = w.WriteAtomic(kPrevKeyFile, *o.live.key_pem, kKeyMode); !s.ok()) {
        return s.error().Wrap("saving ca-prev.key");
      }
      if (Status s = w.WriteAtomic(kPrevCertFile, *o.live.cert_pem, kCertMode); !s.ok()) {
        return s.error().Wrap("saving ca-prev.crt");
      }
    } else if (!d.keep_previous && o.live.Present()) {
      if (Result<std::string> base = ArchivePair(w, o.live, now); !base.ok()) return base.error();
    }
    IRONWARD_FAULT_POINT("ca.rotation.after-prev");
    if (Status s = w.Rename(kNextKeyFile, kKeyFile); !s.ok()) return s.error().Wrap("switching ca.key");
    IRONWARD_FAULT_POINT("ca.rotation.after-switch-key");
  }
  if (Status s = w.Rename(kNextCertFile, kCertFile); !s.ok()) return s.error().Wrap("switching ca.crt");
  IRONWARD_FAULT_POINT("ca.rotation.after-switch-cert");
  const std::string& next = *o.next.cert_pem;
  const std::string bundle =
      d.keep_previous ? Bundle(o.prev.cert_pem ? *o.prev.cert_pem : *o.live.cert_pem, next) : Bundle(next);
  if (Status s = WriteBundle(w, bundle); !s.ok()) return s.error();
  Applied out;
  out.message = std::string(d.switch_resumed ? "completed the interrupted switch" : "switched") +
                " the proxy's CA to the next one" +
                (d.keep_previous ? "; the previous CA stays trusted as ca-prev.crt" : "; the bundle trusts it alone");
  out.cert_pem = next;
  return out;
}

/// Rotation phase 3: archive ca-prev.*, remove it (key first), then trust the new CA only.
Result<Applied> Drop(const ObservedCa& o, state::StateWriter& w, SystemTime now) {
  std::string archived;
  if (o.prev.key_pem) {
    Result<std::string> base = ArchivePair(w, o.prev, now);
    if (!base.ok()) return base.error();
    archived = *base;
  }
  IRONWARD_FAULT_POINT("ca.rotation.after-archive-prev");
  if (Status s = Check(w.Remove(kPrevKeyFile), "removing ca-prev.key"); !s.ok()) return s.error();
  IRONWARD_FAULT_POINT("ca.rotation.after-prev-key-removed");
  if (Status s = Check(w.Remove(kPrevCertFile), "removing ca-prev.crt"); !s.ok()) return s.error();
  IRONWARD_FAULT_POINT("ca.rotation.after-prev-removed");
  if (Status s = WriteBundle(w, Bundle(*o.live.cert_pem)); !s.ok()) return s.error();
  Applied out;
  out.message = "dropped the previous CA from ca-trust.pem; rotation complete";
  if (!archived.empty()) out.message += " (old pair archived as ca-archive/" + archived + ".{crt,key})";
  out.cert_pem = *o.live.cert_pem;
  return out;
}

}  // namespace

Result<std::string> ArchivePair(state::StateWriter& w, const CaPair& live, SystemTime now) {
  const std::string prefix = "ca-r" + std::to_string(live.info ? live.info->rotation : 0) + "-";
  Result<std::vector<std::string>> names = w.List(kArchiveDir);
  if (!names.ok()) return names.error().Wrap("listing ca-archive");
  std::set<std::string> bases;
  for (const std::string& name : *names) {
    for (std::string_view ext : {".crt", ".key"}) {
      if (name.rfind(prefix, 0) == 0 && name.size() > ext.size() && name.ends_with(ext)) {
        bases.insert(name.substr(0, name.size() - ext.size()));
      }
    }
  }
  for (const std::string& base : bases) {
    Result<std::optional<std::string>> crt = w.Read(PathIn(kArchiveDir, base + ".crt"));
    Result<std::optional<std::string>> key = w.Read(PathIn(kArchiveDir, base + ".key"));
    if (crt.ok() && key.ok() && *crt == live.cert_pem && *key == live.key_pem) return base;
  }
  std::string base = prefix + CompactUtc(now);
  for (int n = 2; bases.count(base) != 0; ++n) base = prefix + CompactUtc(now) + "-" + std::to_string(n);
  if (live.key_pem) {
    if (Status s = w.WriteAtomic(PathIn(kArchiveDir, base + ".key"), *live.key_pem, kKeyMode); !s.ok()) {
      return s.error().Wrap("archiving ca.key");
    }
  }
  if (live.cert_pem) {
    if (Status s = w.WriteAtomic(PathIn(kArchiveDir, base + ".crt"), *live.cert_pem, kCertMode); !s.ok()) {
      return s.error().Wrap("archiving ca.crt");
    }
  }
  return base;
}

Result<Applied> Execute(const Decision& d, const ObservedCa& o, const spec::CaSpec& spec,
                        std::string_view gateway_name, state::StateWriter& w, SystemTime now) {
  if (Status s = w.EnsureRoot(); !s.ok()) return s.error().Wrap("state directory");
  Applied out;
  switch (d.kind) {
    case Decision::Kind::kKeep: {
      if (d.chmod_key) {
        if (Status s = Check(w.Chmod(kKeyFile, kKeyMode), "chmod ca.key"); !s.ok()) return s.error();
      }
      if (d.chmod_cert) {
        if (Status s = Check(w.Chmod(kCertFile, kCertMode), "chmod ca.crt"); !s.ok()) return s.error();
      }
      for (const auto& [name, mode] : d.chmods) {
        if (Status s = Check(w.Chmod(name, mode), "chmod " + name); !s.ok()) return s.error();
      }
      if (d.remove_staged) {
        if (Status s = Check(w.Remove(kNewCertFile), "removing ca.new.crt"); !s.ok()) return s.error();
        if (Status s = Check(w.Remove(kNewKeyFile), "removing ca.new.key"); !s.ok()) return s.error();
      }
      if (d.remove_next) {
        // The staged next CA never signed anything; the cert goes first so no half pair is trusted.
        if (Status s = Check(w.Remove(kNextCertFile), "removing ca-next.crt"); !s.ok()) return s.error();
        if (Status s = Check(w.Remove(kNextKeyFile), "removing ca-next.key"); !s.ok()) return s.error();
      }
      if (d.write_bundle) {
        const std::optional<std::string> bundle = ProjectedBundle(d, o);
        if (bundle) {
          if (Status s = WriteBundle(w, *bundle); !s.ok()) return s.error();
        }
      }
      out.message = "CA kept; " + d.reason;
      out.cert_pem = o.live.cert_pem.value_or("");
      return out;
    }
    case Decision::Kind::kStage:
    case Decision::Kind::kSwitch:
    case Decision::Kind::kDrop: {
      if (d.remove_staged) {
        if (Status s = Check(w.Remove(kNewCertFile), "removing ca.new.crt"); !s.ok()) return s.error();
        if (Status s = Check(w.Remove(kNewKeyFile), "removing ca.new.key"); !s.ok()) return s.error();
      }
      if (d.kind == Decision::Kind::kStage) return Stage(o, spec, gateway_name, w, now, d.reason);
      if (d.kind == Decision::Kind::kSwitch) return Switch(d, o, w, now);
      return Drop(o, w, now);
    }
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace: {
      std::string archived;
      if (o.live.Present()) {
        Result<std::string> base = ArchivePair(w, o.live, now);
        if (!base.ok()) return base.error();
        archived = *base;
      }
      if (Status s = ClearRotation(w, o, now); !s.ok()) return s.error();
      IRONWARD_FAULT_POINT("ca.after-archive");
      Result<GeneratedCa> ca = Mint(spec, gateway_name, spec.rotation, now);
      if (!ca.ok()) return ca.error();
      if (Status s = w.WriteAtomic(kNewKeyFile, ca->key_pem, kKeyMode); !s.ok()) {
        return s.error().Wrap("staging ca.new.key");
      }
      IRONWARD_FAULT_POINT("ca.after-new-key");
      if (Status s = w.WriteAtomic(kNewCertFile, ca->cert_pem, kCertMode); !s.ok()) {
        return s.error().Wrap("staging ca.new.crt");
      }
      if (Status s = SwapIn(w, false); !s.ok()) return s.error();
      if (Status s = WriteBundle(w, Bundle(ca->cert_pem)); !s.ok()) return s.error();
      out.message = (d.kind == Decision::Kind::kCreate ? "created CA (" : "replaced CA (") + d.reason + ")";
      if (!archived.empty()) out.message += "; old pair archived as ca-archive/" + archived + ".{crt,key}";
      out.cert_pem = ca->cert_pem;
      return out;
    }
    case Decision::Kind::kCompleteSwap: {
      if (!d.half_swapped && o.live.Present()) {
        // Normally archived before staging; identical copies are not written twice.
        if (Result<std::string> base = ArchivePair(w, o.live, now); !base.ok()) return base.error();
      }
      if (Status s = ClearRotation(w, o, now); !s.ok()) return s.error();
      if (Status s = SwapIn(w, d.half_swapped); !s.ok()) return s.error();
      if (Status s = WriteBundle(w, Bundle(*o.staged.cert_pem)); !s.ok()) return s.error();
      out.message = d.reason;
      out.cert_pem = *o.staged.cert_pem;
      return out;
    }
  }
  return Error::Terminal("unknown CA decision");
}

}  // namespace ironward::ca
