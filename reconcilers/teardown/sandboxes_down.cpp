#include "reconcilers/teardown/sandboxes_down.h"

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "state/encoding.h"

namespace ironward::teardown {
namespace {

bool OnNetwork(const docker::ContainerSummary& c, const std::string& network) {
  return c.networks.count(network) > 0 || c.network_mode == network;
}

}  // namespace

Result<ObservedContainers> SandboxesDown::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedContainers o;
  if (deps.docker == nullptr) {
    o.no_engine = true;
    o.fingerprint = "no-engine";
    return o;
  }
  const std::string& gateway = ctx.desired.name;
  auto owned = deps.docker->ListContainers(sandboxes::OwnerFilter(gateway), /*all=*/true);
  if (!owned) {
    // No engine and nothing recorded that needs one: nothing of ours can be running in it.
    if (ctx.desired.spec.sandboxes.empty()) {
      o.no_engine = true;
      o.fingerprint = "no-engine";
      return o;
    }
    return owned.error();
  }
  o.owned = std::move(*owned);
  std::string fp;
  for (const auto& c : o.owned) fp += c.id + " " + c.state + "\n";
  // Listed, never touched: containers started with this gateway's wiring, and anything else on
  // the sandbox network (it keeps the network from being removed).
  docker::Filters wired;
  wired["label"] = {std::string(sandboxes::kWiredByLabel) + "=" + gateway};
  if (auto list = deps.docker->ListContainers(wired, true); list) {
    for (const auto& c : *list) o.untouched.push_back(c.name + " (started with `ironward wiring` output)");
  }
  const std::string& net = ctx.desired.spec.enforcement.network_name;
  if (auto all = deps.docker->ListContainers({}, true); all) {
    for (const auto& c : *all) {
      if (OnNetwork(c, net) && sandboxes::LabelValue(c.labels, sandboxes::kOwnerLabel) != gateway &&
          sandboxes::LabelValue(c.labels, sandboxes::kWiredByLabel) != gateway) {
        o.untouched.push_back(c.name + " (attached to " + net + ", not created by ironward)");
      }
    }
  }
  for (const auto& u : o.untouched) fp += "untouched " + u + "\n";
  o.fingerprint = Sha256Hex(fp);
  return o;
}

ResourcePlan SandboxesDown::Diff(ReconcileContext&, const ObservedContainers& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = "down";
  if (o.no_engine) plan.details["engine"] = "absent: no sandbox can be running";
  for (const auto& c : o.owned) {
    Change ch;
    ch.action = Action::kDelete;
    ch.address = sandboxes::ContainerAddress(c.name);
    ch.type = sandboxes::kSandboxType;
    ch.disruptive = true;
    ch.reason = "remove sandbox container " + c.name + " (" + c.id.substr(0, 12) + ", " + c.state + ")";
    ch.before = {{"id", c.id.substr(0, 12)}, {"state", c.state}, {"image", c.image}};
    ch.after = nullptr;
    plan.changes.push_back(std::move(ch));
  }
  for (const auto& u : o.untouched) plan.warnings.push_back("left alone: " + u);
  return plan;
}

Outcome SandboxesDown::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  int removed = 0;
  for (const auto& c : observed->owned) {
    auto r = deps.docker->RemoveContainer(c.id, /*force=*/true);
    if (!r) return Outcome::Failed(r.error().Wrap("removing sandbox " + c.name), "RemoveFailed");
    if (*r == docker::Outcome::kChanged) ++removed;
  }
  return Outcome::Done(removed, "removed " + std::to_string(removed) + " sandbox container(s)");
}

}  // namespace ironward::teardown
