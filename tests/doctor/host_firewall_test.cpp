#include <gtest/gtest.h>

#include "tests/fakes/fake_processes.h"
#include "controller/doctor/checks.h"
#include "reconcilers/network/network_reconciler.h"

namespace ironward::doctor {
namespace {


class HostFirewallCheckTest : public ::testing::Test {
 protected:
  HostFirewallCheckTest() {
    desired_.name = "gw";
    desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
    desired_.spec.proxy.tunnel_port = 9090;
    desired_.spec.proxy.http_port = 9091;
    bridge_ = network::BridgeNameFor(desired_.spec.enforcement.network_name);
  }
  Check Run() { return HostFirewallCheck(desired_, runner_, hints_); }
  /// An nft -j ruleset: table inet ironward (input, drop) and, optionally, another drop chain.
  static std::string Ruleset(const std::string& extra) {
    return R"({"nftables":[{"metainfo":{"json_schema_version":1}},)"
           R"({"table":{"family":"inet","name":"ironward","handle":1}},)"
           R"({"chain":{"family":"inet","table":"ironward","name":"input","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}})" +
           extra + "]}";
  }
  spec::DesiredState desired_;
  Hints hints_{"ironward", "gw.yaml"};
  std::string bridge_;
  ::ironward::testing::FakeProcesses runner_;
};

TEST_F(HostFirewallCheckTest, SkipsWhenTheNetworkIsNotInternal) {
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  EXPECT_EQ(Run().result, Result::kSkip);
  EXPECT_TRUE(runner_.calls().empty()) << "nothing is run for a check that does not apply";
}

TEST_F(HostFirewallCheckTest, OnlyTableInetIronwardPasses) {
  runner_.Set("nft -j list ruleset", CommandResult::Exited(0, Ruleset("")));
  const auto c = Run();
  EXPECT_EQ(c.result, Result::kPass) << c.detail;
  EXPECT_EQ(c.detail, "nothing in nftables drops " + bridge_ + " -> 172.30.99.1:9090,9091");
}

TEST_F(HostFirewallCheckTest, NoFirewallToolInstalledPassesAndSaysSo) {
  const auto c = Run();
  EXPECT_EQ(c.result, Result::kPass);
  EXPECT_EQ(c.detail.rfind("no ufw, firewalld or nft on this host", 0), 0U) << c.detail;
  EXPECT_EQ(runner_.calls().size(), 3U) << "ufw, firewall-cmd and nft were each asked";
  EXPECT_EQ(runner_.command_lines()[1], "firewall-cmd --list-all-zones");
}

TEST_F(HostFirewallCheckTest, DropPolicyInputChainInAnotherTableWarnsWithTheAcceptRule) {
  runner_.Set("nft -j list ruleset",
              CommandResult::Exited(0, Ruleset(R"(,{"chain":{"family":"inet","table":"filter","name":"input",)"
                                               R"("handle":2,"type":"filter","hook":"input","prio":0,"policy":"drop"}})")));
  const auto c = Run();
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_NE(c.detail.find("inet filter input"), std::string::npos) << c.detail;
  EXPECT_EQ(c.fix, "nft insert rule inet filter input iifname \"" + bridge_ +
                       "\" ip daddr 172.30.99.1 tcp dport { 9090,9091 } accept");
}

TEST_F(HostFirewallCheckTest, DropChainThatAlreadyAcceptsTheBridgePasses) {
  runner_.Set("nft -j list ruleset",
              CommandResult::Exited(0, Ruleset(R"(,{"chain":{"family":"ip","table":"filter","name":"INPUT","handle":2,)"
                                               R"("type":"filter","hook":"input","prio":0,"policy":"drop"}},)"
                                               R"({"rule":{"family":"ip","table":"filter","chain":"INPUT","handle":5,"expr":[)"
                                               R"({"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":")" +
                                               bridge_ + R"("}},{"accept":null}]}})")));
  EXPECT_EQ(Run().result, Result::kPass);
}

TEST_F(HostFirewallCheckTest, AcceptPolicyAndOutputHooksDoNotCount) {
  runner_.Set("nft -j list ruleset",
              CommandResult::Exited(0, Ruleset(R"(,{"chain":{"family":"ip","table":"filter","name":"INPUT","hook":"input","policy":"accept"}},)"
                                               R"({"chain":{"family":"ip","table":"filter","name":"OUTPUT","hook":"output","policy":"drop"}})")));
  EXPECT_EQ(Run().result, Result::kPass);
}

TEST_F(HostFirewallCheckTest, UfwActiveWithDefaultDenyIncomingWarnsWithReconcileAndTheRuleByHand) {
  runner_.Set("ufw status verbose", CommandResult::Exited(0, "Status: active\nLogging: on (low)\n"
                                                             "Default: deny (incoming), allow (outgoing), deny (routed)\n"
                                                             "New profiles: skip\n"));
  const std::string rule = "ufw allow in on " + bridge_ +
                           " from 172.30.99.0/24 to 172.30.99.1 port 9090,9091 proto tcp comment 'ironward gw'";
  auto c = Run();
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_EQ(c.detail, "ufw is active, default deny (incoming) and has no accept for " + bridge_ +
                          " -> 172.30.99.1:9090,9091/tcp");
  EXPECT_EQ(c.fix, "ironward reconcile -f gw.yaml   (adds it: enforcement.hostFirewall is auto; by hand: " + rule + ")");
  desired_.spec.enforcement.host_firewall = spec::HostFirewallMode::kOff;
  c = Run();
  EXPECT_EQ(c.fix, rule + "   (enforcement.hostFirewall is off: ironward leaves ufw to you)");
}

TEST_F(HostFirewallCheckTest, UfwWithTheRuleAlreadyAddedOrInactivePassesAndItsChainsAreNotRawDropChains) {
  runner_.Set("ufw status verbose",
              CommandResult::Exited(0, "Status: active\nDefault: deny (incoming), allow (outgoing)\n\n"
                                       "To                         Action      From\n"
                                       "--                         ------      ----\n"
                                       "172.30.99.1 9090,9091/tcp on " + bridge_ + " ALLOW IN    Anywhere\n"));
  // ufw on iptables-nft: ip filter INPUT, policy drop, jumping to ufw's chains.
  runner_.Set("nft -j list ruleset",
              CommandResult::Exited(0, Ruleset(R"(,{"chain":{"family":"ip","table":"filter","name":"INPUT","handle":2,)"
                                               R"("type":"filter","hook":"input","prio":0,"policy":"drop"}},)"
                                               R"({"rule":{"family":"ip","table":"filter","chain":"INPUT","handle":5,"expr":[)"
                                               R"({"counter":{"packets":0,"bytes":0}},{"jump":{"target":"ufw-before-input"}}]}})")));
  auto c = Run();
  EXPECT_EQ(c.result, Result::kPass) << c.detail;
  runner_.Set("ufw status verbose", CommandResult::Exited(0, "Status: inactive\n"));
  c = Run();
  EXPECT_EQ(c.result, Result::kWarn) << "ufw inactive: its leftover drop chain is judged as plain nftables";
  EXPECT_NE(c.detail.find("ip filter INPUT"), std::string::npos) << c.detail;
}

TEST_F(HostFirewallCheckTest, UfwThatCannotBeReadIsAWarningNotAPass) {
  runner_.Set("ufw status verbose", CommandResult::Exited(1, "", "ERROR: You need to be root to run this script"));
  const auto c = Run();
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_NE(c.detail.find("could not be checked"), std::string::npos) << c.detail;
}

TEST_F(HostFirewallCheckTest, FirewalldRunningWarnsUntilTheZoneAdmitsTheBridge) {
  const std::string zones = "public\n  target: default\n  interfaces: \n  sources: \n  ports: \n  rich rules: \n\n"
                            "trusted\n  target: ACCEPT\n  interfaces: \n  sources: \n  rich rules: \n\n";
  runner_.Set("firewall-cmd --list-all-zones", CommandResult::Exited(0, zones));
  runner_.Set("firewall-cmd --get-default-zone", CommandResult::Exited(0, "public\n"));
  auto c = Run();
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_NE(c.detail.find("firewalld is running, zone public (target default)"), std::string::npos) << c.detail;
  EXPECT_NE(c.fix.find("firewall-cmd --zone=public --add-rich-rule="), std::string::npos) << c.fix;
  runner_.Set("firewall-cmd --list-all-zones",
              CommandResult::Exited(0, "public\n  target: default\n  interfaces: \n\ntrusted\n  target: ACCEPT\n"
                                       "  interfaces: " + bridge_ + "\n\n"));
  c = Run();
  EXPECT_EQ(c.result, Result::kPass) << c.detail;
  runner_.Set("firewall-cmd --list-all-zones", CommandResult::Exited(252, "", "FirewallD is not running"));
  EXPECT_EQ(Run().result, Result::kPass);
}

}  // namespace
}  // namespace ironward::doctor
