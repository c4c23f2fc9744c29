// ssh-password-auth / ssh-root-login from sshd_config: last directive wins, Include, Match.
#include "controller/harden/sshd_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/harden/survey_fixture.h"

namespace ironward::harden::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::string_literals;

class SshSignalsTest : public SurveyFixture {};

TEST_F(SshSignalsTest, HardenedConfigPasses) {
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kPass);
  EXPECT_EQ(Signal(kSshPasswordAuth).detail, "PasswordAuthentication no (/etc/ssh/sshd_config:3)");
  EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kPass);
}

TEST_F(SshSignalsTest, LastDirectiveWins) {
  SetSshd(
      "PasswordAuthentication yes\nPermitRootLogin yes\nPasswordAuthentication no\nPermitRootLogin no\n"
      "KbdInteractiveAuthentication no\n");
  SignalResult pw = Signal(kSshPasswordAuth);
  EXPECT_EQ(pw.status, SignalStatus::kPass);
  EXPECT_THAT(pw.detail, HasSubstr("sshd_config:3"));
  EXPECT_THAT(pw.detail, HasSubstr("sshd itself applies the first value, 'yes'"));
  EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kPass);

  SetSshd("PasswordAuthentication no\nPermitRootLogin no\nPasswordAuthentication yes\nPermitRootLogin yes\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kFail);
  EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kFail);
}

TEST_F(SshSignalsTest, IncludedFilesAreReadInPlaceAndInGlobOrder) {
  SetSshd("PasswordAuthentication no\nKbdInteractiveAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\n");
  files_->Put("/etc/ssh/sshd_config.d/10-a.conf", "PasswordAuthentication no\n");
  files_->Put("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n");
  files_->Put("/etc/ssh/sshd_config.d/60-ignored.txt", "PasswordAuthentication no\n");
  files_->Put("/etc/ssh/sshd_config.d/.hidden.conf", "PasswordAuthentication no\n");
  SignalResult s = Signal(kSshPasswordAuth);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("50-cloud-init.conf:1"));
}

TEST_F(SshSignalsTest, RelativeIncludeResolvesAgainstConfigDirectory) {
  SetSshd("PasswordAuthentication no\nKbdInteractiveAuthentication no\nInclude extra.conf\n");
  files_->Put("/etc/ssh/extra.conf", "PasswordAuthentication yes\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kFail);
}

TEST_F(SshSignalsTest, SelfIncludeStopsAtDepthLimitAndWarns) {
  SetSshd("PasswordAuthentication no\nKbdInteractiveAuthentication no\nInclude /etc/ssh/sshd_config\n");
  SignalResult s = Signal(kSshPasswordAuth);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.detail, HasSubstr("deeper than"));
}

TEST_F(SshSignalsTest, UnreadableIncludeWarnsRunAsRoot) {
  files_->Put("/etc/ssh/sshd_config.d/secret.conf", "PasswordAuthentication yes\n");
  files_->Deny("/etc/ssh/sshd_config.d/secret.conf");
  SignalResult s = Signal(kSshPasswordAuth);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(SshSignalsTest, MissingConfigSkipsBoth) {
  files_ = std::make_shared<FakeFiles>();
  for (auto name : {kSshPasswordAuth, kSshRootLogin}) {
    SignalResult s = Signal(name);
    EXPECT_EQ(s.status, SignalStatus::kSkip) << name;
    EXPECT_THAT(s.detail, HasSubstr("not found"));
  }
}

TEST_F(SshSignalsTest, UnreadableConfigWarns) {
  files_->Deny(kSshd);
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kWarn);
  EXPECT_THAT(Signal(kSshRootLogin).fix, HasSubstr("run as root"));
}

TEST_F(SshSignalsTest, KeywordsAndValuesAreCaseInsensitiveAndEqualsIsAccepted) {
  SetSshd("passwordauthentication NO\nKBDINTERACTIVEAUTHENTICATION=no\npermitrootlogin = Prohibit-Password\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kPass);
  EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kPass);
}

TEST_F(SshSignalsTest, CommentsAreIgnored) {
  SetSshd("#PasswordAuthentication no\n   # PermitRootLogin no\nPermitRootLogin yes # trailing comment\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kFail);  // unset: OpenSSH default is yes
  SignalResult root = Signal(kSshRootLogin);
  EXPECT_EQ(root.status, SignalStatus::kFail);
  EXPECT_THAT(root.detail, Not(HasSubstr("#")));
}

TEST_F(SshSignalsTest, UnsetPermitRootLoginPassesWithDefault) {
  SetSshd("PasswordAuthentication no\nKbdInteractiveAuthentication no\n");
  SignalResult s = Signal(kSshRootLogin);
  EXPECT_EQ(s.status, SignalStatus::kPass);
  EXPECT_THAT(s.detail, HasSubstr("default: prohibit-password"));
}

TEST_F(SshSignalsTest, RootLoginValues) {
  for (const char* ok : {"no", "prohibit-password", "without-password", "forced-commands-only"}) {
    SetSshd(std::string("PermitRootLogin ") + ok + "\n");
    EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kPass) << ok;
  }
  SetSshd("PermitRootLogin sometimes\n");
  EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kWarn);
  SetSshd("PasswordAuthentication maybe\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kWarn);
}

TEST_F(SshSignalsTest, MatchBlocksDoNotChangeTheGlobalValueButAreReported) {
  SetSshd(
      "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n"
      "Match Address 10.0.0.0/8\n  PasswordAuthentication yes\n  PermitRootLogin yes\n");
  SignalResult pw = Signal(kSshPasswordAuth);
  EXPECT_EQ(pw.status, SignalStatus::kWarn);
  EXPECT_THAT(pw.detail, HasSubstr("Match block re-enables it at /etc/ssh/sshd_config:5"));
  EXPECT_EQ(Signal(kSshRootLogin).status, SignalStatus::kWarn);
}

TEST_F(SshSignalsTest, MatchAllEndsTheConditionalBlock) {
  SetSshd(
      "PasswordAuthentication yes\nMatch User git\n  PasswordAuthentication yes\nMatch all\n"
      "PasswordAuthentication no\nKbdInteractiveAuthentication no\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kWarn);  // the git Match still re-enables
  SetSshd("Match all\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n");
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kPass);
}

TEST_F(SshSignalsTest, KeyboardInteractiveWithPamStillAcceptsPasswords) {
  SetSshd("PasswordAuthentication no\nUsePAM yes\n");  // KbdInteractiveAuthentication defaults to yes
  SignalResult s = Signal(kSshPasswordAuth);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("KbdInteractiveAuthentication no"));
  SetSshd("PasswordAuthentication no\nUsePAM yes\nChallengeResponseAuthentication no\n");  // the old alias
  EXPECT_EQ(Signal(kSshPasswordAuth).status, SignalStatus::kPass);
}

TEST(SshdConfigParserTest, MatchInsideAnIncludeDoesNotLeakOut) {
  FakeFiles files;
  files.Put("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n");
  files.Put("/etc/ssh/sshd_config.d/a.conf", "Match User x\nPasswordAuthentication yes\n");
  SshdConfig config = LoadSshdConfig(files, "/etc/ssh/sshd_config");
  ASSERT_NE(config.Last({"passwordauthentication"}), nullptr);
  EXPECT_EQ(config.Last({"passwordauthentication"})->value, "no");
  EXPECT_FALSE(config.Last({"passwordauthentication"})->in_match);
  EXPECT_EQ(config.InMatch("passwordauthentication").size(), 1U);
}

TEST(SshdConfigParserTest, QuotedIncludeAndBinaryGarbageDoNotCrash) {
  FakeFiles files;
  files.Put("/etc/ssh/sshd_config",
            "Include \"/etc/ssh/with space.conf\"\n\x00\x01\xff=\n=\nInclude\nInclude \"\"\n"s + "PermitRootLogin\n");
  files.Put("/etc/ssh/with space.conf", "PermitRootLogin no\n");
  SshdConfig config = LoadSshdConfig(files, "/etc/ssh/sshd_config");
  ASSERT_NE(config.First({"permitrootlogin"}), nullptr);
  EXPECT_EQ(config.First({"permitrootlogin"})->value, "no");
  EXPECT_EQ(config.Last({"permitrootlogin"})->value, "");
}

}  // namespace
}  // namespace ironward::harden::testing
