#include "reconcilers/sandboxes/sandboxes_reconciler.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/docker/docker_host.h"
#include "reconcilers/docker/pass_snapshot.h"
#include "reconcilers/sandboxes/container_spec.h"
#include "reconcilers/sandboxes/sandbox_steps.h"
#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {



std::size_t Parallelism(const ReconcileContext& ctx) {
  return static_cast<std::size_t>(std::max(1, ctx.desired.spec.reconcile.parallelism));
}

Error NoEngine() {
  return Error::Terminal(
      "no Docker engine client: DOCKER_HOST is not usable (only unix:// sockets are supported; unset it for "
      "/var/run/docker.sock)");
}

/// Summary of what a container is or will be. Token values appear only as SensitiveLabel().
nlohmann::json After(const WantedContainer& want, const EgressWiring& w) {
  const spec::Sandbox& s = *want.sandbox;
  nlohmann::json tokens = nlohmann::json::object();
  for (const auto& name : w.token_names) {
    auto it = w.tokens.find(name);
    tokens[name] = it == w.tokens.end() ? nlohmann::json(kKnownAfterApply) : nlohmann::json(SensitiveLabel(it->second));
  }
  const std::string& digest = want.spec_digest;
  nlohmann::json after = {{"image", s.image},
          {"state", "running"},
          {"spec_digest", digest.empty() ? std::string(kKnownAfterApply) : ShortDigest(digest)},
          {"egress_ca", w.ca_digest.empty() ? std::string(kKnownAfterApply) : ShortDigest(w.ca_digest)},
          {"token_rotation", w.token_rotation},
          {"https_proxy", w.NetworkPending() ? std::string(kKnownAfterApply) : w.HttpsProxyUrl()},
          {"network", w.network_mode},
          {"tokens", tokens}};
  if (!w.proxy_variables) after.erase("https_proxy");  // routing dns: not set in the sandbox
  if (!w.dns_servers.empty()) after["dns"] = w.dns_servers;
  // secretEnv: digests only, never a value.
  for (const auto& [var, secret] : s.secret_env) {
    nlohmann::json v = kKnownAfterApply;
    if (w.secret_missing.count(secret) != 0) v = "missing";
    else if (auto d = w.secret_digests.find(secret); d != w.secret_digests.end()) v = "sha256:" + ShortDigest(d->second);
    after["secret_env"][var] = {{"secret", secret}, {"digest", v}};
  }
  return after;
}

nlohmann::json Before(const OwnedContainer& c) {
  nlohmann::json j = {{"id", c.summary.id.substr(0, 12)},
          {"name", c.summary.name},
          {"image", c.summary.image},
          {"state", c.summary.state},
          {"spec_digest", ShortDigest(c.labels.spec_digest)},
          {"egress_ca", ShortDigest(c.labels.egress_ca)},
          {"token_rotation", c.labels.token_rotation ? nlohmann::json(*c.labels.token_rotation) : nlohmann::json()}};
  if (!c.labels.secret_env.empty()) j["secret_env_digest"] = ShortDigest(c.labels.secret_env);
  return j;
}

const OwnedContainer* FindOwned(const ObservedSandboxes& o, const std::string& id) {
  for (const auto& c : o.owned) {
    if (c.summary.id == id) return &c;
  }
  return nullptr;
}

Change ToChange(const Step& step, const DesiredContainers& want, const ObservedSandboxes& o) {
  Change c;
  c.address = ContainerAddress(step.sandbox);
  c.type = kSandboxType;
  c.reason = step.reason + (step.blocked.empty() ? "" : "; blocked: " + step.blocked);
  c.fields = step.fields;
  switch (step.kind) {
    case Step::Kind::kCreate: c.action = Action::kCreate; break;
    case Step::Kind::kReplace: c.action = Action::kReplace; c.disruptive = true; break;
    case Step::Kind::kDelete: c.action = Action::kDelete; c.disruptive = true; break;
  }
  if (const OwnedContainer* owned = FindOwned(o, step.container_id)) c.before = Before(*owned);
  if (step.spec != nullptr) c.after = After(want.Of(*step.spec), want.wiring());
  return c;
}

/// The health a list entry's status shows ("Up 2 minutes (healthy)"); "" without a healthcheck.
std::string ListedHealth(const std::string& status) {
  for (const char* h : {"unhealthy", "healthy"}) {
    if (status.find(std::string("(") + h + ")") != std::string::npos) return h;
  }
  return status.find("(health: starting)") != std::string::npos ? "starting" : "";
}

/// managed/running counts, plus the health of sandboxes with a healthcheck and how finished ones
/// ended ("exited (0)").
nlohmann::json Details(const ObservedSandboxes& o) {
  nlohmann::json d = {{"managed", o.owned.size()}, {"running", o.Running()}};
  for (const auto& c : o.owned) {
    const std::string health = c.info ? c.info->state.health : ListedHealth(c.summary.status);
    if (!health.empty()) d["health"][c.labels.sandbox] = health;
    if (c.summary.state == "exited") d["exited"][c.labels.sandbox] = c.summary.status;
  }
  return d;
}

}  // namespace

MountPolicyInputs HostMountPolicyInputs(const std::string& state_dir, const std::optional<std::string>& home,
                                        const std::string& env_file) {
  MountPolicyInputs in;
  if (home) {
    in.home = *home;
  } else if (const char* h = std::getenv("HOME"); h != nullptr) {
    in.home = h;
  }
  in.state_dir = state_dir;
  std::ifstream passwd(kPasswdFile);
  std::stringstream text;
  text << passwd.rdbuf();
  in.account_homes = PersonHomes(text.str());
  in.config_paths = {kConfigDir, env_file};
  if (auto ep = docker::DockerEndpointFromEnvironment(); ep.ok()) in.docker_sockets.push_back(ep->socket_path);
  return in;
}

MountPolicy SandboxesReconciler::Policy(const ReadDeps& deps, const std::string& env_file) const {
  return MountPolicy(HostMountPolicyInputs(deps.state.root().string(), options_.home, env_file));
}

Result<ObservedSandboxes> SandboxesReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  const auto& declared = ctx.desired.spec.sandboxes;
  // Refuse forbidden mounts before looking at the engine: nothing is created with them.
  const MountPolicy policy = Policy(deps, ctx.desired.spec.credentials.env_file);
  std::string refused;
  for (const auto& s : declared) {
    for (const auto& m : s.mounts) {
      if (std::string why = policy.Check(MountPolicy::HostPathOf(m)); !why.empty()) {
        refused += std::string(refused.empty() ? "" : "; ") + "sandbox '" + s.name + "' mount '" + m + "': " + why;
      }
    }
  }
  if (!refused.empty()) return Error::Invalid("forbidden mount(s), nothing was created: " + refused);

  ObservedSandboxes o;
  if (deps.docker == nullptr) {
    if (!declared.empty()) return NoEngine();
    o.no_engine = "no Docker engine client (DOCKER_HOST not usable)";
    o.fingerprint = Sha256Hex("no-engine");
    return o;
  }
  auto list = deps.docker->ListContainers({}, true);
  if (!list) {
    if (declared.empty()) {
      o.no_engine = list.error().message;
      o.fingerprint = Sha256Hex("no-engine");
      return o;
    }
    return list.error().Wrap("listing containers");
  }
  // Which running containers to inspect: all of them for a full drift check, else those whose
  // list entry does not prove them in sync (docs/sandboxes.md#drift-checks).
  std::optional<DesiredContainers> listed_want;
  if (ctx.drift_check == DriftCheck::kListed) {
    if (auto w = CollectWiring(ctx); w.ok()) listed_want.emplace(declared, std::move(*w));
  }
  std::vector<std::size_t> to_inspect;  // indexes into o.owned
  std::string fp;
  for (auto& summary : *list) {
    ContainerLabels labels = ReadLabels(summary.labels);
    if (labels.owner != ctx.desired.name) {
      o.foreign[summary.name] = summary.id;
      continue;
    }
    OwnedContainer c{summary, labels, std::nullopt};
    if (summary.state == "running" && !(listed_want && ListProvesInSync(*listed_want, c))) {
      to_inspect.push_back(o.owned.size());
    }
    fp += summary.id + " " + summary.name + " " + summary.state + " " + labels.spec_digest + " " + labels.posture +
          (labels.secret_env.empty() ? "" : " " + labels.secret_env) + "\n";
    o.owned.push_back(std::move(c));
  }
  std::vector<std::string> ids;
  for (std::size_t i : to_inspect) ids.push_back(o.owned[i].summary.id);
  auto infos = docker::InspectContainers(*deps.docker, ids, Parallelism(ctx));
  for (std::size_t k = 0; k < to_inspect.size(); ++k) {
    OwnedContainer& c = o.owned[to_inspect[k]];
    if (!infos[k]) return infos[k].error().Wrap("inspecting " + c.summary.name);
    c.info = std::move(*infos[k]);  // nullopt: removed meanwhile; the labels still decide
  }
  o.inspected = to_inspect.size();
  spdlog::debug("sandboxes: {} owned container(s), {} inspected ({} drift check)", o.owned.size(), o.inspected,
                ctx.drift_check == DriftCheck::kListed ? "list-proven" : "full");
  for (const auto& s : declared) {
    if (auto f = o.foreign.find(s.name); f != o.foreign.end()) fp += "foreign " + s.name + " " + f->second + "\n";
  }
  o.fingerprint = Sha256Hex(fp);
  return o;
}

ResourcePlan SandboxesReconciler::Diff(ReconcileContext& ctx, const ObservedSandboxes& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.details = Details(o);
  if (!o.no_engine.empty()) {
    // Nothing needs Docker: not worth a warning on every plan of a host without it.
    plan.details["engine"] = "absent (" + o.no_engine + "); no sandboxes are declared, so there is nothing to do";
    ctx.facts.Publish(SandboxFacts{});
    return plan;
  }
  auto wiring = CollectWiring(ctx);
  if (!wiring) {
    plan.error = wiring.error();
    return plan;
  }
  const DesiredContainers want(ctx.desired.spec.sandboxes, std::move(*wiring));
  const EgressWiring& w = want.wiring();
  std::string desired;
  for (const WantedContainer& c : want.all()) {
    const std::string& secret_env = c.secret_env.digest;
    desired += c.sandbox->name + "=" + c.spec_digest + (secret_env.empty() ? "" : " " + secret_env) + "\n";
  }
  plan.desired_digest = Sha256Hex(desired + (w.Pending() ? std::string(kKnownAfterApply) : w.PostureDigest()));

  const SandboxDecision d = Decide(ctx.desired, want, o);
  plan.warnings = d.warnings;
  if (ctx.facts.config() && !ctx.facts.config()->pending && ctx.facts.config()->bind_address.rfind("127.", 0) == 0 &&
      !ctx.desired.spec.sandboxes.empty()) {
    plan.warnings.push_back("the proxy listens on loopback (" + ctx.facts.config()->bind_address +
                            ") only; sandboxes cannot reach it (use proxy.bind: docker-bridge or sandbox-network)");
  }
  if (d.error) {
    plan.error = *d.error;
    return plan;
  }
  SandboxFacts facts;
  for (const auto& [name, id] : d.in_sync) facts.container_ids[name] = id;
  for (const auto& step : d.steps) {
    plan.changes.push_back(ToChange(step, want, o));
    if (step.spec != nullptr) facts.container_ids[step.sandbox] = "";
  }
  ctx.facts.Publish(std::move(facts));
  return plan;
}

Outcome SandboxesReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) {
  // Not reached from the engine (without an engine the plan has an error or no changes); kept
  // because everything below dereferences deps.docker.
  if (deps.docker == nullptr) {
    if (ctx.desired.spec.sandboxes.empty()) return Outcome::Done(0, "no sandboxes declared");
    return Outcome::Failed(NoEngine(), "NoDockerEngine");
  }
  // Re-observe: act on what is there now, not on what the plan saw.
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  auto wiring = CollectWiring(ctx);
  if (!wiring) return Outcome::Failed(wiring.error(), "WiringUnavailable");
  const DesiredContainers want(ctx.desired.spec.sandboxes, std::move(*wiring));
  const EgressWiring& w = want.wiring();
  if (w.Pending()) {
    std::string what;
    for (const auto& p : w.pending) what += (what.empty() ? "" : ", ") + p;
    return Outcome::Failed(Error::Transient("egress inputs still pending after the upstream resources applied: " + what),
                           "WiringPending");
  }
  const SandboxDecision d = Decide(ctx.desired, want, *observed);
  if (d.error) return Outcome::Failed(*d.error, "NameConflict");

  SandboxFacts facts;
  for (const auto& [name, id] : d.in_sync) facts.container_ids[name] = id;
  StepsOptions run{options_.stop_timeout, Parallelism(ctx), options_.progress, options_.progress_every_step};
  if (!options_.progress) {
    run.progress = TerminalProgressSink();
    run.every_step = static_cast<bool>(run.progress);
    if (!run.progress) run.progress = LogProgressSink();
  }
  const std::vector<StepResult> results = RunSteps(*deps.docker, d.steps, w, run);
  int changed = 0;
  std::vector<std::string> failures;  // in plan (= spec) order, whatever order the steps finished in
  bool transient = false;
  for (std::size_t i = 0; i < d.steps.size(); ++i) {
    const Step& step = d.steps[i];
    const StepResult& r = results[i];
    // A replace counts once (its removal); a create when its container is up.
    if (r.removed) ++changed;
    if (!r.created_id.empty()) {
      if (step.kind == Step::Kind::kCreate) ++changed;
      facts.container_ids[step.sandbox] = r.created_id;
    }
    if (!r.error) continue;
    failures.push_back(step.sandbox + ": " + r.error->message);
    // 409 Conflict ("removal of container … is already in progress", "name … is already in use")
    // means someone else changed the engine's state during this pass (`docker rm -f` racing our
    // replace; the engine soak found it): the next pass sees the new state, so it is retried,
    // never held. (A container gone before start is already kNotFound, transient; a 404 on
    // create is a missing image, which only the operator can fix.)
    transient = transient || !r.error->terminal() || docker::HttpStatusOf(*r.error) == 409;
  }
  ctx.facts.Publish(std::move(facts));

  // Status details from what is there now.
  nlohmann::json details = plan.details;
  if (auto after = Observe(ctx, deps.Read()); after.ok()) details = Details(*after);
  if (!failures.empty()) {
    std::string msg = std::to_string(failures.size()) + " sandbox(es) failed: ";
    // The first few in full; a mass failure (e.g. an exhausted address pool) must not turn the
    // status message into one line per sandbox.
    constexpr std::size_t kListed = 5;
    for (std::size_t i = 0; i < failures.size() && i < kListed; ++i) msg += (i ? "; " : "") + failures[i];
    if (failures.size() > kListed) msg += "; and " + std::to_string(failures.size() - kListed) + " more";
    Outcome failed = Outcome::Failed(transient ? Error::Transient(msg) : Error::Terminal(msg), "SandboxFailed");
    failed.changed = changed;
    failed.details = details;
    return failed;
  }
  Outcome done = Outcome::Done(changed, std::to_string(d.steps.size()) + " sandbox change(s) applied");
  done.details = details;
  return done;
}

std::string ContainerAddress(const std::string& container) { return "sandboxes.container[\"" + container + "\"]"; }

}  // namespace ironward::sandboxes
