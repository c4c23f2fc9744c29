// HostFirewallReconciler and its teardown with FakeHostFirewall: add when a tool blocks, leave an
// operator's rule alone, heal, move, remove when no longer wanted, dry runs, crash safety.
#include <gtest/gtest.h>

#include "reconcilers/host_firewall/host_firewall_reconciler.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/teardown/host_firewall_down.h"
#include "tests/fakes/fake_clock.h"
#include "tests/host_firewall/fake_host_firewall.h"
#include "tests/support/desired_state.h"
#include "tests/support/temp_dir.h"

namespace ironward::hostfw {
namespace {

class HostFirewallReconcilerTest : public ::testing::Test {
 protected:
  HostFirewallReconcilerTest() {
    desired_.name = "gw";
    desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
    desired_.spec.proxy.tunnel_port = 9091;
    desired_.spec.proxy.http_port = 9090;
  }
  /// What planning gets, dry run or not: the read halves of the fakes.
  ReadDeps Reads() { return ReadDeps{clock_, writer_, nullptr, nullptr, nullptr, nullptr, {&ufw_, &firewalld_}}; }
  ResourcePlan Plan(Reconciler& r, bool dry = false) {
    facts_ = Facts{};
    ReconcileContext ctx{desired_, facts_, dry};
    return r.Plan(ctx, Reads());
  }
  Outcome Apply(Reconciler& r) {
    facts_ = Facts{};
    ReconcileContext ctx{desired_, facts_, false};
    ResourcePlan plan = r.Plan(ctx, Reads());
    WriteDeps deps{clock_, writer_, nullptr, nullptr, nullptr, nullptr, {&ufw_, &firewalld_}};
    return r.Apply(ctx, plan, deps);
  }
  Opening Desired() {
    return {network::BridgeNameFor("ironward-sandboxes"), "172.30.99.0/24", "172.30.99.1", {9090, 9091}, "gw", {}};
  }
  std::vector<RecordedAccept> Record() {
    auto r = ReadRecord(writer_);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<RecordedAccept>{};
  }
  static std::string Changes(const ResourcePlan& p) {
    std::string out;
    for (const auto& c : p.changes) out += std::string(ActionSymbol(c.action)) + " " + c.address + ": " + c.reason + "\n";
    return out;
  }

  ::ironward::testing::TempDir dir_;
  state::StateWriter writer_{dir_.path()};
  FakeClock clock_;
  FakeHostFirewall ufw_{Tool::kUfw};
  FakeHostFirewall firewalld_{Tool::kFirewalld};
  spec::DesiredState desired_;
  Facts facts_;
  HostFirewallReconciler reconciler_;
};

TEST_F(HostFirewallReconcilerTest, BlockingUfwGetsTheAcceptRecordedThenIsInSync) {
  firewalld_.installed = false;
  auto plan = Plan(reconciler_);
  ASSERT_FALSE(plan.error);
  ASSERT_EQ(plan.changes.size(), 1U) << Changes(plan);
  const Change& c = plan.changes[0];
  EXPECT_EQ(c.action, Action::kCreate);
  EXPECT_EQ(c.address, "host_firewall.ufw[\"" + Desired().bridge + "\"]");
  EXPECT_EQ(c.reason, "ufw is active, default deny (incoming): sandbox -> proxy traffic (" + Desired().Describe() +
                          ") would be dropped");
  EXPECT_EQ(c.after["command"], "ufw allow in on " + Desired().bridge +
                                    " from 172.30.99.0/24 to 172.30.99.1 port 9090,9091 proto tcp comment 'ironward gw'");

  auto out = Apply(reconciler_);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_TRUE(ufw_.Has(Desired(), ""));
  ASSERT_EQ(Record().size(), 1U);
  EXPECT_EQ(Record()[0].opening, Desired());
  const auto perms = std::filesystem::status(dir_.path() / kRecordFile).permissions();
  EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(Plan(reconciler_).InSync()) << Changes(Plan(reconciler_));
}

TEST_F(HostFirewallReconcilerTest, NothingRunsWhenNoToolIsInstalledOrNothingBlocks) {
  ufw_.installed = false;
  firewalld_.installed = false;
  EXPECT_TRUE(Plan(reconciler_).InSync());
  ufw_.installed = true;
  ufw_.active = false;  // inactive ufw drops nothing
  firewalld_.installed = true;
  firewalld_.blocks = false;  // the bridge's zone has target ACCEPT
  EXPECT_TRUE(Plan(reconciler_).InSync());
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_EQ(ufw_.allows + firewalld_.allows, 0);
  EXPECT_TRUE(Record().empty());
}

TEST_F(HostFirewallReconcilerTest, AToolItsFilesProveInactiveIsNotRunUntilTheDriftCheck) {
  firewalld_.installed = false;
  // ufw.conf says ENABLED=no, yet the CLI would say active (a hand edit): what each pass believes.
  ToolState inactive;
  inactive.installed = true;
  inactive.detail = "inactive";
  ufw_.glance = inactive;
  EXPECT_TRUE(Plan(reconciler_).InSync()) << Changes(Plan(reconciler_));
  EXPECT_EQ(ufw_.observes, 0) << "a one-shot pass trusts the glance";
  EXPECT_EQ(firewalld_.observes, 1) << "a tool without a glance is asked";

  facts_ = Facts{};
  ReconcileContext full{desired_, facts_, true};
  full.drift_check = DriftCheck::kFull;
  const ResourcePlan thorough = reconciler_.Plan(full, Reads());
  EXPECT_EQ(ufw_.observes, 1) << "the drift check asks the CLI";
  ASSERT_EQ(thorough.changes.size(), 1U) << Changes(thorough);
  EXPECT_EQ(thorough.changes[0].address, "host_firewall.ufw[\"" + Desired().bridge + "\"]");

  ufw_.glance.reset();  // ufw.conf says ENABLED=yes: the CLI is asked on every pass
  EXPECT_FALSE(Plan(reconciler_).InSync());
  EXPECT_EQ(ufw_.observes, 2);
}

TEST_F(HostFirewallReconcilerTest, AnOperatorsRuleIsLeftAloneAndNeverRecorded) {
  firewalld_.installed = false;
  ufw_.foreign_admits = true;
  auto plan = Plan(reconciler_);
  EXPECT_TRUE(plan.InSync()) << Changes(plan);
  ASSERT_TRUE(plan.details.contains("notes"));
  EXPECT_NE(plan.details["notes"][0].get<std::string>().find("ironward did not add"), std::string::npos);
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  EXPECT_TRUE(Plan(reconciler_).InSync()) << "nothing recorded, so nothing to remove";
}

TEST_F(HostFirewallReconcilerTest, AcceptRemovedByHandIsHealed) {
  firewalld_.installed = false;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  ufw_.accepts.clear();  // `ufw reset`, or deleted by hand
  auto plan = Plan(reconciler_);
  ASSERT_EQ(plan.changes.size(), 1U) << Changes(plan);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_EQ(plan.changes[0].reason, "the ufw accept ironward added for " + Desired().Describe() + " is gone");
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_TRUE(ufw_.Has(Desired(), ""));
  EXPECT_EQ(Record().size(), 1U);
}

TEST_F(HostFirewallReconcilerTest, FirewalldGetsRulesInTheBridgesZoneAndFollowsAZoneChange) {
  ufw_.installed = false;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_TRUE(firewalld_.Has(Desired(), "public"));
  firewalld_.zone = "internal";  // the operator bound the bridge to another zone
  auto plan = Plan(reconciler_);
  ASSERT_EQ(plan.changes.size(), 2U) << Changes(plan);
  EXPECT_EQ(plan.changes[0].action, Action::kDelete);
  EXPECT_NE(plan.changes[0].reason.find("now goes through zone internal, not public"), std::string::npos);
  EXPECT_EQ(plan.changes[1].action, Action::kCreate);
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_FALSE(firewalld_.Has(Desired(), "public"));
  EXPECT_TRUE(firewalld_.Has(Desired(), "internal"));
  ASSERT_EQ(Record().size(), 1U);
  EXPECT_EQ(Record()[0].where, "internal");
}

TEST_F(HostFirewallReconcilerTest, PortChangeMovesTheAcceptAndNetworkNoneOrOffRemovesIt) {
  firewalld_.installed = false;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  const Opening before = Desired();
  desired_.spec.proxy.http_port = 9100;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_FALSE(ufw_.Has(before, ""));
  ASSERT_EQ(ufw_.accepts.size(), 1U);
  EXPECT_EQ(ufw_.accepts[0].opening.ports, (std::vector<int>{9091, 9100}));

  desired_.spec.enforcement.host_firewall = spec::HostFirewallMode::kOff;
  auto off = Plan(reconciler_);
  ASSERT_EQ(off.changes.size(), 1U) << Changes(off);
  EXPECT_NE(off.changes[0].reason.find("enforcement.hostFirewall is off"), std::string::npos);
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_TRUE(ufw_.accepts.empty());
  EXPECT_TRUE(Record().empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / kRecordFile));
}

TEST_F(HostFirewallReconcilerTest, DnsRoutingAlsoAdmitsTheHttpsPortAndTheDnsPortOverUdp) {
  firewalld_.installed = false;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  desired_.spec.proxy.dns_port = 9094;
  desired_.spec.proxy.https_port = 9095;
  desired_.spec.enforcement.routing = spec::RoutingMode::kBoth;
  auto plan = Plan(reconciler_);
  EXPECT_FALSE(plan.InSync()) << "the mode change moves the accept";
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  ASSERT_EQ(ufw_.accepts.size(), 1U);
  EXPECT_EQ(ufw_.accepts[0].opening.ports, (std::vector<int>{9090, 9091, 9095}));
  EXPECT_EQ(ufw_.accepts[0].opening.udp_ports, (std::vector<int>{9094}));
  ASSERT_EQ(Record().size(), 1U);
  EXPECT_EQ(Record()[0].opening.udp_ports, (std::vector<int>{9094})) << "recorded with its UDP port";
  EXPECT_TRUE(Plan(reconciler_).InSync());
}

TEST_F(HostFirewallReconcilerTest, DryRunPlansAndChangesNothing) {
  firewalld_.installed = false;
  auto plan = Plan(reconciler_, /*dry=*/true);
  EXPECT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(ufw_.allows, 0);
  EXPECT_TRUE(Record().empty()) << "planning records nothing";
}

TEST_F(HostFirewallReconcilerTest, RecordIsWrittenBeforeTheAcceptSoAFailureLeavesNothingUnowned) {
  firewalld_.installed = false;
  ufw_.fail_next = true;
  auto out = Apply(reconciler_);
  EXPECT_NE(out.kind, Outcome::Kind::kDone);
  EXPECT_EQ(out.reason, "HostFirewallFailed");
  EXPECT_EQ(Record().size(), 1U) << "recorded although the add failed: the next pass adds it, down removes it";
  ufw_.fail_next = false;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  EXPECT_TRUE(ufw_.Has(Desired(), ""));
}

TEST_F(HostFirewallReconcilerTest, UnreadableToolFailsThePlan) {
  ufw_.fail_observe = true;
  auto plan = Plan(reconciler_);
  ASSERT_TRUE(plan.error);
  EXPECT_NE(plan.error->message.find("ufw"), std::string::npos);
}

TEST_F(HostFirewallReconcilerTest, DownRemovesExactlyTheRecordedAccepts) {
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  ASSERT_EQ(Record().size(), 2U);
  const Opening operators{"eth0", "10.0.0.0/8", "10.0.0.1", {22}, "ops", {}};
  ufw_.accepts.push_back({operators, ""});
  teardown::HostFirewallDown down;
  auto plan = Plan(down);
  ASSERT_EQ(plan.changes.size(), 2U) << Changes(plan);
  ASSERT_EQ(Apply(down).kind, Outcome::Kind::kDone);
  ASSERT_EQ(ufw_.accepts.size(), 1U);
  EXPECT_EQ(ufw_.accepts[0].opening, operators) << "a rule ironward did not add is never touched";
  EXPECT_TRUE(firewalld_.accepts.empty());
  EXPECT_TRUE(Record().empty());
  EXPECT_TRUE(Plan(down).InSync());
}

TEST_F(HostFirewallReconcilerTest, DownKeepsTheRecordWhileFirewalldIsStoppedAndSaysHowToRemoveIt) {
  ufw_.installed = false;
  ASSERT_EQ(Apply(reconciler_).kind, Outcome::Kind::kDone);
  firewalld_.active = false;
  teardown::HostFirewallDown down;
  auto out = Apply(down);
  EXPECT_NE(out.kind, Outcome::Kind::kDone);
  EXPECT_NE(out.message.find("firewall-offline-cmd --zone=public --remove-rich-rule="), std::string::npos) << out.message;
  EXPECT_EQ(Record().size(), 1U);
  firewalld_.installed = false;  // uninstalled: its rules went with it
  ASSERT_EQ(Apply(down).kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Record().empty());
}

TEST(RecordTest, CorruptRecordIsATerminalErrorThatSaysWhatToDo) {
  ::ironward::testing::TempDir dir;
  state::StateWriter writer(dir.path());
  ASSERT_TRUE(writer.WriteAtomic(kRecordFile, "{\"accepts\": [{\"tool\": \"iptables\"}]}", 0600).ok());
  auto r = ReadRecord(writer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("unknown tool 'iptables'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace ironward::hostfw
