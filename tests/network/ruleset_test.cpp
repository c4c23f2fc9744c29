// The sandbox rules, their comparison with an observed table, the nft script and nft -j parsing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/network/nft_firewall.h"
#include "reconcilers/network/ruleset.h"

namespace ironward::netfilter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TableSpec Build(std::vector<std::uint16_t> ports = {9090, 9091}) {
  auto t = BuildSandboxTable({"iw-0a1b2c3d", "172.30.99.1", std::move(ports)});
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : TableSpec{};
}

TableState AsObserved(const TableSpec& spec) {
  TableState s;
  for (const auto& c : spec.chains) {
    s.chains.push_back({c.name, c.type, c.hook, c.priority, c.policy});
    for (const auto& r : c.rules) s.rules.push_back({c.name, r.comment});
  }
  return s;
}

TEST(SandboxRulesTest, AllowOnlyProxyPortsOnGatewayAndDropTheRest) {
  const TableSpec t = Build({9091, 9090, 9090});
  ASSERT_EQ(t.chains.size(), 2U);
  const auto& input = t.chains[0];
  EXPECT_EQ(input.hook, "input");
  ASSERT_EQ(input.rules.size(), 4U);
  EXPECT_EQ(input.rules[1].text, "iifname \"iw-0a1b2c3d\" ip daddr 172.30.99.1 tcp dport { 9090, 9091 } accept");
  EXPECT_EQ(input.rules[2].text, "iifname \"iw-0a1b2c3d\" counter drop");
  EXPECT_EQ(input.rules[3].text,
            "iifname != \"lo\" iifname != \"iw-0a1b2c3d\" ip daddr 172.30.99.1 tcp dport { 9090, 9091 } counter drop");
  const auto& forward = t.chains[1];
  EXPECT_EQ(forward.hook, "forward");
  EXPECT_EQ(forward.rules[0].text, "iifname \"iw-0a1b2c3d\" oifname != \"iw-0a1b2c3d\" counter drop");
  EXPECT_EQ(forward.rules[1].text, "oifname \"iw-0a1b2c3d\" iifname != \"iw-0a1b2c3d\" counter drop");
  for (const auto& c : t.chains) {
    for (const auto& r : c.rules) EXPECT_THAT(r.comment, ::testing::StartsWith("ironward "));
  }
}

TEST(SandboxRulesTest, RejectsNamesThatCouldInjectRules) {
  EXPECT_FALSE(BuildSandboxTable({"br0\" accept", "172.30.99.1", {9090}}).ok());
  EXPECT_FALSE(BuildSandboxTable({"a-very-long-bridge-name", "172.30.99.1", {9090}}).ok());
  EXPECT_FALSE(BuildSandboxTable({"br0", "172.30.99.1; flush ruleset", {9090}}).ok());
  EXPECT_FALSE(BuildSandboxTable({"br0", "172.30.99.1", {}}).ok());
}

TEST(SandboxRulesTest, CommentsChangeWhenTheRuleMeaningChanges) {
  const TableSpec a = Build({9090, 9091});
  const TableSpec b = Build({7000, 7001});
  EXPECT_NE(a.chains[0].rules[1].comment, b.chains[0].rules[1].comment);
  EXPECT_EQ(a.chains[0].rules[2].comment, b.chains[0].rules[2].comment);
  EXPECT_NE(a.chains[0].rules[3].comment, b.chains[0].rules[3].comment);
  const auto diffs = CompareTable(b, AsObserved(a));
  ASSERT_EQ(diffs.size(), 4U);  // the two port rules: each missing once and unexpected once
}

TableSpec BuildSteered() {
  SandboxRulesInput in{"iw-0a1b2c3d", "172.30.99.1", {9090, 9091}, DnsSteering{"172.30.99.0/24", 9094, 9091, 9095}};
  auto t = BuildSandboxTable(in);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : TableSpec{};
}

TEST(SandboxRulesTest, DnsRoutingSteersDnsHttpAndHttpsToTheProxyOnTheBridgeOnly) {
  const TableSpec t = BuildSteered();
  ASSERT_EQ(t.chains.size(), 3U);
  const auto& input = t.chains[0];
  // The proxy's https and dns ports join the accepted set; UDP only for the DNS port.
  EXPECT_EQ(input.rules[1].text,
            "iifname \"iw-0a1b2c3d\" ip daddr 172.30.99.1 tcp dport { 9090, 9091, 9095 } accept");
  EXPECT_EQ(input.rules[2].text, "iifname \"iw-0a1b2c3d\" ip daddr 172.30.99.1 udp dport 9094 accept");
  EXPECT_EQ(input.rules[3].text, "iifname \"iw-0a1b2c3d\" counter drop");
  EXPECT_EQ(input.rules[5].text,
            "iifname != \"lo\" iifname != \"iw-0a1b2c3d\" ip daddr 172.30.99.1 udp dport 9094 counter drop");
  const auto& nat = t.chains[2];
  EXPECT_EQ(nat.type, "nat");
  EXPECT_EQ(nat.hook, "prerouting");
  EXPECT_EQ(nat.priority, -100);
  ASSERT_EQ(nat.rules.size(), 4U);
  EXPECT_EQ(nat.rules[0].text, "iifname \"iw-0a1b2c3d\" ip daddr 172.30.99.0/24 ip daddr != 172.30.99.1 return");
  EXPECT_EQ(nat.rules[1].text, "iifname \"iw-0a1b2c3d\" udp dport 53 dnat ip to 172.30.99.1:9094");
  EXPECT_EQ(nat.rules[2].text, "iifname \"iw-0a1b2c3d\" tcp dport 80 dnat ip to 172.30.99.1:9091");
  EXPECT_EQ(nat.rules[3].text, "iifname \"iw-0a1b2c3d\" tcp dport 443 dnat ip to 172.30.99.1:9095");
  // TCP 53 is not steered (iron-proxy's DNS is UDP only): it falls to the drops.
  for (const auto& r : nat.rules) EXPECT_THAT(r.text, Not(HasSubstr("tcp dport 53")));
  // Every rule of the chain is matched on the sandbox bridge: the host's own traffic is untouched.
  for (const auto& r : nat.rules) EXPECT_THAT(r.text, ::testing::StartsWith("iifname \"iw-0a1b2c3d\" "));
  for (const auto& r : nat.rules) EXPECT_THAT(r.comment, ::testing::StartsWith("ironward steer-"));
}

TEST(SandboxRulesTest, DnsRoutingRejectsBadInputs) {
  EXPECT_FALSE(BuildSandboxTable({"br0", "172.30.99.1", {9090}, DnsSteering{"172.30.99.0", 9094, 9091, 9095}}).ok());
  EXPECT_FALSE(BuildSandboxTable({"br0", "172.30.99.1", {9090}, DnsSteering{"x; flush ruleset", 9094, 9091, 9095}}).ok());
  EXPECT_FALSE(BuildSandboxTable({"br0", "172.30.99.1", {9090}, DnsSteering{"172.30.99.0/24", 0, 9091, 9095}}).ok());
}

TEST(CompareTableTest, ModeChangeIsDrift) {
  const TableSpec plain = Build();
  const TableSpec steered = BuildSteered();
  const auto to_steered = CompareTable(steered, AsObserved(plain));
  EXPECT_THAT(::testing::PrintToString(to_steered), HasSubstr("chain prerouting is missing"));
  EXPECT_THAT(::testing::PrintToString(to_steered), HasSubstr("'ironward steer-https"));
  const auto to_plain = CompareTable(plain, AsObserved(steered));
  EXPECT_THAT(::testing::PrintToString(to_plain), HasSubstr("unexpected chain prerouting"));
  EXPECT_TRUE(CompareTable(steered, AsObserved(steered)).empty());
  // A nat chain turned into a filter chain by hand is drift too.
  TableState wrong_type = AsObserved(steered);
  wrong_type.chains[2].type = "filter";
  EXPECT_THAT(::testing::PrintToString(CompareTable(steered, wrong_type)), HasSubstr("want nat hook prerouting"));
}

TEST(NftScriptTest, RendersTheNatChainType) {
  auto script = RenderNftScript(BuildSteered(), "ironward");
  ASSERT_TRUE(script.ok()) << script.error().message;
  EXPECT_THAT(*script, HasSubstr("type nat hook prerouting priority -100; policy accept;"));
  EXPECT_THAT(*script, HasSubstr("type filter hook input priority -5; policy accept;"));
}

TEST(CompareTableTest, InSyncMissingExtraAndChangedPolicy) {
  const TableSpec t = Build();
  EXPECT_TRUE(CompareTable(t, AsObserved(t)).empty());

  TableState missing = AsObserved(t);
  missing.rules.erase(missing.rules.begin() + 4);  // input: 0-3, forward: 4-5
  auto d = CompareTable(t, missing);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_THAT(d[0], HasSubstr("forward-drop-out"));

  TableState dup = AsObserved(t);
  dup.rules.push_back(dup.rules[0]);
  d = CompareTable(t, dup);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_THAT(d[0], HasSubstr("unexpected rule"));

  TableState policy = AsObserved(t);
  policy.chains[0].policy = "drop";
  d = CompareTable(t, policy);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_THAT(d[0], HasSubstr("policy drop"));

  TableState no_chain = AsObserved(t);
  no_chain.chains.pop_back();
  no_chain.chains.push_back({"extra", "filter", "", 0, ""});
  d = CompareTable(t, no_chain);
  EXPECT_EQ(d.size(), 2U);
}

TEST(NftScriptTest, ReplacesOnlyOurTableAtomically) {
  auto script = RenderNftScript(Build(), "ironward");
  ASSERT_TRUE(script.ok()) << script.error().message;
  EXPECT_EQ(script->rfind("table inet ironward {}\ndelete table inet ironward\ntable inet ironward {\n", 0), 0U);
  EXPECT_THAT(*script, HasSubstr("    type filter hook input priority -5; policy accept;\n"));
  EXPECT_THAT(*script, HasSubstr("counter drop comment \"ironward input-drop "));
  EXPECT_THAT(*script, Not(HasSubstr("flush ruleset")));
  EXPECT_THAT(*script, Not(HasSubstr("table ip ")));
}

TEST(NftScriptTest, RefusesUnsafeRulesAndTableNames) {
  TableSpec t = Build();
  t.chains[0].rules.push_back({"accept\n flush ruleset", "x"});
  EXPECT_FALSE(RenderNftScript(t).ok());
  TableSpec c = Build();
  c.chains[0].rules[0].comment = "a\"b";
  EXPECT_FALSE(RenderNftScript(c).ok());
  EXPECT_FALSE(RenderNftScript(Build(), "x; flush ruleset").ok());
}

TEST(NftJsonTest, ParsesChainsAndRuleComments) {
  const std::string json = R"({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
    {"table": {"family": "inet", "name": "ironward", "handle": 7}},
    {"chain": {"family": "inet", "table": "ironward", "name": "input", "handle": 1, "type": "filter",
               "hook": "input", "prio": 0, "policy": "accept"}},
    {"rule": {"family": "inet", "table": "ironward", "chain": "input", "handle": 4,
              "comment": "ironward input-drop abc", "expr": [{"drop": null}]}},
    {"rule": {"family": "inet", "table": "ironward", "chain": "input", "handle": 5, "expr": [{"accept": null}]}}]})";
  auto s = ParseNftTableJson(json);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->chains.size(), 1U);
  EXPECT_EQ(s->chains[0].hook, "input");
  EXPECT_EQ(s->chains[0].policy, "accept");
  ASSERT_EQ(s->rules.size(), 2U);
  EXPECT_EQ(s->rules[0].comment, "ironward input-drop abc");
  EXPECT_EQ(s->rules[1].comment, "");
  EXPECT_FALSE(ParseNftTableJson("not json").ok());
  EXPECT_FALSE(ParseNftTableJson(R"({"x": 1})").ok());
}

}  // namespace
}  // namespace ironward::netfilter
