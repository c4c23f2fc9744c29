// UfwFirewall against ufw's real output (captured from ufw 0.36.2 on Debian 12) through a
// scripted command runner: parsing, what admits the opening, and the exact command lines run.
#include <gtest/gtest.h>

#include "reconcilers/host_firewall/ufw.h"
#include "tests/fakes/fake_file_reader.h"
#include "tests/fakes/fake_processes.h"

namespace ironward::hostfw {
namespace {

Opening UfwGw() { return {"iw-1a2b3c4d", "172.30.99.0/24", "172.30.99.1", {9090, 9091}, "gw", {}}; }

const char* kActiveWithOurRule =
    "Status: active\n"
    "Logging: on (low)\n"
    "Default: deny (incoming), allow (outgoing), disabled (routed)\n"
    "New profiles: skip\n"
    "\n"
    "To                         Action      From\n"
    "--                         ------      ----\n"
    "22/tcp                     ALLOW IN    Anywhere\n"
    "172.30.99.1 9090,9091/tcp on iw-1a2b3c4d ALLOW IN    172.30.99.0/24             # ironward gw\n"
    "22/tcp (v6)                ALLOW IN    Anywhere (v6)\n"
    "\n";

const char* kActiveNoRule =
    "Status: active\n"
    "Logging: on (low)\n"
    "Default: reject (incoming), allow (outgoing), disabled (routed)\n"
    "New profiles: skip\n"
    "\n"
    "To                         Action      From\n"
    "--                         ------      ----\n"
    "22/tcp                     ALLOW IN    Anywhere\n";

TEST(UfwStatusTest, ParsesPolicyAndEveryRuleColumn) {
  auto s = ParseUfwStatus(kActiveWithOurRule);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->active);
  EXPECT_EQ(s->incoming, "deny");
  ASSERT_EQ(s->rules.size(), 3U);
  const auto& r = s->rules[1];
  EXPECT_EQ(r.to, "172.30.99.1");
  EXPECT_EQ(r.ports, "9090,9091");
  EXPECT_EQ(r.proto, "tcp");
  EXPECT_EQ(r.iface, "iw-1a2b3c4d");
  EXPECT_EQ(r.action, "ALLOW");
  EXPECT_EQ(r.direction, "IN");
  EXPECT_EQ(r.from, "172.30.99.0/24");
  EXPECT_EQ(r.comment, "ironward gw");
  EXPECT_EQ(s->rules[0].to, "Anywhere");
  EXPECT_EQ(s->rules[0].ports, "22");
  EXPECT_TRUE(s->rules[2].v6);
}

TEST(UfwStatusTest, InactiveAndGarbage) {
  auto s = ParseUfwStatus("Status: inactive\n");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->active);
  EXPECT_FALSE(ParseUfwStatus("ERROR: You need to be root to run this script\n").ok());
}

void FakeAllows(::ironward::testing::FakeProcesses& runner, const Opening& o) {
  for (const char* proto : {"tcp", "udp"}) {
    std::string cmd = "ufw allow";
    for (const auto& a : UfwRuleArgs(o, proto)) cmd += " " + a;
    runner.Set(cmd + " comment ironward " + o.owner, CommandResult::Exited(0, "Rule added\n"));
  }
}

TEST(UfwAdmitsTest, ExactBroaderAndNonMatchingRules) {
  const Opening o = UfwGw();
  auto rule = [](const std::string& line) {
    auto s = ParseUfwStatus(std::string("Status: active\n--\n") + line + "\n");
    EXPECT_TRUE(s.ok() && s->rules.size() == 1U) << line;
    return s->rules.front();
  };
  EXPECT_TRUE(UfwAdmits(rule("172.30.99.1 9090,9091/tcp on iw-1a2b3c4d ALLOW IN    172.30.99.0/24"), o));
  EXPECT_TRUE(UfwAdmits(rule("Anywhere on iw-1a2b3c4d       ALLOW IN    Anywhere"), o)) << "the whole bridge";
  EXPECT_TRUE(UfwAdmits(rule("9000:9999/tcp              ALLOW IN    Anywhere"), o)) << "a port range";
  EXPECT_FALSE(UfwAdmits(rule("9090/tcp                   ALLOW IN    Anywhere"), o)) << "only one of the two ports";
  EXPECT_FALSE(UfwAdmits(rule("Anywhere on eth0           ALLOW IN    Anywhere"), o)) << "another interface";
  EXPECT_FALSE(UfwAdmits(rule("Anywhere on iw-1a2b3c4d       DENY IN     Anywhere"), o));
  EXPECT_FALSE(UfwAdmits(rule("Anywhere on iw-1a2b3c4d       ALLOW IN    10.0.0.0/8"), o)) << "another source";
  EXPECT_FALSE(UfwAdmits(rule("9090,9091/udp              ALLOW IN    Anywhere"), o));
  EXPECT_FALSE(UfwAdmits(rule("Anywhere (v6) on iw-1a2b3c4d  ALLOW IN    Anywhere (v6)"), o));
}

TEST(UfwAdmitsTest, DnsRoutingNeedsATcpAndAUdpRule) {
  Opening o = UfwGw();
  o.ports = {9090, 9091, 9095};
  o.udp_ports = {9094};
  EXPECT_EQ(UfwRuleArgs(o, "tcp"), (std::vector<std::string>{"in", "on", "iw-1a2b3c4d", "from", "172.30.99.0/24", "to",
                                                             "172.30.99.1", "port", "9090,9091,9095", "proto", "tcp"}));
  EXPECT_EQ(UfwRuleArgs(o, "udp"), (std::vector<std::string>{"in", "on", "iw-1a2b3c4d", "from", "172.30.99.0/24", "to",
                                                             "172.30.99.1", "port", "9094", "proto", "udp"}));
  EXPECT_EQ(UfwAllowCommand(o),
            "ufw allow in on iw-1a2b3c4d from 172.30.99.0/24 to 172.30.99.1 port 9090,9091,9095 proto tcp comment "
            "'ironward gw' && ufw allow in on iw-1a2b3c4d from 172.30.99.0/24 to 172.30.99.1 port 9094 proto udp "
            "comment 'ironward gw'");
  ::ironward::testing::FakeProcesses runner;
  UfwFirewall ufw(runner);
  const std::string tcp_only = "Status: active\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n\n"
                               "To                         Action      From\n--                         ------      ----\n"
                               "172.30.99.1 9090,9091,9095/tcp on iw-1a2b3c4d ALLOW IN    172.30.99.0/24             # ironward gw\n";
  runner.Set("ufw status verbose", CommandResult::Exited(0, tcp_only));
  auto st = ufw.Observe(o);
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->admitted) << "the DNS port over UDP is not admitted yet";
  runner.Set("ufw status verbose",
             CommandResult::Exited(0, tcp_only + "172.30.99.1 9094/udp on iw-1a2b3c4d ALLOW IN    172.30.99.0/24             # ironward gw\n"));
  st = ufw.Observe(o);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->admitted);
  // Allow adds both rules, in order.
  FakeAllows(runner, o);
  ASSERT_TRUE(ufw.Allow(o, "").ok());
  const auto lines = runner.command_lines();
  ASSERT_GE(lines.size(), 2U);
  EXPECT_NE(lines[lines.size() - 2].find("port 9090,9091,9095 proto tcp"), std::string::npos) << lines[lines.size() - 2];
  EXPECT_NE(lines.back().find("port 9094 proto udp"), std::string::npos) << lines.back();
}

TEST(UfwFirewallTest, ObserveTellsBlockingAdmittedAndNotInstalled) {
  ::ironward::testing::FakeProcesses runner;
  UfwFirewall ufw(runner);
  auto none = ufw.Observe(UfwGw());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->installed);

  runner.Set("ufw status verbose", CommandResult::Exited(0, kActiveNoRule));
  auto blocking = ufw.Observe(UfwGw());
  ASSERT_TRUE(blocking.ok());
  EXPECT_TRUE(blocking->installed && blocking->active && blocking->blocks);
  EXPECT_FALSE(blocking->admitted);
  EXPECT_EQ(blocking->detail, "active, default reject (incoming)");

  runner.Set("ufw status verbose", CommandResult::Exited(0, kActiveWithOurRule));
  auto admitted = ufw.Observe(UfwGw());
  ASSERT_TRUE(admitted.ok());
  EXPECT_TRUE(admitted->admitted);

  runner.Set("ufw status verbose", CommandResult::Exited(1, "", "ERROR: You need to be root to run this script"));
  auto denied = ufw.Observe(UfwGw());
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("needs root"), std::string::npos) << denied.error().message;
}

TEST(UfwFirewallTest, GlanceReadsEnabledFromUfwConfAndNeverRunsTheCli) {
  EXPECT_EQ(UfwEnabledSetting("# comment\nENABLED=no\nLOGLEVEL=low\n"), "no");
  EXPECT_EQ(UfwEnabledSetting("ENABLED=\"yes\"  \n"), "yes");
  EXPECT_EQ(UfwEnabledSetting("ENABLED=no\nENABLED=yes\n"), "yes") << "the last assignment wins";
  EXPECT_EQ(UfwEnabledSetting("#ENABLED=yes\n"), "");

  ::ironward::testing::FakeProcesses runner;
  FakeFileReader files;
  UfwFirewall ufw(runner, std::chrono::seconds(1), &files, "/etc/ufw/ufw.conf");
  EXPECT_FALSE(ufw.Glance().has_value()) << "no ufw.conf: the CLI decides (not installed is cheap)";
  files.Set("/etc/ufw/ufw.conf", "ENABLED=no\nLOGLEVEL=low\n");
  auto off = ufw.Glance();
  ASSERT_TRUE(off.has_value());
  EXPECT_TRUE(off->installed);
  EXPECT_FALSE(off->active || off->blocks || off->admitted);
  EXPECT_EQ(off->detail, "inactive") << "the words `ufw status` would give";
  files.Set("/etc/ufw/ufw.conf", "ENABLED=yes\n");
  EXPECT_FALSE(ufw.Glance().has_value()) << "enabled: only the CLI knows its rules";
  files.Fail("/etc/ufw/ufw.conf", "permission denied");
  EXPECT_FALSE(ufw.Glance().has_value());
  EXPECT_TRUE(runner.requests().empty());
  UfwFirewall without_files(runner);
  EXPECT_FALSE(without_files.Glance().has_value());
}

TEST(UfwFirewallTest, AllowAndRevokeRunTheRuleWithoutAShell) {
  ::ironward::testing::FakeProcesses runner;
  const std::string rule = "in on iw-1a2b3c4d from 172.30.99.0/24 to 172.30.99.1 port 9090,9091 proto tcp";
  runner.Set("ufw allow " + rule + " comment ironward gw", CommandResult::Exited(0, "Rule added\n"));
  runner.Set("ufw --force delete allow " + rule, CommandResult::Exited(0, "Rule deleted\n"));
  UfwFirewall ufw(runner);
  EXPECT_TRUE(ufw.Allow(UfwGw(), "").ok());
  EXPECT_TRUE(ufw.Revoke(UfwGw(), "").ok());
  EXPECT_EQ(UfwAllowCommand(UfwGw()), "ufw allow " + rule + " comment 'ironward gw'");
  runner.Set("ufw allow " + rule + " comment ironward gw", CommandResult::Exited(1, "", "ERROR: problem running"));
  auto failed = ufw.Allow(UfwGw(), "");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("ufw allow in on iw-1a2b3c4d"), std::string::npos) << failed.error().message;
}

}  // namespace
}  // namespace ironward::hostfw
