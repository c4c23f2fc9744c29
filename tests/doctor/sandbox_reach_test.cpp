// sandbox-reach: the probe script and how its output is judged (the real probe container runs in
// tests/host_firewall/hostfw_netns_test.sh, blocked and healed).
#include <gtest/gtest.h>

#include "controller/doctor/sandbox_reach.h"

namespace ironward::doctor {
namespace {

const Hints kReachHints{"ironward", "gw.yaml"};

TEST(SandboxReachTest, ScriptAsksEachPortWithoutAProxy) {
  const std::string s = ReachScript("172.30.99.1", {9090, 9091});
  EXPECT_NE(s.find("--noproxy '*'"), std::string::npos);
  EXPECT_NE(s.find("http://172.30.99.1:9090/"), std::string::npos);
  EXPECT_NE(s.find("echo \"IWREACH 9091 $?\""), std::string::npos);
}

TEST(SandboxReachTest, AnyAnswerPasses) {
  const auto c = SandboxReachCheck("172.30.99.1", {9090, 9091}, "IWREACH 9090 0\nIWREACH 9091 52\n", "net", kReachHints);
  EXPECT_EQ(c.result, Result::kPass) << c.detail;
  EXPECT_EQ(c.detail, "a container on net reaches 172.30.99.1:9090,9091");
}

TEST(SandboxReachTest, DroppedOrRejectedFailsPointingAtTheHostFirewall) {
  const auto c = SandboxReachCheck("172.30.99.1", {9090, 9091}, "IWREACH 9090 28\nIWREACH 9091 7\n", "net", kReachHints);
  EXPECT_EQ(c.result, Result::kFail);
  EXPECT_EQ(c.detail, "from a container on net: 172.30.99.1:9090: no answer (dropped); 172.30.99.1:9091: refused or rejected");
  EXPECT_EQ(c.fix.rfind("see host-firewall above, then ironward reconcile -f gw.yaml", 0), 0U) << c.fix;
}

TEST(SandboxReachTest, AProbeThatCouldNotRunItsScriptFailsAsSuch) {
  auto c = SandboxReachCheck("172.30.99.1", {9090}, "", "net", kReachHints);
  EXPECT_EQ(c.result, Result::kFail);
  EXPECT_NE(c.detail.find("no result (does the image have sh and curl?)"), std::string::npos) << c.detail;
  EXPECT_EQ(c.fix, "ironward verify -f gw.yaml --image IMAGE   (an image with sh and curl)");
  c = SandboxReachCheck("172.30.99.1", {9090}, "IWREACH 9090 127\n", "net", kReachHints);
  EXPECT_NE(c.detail.find("curl is not in the image"), std::string::npos) << c.detail;
}

}  // namespace
}  // namespace ironward::doctor
