// FirewalldFirewall against firewalld 1.3's real `--list-all-zones` output (captured in a network
// namespace, firewalld_list_all_zones.txt) through a scripted command runner.
#include <gtest/gtest.h>

#include "reconcilers/host_firewall/firewalld.h"
#include "tests/fakes/fake_file_reader.h"
#include "tests/fakes/fake_processes.h"
#include "tests/support/temp_dir.h"

namespace ironward::hostfw {
namespace {

std::string Captured() {
  return ::ironward::testing::ReadFile(std::string(IRONWARD_TEST_SOURCE_DIR) + "/firewalld_list_all_zones.txt");
}

Opening FwdGw(std::vector<int> ports = {9090, 9091}) { return {"iw-test", "172.31.9.0/24", "172.31.9.1", ports, "gw", {}}; }

TEST(FirewalldZonesTest, ParsesTheRealOutput) {
  auto zones = ParseFirewalldZones(Captured());
  ASSERT_TRUE(zones.ok()) << zones.error().message;
  ASSERT_EQ(zones->size(), 9U);
  const FirewalldZone* pub = nullptr;
  for (const auto& z : *zones) {
    if (z.name == "public") pub = &z;
  }
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(pub->target, "default");
  EXPECT_EQ(pub->ports, std::vector<std::string>{"8080/tcp"});
  ASSERT_EQ(pub->rich_rules.size(), 1U);
  EXPECT_EQ(pub->rich_rules[0], RichRules(FwdGw({9090}))[0]) << "the rule ironward writes reads back verbatim";
}

TEST(FirewalldZonesTest, SourceBindingWinsOverInterfaceOverDefault) {
  auto zones = ParseFirewalldZones(Captured());
  ASSERT_TRUE(zones.ok());
  EXPECT_EQ(ZoneFor(*zones, FwdGw(), "public")->name, "public");
  Opening on_eth9 = FwdGw();
  on_eth9.bridge = "eth9";
  EXPECT_EQ(ZoneFor(*zones, on_eth9, "public")->name, "trusted");
  Opening sourced = on_eth9;
  sourced.subnet = "10.9.0.0/16";
  EXPECT_EQ(ZoneFor(*zones, sourced, "public")->name, "internal");
  EXPECT_EQ(ZoneFor(*zones, FwdGw(), "nosuch"), nullptr);
}

TEST(FirewalldFirewallTest, ObserveFindsTheZoneAndWhatItAdmits) {
  ::ironward::testing::FakeProcesses runner;
  runner.Set("firewall-cmd --list-all-zones", CommandResult::Exited(0, Captured()));
  runner.Set("firewall-cmd --get-default-zone", CommandResult::Exited(0, "public\n"));
  FirewalldFirewall fw(runner);
  auto partial = fw.Observe(FwdGw());
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  EXPECT_TRUE(partial->installed && partial->active && partial->blocks);
  EXPECT_EQ(partial->where, "public");
  EXPECT_FALSE(partial->admitted) << "9091 has neither a rich rule nor an open port";
  EXPECT_EQ(partial->detail, "running, zone public (target default)");

  auto both = fw.Observe(FwdGw({8080, 9090}));  // 8080 by the zone's ports, 9090 by the rich rule
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->admitted);

  Opening trusted = FwdGw();
  trusted.bridge = "eth9";
  auto accept = fw.Observe(trusted);
  ASSERT_TRUE(accept.ok());
  EXPECT_FALSE(accept->blocks) << "target ACCEPT lets everything in";
  EXPECT_TRUE(accept->admitted);
  EXPECT_EQ(runner.command_lines().back(), "firewall-cmd --list-all-zones") << "no default-zone call when the bridge is bound";
}

TEST(FirewalldFirewallTest, NotRunningOrNoSystemBusIsInactiveNotAnError) {
  ::ironward::testing::FakeProcesses runner;
  FirewalldFirewall fw(runner);
  runner.Set("firewall-cmd --list-all-zones", CommandResult::Exited(252, "", "FirewallD is not running"));
  auto stopped = fw.Observe(FwdGw());
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->installed);
  EXPECT_FALSE(stopped->active);
  runner.Set("firewall-cmd --list-all-zones",
             CommandResult::Exited(36, "", "Error: DBUS_ERROR: Failed to connect to socket /run/dbus/system_bus_socket"));
  auto nobus = fw.Observe(FwdGw());
  ASSERT_TRUE(nobus.ok());
  EXPECT_FALSE(nobus->active);
  runner.Set("firewall-cmd --list-all-zones", CommandResult::Exited(11, "", "Error: ACCESS_DENIED"));
  EXPECT_FALSE(fw.Observe(FwdGw()).ok());
}

TEST(FirewalldFirewallTest, GlanceSaysNotRunningOnlyWhenNoProcessRunsTheDaemon) {
  using std::string_literals::operator""s;
  EXPECT_TRUE(IsFirewalldCommandLine("/usr/bin/python3\0/usr/sbin/firewalld\0--nofork\0--nopid\0"s));
  EXPECT_TRUE(IsFirewalldCommandLine("/usr/sbin/firewalld\0"s));
  EXPECT_FALSE(IsFirewalldCommandLine("/usr/bin/python3\0/usr/bin/firewall-cmd\0--state\0"s));
  EXPECT_FALSE(IsFirewalldCommandLine("vim\0/etc/firewalld/firewalld.conf\0"s));
  EXPECT_FALSE(IsFirewalldCommandLine(""));

  ::ironward::testing::FakeProcesses procs;
  FakeFileReader files;
  FirewalldFirewall fw(procs, std::chrono::seconds(1), &files, &procs, "/etc/firewalld/firewalld.conf");
  procs.Put(4242, {{'S', 1, 0}, {}, "/usr/bin/python3\0/usr/bin/firewall-cmd\0--state"s, false, ""});
  EXPECT_FALSE(fw.Glance().has_value()) << "no firewalld.conf: the CLI decides";
  files.Set("/etc/firewalld/firewalld.conf", "DefaultZone=public\n");
  auto stopped = fw.Glance();
  ASSERT_TRUE(stopped.has_value());
  EXPECT_TRUE(stopped->installed);
  EXPECT_FALSE(stopped->active);
  EXPECT_EQ(stopped->detail, "not running");
  procs.Put(4243, {{'S', 1, 0}, {}, "/usr/bin/python3\0/usr/sbin/firewalld\0--nofork\0--nopid"s, false, ""});
  EXPECT_FALSE(fw.Glance().has_value()) << "the daemon runs: only the CLI knows its zones";
  EXPECT_TRUE(procs.requests().empty()) << "a glance never runs firewall-cmd";
}

TEST(FirewalldRichRulesTest, DnsRoutingAddsAUdpRuleForTheDnsPort) {
  Opening o = FwdGw({9090, 9091, 9095});
  o.udp_ports = {9094};
  const auto rules = RichRules(o);
  ASSERT_EQ(rules.size(), 4U);
  EXPECT_NE(rules[2].find("port port=\"9095\" protocol=\"tcp\""), std::string::npos) << rules[2];
  EXPECT_EQ(rules[3], "rule family=\"ipv4\" source address=\"172.31.9.0/24\" destination address=\"172.31.9.1\" port "
                      "port=\"9094\" protocol=\"udp\" accept");
  EXPECT_EQ(o.Describe(), "iw-test -> 172.31.9.1:9090,9091,9095/tcp, 9094/udp");
  // The record round-trips with its UDP ports; an older record without them still reads.
  auto back = Opening::FromJson(o.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, o);
  EXPECT_FALSE(FwdGw().ToJson().contains("udp_ports"));
}

TEST(FirewalldFirewallTest, AllowAndRevokeChangeRuntimeAndPermanent) {
  ::ironward::testing::FakeProcesses runner;
  std::string rules;
  for (const auto& r : RichRules(FwdGw())) rules += " --add-rich-rule=" + r;
  runner.Set("firewall-cmd --zone=public" + rules, CommandResult::Exited(0, "success\n"));
  runner.Set("firewall-cmd --permanent --zone=public" + rules, CommandResult::Exited(0, "success\n"));
  FirewalldFirewall fw(runner);
  ASSERT_TRUE(fw.Allow(FwdGw(), "public").ok());
  EXPECT_EQ(runner.calls().size(), 2U);
  EXPECT_FALSE(fw.Revoke(FwdGw(), "public").ok()) << "remove commands are not scripted: not found";
  EXPECT_FALSE(fw.Allow(FwdGw(), "").ok()) << "no zone";
  EXPECT_NE(FirewalldAllowCommand(FwdGw(), "public").find("--permanent --zone=public --add-rich-rule='rule family="),
            std::string::npos);
}

}  // namespace
}  // namespace ironward::hostfw
