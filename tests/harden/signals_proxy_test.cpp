// iron-proxy-running: the process recorded in iron-proxy.pid and its tunnel listener, probed live
// through a fake ProxyProbe (status.json is not consulted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/harden/survey_fixture.h"

namespace ironward::harden::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ProxyRunningTest : public SurveyFixture {
 protected:
  const std::string pid_path_ = std::string(kState) + "/iron-proxy.pid";
};

TEST_F(ProxyRunningTest, AliveAndListeningPasses) {
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kPass) << s.detail;
  EXPECT_THAT(s.detail, HasSubstr("pid 4242"));
  EXPECT_THAT(s.detail, HasSubstr("127.0.0.1:9090"));
  ASSERT_EQ(proxy_->identities().size(), 1U);
  const ProcessIdentity id = proxy_->identities()[0];
  EXPECT_EQ(id.pid, kProxyPid);
  EXPECT_EQ(id.nonce, "n0nce");
  EXPECT_EQ(id.starttime, 777U);
  EXPECT_THAT(proxy_->endpoints(), ElementsAre("127.0.0.1:9090"));
}

TEST_F(ProxyRunningTest, AGoneProcessFailsWhateverStatusJsonRecorded) {
  proxy_->SetLiveness(Liveness::kGone);  // the fixture's status.json still says Ready
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("pid 4242 is not running"));
  EXPECT_THAT(proxy_->endpoints(), IsEmpty());
}

TEST_F(ProxyRunningTest, ARecycledPidFailsAsRootAndWarnsOtherwise) {
  proxy_->SetLiveness(Liveness::kRecycled);
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("now belongs to another process"));
  auto deps = std::make_shared<SurveyDeps>(Deps());
  deps->is_root = false;  // another user's environ is unreadable: the nonce cannot be checked
  deps_override_ = deps;
  s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(ProxyRunningTest, AListenerNotAcceptingFails) {
  proxy_->SetAccepts(false);
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("tunnel listener 127.0.0.1:9090 does not accept connections"));
}

TEST_F(ProxyRunningTest, NoPidFileFails) {
  files_->Remove(pid_path_);
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("no /state/iron-proxy.pid"));
  EXPECT_THAT(s.fix, HasSubstr("ironward reconcile"));
  EXPECT_THAT(proxy_->identities(), IsEmpty());
}

TEST_F(ProxyRunningTest, AnEmptyStateDirFails) {
  files_ = std::make_shared<FakeFiles>();
  files_->Dir(kState);
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kFail);
}

TEST_F(ProxyRunningTest, NoStateDirSkips) {
  files_ = std::make_shared<FakeFiles>();  // ironward never ran with this state dir
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kSkip);
  EXPECT_THAT(s.detail, HasSubstr("/state"));
  EXPECT_THAT(proxy_->identities(), IsEmpty());
}

TEST_F(ProxyRunningTest, AnInterruptedStartFails) {
  files_->Put(pid_path_, PidFileText(0));
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("interrupted"));
  EXPECT_THAT(proxy_->identities(), IsEmpty());
}

TEST_F(ProxyRunningTest, AnUnreadablePidFileWarns) {
  files_->Deny(pid_path_);
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(ProxyRunningTest, AnInvalidPidFileWarns) {
  files_->Put(pid_path_, "{not json");
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.detail, HasSubstr("not valid"));
}

TEST_F(ProxyRunningTest, ASymlinkedPidFileIsNotFollowed) {
  files_->Symlink(pid_path_);
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kWarn);
  EXPECT_THAT(proxy_->identities(), IsEmpty());
}

TEST_F(ProxyRunningTest, AProxyYamlWithoutATunnelListenerWarns) {
  files_->Put(std::string(kState) + "/proxy.yaml", "metrics:\n  listen: 127.0.0.1:9091\n");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kWarn);
  files_->Remove(std::string(kState) + "/proxy.yaml");
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("proxy.yaml"));
  EXPECT_THAT(proxy_->endpoints(), IsEmpty());
}

}  // namespace
}  // namespace ironward::harden::testing
