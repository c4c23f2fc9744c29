#include "reconcilers/reconciler.h"

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/host_firewall/host_firewall.h"
#include "reconcilers/io/http_client.h"
#include "reconcilers/network/firewall.h"

namespace ironward {

ReadDeps WriteDeps::Read() const {
  std::vector<hostfw::HostFirewallReader*> readers(host_firewalls.begin(), host_firewalls.end());
  return ReadDeps{clock, state, http, host, docker, firewall, std::move(readers), files};
}

std::string_view ActionSymbol(Action a) {
  switch (a) {
    case Action::kCreate: return "+";
    case Action::kUpdate: return "~";
    case Action::kDelete: return "-";
    case Action::kReplace: return "-/+";
    case Action::kNoop: return " ";
  }
  return "?";
}

std::vector<std::string> ActionJson(Action a) {
  switch (a) {
    case Action::kCreate: return {"create"};
    case Action::kUpdate: return {"update"};
    case Action::kDelete: return {"delete"};
    case Action::kReplace: return {"delete", "create"};
    case Action::kNoop: return {"no-op"};
  }
  return {"no-op"};
}

namespace {

/// A summary value in one line: strings bare, lists as "a, b", objects as "k: v, k: v".
std::string Plain(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& item : v) out += (out.empty() ? "" : ", ") + Plain(item);
    return "[" + out + "]";
  }
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, item] : v.items()) out += (out.empty() ? "" : ", ") + k + " " + Plain(item);
    return out;
  }
  return v.dump();
}

}  // namespace

std::string FieldChange::Words() const {
  std::string out = std::string(ActionSymbol(action)) + " " + field;
  switch (action) {
    case Action::kCreate: return out + ": " + Plain(after);
    case Action::kDelete: return out + ": " + Plain(before);
    default: return out + ": " + Plain(before) + " -> " + Plain(after);
  }
}

Outcome Outcome::Done(int changed, std::string message) {
  Outcome o;
  o.kind = Kind::kDone;
  o.changed = changed;
  o.reason = changed > 0 ? "Applied" : "InSync";
  o.message = std::move(message);
  return o;
}

Outcome Outcome::Failed(const Error& e, std::string reason) {
  Outcome o;
  o.kind = e.terminal() ? Kind::kTerminal : Kind::kRetry;
  o.reason = std::move(reason);
  o.message = e.message;
  return o;
}

Outcome Outcome::Retry(std::string reason, std::string message, std::chrono::seconds after) {
  Outcome o;
  o.kind = Kind::kRetry;
  o.reason = std::move(reason);
  o.message = std::move(message);
  o.after = after;
  return o;
}

Outcome Outcome::RequeueAfter(std::chrono::seconds after, std::string reason, std::string message) {
  Outcome o = Retry(std::move(reason), std::move(message), after);
  o.kind = Kind::kRequeueAfter;  // the same fields, but not a failure
  return o;
}

Outcome Outcome::Stalled(Outcome o) {
  o.stalled = true;
  return o;
}

ReconcileContext Reconciler::Narrowed(const ReconcileContext& ctx) const {
  std::vector<std::string_view> readable = DependsOn();
  for (auto r : AlsoReads()) readable.push_back(r);
  return ReconcileContext{ctx.desired, ctx.facts.For(Name(), readable), ctx.dry_run, ctx.drift_check};
}

ResourcePlan Reconciler::Plan(ReconcileContext& ctx, const ReadDeps& deps) {
  ReconcileContext mine = Narrowed(ctx);
  return DoPlan(mine, deps);
}

Outcome Reconciler::Apply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) {
  ReconcileContext mine = Narrowed(ctx);
  return DoApply(mine, plan, deps);
}

}  // namespace ironward
