#include "reconcilers/ca/ca_reconciler.h"

#include <algorithm>

#include "reconcilers/ca/ca_apply.h"
#include "state/encoding.h"

namespace ironward::ca {
namespace {

Result<std::optional<std::string>> ReadState(const state::StateReader& s, const char* name) {
  Result<std::optional<std::string>> r = s.Read(name);
  if (!r.ok()) return r.error().Wrap(std::string("reading ") + name);
  return r;
}

Result<state::FileStat> StatState(const state::StateReader& s, const char* name) {
  Result<state::FileStat> r = s.Stat(name);
  if (!r.ok()) return r.error().Wrap(std::string("stat ") + name);
  return r;
}

nlohmann::json DigestOf(const std::optional<std::string>& content) {
  return content ? nlohmann::json(Sha256Hex(*content)) : nlohmann::json(nullptr);
}

/// CaFacts for downstream reconcilers; `cert_pem` null = a new CA will be minted (pending).
void PublishFacts(ReconcileContext& ctx, const ObservedCa& o, const std::string* cert_pem) {
  CaFacts facts;
  facts.cert_path = o.cert_path;
  facts.key_path = o.key_path;
  facts.pending = cert_pem == nullptr;
  if (cert_pem != nullptr) {
    if (Result<CaInfo> info = ParseCertificate(*cert_pem); info.ok()) facts.fingerprint_sha256 = info->fingerprint_sha256;
    facts.cert_digest = Sha256Hex(*cert_pem);
  }
  ctx.facts.ca = facts;
}

/// The certificate the state directory will hold once `d` is applied (null = not known yet).
const std::string* ProjectedCert(const Decision& d, const ObservedCa& o) {
  switch (d.kind) {
    case Decision::Kind::kKeep: return o.live.cert_pem ? &*o.live.cert_pem : nullptr;
    case Decision::Kind::kCompleteSwap: return &*o.staged.cert_pem;
    case Decision::Kind::kCreate:
    case Decision::Kind::kReplace: return nullptr;
  }
  return nullptr;
}

Outcome MakeOutcome(Outcome::Kind kind, std::string reason, std::string message, int changed) {
  Outcome out;
  out.kind = kind;
  out.reason = std::move(reason);
  out.message = std::move(message);
  out.changed = changed;
  return out;
}

}  // namespace

Result<ObservedCa> CaReconciler::Observe(const ReconcileContext& /*ctx*/, const ReadDeps& deps) const {
  ObservedCa o;
  o.cert_path = deps.state.PathOf(kCertFile).string();
  o.key_path = deps.state.PathOf(kKeyFile).string();
  std::optional<std::string> files[4];
  const char* names[4] = {kCertFile, kKeyFile, kNewCertFile, kNewKeyFile};
  for (int i = 0; i < 4; ++i) {
    Result<std::optional<std::string>> r = ReadState(deps.state, names[i]);
    if (!r.ok()) return r.error();
    files[i] = std::move(*r);
  }
  Result<state::FileStat> cert_stat = StatState(deps.state, kCertFile);
  if (!cert_stat.ok()) return cert_stat.error();
  Result<state::FileStat> key_stat = StatState(deps.state, kKeyFile);
  if (!key_stat.ok()) return key_stat.error();
  o.cert_stat = *cert_stat;
  o.key_stat = *key_stat;
  // Digests only: the fingerprint ends up in saved plans, the key never does.
  o.fingerprint = Sha256Hex(nlohmann::json{{"crt", DigestOf(files[0])},
                                           {"key", DigestOf(files[1])},
                                           {"new_crt", DigestOf(files[2])},
                                           {"new_key", DigestOf(files[3])},
                                           {"crt_mode", o.cert_stat.exists ? o.cert_stat.mode : 0},
                                           {"key_mode", o.key_stat.exists ? o.key_stat.mode : 0}}
                                .dump());
  o.live = MakePair(std::move(files[0]), std::move(files[1]), kCertFile, kKeyFile);
  if (files[2] && !files[3] && o.live.key_pem) {
    // ca.new.key was already renamed over ca.key; the staged cert pairs with the live key.
    o.staged_key_is_live = true;
    o.staged = MakePair(std::move(files[2]), o.live.key_pem, kNewCertFile, kKeyFile);
  } else {
    o.staged = MakePair(std::move(files[2]), std::move(files[3]), kNewCertFile, kNewKeyFile);
  }
  return o;
}

ResourcePlan CaReconciler::Diff(ReconcileContext& ctx, const ObservedCa& o, const Clock& clock) const {
  const spec::CaSpec& spec = ctx.desired.spec.ca;
  ResourcePlan plan;
  plan.desired_digest = DesiredDigest(spec, ctx.desired.name);
  plan.observed_fingerprint = o.fingerprint;
  if (Status s = ValidateSpec(spec); !s.ok()) {
    plan.error = s.error();
    return plan;
  }
  const Decision d = Decide(spec, ctx.desired.name, o, clock.Now());
  plan.warnings = d.warnings;
  if (!d.InSync()) plan.changes.push_back(ToChange(d, o, spec));
  PublishFacts(ctx, o, ProjectedCert(d, o));
  if (o.live.info) plan.details = StatusDetails(*o.live.info, spec);
  return plan;
}

Outcome CaReconciler::Apply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) {
  if (plan.error) return Outcome::Failed(*plan.error, "PlanFailed");
  if (ctx.dry_run) return MakeOutcome(Outcome::Kind::kDone, "DryRun", "dry run: nothing applied", 0);
  const spec::CaSpec& spec = ctx.desired.spec.ca;
  if (Status s = ValidateSpec(spec); !s.ok()) return Outcome::Failed(s.error(), "InvalidSpec");

  // Precondition re-check: act on what is there now, not on what the plan saw.
  Result<ObservedCa> o = Observe(ctx, deps.Read());
  if (!o.ok()) return Outcome::Failed(o.error(), "ObserveFailed");
  const SystemTime now = deps.clock.Now();
  const Decision d = Decide(spec, ctx.desired.name, *o, now);
  if (d.InSync() || plan.changes.empty()) {
    PublishFacts(ctx, *o, ProjectedCert(d, *o));
    // A plan without changes never turns into a (possibly disruptive) change at apply time.
    return Outcome::Done(0, d.InSync() ? "CA already in sync" : "the plan had no CA changes; re-plan to see new ones");
  }
  if (o->fingerprint != plan.observed_fingerprint) {
    return MakeOutcome(Outcome::Kind::kRetry, "StalePlan",
                       "CA files changed since the plan was made; re-plan before applying", 0);
  }
  const bool planned_disruptive = std::any_of(plan.changes.begin(), plan.changes.end(),
                                              [](const Change& c) { return c.disruptive; });
  if (d.disruptive && !planned_disruptive) {
    // Same files, later clock (e.g. renewal came due): never do an unreviewed disruptive change.
    return MakeOutcome(Outcome::Kind::kRetry, "StalePlan",
                       "a disruptive CA change (" + d.reason + ") became due since the plan; re-plan", 0);
  }
  Result<Applied> applied = Execute(d, *o, spec, ctx.desired.name, deps.state, now);
  if (!applied.ok()) return Outcome::Failed(applied.error(), "CaApplyFailed");
  PublishFacts(ctx, *o, applied->cert_pem.empty() ? nullptr : &applied->cert_pem);
  Outcome done = Outcome::Done(1, applied->message);
  if (auto details = ReadCaStatus(deps.state, spec); details.ok() && details->has_value()) done.details = **details;
  return done;
}

Result<std::optional<nlohmann::json>> ReadCaStatus(const state::StateReader& state, const spec::CaSpec& spec) {
  Result<std::optional<std::string>> cert = ReadState(state, kCertFile);
  if (!cert.ok()) return cert.error();
  if (!cert->has_value()) return std::optional<nlohmann::json>();
  Result<CaInfo> info = ParseCertificate(**cert);
  if (!info.ok()) return info.error().Wrap("ca.crt");
  return std::optional<nlohmann::json>(StatusDetails(*info, spec));
}

}  // namespace ironward::ca
