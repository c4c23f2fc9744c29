// The optional sandbox fields through the sandboxes reconciler on FakeDocker: each is in the create
// body, each is detected when changed out of band and healed by a replace, oneshot / restart
// semantics for finished containers, and health in the status details.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

using ::testing::HasSubstr;
using test_support::kHome;

using test_support::EnvOf;

class SandboxFieldsTest : public test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    spec::Sandbox& s = desired_.spec.sandboxes[0];
    s.ports = {spec::PortSpec{"127.0.0.1", 8080, 80, "tcp", false}};
    s.user = "1000:1000";
    s.cap_add = {"SETUID", "SETGID"};
    s.restart = spec::RestartPolicy::kAlways;
    s.healthcheck = spec::Healthcheck{{"curl", "-f", "http://localhost/"}, std::chrono::seconds(5),
                                      std::chrono::seconds(2), 3};
    s.no_proxy = {"dashboard"};
    s.env["NODE_OPTIONS"] = "--max-old-space-size=512";
  }
  ResourcePlan Plan() { return PlanWith(r_, &docker_); }
  Outcome Apply() { return ApplyWith(r_, &docker_); }
  void Converge() {
    const Outcome o = Apply();
    ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
    docker_.ClearCalls();
  }
  /// Replaces agent-1 with a copy of its create body after `edit` (labels kept: only drift tells).
  void EditOutOfBand(const std::function<void(docker::ContainerCreateSpec&)>& edit) {
    docker::ContainerCreateSpec spec = *docker_.CreateSpecOf("agent-1");
    edit(spec);
    ASSERT_TRUE(docker_.RemoveContainer("agent-1", true).ok());
    docker_.AddContainer("agent-1", spec, true);
  }

  SandboxesReconciler r_{SandboxesOptions{std::string(kHome), std::chrono::seconds(1)}};
};

TEST_F(SandboxFieldsTest, EveryFieldIsInTheCreateBody) {
  Converge();
  const auto spec = *docker_.CreateSpecOf("agent-1");
  ASSERT_EQ(spec.ports.size(), 1U);
  EXPECT_EQ(spec.ports[0], (docker::PortBinding{80, "tcp", "127.0.0.1", 8080}));
  EXPECT_EQ(spec.user, "1000:1000");
  EXPECT_EQ(spec.host.cap_add, (std::vector<std::string>{"SETUID", "SETGID"}));
  EXPECT_EQ(spec.host.cap_drop, (std::vector<std::string>{"ALL"})) << "still dropped first";
  EXPECT_EQ(spec.restart_policy, "always");
  ASSERT_TRUE(spec.healthcheck);
  EXPECT_EQ(spec.healthcheck->test, (std::vector<std::string>{"CMD", "curl", "-f", "http://localhost/"}));
  EXPECT_EQ(spec.healthcheck->interval_ns, 5'000'000'000);
  EXPECT_EQ(spec.healthcheck->timeout_ns, 2'000'000'000);
  EXPECT_EQ(EnvOf(spec, "NO_PROXY"), "localhost,127.0.0.1,::1,dashboard");
  EXPECT_EQ(EnvOf(spec, "no_proxy"), "localhost,127.0.0.1,::1,dashboard");
  EXPECT_EQ(EnvOf(spec, "NODE_OPTIONS"), "--max-old-space-size=512 --use-openssl-ca");
  std::size_t node_options = 0;
  for (const auto& kv : spec.env) node_options += kv.rfind("NODE_OPTIONS=", 0) == 0 ? 1 : 0;
  EXPECT_EQ(node_options, 1U);
  EXPECT_TRUE(Plan().InSync()) << "converged";
}

TEST_F(SandboxFieldsTest, EachFieldChangedOutOfBandIsDetectedAndHealed) {
  Converge();
  const std::vector<std::pair<std::string, std::function<void(docker::ContainerCreateSpec&)>>> edits = {
      {"published ports", [](auto& s) { s.ports[0].host_ip = "0.0.0.0"; }},
      {"user", [](auto& s) { s.user = "root"; }},
      {"capabilities added", [](auto& s) { s.host.cap_add.push_back("NET_RAW"); }},
      {"restart policy", [](auto& s) { s.restart_policy = "no"; }},
      {"healthcheck", [](auto& s) { s.healthcheck->retries = 99; }},
      {"env NO_PROXY", [](auto& s) {
         for (auto& kv : s.env) {
           if (kv.rfind("NO_PROXY=", 0) == 0) kv = "NO_PROXY=*";
         }
       }},
  };
  for (const auto& [what, edit] : edits) {
    SCOPED_TRACE(what);
    EditOutOfBand(edit);
    const ResourcePlan p = Plan();
    ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
    EXPECT_THAT(p.changes[0].reason, HasSubstr("changed out of band: " + what));
    ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
    EXPECT_TRUE(Plan().InSync()) << "healed";
  }
}

TEST_F(SandboxFieldsTest, UnsetUserAndHealthcheckAreTheImagesOwn) {
  spec::Sandbox& s = desired_.spec.sandboxes[0];
  s.user.clear();
  s.healthcheck.reset();
  Converge();
  EditOutOfBand([](auto& c) {
    c.user = "app";  // what the image's USER would report
    c.healthcheck = docker::HealthConfig{{"CMD-SHELL", "true"}, 1, 1, 1};
  });
  EXPECT_TRUE(Plan().InSync()) << "an image's own USER or HEALTHCHECK is not drift";
}

TEST_F(SandboxFieldsTest, OneshotExitZeroIsSuccessAndOnlyASpecChangeRerunsIt) {
  spec::Sandbox& s = desired_.spec.sandboxes[0];
  s.restart = spec::RestartPolicy::kUnset;
  s.oneshot = true;
  Converge();
  docker_.ExitContainer(docker_.InspectContainer("agent-1")->value().id, 0);
  ResourcePlan p = Plan();
  EXPECT_TRUE(p.InSync()) << Visible(p);
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_THAT(p.details["exited"]["agent-1"].get<std::string>(), HasSubstr("Exited (0)"));
  // A token rotation does not re-run a finished job.
  facts_.mappings->rotation = 2;
  facts_.mappings->tokens = {{"openrouter", test_support::kNewToken}};
  desired_.spec.tokens.rotation = 2;
  EXPECT_TRUE(Plan().InSync());
  // A spec change does.
  s.command = {"run-job", "--again"};
  p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("re-run"));
}

TEST_F(SandboxFieldsTest, OneshotFailureIsReportedNotRetried) {
  spec::Sandbox& s = desired_.spec.sandboxes[0];
  s.restart = spec::RestartPolicy::kUnset;
  s.oneshot = true;
  Converge();
  docker_.ExitContainer(docker_.InspectContainer("agent-1")->value().id, 3);
  const ResourcePlan p = Plan();
  EXPECT_TRUE(p.changes.empty());
  ASSERT_EQ(p.warnings.size(), 1U);
  EXPECT_THAT(p.warnings[0], HasSubstr("oneshot sandbox 'agent-1' failed: Exited (3)"));
}

TEST_F(SandboxFieldsTest, RestartNoKeepsAnExitedSandboxStoppedAndUnsetReplacesIt) {
  spec::Sandbox& s = desired_.spec.sandboxes[0];
  s.restart = spec::RestartPolicy::kNo;
  Converge();
  docker_.ExitContainer(docker_.InspectContainer("agent-1")->value().id, 1);
  ResourcePlan p = Plan();
  EXPECT_TRUE(p.changes.empty());
  ASSERT_EQ(p.warnings.size(), 1U);
  EXPECT_THAT(p.warnings[0], HasSubstr("stays stopped (restart: no)"));
  s.restart = spec::RestartPolicy::kOnFailure;  // a spec change: re-created
  EXPECT_EQ(Plan().changes.size(), 1U);
}

TEST_F(SandboxFieldsTest, HealthIsInTheStatusDetails) {
  Converge();
  const ResourcePlan p = Plan();
  EXPECT_EQ(p.details["health"]["agent-1"], "healthy") << p.details.dump();
}

}  // namespace
}  // namespace ironward::sandboxes
