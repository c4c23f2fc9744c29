// iron-proxy-enabled and docker-seccomp through fake files and command output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/harden/survey_fixture.h"

namespace ironward::harden::testing {
namespace {

using ::testing::HasSubstr;

class HostSignalsTest : public SurveyFixture {};

TEST_F(HostSignalsTest, HealthyHostPassesProxyAndDocker) {
  EXPECT_EQ(Signal(kIronProxyEnabled).status, SignalStatus::kPass);
  SignalResult docker = Signal(kDockerSeccomp);
  EXPECT_EQ(docker.status, SignalStatus::kPass);
  EXPECT_EQ(docker.detail, "seccomp enabled (profile builtin)");
}

TEST_F(HostSignalsTest, ProxyYamlMissingFails) {
  files_ = std::make_shared<FakeFiles>();
  SignalResult s = Signal(kIronProxyEnabled);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.fix, HasSubstr("ironward reconcile"));
}

TEST_F(HostSignalsTest, ProxyYamlSymlinkIsNotConfigured) {
  files_->Symlink(std::string(kState) + "/proxy.yaml");
  SignalResult s = Signal(kIronProxyEnabled);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("symlink"));
}

TEST_F(HostSignalsTest, StateDirUnreadableWarnsRunAsRoot) {
  files_->Deny(std::string(kState) + "/proxy.yaml");
  SignalResult s = Signal(kIronProxyEnabled);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("run as root"));
}

TEST_F(HostSignalsTest, DockerUnconfinedSeccompFails) {
  runner_->Set("docker", CommandResult::Exited(0, R"(["name=seccomp,profile=unconfined"])"));
  SignalResult s = Signal(kDockerSeccomp);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.detail, HasSubstr("unconfined"));
}

TEST_F(HostSignalsTest, DockerWithoutSeccompFails) {
  runner_->Set("docker", CommandResult::Exited(0, R"(["name=apparmor","name=cgroupns"])"));
  EXPECT_EQ(Signal(kDockerSeccomp).status, SignalStatus::kFail);
}

TEST_F(HostSignalsTest, DockerArgvHasNoShellQuoting) {
  (void)Survey();
  bool seen = false;
  for (const auto& argv : runner_->calls()) {
    if (argv[0] != "docker") continue;
    seen = true;
    EXPECT_EQ(argv, (std::vector<std::string>{"docker", "info", "--format", "{{json .SecurityOptions}}"}));
  }
  EXPECT_TRUE(seen);
}

TEST_F(HostSignalsTest, DockerMissingSkips) {
  runner_->Set("docker", CommandResult::NotFound("docker not found"));
  EXPECT_EQ(Signal(kDockerSeccomp).status, SignalStatus::kSkip);
}

TEST_F(HostSignalsTest, DockerDaemonDownWarns) {
  runner_->Set("docker", CommandResult::Exited(1, "null\n",
                                               "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                                               "Is the docker daemon running?\n"));
  SignalResult s = Signal(kDockerSeccomp);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.detail, HasSubstr("not reachable"));
}

TEST_F(HostSignalsTest, DockerDaemonDownWithFormatTemplateErrorWarns) {
  runner_->Set("docker", CommandResult::Exited(1, "\n",
                                               "template: :1:7: executing \"\" at <.SecurityOptions>: reflect: "
                                               "indirection through nil pointer to embedded struct field Info\n"));
  EXPECT_THAT(Signal(kDockerSeccomp).detail, HasSubstr("not reachable"));
}

TEST_F(HostSignalsTest, DockerSocketPermissionWarns) {
  runner_->Set("docker", CommandResult::Exited(1, "",
                                               "permission denied while trying to connect to the Docker daemon "
                                               "socket at unix:///var/run/docker.sock\n"));
  SignalResult s = Signal(kDockerSeccomp);
  EXPECT_EQ(s.status, SignalStatus::kWarn);
  EXPECT_THAT(s.fix, HasSubstr("docker group"));
}

TEST_F(HostSignalsTest, DockerGarbageWarns) {
  runner_->Set("docker", CommandResult::Exited(0, "template: :1: function \"json\" not defined\n"));
  EXPECT_EQ(Signal(kDockerSeccomp).status, SignalStatus::kWarn);
  runner_->Set("docker", CommandResult::Exited(0, "null\n"));
  EXPECT_EQ(Signal(kDockerSeccomp).status, SignalStatus::kWarn);
}

}  // namespace
}  // namespace ironward::harden::testing
