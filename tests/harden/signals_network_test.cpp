// tailscale, ufw, firewalld, nftables and fail2ban through scripted command output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/harden/survey_fixture.h"

namespace ironward::harden::testing {
namespace {

using ::testing::HasSubstr;

class NetworkSignalsTest : public SurveyFixture {};

CommandResult WithTruncation(CommandResult r) {
  r.truncated = true;
  return r;
}

TEST_F(NetworkSignalsTest, HealthyHostPassesEveryNetworkSignal) {
  for (auto name : {kTailscale, kUfw, kFirewalld, kNftables, kFail2ban}) {
    EXPECT_EQ(Signal(name).status, SignalStatus::kPass) << name << ": " << Signal(name).detail;
  }
  EXPECT_EQ(Signal(kFail2ban).detail, "1 jail: sshd");
}

TEST_F(NetworkSignalsTest, CommandsAreRunWithTheProbeTimeoutAndNoShell) {
  (void)Survey();
  EXPECT_EQ(runner_->last_timeout(), std::chrono::milliseconds(3000));
  for (const auto& argv : runner_->calls()) {
    ASSERT_FALSE(argv.empty());
    EXPECT_NE(argv[0], "sh");
    EXPECT_NE(argv[0], "bash");
  }
  EXPECT_EQ(runner_->calls().size(), 6U);
}

TEST_F(NetworkSignalsTest, TailscaleStoppedFails) {
  runner_->Set("tailscale", CommandResult::Exited(0, R"({"BackendState":"Stopped"})"));
  SignalResult s = Signal(kTailscale);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_EQ(s.detail, "BackendState Stopped");
  EXPECT_THAT(s.fix, HasSubstr("tailscale up"));
}

TEST_F(NetworkSignalsTest, TailscaleNeedsLoginFails) {
  runner_->Set("tailscale", CommandResult::Exited(0, R"({"BackendState":"NeedsLogin"})"));
  EXPECT_EQ(Signal(kTailscale).status, SignalStatus::kFail);
}

TEST_F(NetworkSignalsTest, TailscaleGarbageJsonWarns) {
  runner_->Set("tailscale", CommandResult::Exited(0, "{\"BackendState\": \"Runn\x01\x02 <html>"));
  SignalResult s = Signal(kTailscale);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.detail, HasSubstr("unrecognised"));
  EXPECT_EQ(s.detail.find('\x01'), std::string::npos) << "control characters must not reach the table";
}

TEST_F(NetworkSignalsTest, TailscaleBackendStateOfWrongTypeWarns) {
  runner_->Set("tailscale", CommandResult::Exited(0, R"({"BackendState":42})"));
  EXPECT_EQ(Signal(kTailscale).status, SignalStatus::kWarn);
}

TEST_F(NetworkSignalsTest, TailscaleTruncatedOutputStillFindsBackendState) {
  runner_->Set("tailscale",
               WithTruncation(CommandResult::Exited(0, R"({"Version":"1","BackendState": "Running","Peer":{"a)")));
  EXPECT_EQ(Signal(kTailscale).status, SignalStatus::kPass);
}

TEST_F(NetworkSignalsTest, TailscaledDownFails) {
  runner_->Set("tailscale",
               CommandResult::Exited(1, "",
                                     "failed to connect to local tailscaled; it doesn't appear to be running "
                                     "(sudo systemctl start tailscaled ?)\n"));
  SignalResult s = Signal(kTailscale);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.fix, HasSubstr("tailscaled"));
}

TEST_F(NetworkSignalsTest, MissingBinariesSkip) {
  runner_ = std::make_shared<FakeProcesses>();  // nothing installed
  for (auto name : {kTailscale, kUfw, kFirewalld, kNftables, kFail2ban, kDockerSeccomp}) {
    SignalResult s = Signal(name);
    EXPECT_EQ(s.status, SignalStatus::kSkip) << name;
    EXPECT_THAT(s.detail, HasSubstr("not installed")) << name;
  }
}

TEST_F(NetworkSignalsTest, TimeoutsWarnForEveryCommand) {
  for (auto program : {"tailscale", "ufw", "firewall-cmd", "nft", "fail2ban-client", "docker"}) {
    runner_->Set(program, CommandResult::TimedOut());
  }
  for (auto name : {kTailscale, kUfw, kFirewalld, kNftables, kFail2ban, kDockerSeccomp}) {
    SignalResult s = Signal(name);
    EXPECT_EQ(s.status, SignalStatus::kWarn) << name;
    EXPECT_THAT(s.detail, HasSubstr("timed out after 3000 ms")) << name;
  }
}

TEST_F(NetworkSignalsTest, KilledBySignalWarns) {
  CommandResult r;
  r.outcome = CommandResult::Outcome::kSignaled;
  r.exit_code = 11;
  runner_->Set("ufw", r);
  EXPECT_EQ(Signal(kUfw).status, SignalStatus::kWarn);
}

TEST_F(NetworkSignalsTest, UfwInactiveFails) {
  runner_->Set("ufw", CommandResult::Exited(0, "Status: inactive\n"));
  SignalResult s = Signal(kUfw);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_EQ(s.detail, "ufw is inactive");
  EXPECT_THAT(s.fix, HasSubstr("ufw allow OpenSSH"));
}

TEST_F(NetworkSignalsTest, UfwActiveWithoutDefaultDenyIncomingFails) {
  runner_->Set("ufw", CommandResult::Exited(0,
                                            "Status: active\nDefault: allow (incoming), allow (outgoing), "
                                            "disabled (routed)\n"));
  SignalResult s = Signal(kUfw);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("default incoming policy is allow"));
}

TEST_F(NetworkSignalsTest, UfwRejectIncomingPasses) {
  runner_->Set("ufw", CommandResult::Exited(0, "Status: active\nDefault: reject (incoming), allow (outgoing)\n"));
  EXPECT_EQ(Signal(kUfw).status, SignalStatus::kPass);
}

TEST_F(NetworkSignalsTest, UfwNotRootWarnsWithHint) {
  runner_->Set("ufw", CommandResult::Exited(1, "", "ERROR: You need to be root to run this script\n"));
  SignalResult s = Signal(kUfw);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(NetworkSignalsTest, UfwGarbageWarns) {
  runner_->Set("ufw", CommandResult::Exited(0, "Statu5: maybe\n\xff\xfe"));
  EXPECT_EQ(Signal(kUfw).status, SignalStatus::kWarn);
}

TEST_F(NetworkSignalsTest, FirewalldNotRunningIsAFailNotAPass) {
  runner_->Set("firewall-cmd", CommandResult::Exited(252, "", "not running\n"));
  SignalResult s = Signal(kFirewalld);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_EQ(s.detail, "firewalld is not running");
}

TEST_F(NetworkSignalsTest, FirewalldNotRunningOnStdoutWithExitZeroStillFails) {
  runner_->Set("firewall-cmd", CommandResult::Exited(0, "not running\n"));
  EXPECT_EQ(Signal(kFirewalld).status, SignalStatus::kFail);
}

TEST_F(NetworkSignalsTest, FirewalldRequiresExactlyRunning) {
  runner_->Set("firewall-cmd", CommandResult::Exited(0, "running, sort of\n"));
  EXPECT_EQ(Signal(kFirewalld).status, SignalStatus::kWarn);
}

TEST_F(NetworkSignalsTest, NftablesEmptyRulesetFailsForRoot) {
  runner_->Set("nft", CommandResult::Exited(0, "\n"));
  SignalResult s = Signal(kNftables);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("empty"));
}

TEST_F(NetworkSignalsTest, NftablesPermissionErrorWarnsRunAsRoot) {
  runner_->Set("nft", CommandResult::Exited(1, "", "Error: Operation not permitted (you must be root)\n"));
  SignalResult s = Signal(kNftables);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(NetworkSignalsTest, NftablesEmptyAsNonRootWarnsInsteadOfFailing) {
  auto deps = std::make_shared<SurveyDeps>(Deps());
  deps->is_root = false;
  deps_override_ = deps;
  runner_->Set("nft", CommandResult::Exited(0, ""));
  SignalResult s = Signal(kNftables);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(NetworkSignalsTest, NftablesGarbageWarns) {
  runner_->Set("nft", CommandResult::Exited(0, "<<<garbage>>>\n"));
  EXPECT_EQ(Signal(kNftables).status, SignalStatus::kWarn);
}

TEST_F(NetworkSignalsTest, NonLinuxHostSkipsLinuxFirewalls) {
  auto deps = std::make_shared<SurveyDeps>(Deps());
  deps->linux_host = false;
  deps_override_ = deps;
  for (auto name : {kUfw, kFirewalld, kNftables}) {
    SignalResult s = Signal(name);
    EXPECT_EQ(s.status, SignalStatus::kSkip) << name;
    EXPECT_EQ(s.detail, "not a Linux host");
  }
}

TEST_F(NetworkSignalsTest, Fail2banZeroJailsFails) {
  runner_->Set("fail2ban-client", CommandResult::Exited(0, "Status\n|- Number of jail:\t0\n`- Jail list:\t\n"));
  SignalResult s = Signal(kFail2ban);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("0 jails"));
}

TEST_F(NetworkSignalsTest, Fail2banSeveralJailsPass) {
  runner_->Set("fail2ban-client",
               CommandResult::Exited(0, "Status\n|- Number of jail:\t2\n`- Jail list:\trecidive, sshd\n"));
  SignalResult s = Signal(kFail2ban);
  EXPECT_EQ(s.status, SignalStatus::kPass);
  EXPECT_EQ(s.detail, "2 jails: recidive, sshd");
}

TEST_F(NetworkSignalsTest, Fail2banServerDownFails) {
  runner_->Set("fail2ban-client",
               CommandResult::Exited(255, "",
                                     "ERROR   Failed to access socket path: /var/run/fail2ban/fail2ban.sock. "
                                     "Is fail2ban running?\n"));
  EXPECT_EQ(Signal(kFail2ban).status, SignalStatus::kFail);
}

TEST_F(NetworkSignalsTest, Fail2banGarbageJailCountWarns) {
  runner_->Set("fail2ban-client", CommandResult::Exited(0, "Status\n|- Number of jail:\tmany\n"));
  EXPECT_EQ(Signal(kFail2ban).status, SignalStatus::kWarn);
}

}  // namespace
}  // namespace ironward::harden::testing
