#include "reconcilers/sandboxes/enforcement_reconciler.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/docker/docker_host.h"
#include "reconcilers/docker/pass_snapshot.h"
#include "reconcilers/sandboxes/enforcement_check.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "reconcilers/sandboxes/wired_containers.h"
#include "reconcilers/sandboxes/wiring.h"
#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {

PolicyInputs InputsFrom(const ReconcileContext& ctx) {
  const spec::Spec& spec = ctx.desired.spec;
  const FactsView& f = ctx.facts;
  PolicyInputs in;
  in.tunnel_port = spec.proxy.tunnel_port;
  in.http_port = spec.proxy.http_port != 0 ? spec.proxy.http_port : static_cast<std::uint16_t>(spec.proxy.tunnel_port + 1);
  if (f.config() && f.config()->tunnel_port != 0) in.tunnel_port = f.config()->tunnel_port;
  if (f.config() && f.config()->http_port != 0) in.http_port = f.config()->http_port;
  in.ca_path = spec.wiring.ca_path;
  in.token_env_prefix = spec.wiring.token_env_prefix;
  in.proxy_variables = spec.enforcement.InjectsProxyVariables();
  if (spec.enforcement.network == spec::NetworkMode::kInternal) in.sandbox_network = spec.enforcement.network_name;
  in.proxy_hosts.insert("host.docker.internal");
  if (f.config() && !f.config()->bind_address.empty()) in.proxy_hosts.insert(f.config()->bind_address);
  if (f.network() && !f.network()->gateway.empty()) in.proxy_hosts.insert(f.network()->gateway);
  if (f.ca()) in.ca_host_path = f.ca()->trust_bundle_path.empty() ? f.ca()->cert_path : f.ca()->trust_bundle_path;
  for (const auto& p : spec.providers) in.secret_names[p.secret] = p.name;
  if (f.secrets()) {
    in.secret_digests = f.secrets()->digests;
    in.secret_values = f.secrets()->values;
  }
  in.tokens_known = f.mappings().has_value() && f.mappings()->pending.empty();
  if (f.mappings()) {
    for (const auto& p : spec.providers) {
      if (auto t = f.mappings()->tokens.find(p.name); t != f.mappings()->tokens.end()) {
        in.current_tokens[in.token_env_prefix + p.secret] = t->second;
      }
    }
  }
  return in;
}

std::string Address(const PolicedContainer& c) { return "enforcement.container[\"" + c.info.name + "\"]"; }

std::string JoinProblems(const std::vector<std::string>& p) {
  std::string out;
  for (const auto& s : p) out += (out.empty() ? "" : "; ") + s;
  return out;
}

nlohmann::json Details(const ReconcileContext& ctx, const ObservedEnforcement& o) {
  nlohmann::json violations = nlohmann::json::array();
  nlohmann::json stale = nlohmann::json::array();
  for (const auto& c : o.containers) {
    if (!c.problems.empty()) violations.push_back({{"container", c.info.name}, {"problems", c.problems}});
    if (!c.stale.empty()) {
      stale.push_back({{"container", c.info.name}, {"reason", c.stale}, {"recreate", c.recreate}});
    }
  }
  nlohmann::json d = {{"mode", spec::ToString(ctx.desired.spec.enforcement.mode)},
                      {"selector", ctx.desired.spec.enforcement.selector},
                      {"compliant", o.Policed() - o.NonCompliant()},
                      {"non_compliant", o.NonCompliant()},
                      {"violations", violations}};
  if (!stale.empty()) d["stale_wired"] = stale;
  return d;
}

bool SocketExists() {
  auto ep = docker::DockerEndpointFromEnvironment();
  std::error_code ec;
  return !ep.ok() || std::filesystem::exists(ep->socket_path, ec);
}

}  // namespace

std::size_t ObservedEnforcement::NonCompliant() const {
  std::size_t n = 0;
  for (const auto& c : containers) n += c.problems.empty() ? 0 : 1;
  return n;
}

std::size_t ObservedEnforcement::Policed() const {
  std::size_t n = 0;
  for (const auto& c : containers) n += c.policed ? 1 : 0;
  return n;
}

Result<ObservedEnforcement> EnforcementReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedEnforcement o;
  const auto& e = ctx.desired.spec.enforcement;
  if (e.mode == spec::EnforcementMode::kOff) {
    o.off = true;
    o.fingerprint = Sha256Hex("off");
    return o;
  }
  if (deps.docker == nullptr) {
    return Error::Terminal("enforcement." + spec::ToString(e.mode) +
                           " needs the Docker engine, but DOCKER_HOST is not usable (only unix:// sockets); set "
                           "enforcement.mode: off on hosts without Docker");
  }
  auto list = deps.docker->ListContainers(docker::Filters{{"label", {e.selector}}}, false);
  if (!list) {
    const bool present = options_.engine_present ? options_.engine_present() : SocketExists();
    if (!list.error().terminal() && !present) {
      o.engine_absent = list.error().message;
      o.fingerprint = Sha256Hex("absent");
      return o;
    }
    return list.error().Wrap("listing containers matching " + e.selector);
  }
  std::set<std::string> policed;
  for (const auto& summary : *list) policed.insert(summary.id);
  // Wired containers need not match the selector (`--format env` cannot carry labels, a user may
  // drop one): they are listed on their own for the staleness check.
  auto wired = deps.docker->ListContainers(docker::LabelFilter({{kWiredByLabel, ctx.desired.name}}), false);
  if (!wired) return wired.error().Wrap("listing containers wired by " + ctx.desired.name);
  for (auto& summary : *wired) {
    if (policed.count(summary.id) == 0) list->push_back(std::move(summary));
  }
  // The wiring they should have now; unknown (no stale check) when upstream facts are missing.
  const auto current = CollectWiring(ctx);
  const MountPolicy policy(
      HostMountPolicyInputs(deps.state.root().string(), options_.home, ctx.desired.spec.credentials.env_file));
  const PolicyInputs inputs = InputsFrom(ctx);
  std::vector<const docker::ContainerSummary*> others;  // not our own sandboxes: inspected, in parallel
  std::vector<std::string> ids;
  for (const auto& summary : *list) {
    if (ReadLabels(summary.labels).owner == ctx.desired.name) continue;
    others.push_back(&summary);
    ids.push_back(summary.id);
  }
  auto infos = docker::InspectContainers(*deps.docker, ids,
                                         static_cast<std::size_t>(std::max(1, ctx.desired.spec.reconcile.parallelism)));
  std::string fp;
  for (std::size_t k = 0; k < others.size(); ++k) {
    const docker::ContainerSummary& summary = *others[k];
    const ContainerLabels labels = ReadLabels(summary.labels);
    auto& info = infos[k];
    if (!info) return info.error().Wrap("inspecting " + summary.name);
    if (!info->has_value() || !(*info)->state.running) continue;  // gone or stopped meanwhile
    PolicedContainer c{std::move(**info), policed.count(summary.id) != 0, {}, {}, {}};
    PolicyInputs in = inputs;
    if (labels.wired_by == ctx.desired.name && current) {
      c.stale = StaleReason(c.info, *current);
      if (!c.stale.empty()) {
        c.recreate = RecreateCommand(c.info, ctx.desired.source_paths);
        in.tokens_known = false;  // its old tokens are reported as staleness, not as a violation
      }
    }
    if (c.policed) c.problems = Violations(c.info, in, policy);
    fp += c.info.id + " " + std::to_string(c.problems.size()) + (c.stale.empty() ? "" : " stale") + "\n";
    o.containers.push_back(std::move(c));
  }
  o.fingerprint = Sha256Hex(fp);
  return o;
}

ResourcePlan EnforcementReconciler::Diff(ReconcileContext& ctx, const ObservedEnforcement& o, const Clock&) const {
  ResourcePlan plan;
  const auto& e = ctx.desired.spec.enforcement;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = Sha256Hex(spec::ToString(e.mode) + "\n" + e.selector);
  if (o.off) {
    plan.details = {{"mode", "off"}};
    return plan;
  }
  plan.details = Details(ctx, o);
  if (!o.engine_absent.empty()) {
    // Nothing runs, nothing to police: details say so, no warning on every plan.
    plan.details["engine"] = "absent";
    plan.details["engine_detail"] = o.engine_absent + "; no container runs, so there is nothing to police";
    return plan;
  }
  for (const auto& c : o.containers) {
    if (!c.stale.empty()) {
      plan.warnings.push_back("container '" + c.info.name + "' (" + c.info.id.substr(0, 12) +
                              ") was started with older ironward wiring: " + c.stale +
                              "; ironward does not re-create containers it did not create: " + c.recreate);
    }
    if (c.problems.empty()) continue;
    const std::string who = "container '" + c.info.name + "' (" + c.info.id.substr(0, 12) + ")";
    plan.warnings.push_back(who + " is not egress-compliant: " + JoinProblems(c.problems) +
                            (e.mode == spec::EnforcementMode::kEnforce ? " (it will be stopped)" : ""));
    if (e.mode != spec::EnforcementMode::kEnforce) continue;
    Change ch;
    ch.action = Action::kUpdate;
    ch.address = Address(c);
    ch.type = "ironward_policed_container";
    ch.reason = "stop non-compliant container: " + JoinProblems(c.problems);
    ch.disruptive = true;
    ch.before = {{"id", c.info.id.substr(0, 12)}, {"state", "running"}};
    ch.after = {{"id", c.info.id.substr(0, 12)}, {"state", "stopped"}};
    plan.changes.push_back(std::move(ch));
  }
  return plan;
}

Outcome EnforcementReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  int stopped = 0;
  std::vector<std::string> failures;
  bool transient = false;
  for (const auto& c : observed->containers) {
    if (c.problems.empty()) continue;
    auto r = deps.docker->StopContainer(c.info.id, options_.stop_timeout);
    if (!r) {
      failures.push_back(c.info.name + ": " + r.error().message);
      transient = transient || !r.error().terminal();
      continue;
    }
    if (*r == docker::Outcome::kChanged) ++stopped;
  }
  Outcome out = Outcome::Done(stopped, "stopped " + std::to_string(stopped) + " non-compliant container(s)");
  if (!failures.empty()) {
    const std::string message = "could not stop " + std::to_string(failures.size()) +
                                " non-compliant container(s): " + JoinProblems(failures);
    out = Outcome::Failed(transient ? Error::Transient(message) : Error::Terminal(message), "StopFailed");
    out.changed = stopped;
  }
  out.details = Details(ctx, *observed);
  out.details["stopped"] = stopped;
  return out;
}

}  // namespace ironward::sandboxes
