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

/// CaFacts for downstream reconcilers from what the files hold once `d` is applied (values not
/// known before apply are pending: the whole CA for a create/replace, the bundle for a stage).
void PublishFacts(ReconcileContext& ctx, const ObservedCa& o, const std::optional<std::string>& cert_pem,
                  const std::optional<std::string>& bundle, Phase phase) {
  CaFacts facts;
  facts.cert_path = o.cert_path;
  facts.key_path = o.key_path;
  facts.pending = !cert_pem.has_value();
  if (cert_pem) {
    if (Result<CaInfo> info = ParseCertificate(*cert_pem); info.ok()) facts.fingerprint_sha256 = info->fingerprint_sha256;
    facts.cert_digest = Sha256Hex(*cert_pem);
  }
  facts.trust_bundle_path = o.bundle_path;
  facts.trust_bundle_digest = bundle ? Sha256Hex(*bundle) : "";
  facts.rotation_phase = std::string(ToString(phase));
  ctx.facts.Publish(facts);
}

void PublishDecision(ReconcileContext& ctx, const ObservedCa& o, const Decision& d) {
  PublishFacts(ctx, o, ProjectedCert(d, o), ProjectedBundle(d, o), ProjectedPhase(d, o));
}

/// After apply: the files as they are now.
void PublishObserved(ReconcileContext& ctx, const ObservedCa& o) {
  PublishFacts(ctx, o, o.live.cert_pem, o.bundle, PhaseOf(o));
}

}  // namespace

Result<ObservedCa> CaReconciler::Observe(const ReconcileContext& /*ctx*/, const ReadDeps& deps) const {
  ObservedCa o;
  o.cert_path = deps.state.PathOf(kCertFile).string();
  o.key_path = deps.state.PathOf(kKeyFile).string();
  o.bundle_path = deps.state.PathOf(kTrustBundleFile).string();
  constexpr int kFiles = 9;
  std::optional<std::string> files[kFiles];
  const char* names[kFiles] = {kCertFile,    kKeyFile,     kNewCertFile,  kNewKeyFile,     kNextCertFile,
                               kNextKeyFile, kPrevCertFile, kPrevKeyFile, kTrustBundleFile};
  for (int i = 0; i < kFiles; ++i) {
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
  nlohmann::json modes = nlohmann::json::object();
  for (int i = 4; i < kFiles; ++i) {
    if (!files[i]) continue;
    Result<state::FileStat> st = StatState(deps.state, names[i]);
    if (!st.ok()) return st.error();
    o.rotation_modes.emplace_back(names[i], st->mode);
    modes[names[i]] = st->mode;
  }
  o.last_run = ReadLastRun(deps.state);
  // Digests only: the fingerprint ends up in saved plans, the key never does.
  nlohmann::json seen = {{"crt", DigestOf(files[0])},       {"key", DigestOf(files[1])},
                         {"new_crt", DigestOf(files[2])},   {"new_key", DigestOf(files[3])},
                         {"next_crt", DigestOf(files[4])},  {"next_key", DigestOf(files[5])},
                         {"prev_crt", DigestOf(files[6])},  {"prev_key", DigestOf(files[7])},
                         {"bundle", DigestOf(files[8])},    {"modes", modes},
                         {"crt_mode", o.cert_stat.exists ? o.cert_stat.mode : 0},
                         {"key_mode", o.key_stat.exists ? o.key_stat.mode : 0},
                         {"last_run", {o.last_run.converged, o.last_run.phase, o.last_run.bundle_digest}}};
  o.fingerprint = Sha256Hex(seen.dump());
  o.bundle = std::move(files[8]);
  o.live = MakePair(std::move(files[0]), std::move(files[1]), kCertFile, kKeyFile);
  if (files[2] && !files[3] && o.live.key_pem) {
    // ca.new.key was already renamed over ca.key; the staged cert pairs with the live key.
    o.staged_key_is_live = true;
    o.staged = MakePair(std::move(files[2]), o.live.key_pem, kNewCertFile, kKeyFile);
  } else {
    o.staged = MakePair(std::move(files[2]), std::move(files[3]), kNewCertFile, kNewKeyFile);
  }
  if (files[4] && !files[5] && o.live.key_pem) {
    // A switch renamed ca-next.key over ca.key and died before renaming the cert.
    CaPair half = MakePair(files[4], o.live.key_pem, kNextCertFile, kKeyFile);
    if (half.Usable()) {
      o.next = std::move(half);
      o.next_key_is_live = true;
    }
  }
  if (!o.next_key_is_live) o.next = MakePair(std::move(files[4]), std::move(files[5]), kNextCertFile, kNextKeyFile);
  o.prev = MakePair(std::move(files[6]), std::move(files[7]), kPrevCertFile, kPrevKeyFile);
  if (!o.prev.info && o.prev.cert_pem) {
    // A garbage ca-prev.crt cannot be trusted or kept: treat it as absent (the drop removes it).
    o.prev.cert_pem.reset();
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
  PublishDecision(ctx, o, d);
  plan.details = RotationDetails(o, spec);
  return plan;
}

Outcome CaReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) {
  const spec::CaSpec& spec = ctx.desired.spec.ca;
  // Precondition re-check: act on what is there now, not on what the plan saw.
  Result<ObservedCa> o = Observe(ctx, deps.Read());
  if (!o.ok()) return Outcome::Failed(o.error(), "ObserveFailed");
  const SystemTime now = deps.clock.Now();
  const Decision d = Decide(spec, ctx.desired.name, *o, now);
  if (d.InSync()) {
    PublishDecision(ctx, *o, d);
    return Outcome::Done(0, "CA already in sync");
  }
  if (o->fingerprint != plan.observed_fingerprint) {
    return Outcome::Retry("StalePlan", "CA files changed since the plan was made; re-plan before applying");
  }
  const bool planned_disruptive = std::any_of(plan.changes.begin(), plan.changes.end(),
                                              [](const Change& c) { return c.disruptive; });
  if (d.disruptive && !planned_disruptive) {
    // Same files, later clock (e.g. renewal came due): never do an unreviewed disruptive change.
    return Outcome::Retry("StalePlan", "a disruptive CA change (" + d.reason + ") became due since the plan; re-plan");
  }
  Result<Applied> applied = Execute(d, *o, spec, ctx.desired.name, deps.state, now);
  if (!applied.ok()) return Outcome::Failed(applied.error(), "CaApplyFailed");
  Outcome done = Outcome::Done(1, applied->message);
  // Facts and status from the files as they are now (re-observed, so they cannot drift from disk).
  Result<ObservedCa> after = Observe(ctx, deps.Read());
  if (!after.ok()) return Outcome::Failed(after.error(), "ObserveFailed");
  PublishObserved(ctx, *after);
  done.details = RotationDetails(*after, spec);
  if (PhaseOf(*after) != Phase::kStable) {
    // A rotation is under way: the next phase waits for a converged pass; `ironward run`
    // schedules one this soon (one-shot commands ignore it: run `ironward reconcile` again).
    done.after = kRotationRequeue;
    done.message += "; next rotation phase after a converged pass";
  }
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
