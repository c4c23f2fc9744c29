#include "reconcilers/host_firewall/host_firewall_reconciler.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "reconcilers/host_firewall/firewalld.h"
#include "reconcilers/host_firewall/ufw.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/proxy_config/render.h"
#include "state/encoding.h"

namespace ironward::hostfw {
namespace {

std::string ToolStr(Tool tool) { return std::string(ToolName(tool)); }

nlohmann::json FingerprintJson(const ObservedHostFirewall& o) {
  nlohmann::json tools = nlohmann::json::array();
  for (const auto& t : o.tools) {
    tools.push_back({ToolStr(t.tool), t.state.active, t.state.blocks, t.state.admitted, t.state.where});
  }
  nlohmann::json record = nlohmann::json::array();
  for (const auto& r : o.record) record.push_back({ToolStr(r.tool), r.where, r.opening.ToJson()});
  return {{"tools", tools}, {"record", record}, {"wanted", o.wanted}};
}

}  // namespace

HostFirewall* FindFirewall(const std::vector<HostFirewall*>& firewalls, Tool tool) {
  for (HostFirewall* f : firewalls) {
    if (f != nullptr && f->Kind() == tool) return f;
  }
  return nullptr;
}

const ObservedTool* FindObserved(const std::vector<ObservedTool>& tools, Tool tool) {
  for (const auto& t : tools) {
    if (t.tool == tool) return &t;
  }
  return nullptr;
}

std::string AllowCommand(Tool tool, const Opening& opening, const std::string& where) {
  return tool == Tool::kUfw ? UfwAllowCommand(opening) : FirewalldAllowCommand(opening, where);
}

std::string RuleAddress(Tool tool, const std::string& bridge) {
  return "host_firewall." + ToolStr(tool) + "[\"" + bridge + "\"]";
}

Result<std::optional<Opening>> DesiredOpening(const spec::DesiredState& desired, const std::string& bridge) {
  const auto& spec = desired.spec;
  if (spec.enforcement.network != spec::NetworkMode::kInternal) return std::optional<Opening>();
  auto gateway = proxy_config::GatewayOf(spec.enforcement.network_subnet);
  if (!gateway) return gateway.error().Wrap("enforcement.networkSubnet");
  Opening o;
  o.bridge = bridge.empty() ? network::BridgeNameFor(spec.enforcement.network_name) : bridge;
  o.subnet = spec.enforcement.network_subnet;
  o.gateway = *gateway;
  o.ports = {spec.proxy.tunnel_port, spec.proxy.http_port};
  if (spec.enforcement.RoutesDns()) {  // the nat chain DNATs 443 and UDP 53 to these
    o.ports.push_back(spec.proxy.https_port);
    o.udp_ports = {spec.proxy.dns_port};
  }
  std::sort(o.ports.begin(), o.ports.end());
  o.ports.erase(std::unique(o.ports.begin(), o.ports.end()), o.ports.end());
  o.owner = desired.name;
  return std::optional<Opening>(o);
}

Result<std::vector<ObservedTool>> ObserveTools(const std::vector<HostFirewallReader*>& firewalls,
                                                const Opening& opening, bool thorough) {
  std::vector<ObservedTool> out;
  for (HostFirewallReader* f : firewalls) {
    if (f == nullptr) continue;
    if (!thorough) {
      if (auto glance = f->Glance()) {
        out.push_back({f->Kind(), *glance});
        continue;
      }
    }
    auto st = f->Observe(opening);
    if (!st) return st.error().Wrap(ToolStr(f->Kind()));
    if (st->installed) out.push_back({f->Kind(), *st});
  }
  return out;
}

HostFirewallActions ComputeActions(const ObservedHostFirewall& o) {
  HostFirewallActions a;
  std::vector<RecordedAccept> kept;
  for (const auto& r : o.record) {
    const ObservedTool* t = FindObserved(o.tools, r.tool);
    std::string why;
    if (!o.wanted) {
      why = o.desired ? "enforcement.hostFirewall is off" : "enforcement.network is none";
    } else if (!o.desired || r.opening != *o.desired) {
      why = "it admits " + r.opening.Describe() + ", the sandbox network now needs " + o.desired->Describe();
    } else if (t != nullptr && t->state.active && !t->state.where.empty() && t->state.where != r.where) {
      why = "the bridge's traffic now goes through zone " + t->state.where + ", not " + r.where;
    }
    if (why.empty()) {
      kept.push_back(r);
      continue;
    }
    a.revoke.push_back({r, "remove the " + ToolStr(r.tool) + " accept ironward added: " + why, false});
  }
  if (!o.wanted || !o.desired) return a;
  for (const auto& t : o.tools) {
    if (!t.state.active || !t.state.blocks) continue;
    RecordedAccept want{t.tool, t.state.where, *o.desired};
    const bool recorded = std::find(kept.begin(), kept.end(), want) != kept.end();
    if (t.state.admitted) {
      if (!recorded)
        a.notes.push_back(ToolStr(t.tool) + ": " + o.desired->Describe() +
                          " is admitted by a rule ironward did not add (left alone)");
      continue;
    }
    std::string reason =
        recorded ? "the " + ToolStr(t.tool) + " accept ironward added for " + o.desired->Describe() + " is gone"
                 : ToolStr(t.tool) + " is " + t.state.detail + ": sandbox -> proxy traffic (" + o.desired->Describe() +
                       ") would be dropped";
    a.allow.push_back({want, reason, recorded});
  }
  return a;
}

Result<ObservedHostFirewall> HostFirewallReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedHostFirewall o;
  const auto& e = ctx.desired.spec.enforcement;
  const std::string bridge = ctx.facts.network() && !ctx.facts.network()->pending ? ctx.facts.network()->bridge : "";
  auto desired = DesiredOpening(ctx.desired, bridge);
  if (!desired) return desired.error();
  o.desired = *desired;
  o.wanted = o.desired.has_value() && e.host_firewall == spec::HostFirewallMode::kAuto;
  auto record = ReadRecord(deps.state);
  if (!record) return record.error();
  o.record = std::move(*record);
  // Observe the tools against the opening the record holds when nothing is wanted any more (to
  // remove it), else against the desired one. Nothing wanted and nothing recorded: no tool runs.
  const Opening* against = o.wanted ? &*o.desired : (o.record.empty() ? nullptr : &o.record.front().opening);
  if (against != nullptr) {
    // Run's drift check asks the CLIs whatever their files say (a Glance can be fooled by a
    // hand-edited ufw.conf or a firewalld this process cannot see).
    auto tools = ObserveTools(deps.host_firewalls, *against, ctx.drift_check == DriftCheck::kFull);
    if (!tools) return tools.error();
    o.tools = std::move(*tools);
  }
  o.fingerprint = Sha256Hex(FingerprintJson(o).dump());
  return o;
}

ResourcePlan HostFirewallReconciler::Diff(ReconcileContext&, const ObservedHostFirewall& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = Sha256Hex(o.wanted ? o.desired->ToJson().dump() : std::string("none"));
  const auto actions = ComputeActions(o);
  for (const auto& step : actions.revoke) {
    Change c;
    c.action = Action::kDelete;
    c.address = RuleAddress(step.accept.tool, step.accept.opening.bridge);
    c.type = kRuleType;
    c.reason = step.reason;
    c.before = {{"admits", step.accept.opening.Describe()}, {"zone", step.accept.where}};
    plan.changes.push_back(std::move(c));
  }
  for (const auto& step : actions.allow) {
    Change c;
    c.action = step.heal ? Action::kUpdate : Action::kCreate;
    c.address = RuleAddress(step.accept.tool, step.accept.opening.bridge);
    c.type = kRuleType;
    c.reason = step.reason;
    c.after = {{"admits", step.accept.opening.Describe()}, {"zone", step.accept.where}};
    c.after["command"] = AllowCommand(step.accept.tool, step.accept.opening, step.accept.where);
    plan.changes.push_back(std::move(c));
  }
  nlohmann::json tools = nlohmann::json::object();
  for (const auto& t : o.tools) tools[ToolStr(t.tool)] = t.state.detail;
  plan.details = {{"tools", tools}, {"accepts", o.record.size()}};
  if (!actions.notes.empty()) plan.details["notes"] = actions.notes;
  return plan;
}

Outcome HostFirewallReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  const auto actions = ComputeActions(*observed);
  std::vector<RecordedAccept> record = observed->record;
  int changed = 0;
  std::vector<std::string> done;
  for (const auto& step : actions.revoke) {
    if (HostFirewall* f = FindFirewall(deps.host_firewalls, step.accept.tool);
        f != nullptr && FindObserved(observed->tools, step.accept.tool)) {
      if (Status s = f->Revoke(step.accept.opening, step.accept.where); !s) {
        return Outcome::Failed(s.error(), "HostFirewallFailed");
      }
    }
    record.erase(std::remove(record.begin(), record.end(), step.accept), record.end());
    if (Status s = WriteRecord(deps.state, record); !s) return Outcome::Failed(s.error(), "StateWriteFailed");
    ++changed;
    done.push_back(ToolStr(step.accept.tool) + " accept for " + step.accept.opening.Describe() + " removed");
  }
  for (const auto& step : actions.allow) {
    HostFirewall* f = FindFirewall(deps.host_firewalls, step.accept.tool);
    if (f == nullptr) {
      return Outcome::Failed(Error::Terminal("no access to " + ToolStr(step.accept.tool)), "HostFirewallFailed");
    }
    if (std::find(record.begin(), record.end(), step.accept) == record.end()) {
      record.push_back(step.accept);
      if (Status s = WriteRecord(deps.state, record); !s) return Outcome::Failed(s.error(), "StateWriteFailed");
    }
    if (Status s = f->Allow(step.accept.opening, step.accept.where); !s) {
      return Outcome::Failed(s.error(), "HostFirewallFailed");
    }
    ++changed;
    done.push_back(ToolStr(step.accept.tool) + (step.heal ? " accept restored for " : " accept added for ") +
                   step.accept.opening.Describe() +
                   (step.accept.where.empty() ? "" : " (zone " + step.accept.where + ")"));
  }
  std::string message;
  for (const auto& d : done) message += (message.empty() ? "" : "; ") + d;
  if (!message.empty()) spdlog::info("host_firewall: {}", message);
  Outcome out = Outcome::Done(changed, message);
  out.details = {{"accepts", record.size()}};
  return out;
}

}  // namespace ironward::hostfw
