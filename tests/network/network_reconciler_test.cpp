// NetworkReconciler with FakeDocker + FakeFirewall: create, every drift/heal case, teardown, dry runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/network/ruleset.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_docker.h"
#include "tests/network/fake_firewall.h"
#include "tests/support/temp_dir.h"

namespace ironward::network {
namespace {

using ::testing::HasSubstr;

constexpr const char* kNet = "ironward-sandboxes";

class NetworkReconcilerTest : public ::testing::Test {
 protected:
  NetworkReconcilerTest() {
    desired_.name = "test";
    desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
    desired_.spec.proxy.tunnel_port = 9090;
    desired_.spec.proxy.http_port = 9091;
    desired_.spec.proxy.bind = spec::BindKind::kSandboxNetwork;
  }

  /// What planning gets, dry run or not: the read halves of the fakes.
  ReadDeps Reads() { return ReadDeps{clock_, writer_, nullptr, nullptr, &docker_, &firewall_}; }

  ResourcePlan Plan(bool dry = false) {
    facts_ = Facts{};
    ReconcileContext ctx{desired_, facts_, dry};
    return reconciler_.Plan(ctx, Reads());
  }
  Outcome Apply() {
    facts_ = Facts{};
    ReconcileContext ctx{desired_, facts_, false};
    ResourcePlan plan = reconciler_.Plan(ctx, Reads());
    WriteDeps deps{clock_, writer_, nullptr, nullptr, &docker_, &firewall_};
    return reconciler_.Apply(ctx, plan, deps);
  }
  /// Applies and checks the next plan is clean.
  void Converge() {
    auto out = Apply();
    ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
    auto again = Plan();
    ASSERT_FALSE(again.error) << again.error->message;
    ASSERT_TRUE(again.InSync()) << Addresses(again);
  }
  static std::string Addresses(const ResourcePlan& p) {
    std::string out;
    for (const auto& c : p.changes) out += std::string(ActionSymbol(c.action)) + " " + c.address + ": " + c.reason + "\n";
    return out;
  }
  static const Change* Find(const ResourcePlan& p, const std::string& prefix) {
    for (const auto& c : p.changes) {
      if (c.address.rfind(prefix, 0) == 0) return &c;
    }
    return nullptr;
  }
  std::string Sandbox(const std::string& name, const std::string& network_mode) {
    docker::ContainerCreateSpec s;
    s.image = "img";
    s.labels = {{kOwnerLabel, desired_.name}};
    s.host.network_mode = network_mode;
    return docker_.AddContainer(name, s, true);
  }
  std::vector<std::string> NetworksOf(const std::string& id) {
    auto info = docker_.InspectContainer(id);
    std::vector<std::string> out;
    if (info.ok() && info->has_value()) {
      for (const auto& [n, ep] : (*info)->networks) out.push_back(n);
    }
    return out;
  }

  testing::TempDir dir_;
  state::StateWriter writer_{dir_.path()};
  FakeClock clock_;
  docker::FakeDocker docker_;
  netfilter::FakeFirewall firewall_;
  spec::DesiredState desired_;
  Facts facts_;
  NetworkReconciler reconciler_;
};

TEST_F(NetworkReconcilerTest, DryRunPlansNetworkAndTableWithoutTouchingAnything) {
  auto plan = Plan(/*dry=*/true);
  ASSERT_FALSE(plan.error) << plan.error->message;
  EXPECT_TRUE(plan.warnings.empty());
  const Change* net = Find(plan, "network.docker");
  const Change* table = Find(plan, "network.firewall");
  ASSERT_NE(net, nullptr) << Addresses(plan);
  ASSERT_NE(table, nullptr) << Addresses(plan);
  EXPECT_EQ(net->action, Action::kCreate);
  EXPECT_EQ(net->after["gateway"], "172.30.99.1");
  EXPECT_EQ(net->after["bridge"], BridgeNameFor(kNet));
  EXPECT_EQ(table->action, Action::kCreate);
  EXPECT_EQ(table->after["rules"], 6);
  ASSERT_TRUE(facts_.network.has_value());
  EXPECT_TRUE(facts_.network->pending);
  EXPECT_EQ(facts_.network->gateway, "172.30.99.1");
  EXPECT_EQ(facts_.network->name, kNet);
  EXPECT_EQ(docker_.CallCount("CreateNetwork"), 0U);
  EXPECT_EQ(firewall_.replaces, 0);
  EXPECT_FALSE(firewall_.table.has_value());
}

TEST_F(NetworkReconcilerTest, ApplyCreatesInternalOwnedNetworkAndConfinedTable) {
  auto out = Apply();
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_EQ(out.changed, 2);
  auto net = docker_.InspectNetwork(kNet);
  ASSERT_TRUE(net.ok() && net->has_value());
  EXPECT_TRUE((*net)->internal);
  EXPECT_EQ((*net)->subnet, "172.30.99.0/24");
  EXPECT_EQ((*net)->gateway, "172.30.99.1");
  EXPECT_EQ((*net)->labels, NetworkLabels());
  EXPECT_EQ(BridgeOf(**net), BridgeNameFor(kNet));
  ASSERT_TRUE(firewall_.table.has_value());
  EXPECT_EQ(firewall_.table->RuleCount(), 6U);
  const std::string proxy_rule = firewall_.table->chains.at(0).rules.at(1).text;
  EXPECT_THAT(proxy_rule, HasSubstr("ip daddr 172.30.99.1 tcp dport { 9090, 9091 } accept"));
  EXPECT_THAT(proxy_rule, HasSubstr("iifname \"" + BridgeNameFor(kNet) + "\""));
  ASSERT_TRUE(facts_.network.has_value());
  EXPECT_FALSE(facts_.network->pending);
  EXPECT_EQ(facts_.network->id, (*net)->id);
  EXPECT_EQ(facts_.network->bridge, BridgeNameFor(kNet));
  EXPECT_EQ(out.details["rules"], 6);
  EXPECT_EQ(out.details["bridge"], BridgeNameFor(kNet));

  docker_.ClearCalls();
  auto again = Plan();
  EXPECT_TRUE(again.InSync()) << Addresses(again);
  EXPECT_FALSE(facts_.network->pending);
  EXPECT_EQ(again.details["rules"], 6);
  // Applying an in-sync state changes nothing.
  auto noop = Apply();
  EXPECT_EQ(noop.changed, 0);
  EXPECT_EQ(docker_.CallCount("CreateNetwork"), 0U);
  EXPECT_EQ(firewall_.replaces, 1);
}

TEST_F(NetworkReconcilerTest, RemovedRuleIsPlannedAndHealed) {
  Converge();
  firewall_.RemoveRule("input", 1);  // the proxy allow rule
  auto plan = Plan();
  const Change* c = Find(plan, "network.firewall");
  ASSERT_NE(c, nullptr) << Addresses(plan);
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_THAT(c->reason, HasSubstr("input-proxy"));
  EXPECT_THAT(c->reason, HasSubstr("missing from chain input"));
  Converge();
  EXPECT_EQ(firewall_.table->RuleCount(), 6U);
}

TEST_F(NetworkReconcilerTest, StrayRuleInOurTableIsDrift) {
  Converge();
  firewall_.AddRule("input", {"iifname \"x\" accept", ""});
  auto plan = Plan();
  const Change* c = Find(plan, "network.firewall");
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->reason, HasSubstr("unexpected rule (no comment) in chain input"));
  Converge();
}

TEST_F(NetworkReconcilerTest, DeletedTableIsRecreated) {
  Converge();
  firewall_.table.reset();
  auto plan = Plan();
  const Change* c = Find(plan, "network.firewall");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kCreate);
  EXPECT_EQ(Find(plan, "network.docker"), nullptr);
  Converge();
  EXPECT_TRUE(firewall_.table.has_value());
}

TEST_F(NetworkReconcilerTest, ChangedProxyPortsRewriteTheTable) {
  Converge();
  desired_.spec.proxy.tunnel_port = 7000;
  desired_.spec.proxy.http_port = 7001;
  auto plan = Plan();
  ASSERT_NE(Find(plan, "network.firewall"), nullptr);
  Converge();
  EXPECT_THAT(firewall_.table->chains.at(0).rules.at(1).text, HasSubstr("{ 7000, 7001 }"));
}

TEST_F(NetworkReconcilerTest, RoutingModeChangeRewritesTheTableWithTheNatChain) {
  Converge();
  EXPECT_EQ(firewall_.table->chains.size(), 2U);
  desired_.spec.proxy.dns_port = 9094;
  desired_.spec.proxy.https_port = 9095;
  desired_.spec.enforcement.routing = spec::RoutingMode::kDns;
  auto plan = Plan();
  const Change* table = Find(plan, "network.firewall");
  ASSERT_NE(table, nullptr) << Addresses(plan);
  EXPECT_EQ(table->action, Action::kUpdate);
  EXPECT_THAT(table->reason, HasSubstr("chain prerouting is missing"));
  Converge();
  ASSERT_EQ(firewall_.table->chains.size(), 3U);
  EXPECT_EQ(firewall_.table->chains.at(2).type, "nat");
  EXPECT_THAT(firewall_.table->chains.at(2).rules.at(1).text, HasSubstr("udp dport 53 dnat ip to 172.30.99.1:9094"));
  // A DNAT rule deleted by hand is drift, named in the plan, and healed.
  firewall_.RemoveRule("prerouting", 3);
  plan = Plan();
  ASSERT_NE(Find(plan, "network.firewall"), nullptr) << Addresses(plan);
  EXPECT_THAT(Find(plan, "network.firewall")->reason, HasSubstr("steer-https"));
  Converge();
  // Back to proxy-variables: the nat chain goes.
  desired_.spec.enforcement.routing = spec::RoutingMode::kProxyVariables;
  plan = Plan();
  ASSERT_NE(Find(plan, "network.firewall"), nullptr) << Addresses(plan);
  EXPECT_THAT(Find(plan, "network.firewall")->reason, HasSubstr("unexpected chain prerouting"));
  Converge();
  EXPECT_EQ(firewall_.table->chains.size(), 2U);
}

TEST_F(NetworkReconcilerTest, DeletedNetworkIsRecreatedAndFactsArePendingInDryRun) {
  Converge();
  auto id = docker_.InspectNetwork(kNet).value()->id;
  ASSERT_EQ(docker_.RemoveNetwork(id).value(), docker::Outcome::kChanged);
  auto plan = Plan(/*dry=*/true);
  const Change* c = Find(plan, "network.docker");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kCreate);
  EXPECT_TRUE(facts_.network->pending);
  Converge();
  EXPECT_NE(docker_.InspectNetwork(kNet).value()->id, id);
}

TEST_F(NetworkReconcilerTest, DetachedSandboxIsReattachedAndOtherNetworksRemoved) {
  Converge();
  const std::string on_ours = Sandbox("agent-1", kNet);
  const std::string on_bridge = Sandbox("agent-2", "bridge");
  ASSERT_EQ(docker_.DisconnectNetwork(kNet, on_ours, true).value(), docker::Outcome::kChanged);
  // An unmanaged container is none of this reconciler's business.
  docker::ContainerCreateSpec other;
  other.image = "img";
  const std::string stranger = docker_.AddContainer("stranger", other, true);

  auto plan = Plan();
  EXPECT_NE(Find(plan, "network.attachment[\"agent-1\",\"ironward-sandboxes\"]"), nullptr) << Addresses(plan);
  EXPECT_NE(Find(plan, "network.attachment[\"agent-2\",\"ironward-sandboxes\"]"), nullptr) << Addresses(plan);
  const Change* detach = Find(plan, "network.attachment[\"agent-2\",\"bridge\"]");
  ASSERT_NE(detach, nullptr) << Addresses(plan);
  EXPECT_EQ(detach->action, Action::kDelete);
  EXPECT_THAT(detach->reason, HasSubstr("bypasses the proxy"));
  EXPECT_EQ(plan.changes.size(), 3U) << Addresses(plan);

  Converge();
  EXPECT_EQ(NetworksOf(on_ours), std::vector<std::string>{kNet});
  EXPECT_EQ(NetworksOf(on_bridge), std::vector<std::string>{kNet});
  EXPECT_EQ(NetworksOf(stranger), std::vector<std::string>{"bridge"});
}

TEST_F(NetworkReconcilerTest, NetworkWithWrongSubnetIsReplacedAndSandboxesReconnected) {
  Converge();
  const std::string sb = Sandbox("agent-1", kNet);
  desired_.spec.enforcement.network_subnet = "172.30.42.0/24";
  auto plan = Plan();
  const Change* c = Find(plan, "network.docker");
  ASSERT_NE(c, nullptr) << Addresses(plan);
  EXPECT_EQ(c->action, Action::kReplace);
  EXPECT_TRUE(c->disruptive);
  EXPECT_THAT(c->reason, HasSubstr("subnet 172.30.99.0/24 != 172.30.42.0/24"));
  Converge();
  EXPECT_EQ(docker_.InspectNetwork(kNet).value()->gateway, "172.30.42.1");
  EXPECT_EQ(NetworksOf(sb), std::vector<std::string>{kNet});
  EXPECT_THAT(firewall_.table->chains.at(0).rules.at(1).text, HasSubstr("172.30.42.1"));
}

TEST_F(NetworkReconcilerTest, ForeignNetworkWithOurNameIsAnErrorNotTakenOver) {
  docker::NetworkCreateSpec foreign{kNet, false, "10.9.0.0/24", "10.9.0.1", "", {}};
  ASSERT_TRUE(docker_.CreateNetwork(foreign).ok());
  auto plan = Plan();
  ASSERT_TRUE(plan.error.has_value());
  EXPECT_THAT(plan.error->message, HasSubstr("is not ironward's"));
  auto out = Apply();
  EXPECT_NE(out.kind, Outcome::Kind::kDone);
  EXPECT_EQ(docker_.CallCount("RemoveNetwork"), 0U);
  EXPECT_FALSE(firewall_.table.has_value());
}

TEST_F(NetworkReconcilerTest, WarnsWhenTheProxyDoesNotListenOnTheGateway) {
  desired_.spec.proxy.bind = spec::BindKind::kDockerBridge;
  auto plan = Plan();
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_THAT(plan.warnings[0], HasSubstr("set proxy.bind: sandbox-network"));
}

TEST_F(NetworkReconcilerTest, InternalWithEngineDownIsAnErrorNotACrash) {
  docker_.SetEngineDown(true);
  auto plan = Plan();
  ASSERT_TRUE(plan.error.has_value());
  EXPECT_THAT(plan.error->message, HasSubstr("cannot reach the Docker engine"));
  EXPECT_FALSE(plan.error->terminal());
}

TEST_F(NetworkReconcilerTest, FirewallFailureDuringApplyIsReported) {
  auto plan = Plan();
  ASSERT_FALSE(plan.error);
  firewall_.fail_next = false;
  // Fail the write, not the read: Apply re-observes first.
  facts_ = Facts{};
  ReconcileContext ctx{desired_, facts_, false};
  WriteDeps deps{clock_, writer_, nullptr, nullptr, &docker_, &firewall_};
  struct FailingWrites final : netfilter::Firewall {
    explicit FailingWrites(netfilter::Firewall& f) : inner(f) {}
    Result<std::optional<netfilter::TableState>> ReadTable() override { return inner.ReadTable(); }
    Status ReplaceTable(const netfilter::TableSpec&) override { return Error::Transient("nft: exit 1: boom"); }
    Status DeleteTable() override { return inner.DeleteTable(); }
    netfilter::Firewall& inner;
  } failing(firewall_);
  deps.firewall = &failing;
  auto out = reconciler_.Apply(ctx, plan, deps);
  EXPECT_EQ(out.reason, "FirewallFailed");
  EXPECT_THAT(out.message, HasSubstr("boom"));
}

TEST_F(NetworkReconcilerTest, NoneRemovesOurTableAndIdleNetwork) {
  Converge();
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  auto plan = Plan();
  EXPECT_EQ(plan.changes.size(), 2U) << Addresses(plan);
  EXPECT_EQ(Find(plan, "network.docker")->action, Action::kDelete);
  EXPECT_EQ(Find(plan, "network.firewall")->action, Action::kDelete);
  EXPECT_FALSE(facts_.network.has_value());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / kFirewallOwnerFile));
  Converge();
  EXPECT_FALSE(firewall_.table.has_value());
  EXPECT_FALSE(docker_.InspectNetwork(kNet).value().has_value());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / kFirewallOwnerFile));
}

// The table is host-wide: one this state dir never loaded (another ironward, a test run, a stale
// host) is not torn down by an instance that does not want one; the plan says why.
TEST_F(NetworkReconcilerTest, NoneLeavesATableThisStateDirDidNotLoadAloneWithAWarning) {
  Converge();
  ASSERT_TRUE(writer_.Remove(kFirewallOwnerFile).ok());
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  auto plan = Plan();
  EXPECT_EQ(Find(plan, "network.firewall"), nullptr) << Addresses(plan);
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_THAT(plan.warnings[0], HasSubstr("not loaded from this state dir"));
  Converge();
  EXPECT_TRUE(firewall_.table.has_value());
  EXPECT_EQ(firewall_.deletes, 0);
}

TEST_F(NetworkReconcilerTest, NoneKeepsANetworkThatStillHasContainers) {
  Converge();
  Sandbox("agent-1", kNet);
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  auto plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U) << Addresses(plan);
  EXPECT_EQ(plan.changes[0].address, "network.firewall[\"inet ironward\"]");
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_THAT(plan.warnings[0], HasSubstr("1 container(s) still attached"));
  Converge();
  EXPECT_TRUE(docker_.InspectNetwork(kNet).value().has_value());
}

TEST_F(NetworkReconcilerTest, NoneNeverTouchesANetworkThatIsNotOurs) {
  docker::NetworkCreateSpec foreign{kNet, true, "10.9.0.0/24", "10.9.0.1", "", {}};
  ASSERT_TRUE(docker_.CreateNetwork(foreign).ok());
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  auto plan = Plan();
  EXPECT_TRUE(plan.InSync()) << Addresses(plan);
}

TEST_F(NetworkReconcilerTest, NoneWithEngineDownOrNoFirewallIsQuietlyInSync) {
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  docker_.SetEngineDown(true);
  firewall_.fail_next = true;
  auto plan = Plan();
  EXPECT_FALSE(plan.error);
  EXPECT_TRUE(plan.changes.empty());
  EXPECT_TRUE(plan.warnings.empty());
  EXPECT_EQ(firewall_.reads, 1);  // it did look
  // Without any engine client or firewall at all: silent and in sync (nothing of ours can exist).
  facts_ = Facts{};
  ReconcileContext ctx{desired_, facts_, true};
  auto bare = reconciler_.Plan(ctx, ReadDeps{clock_, writer_, nullptr, nullptr, nullptr, nullptr});
  EXPECT_TRUE(bare.InSync());
}

TEST_F(NetworkReconcilerTest, ObservedFingerprintMovesWithDrift) {
  Converge();
  const auto before = Plan().observed_fingerprint;
  EXPECT_EQ(Plan().observed_fingerprint, before);
  firewall_.RemoveRule("forward", 0);
  EXPECT_NE(Plan().observed_fingerprint, before);
}

// A saved plan is refused as stale when the observed fingerprint moved. With enforcement off, a
// table another state dir loaded and a network ironward does not own only give a warning, and both
// are host-wide: their coming and going must not turn this state dir's plan stale (a CI run saw a
// plan refused while another test loaded its table).
TEST_F(NetworkReconcilerTest, NoneFingerprintIgnoresWhatItWouldNotTouch) {
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  const auto bare = Plan().observed_fingerprint;

  netfilter::TableSpec foreign;
  netfilter::ChainSpec chain;
  chain.name = chain.hook = "input";
  chain.rules.push_back({"iifname \"x\" drop", "someone 1 2"});
  foreign.chains.push_back(chain);
  firewall_.table = foreign;
  auto with_table = Plan();
  ASSERT_FALSE(with_table.warnings.empty());
  EXPECT_THAT(with_table.warnings[0], HasSubstr("not loaded from this state dir"));
  EXPECT_EQ(with_table.observed_fingerprint, bare);

  docker::NetworkCreateSpec theirs{kNet, true, "10.9.0.0/24", "10.9.0.1", "", {}};
  ASSERT_TRUE(docker_.CreateNetwork(theirs).ok());
  EXPECT_EQ(Plan().observed_fingerprint, bare);

  // Once this state dir owns the table, the plan deletes it: then it counts.
  ASSERT_TRUE(writer_.WriteAtomic(kFirewallOwnerFile, "{}", 0600).ok());
  auto ours = Plan();
  ASSERT_NE(Find(ours, "network.firewall"), nullptr) << Addresses(ours);
  EXPECT_NE(ours.observed_fingerprint, bare);
}

}  // namespace
}  // namespace ironward::network
