#include <gtest/gtest.h>

#include "argv_runner.h"
#include "controller/doctor/checks.h"
#include "reconcilers/network/network_reconciler.h"

namespace ironward::doctor {
namespace {

using harden::CommandResult;

class HostFirewallCheckTest : public ::testing::Test {
 protected:
  HostFirewallCheckTest() {
    spec_.enforcement.network = spec::NetworkMode::kInternal;
    spec_.proxy.tunnel_port = 9090;
    spec_.proxy.http_port = 9091;
    bridge_ = network::BridgeNameFor(spec_.enforcement.network_name);
  }
  /// An nft -j ruleset: table inet ironward (input, drop) and, optionally, another drop chain.
  static std::string Ruleset(const std::string& extra) {
    return R"({"nftables":[{"metainfo":{"json_schema_version":1}},)"
           R"({"table":{"family":"inet","name":"ironward","handle":1}},)"
           R"({"chain":{"family":"inet","table":"ironward","name":"input","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}})" +
           extra + "]}";
  }
  spec::Spec spec_;
  std::string bridge_;
  testing::ArgvRunner runner_;
};

TEST_F(HostFirewallCheckTest, SkipsWhenTheNetworkIsNotInternal) {
  spec_.enforcement.network = spec::NetworkMode::kNone;
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kSkip);
  EXPECT_TRUE(runner_.calls().empty()) << "nothing is run for a check that does not apply";
}

TEST_F(HostFirewallCheckTest, OnlyTableInetIronwardPasses) {
  runner_.Set("nft -j list ruleset", CommandResult::Exited(0, Ruleset("")));
  const auto c = HostFirewallCheck(spec_, runner_);
  EXPECT_EQ(c.result, Result::kPass) << c.detail;
  EXPECT_EQ(c.detail, "nothing in nftables drops " + bridge_ + " -> 172.30.99.1:9090,9091");
}

TEST_F(HostFirewallCheckTest, NoFirewallToolInstalledPassesAndSaysSo) {
  const auto c = HostFirewallCheck(spec_, runner_);
  EXPECT_EQ(c.result, Result::kPass);
  EXPECT_EQ(c.detail.rfind("no ufw, firewalld or nft on this host", 0), 0U) << c.detail;
  EXPECT_EQ(runner_.calls().size(), 3U) << "ufw, firewall-cmd and nft were each asked";
}

TEST_F(HostFirewallCheckTest, DropPolicyInputChainInAnotherTableWarnsWithTheAcceptRule) {
  runner_.Set("nft -j list ruleset",
              CommandResult::Exited(0, Ruleset(R"(,{"chain":{"family":"inet","table":"filter","name":"input",)"
                                               R"("handle":2,"type":"filter","hook":"input","prio":0,"policy":"drop"}})")));
  const auto c = HostFirewallCheck(spec_, runner_);
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
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kPass);
}

TEST_F(HostFirewallCheckTest, AcceptPolicyAndOutputHooksDoNotCount) {
  runner_.Set("nft -j list ruleset",
              CommandResult::Exited(0, Ruleset(R"(,{"chain":{"family":"ip","table":"filter","name":"INPUT","hook":"input","policy":"accept"}},)"
                                               R"({"chain":{"family":"ip","table":"filter","name":"OUTPUT","hook":"output","policy":"drop"}})")));
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kPass);
}

TEST_F(HostFirewallCheckTest, UfwActiveWithDefaultDenyIncomingWarnsWithTheAllowRule) {
  runner_.Set("ufw status verbose", CommandResult::Exited(0, "Status: active\nLogging: on (low)\n"
                                                             "Default: deny (incoming), allow (outgoing), deny (routed)\n"
                                                             "New profiles: skip\n"));
  const auto c = HostFirewallCheck(spec_, runner_);
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_EQ(c.fix, "ufw allow in on " + bridge_ + " to 172.30.99.1 port 9090,9091 proto tcp");
}

TEST_F(HostFirewallCheckTest, UfwWithTheRuleAlreadyAddedOrInactivePasses) {
  runner_.Set("ufw status verbose",
              CommandResult::Exited(0, "Status: active\nDefault: deny (incoming), allow (outgoing)\n\n"
                                       "To                         Action      From\n"
                                       "172.30.99.1 9090,9091/tcp on " + bridge_ + " ALLOW IN    Anywhere\n"));
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kPass);
  runner_.Set("ufw status verbose", CommandResult::Exited(0, "Status: inactive\n"));
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kPass);
}

TEST_F(HostFirewallCheckTest, UfwThatCannotBeReadIsAWarningNotAPass) {
  runner_.Set("ufw status verbose", CommandResult::Exited(1, "", "ERROR: You need to be root to run this script"));
  const auto c = HostFirewallCheck(spec_, runner_);
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_NE(c.detail.find("could not be checked"), std::string::npos) << c.detail;
}

TEST_F(HostFirewallCheckTest, FirewalldRunningWarnsUntilTheBridgeIsTrusted) {
  runner_.Set("firewall-cmd --state", CommandResult::Exited(0, "running\n"));
  runner_.Set("firewall-cmd --zone=trusted --query-interface=" + bridge_, CommandResult::Exited(1, "no\n"));
  auto c = HostFirewallCheck(spec_, runner_);
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_EQ(c.fix, "firewall-cmd --zone=trusted --add-interface=" + bridge_);
  runner_.Set("firewall-cmd --zone=trusted --query-interface=" + bridge_, CommandResult::Exited(0, "yes\n"));
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kPass);
  runner_.Set("firewall-cmd --state", CommandResult::Exited(252, "not running\n"));
  EXPECT_EQ(HostFirewallCheck(spec_, runner_).result, Result::kPass);
}

}  // namespace
}  // namespace ironward::doctor
