#include "reconcilers/ca/ca_apply.h"

#include <set>

#include "state/fault.h"

namespace ironward::ca {
namespace {

std::string Join(std::string_view dir, std::string_view name) { return std::string(dir) + "/" + std::string(name); }

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
    Result<std::optional<std::string>> crt = w.Read(Join(kArchiveDir, base + ".crt"));
    Result<std::optional<std::string>> key = w.Read(Join(kArchiveDir, base + ".key"));
    if (crt.ok() && key.ok() && *crt == live.cert_pem && *key == live.key_pem) return base;
  }
  std::string base = prefix + CompactUtc(now);
  for (int n = 2; bases.count(base) != 0; ++n) base = prefix + CompactUtc(now) + "-" + std::to_string(n);
  if (live.key_pem) {
    if (Status s = w.WriteAtomic(Join(kArchiveDir, base + ".key"), *live.key_pem, kKeyMode); !s.ok()) {
      return s.error().Wrap("archiving ca.key");
    }
  }
  if (live.cert_pem) {
    if (Status s = w.WriteAtomic(Join(kArchiveDir, base + ".crt"), *live.cert_pem, kCertMode); !s.ok()) {
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
      if (d.remove_staged) {
        if (Status s = Check(w.Remove(kNewCertFile), "removing ca.new.crt"); !s.ok()) return s.error();
        if (Status s = Check(w.Remove(kNewKeyFile), "removing ca.new.key"); !s.ok()) return s.error();
      }
      out.message = "CA kept; " + d.reason;
      out.cert_pem = o.live.cert_pem.value_or("");
      return out;
    }
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace: {
      std::string archived;
      if (o.live.Present()) {
        Result<std::string> base = ArchivePair(w, o.live, now);
        if (!base.ok()) return base.error();
        archived = *base;
      }
      IRONWARD_FAULT_POINT("ca.after-archive");
      CaRequest request;
      request.algorithm = spec.algorithm;
      request.subject = CaSubject::For(gateway_name, spec.rotation);
      request.validity = spec.validity;
      request.now = now;
      Result<GeneratedCa> ca = GenerateCa(request);
      if (!ca.ok()) return ca.error().Wrap("generating CA");
      if (Status s = w.WriteAtomic(kNewKeyFile, ca->key_pem, kKeyMode); !s.ok()) {
        return s.error().Wrap("staging ca.new.key");
      }
      IRONWARD_FAULT_POINT("ca.after-new-key");
      if (Status s = w.WriteAtomic(kNewCertFile, ca->cert_pem, kCertMode); !s.ok()) {
        return s.error().Wrap("staging ca.new.crt");
      }
      if (Status s = SwapIn(w, false); !s.ok()) return s.error();
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
      if (Status s = SwapIn(w, d.half_swapped); !s.ok()) return s.error();
      out.message = d.reason;
      out.cert_pem = *o.staged.cert_pem;
      return out;
    }
  }
  return Error::Terminal("unknown CA decision");
}

}  // namespace ironward::ca
