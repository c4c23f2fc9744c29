// iron-proxy-enabled, iron-proxy-running and docker-seccomp through fake files and command output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/harden/survey_fixture.h"

namespace ironward::harden::testing {
namespace {

using ::testing::HasSubstr;

class HostSignalsTest : public SurveyFixture {
 protected:
  void SetStatus(const std::string& json) { files_->Put(std::string(kState) + "/status.json", json); }
};

TEST_F(HostSignalsTest, HealthyHostPassesProxyAndDocker) {
  EXPECT_EQ(Signal(kIronProxyEnabled).status, SignalStatus::kPass);
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kPass);
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
  files_->Deny(std::string(kState) + "/status.json");
  for (auto name : {kIronProxyEnabled, kIronProxyRunning}) {
    SignalResult s = Signal(name);
    EXPECT_EQ(s.status, SignalStatus::kWarn) << name;
    EXPECT_THAT(s.fix, HasSubstr("run as root")) << name;
  }
}

TEST_F(HostSignalsTest, StatusJsonMissingFailsWithReconcileHint) {
  files_ = std::make_shared<FakeFiles>();
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_THAT(s.fix, HasSubstr("run `ironward reconcile"));
}

TEST_F(HostSignalsTest, StatusJsonUnparsableWarns) {
  SetStatus("{\"resources\": {\"daemon\": ");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kWarn);
  SetStatus("[1,2,3]");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kWarn);
}

TEST_F(HostSignalsTest, StatusJsonSymlinkIsRefused) {
  files_->Symlink(std::string(kState) + "/status.json");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kWarn);
}

TEST_F(HostSignalsTest, DaemonNotReadyFailsWithReason) {
  SetStatus(R"({"resources":{"daemon":{"conditions":[{"type":"Ready","status":"False","reason":"CrashLoop",
                "message":"iron-proxy exited 1"}]}}})");
  SignalResult s = Signal(kIronProxyRunning);
  EXPECT_EQ(s.status, SignalStatus::kFail);
  EXPECT_EQ(s.detail, "proxy daemon Ready=False, CrashLoop: iron-proxy exited 1");
}

TEST_F(HostSignalsTest, NoDaemonResourceFails) {
  SetStatus(R"({"resources":{"ca":{"conditions":[{"type":"Ready","status":"True"}]}}})");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kFail);
  SetStatus(R"({"resources":{"daemon":{"conditions":"Ready"}}})");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kFail);
  SetStatus(R"({"resources":{"daemon":{"conditions":[{"type":"Ready","status":true}]}}})");
  EXPECT_EQ(Signal(kIronProxyRunning).status, SignalStatus::kFail);
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
