#include "reconcilers/network/network_reconciler.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/network/ruleset.h"
#include "state/encoding.h"

namespace ironward::network {
namespace {

constexpr const char* kAttachType = "ironward_network_attachment";

std::string AttachAddress(const std::string& container, const std::string& net) {
  return "network.attachment[\"" + container + "\"," + "\"" + net + "\"]";
}

nlohmann::json NetworkSummary(const docker::NetworkInfo& n) {
  return {{"id", n.id.substr(0, 12)}, {"internal", n.internal}, {"subnet", n.subnet}, {"gateway", n.gateway},
          {"bridge", BridgeOf(n)}};
}

/// What the plan depends on, for a saved plan's staleness check. With enforcement off, a table this
/// state dir did not load and a network ironward does not own only ever give a warning, so they
/// are left out: both are host-wide (another ironward, or a test, may add or remove them at any
/// time), and a plan must not turn stale over something it would not touch.
nlohmann::json FingerprintJson(const ObservedNetwork& o) {
  nlohmann::json j;
  const bool network_counts = o.network && (o.internal_wanted || OwnedNetwork(*o.network));
  const bool table_counts = o.table && (o.internal_wanted || o.table_ours);
  j["network"] = network_counts ? NetworkSummary(*o.network) : nlohmann::json(nullptr);
  if (network_counts) {
    nlohmann::json attached = nlohmann::json::array();
    for (const auto& [id, a] : o.network->containers) attached.push_back(id);
    j["attached"] = attached;
  }
  if (table_counts) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& r : o.table->rules) rules.push_back(r.chain + "|" + r.comment);
    for (const auto& c : o.table->chains) rules.push_back(c.name + "|" + c.hook + "|" + c.policy);
    j["table"] = rules;
  } else {
    j["table"] = nullptr;
  }
  nlohmann::json sandboxes = nlohmann::json::array();
  for (const auto& s : o.sandboxes) {
    nlohmann::json nets = nlohmann::json::array();
    for (const auto& [name, ep] : s.networks) nets.push_back(name);
    sandboxes.push_back({{"id", s.id}, {"networks", nets}});
  }
  j["sandboxes"] = sandboxes;
  return j;
}

/// Reads the Docker side; in none mode a failing engine is a warning, not an error.
Status ObserveDocker(const spec::EnforcementSpec& e, const std::string& owner, const ReadDeps& deps,
                     ObservedNetwork* o) {
  if (deps.docker == nullptr) {
    if (!o->internal_wanted) return Status::Ok();  // no engine configured: nothing of ours can exist there
    return Error::Terminal("no Docker engine client (check DOCKER_HOST)");
  }
  auto net = deps.docker->InspectNetwork(e.network_name);
  if (!net) return net.error();
  o->network = *net;
  if (!o->internal_wanted) return Status::Ok();
  docker::Labels selector{{kOwnerLabel, owner}};
  auto containers = deps.docker->ListContainers(docker::LabelFilter(selector), false);
  if (!containers) return containers.error();
  o->sandboxes = std::move(*containers);
  return Status::Ok();
}

Status ObserveFirewall(const ReadDeps& deps, ObservedNetwork* o) {
  if (deps.firewall == nullptr) {
    if (!o->internal_wanted) return Status::Ok();
    return Error::Terminal("no host firewall available (nft)");
  }
  auto table = deps.firewall->ReadTable();
  if (!table) return table.error();
  o->table = *table;
  auto owner = deps.state.Read(kFirewallOwnerFile);
  if (!owner) return owner.error();
  o->table_ours = owner->has_value();
  return Status::Ok();
}

NetworkFacts FactsOf(const spec::Spec& spec, const NetworkActions& a, const ObservedNetwork& o) {
  NetworkFacts f;
  f.name = spec.enforcement.network_name;
  f.gateway = a.gateway;
  const bool will_change = a.network == NetworkActions::NetOp::kCreate || a.network == NetworkActions::NetOp::kReplace;
  f.pending = will_change;
  if (!will_change && o.network) {
    f.id = o.network->id;
    f.bridge = BridgeOf(*o.network);
  }
  return f;
}

}  // namespace

std::string NetworkAddress(const std::string& name) { return "network.docker[\"" + name + "\"]"; }
std::string TableAddress() {
  return std::string("network.firewall[\"") + netfilter::kTableFamily + " " + netfilter::kTableName + "\"]";
}

bool OwnedNetwork(const docker::NetworkInfo& n) {
  auto it = n.labels.find(kManagedLabel);
  auto role = n.labels.find(kRoleLabel);
  return it != n.labels.end() && it->second == "true" && role != n.labels.end() && role->second == kRoleSandboxNetwork;
}

docker::Labels NetworkLabels() { return {{kManagedLabel, "true"}, {kRoleLabel, kRoleSandboxNetwork}}; }

std::string BridgeNameFor(const std::string& network_name) { return "iw-" + Sha256Hex(network_name).substr(0, 8); }

std::string BridgeOf(const docker::NetworkInfo& network) {
  auto it = network.options.find("com.docker.network.bridge.name");
  if (it != network.options.end() && !it->second.empty()) return it->second;
  return "br-" + network.id.substr(0, 12);
}

Result<ObservedNetwork> NetworkReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedNetwork o;
  const auto& e = ctx.desired.spec.enforcement;
  o.internal_wanted = e.network == spec::NetworkMode::kInternal;
  if (Status s = ObserveDocker(e, ctx.desired.name, deps, &o); !s) {
    if (o.internal_wanted) return s.error().Wrap("network " + e.network_name);
    // Nothing is wanted: an engine we cannot reach (or no Docker at all, the common case with
    // network: none) is not worth a warning on every run; a leftover network is removed once the
    // engine answers again.
    spdlog::debug("network: cannot check for a leftover network {}: {}", e.network_name, s.error().message);
  }
  if (Status s = ObserveFirewall(deps, &o); !s) {
    if (o.internal_wanted) return s.error().Wrap("firewall");
    spdlog::debug("network: cannot check for a leftover table inet ironward: {}", s.error().message);
  }
  o.fingerprint = Sha256Hex(FingerprintJson(o).dump());
  return o;
}

ResourcePlan NetworkReconciler::Diff(ReconcileContext& ctx, const ObservedNetwork& observed, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = observed.fingerprint;
  const auto& spec = ctx.desired.spec;
  const auto& e = spec.enforcement;
  auto actions = ComputeActions(spec, observed);
  if (!actions) {
    plan.error = actions.error();
    return plan;
  }
  plan.warnings = actions->warnings;
  plan.desired_digest =
      Sha256Hex(std::string(observed.internal_wanted ? "internal" : "none") + "|" + e.network_name + "|" +
                e.network_subnet + "|" + std::to_string(spec.proxy.tunnel_port) + "|" +
                std::to_string(spec.proxy.http_port));

  using NetOp = NetworkActions::NetOp;
  if (actions->network != NetOp::kNone) {
    Change c;
    c.address = NetworkAddress(e.network_name);
    c.type = kNetworkType;
    c.reason = actions->network_reason;
    c.before = observed.network ? NetworkSummary(*observed.network) : nlohmann::json(nullptr);
    if (actions->network == NetOp::kDelete) {
      c.action = Action::kDelete;
    } else {
      c.action = actions->network == NetOp::kCreate ? Action::kCreate : Action::kReplace;
      c.disruptive = actions->network == NetOp::kReplace;
      c.after = {{"internal", true}, {"subnet", e.network_subnet}, {"gateway", actions->gateway},
                 {"bridge", actions->bridge}};
    }
    plan.changes.push_back(std::move(c));
  }
  if (actions->table != NetworkActions::TableOp::kNone) {
    Change c;
    c.address = TableAddress();
    c.type = kFirewallType;
    c.reason = actions->table_reason;
    c.before = observed.table ? nlohmann::json{{"rules", observed.table->rules.size()}} : nlohmann::json(nullptr);
    if (actions->table == NetworkActions::TableOp::kDelete) {
      c.action = Action::kDelete;
    } else {
      c.action = observed.table ? Action::kUpdate : Action::kCreate;
      c.after = {{"bridge", actions->bridge}, {"gateway", actions->gateway},
                 {"rules", actions->desired_table->RuleCount()}};
    }
    plan.changes.push_back(std::move(c));
  }
  for (const auto& at : actions->attachments) {
    Change c;
    c.address = AttachAddress(at.container_name, at.network);
    c.type = kAttachType;
    c.action = at.connect ? Action::kCreate : Action::kDelete;
    c.disruptive = !at.connect;
    c.reason = at.connect ? "sandbox " + at.container_name + " is not attached to " + at.network
                          : "sandbox " + at.container_name + " is also attached to " + at.network +
                                " (a way out that bypasses the proxy)";
    plan.changes.push_back(std::move(c));
  }

  if (observed.internal_wanted) {
    NetworkFacts facts = FactsOf(spec, *actions, observed);
    if (!facts.pending && facts.bridge.empty()) facts.bridge = actions->bridge;
    ctx.facts.Publish(facts);
    plan.details = {{"network", e.network_name}, {"gateway", actions->gateway}, {"bridge", actions->bridge},
                    {"rules", observed.table ? observed.table->rules.size() : 0}};
  } else {
    plan.details = {{"network", "none"}};
  }
  return plan;
}

Outcome NetworkReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  const auto& spec = ctx.desired.spec;
  const auto& e = spec.enforcement;
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  auto actions = ComputeActions(spec, *observed);
  if (!actions) return Outcome::Failed(actions.error(), "InvalidSpec");
  using NetOp = NetworkActions::NetOp;
  int changed = 0;
  std::vector<std::string> done;

  // 1. Tear down first when nothing is wanted: the table, then the network.
  if (actions->table == NetworkActions::TableOp::kDelete) {
    if (Status s = deps.firewall->DeleteTable(); !s) return Outcome::Failed(s.error(), "FirewallFailed");
    if (Status s = deps.state.Remove(kFirewallOwnerFile); !s) return Outcome::Failed(s.error(), "StateWriteFailed");
    ++changed;
    done.push_back("table removed");
  }
  if (actions->network == NetOp::kDelete) {
    auto removed = deps.docker->RemoveNetwork(observed->network->id);
    if (!removed) return Outcome::Failed(removed.error(), "NetworkRemoveFailed");
    ++changed;
    done.push_back("network " + e.network_name + " removed");
  }
  if (!observed->internal_wanted) {
    Outcome out = Outcome::Done(changed, done.empty() ? "" : Join(done, ", "));
    out.details = {{"network", "none"}};
    return out;
  }

  // 2. The network (re)created: containers still attached to a replaced one are disconnected.
  std::string network_id = observed->network ? observed->network->id : "";
  std::string bridge = actions->bridge;
  if (actions->network == NetOp::kReplace) {
    for (const auto& [cid, att] : observed->network->containers) {
      auto d = deps.docker->DisconnectNetwork(network_id, cid, true);
      if (!d) return Outcome::Failed(d.error(), "NetworkReplaceFailed");
    }
    auto removed = deps.docker->RemoveNetwork(network_id);
    if (!removed) return Outcome::Failed(removed.error(), "NetworkReplaceFailed");
    ++changed;
  }
  if (actions->network == NetOp::kCreate || actions->network == NetOp::kReplace) {
    docker::NetworkCreateSpec create{e.network_name, true, e.network_subnet, actions->gateway,
                                     BridgeNameFor(e.network_name), NetworkLabels()};
    auto id = deps.docker->CreateNetwork(create);
    if (!id) return Outcome::Failed(id.error(), "NetworkCreateFailed");
    network_id = *id;
    auto inspected = deps.docker->InspectNetwork(network_id);
    if (!inspected) return Outcome::Failed(inspected.error(), "NetworkCreateFailed");
    if (!inspected->has_value()) {
      return Outcome::Failed(Error::Transient("network " + e.network_name + " vanished right after create"),
                             "NetworkCreateFailed");
    }
    bridge = BridgeOf(**inspected);
    ++changed;
    done.push_back(std::string(actions->network == NetOp::kCreate ? "network created" : "network replaced"));
  }

  // 3. The firewall, for the bridge the network really has.
  auto table = netfilter::BuildSandboxTable(RulesInputFor(spec, bridge, actions->gateway));
  if (!table) return Outcome::Failed(table.error(), "InvalidSpec");
  const bool bridge_moved = bridge != actions->bridge;
  if (actions->table == NetworkActions::TableOp::kReplace || bridge_moved) {
    // Ownership first: a crash between the two leaves a record without a table (harmless: the
    // next pass reloads it), never a table no state dir will ever remove.
    const std::string owner = nlohmann::json{{"table", "inet ironward"}, {"network", e.network_name}}.dump() + "\n";
    if (Status s = deps.state.WriteAtomic(kFirewallOwnerFile, owner, 0600); !s) {
      return Outcome::Failed(s.error(), "StateWriteFailed");
    }
    if (Status s = deps.firewall->ReplaceTable(*table); !s) return Outcome::Failed(s.error(), "FirewallFailed");
    ++changed;
    done.push_back("table inet ironward loaded (" + std::to_string(table->RuleCount()) + " rules)");
  }

  // 4. Sandboxes: attached to the sandbox network, and to nothing else. After a replace every
  // one of them lost its endpoint, so all are (re)connected.
  for (const auto& at : actions->attachments) {
    auto r = at.connect ? deps.docker->ConnectNetwork(network_id, at.container_id)
                        : deps.docker->DisconnectNetwork(at.network, at.container_id, true);
    if (!r) return Outcome::Failed(r.error(), "AttachFailed");
    if (*r == docker::Outcome::kChanged) {
      ++changed;
      done.push_back((at.connect ? "attached " : "detached ") + at.container_name + (at.connect ? " to " : " from ") +
                     at.network);
    }
  }
  if (actions->network == NetOp::kReplace) {
    for (const auto& s : observed->sandboxes) {
      if (s.networks.count(e.network_name) == 0) continue;  // connected above
      auto r = deps.docker->ConnectNetwork(network_id, s.id);
      if (!r) return Outcome::Failed(r.error(), "AttachFailed");
    }
  }

  NetworkFacts facts;
  facts.name = e.network_name;
  facts.id = network_id;
  facts.gateway = actions->gateway;
  facts.bridge = bridge;
  ctx.facts.Publish(facts);
  if (!done.empty()) spdlog::info("network: {}", Join(done, "; "));
  Outcome out = Outcome::Done(changed, Join(done, "; "));
  out.details = {{"network", e.network_name}, {"gateway", actions->gateway}, {"bridge", bridge},
                 {"rules", table->RuleCount()}};
  return out;
}

}  // namespace ironward::network
