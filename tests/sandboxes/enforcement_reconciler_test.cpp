#include "reconcilers/sandboxes/enforcement_reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using test_support::kHome;
using test_support::kNewToken;
using test_support::kSecret;
using test_support::kToken;

class EnforcementReconcilerTest : public test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    desired_.spec.enforcement.mode = spec::EnforcementMode::kWarn;
  }
  ResourcePlan Plan() { return PlanWith(r_, &docker_); }
  Outcome Apply(ResourcePlan* plan = nullptr) { return ApplyWith(r_, &docker_, plan); }

  /// A container wired by hand the way ironward would wire it.
  docker::ContainerCreateSpec Compliant() const {
    docker::ContainerCreateSpec s;
    s.image = "local/agent:latest";
    s.labels = {{"ironward.dev/policed", "true"}};
    s.env = {"HTTPS_PROXY=http://host.docker.internal:9090", "HTTP_PROXY=http://host.docker.internal:9091",
             "SSL_CERT_FILE=/etc/ssl/certs/ironward-egress-ca.crt",
             std::string("IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY=") + kToken};
    s.host.binds = {ca_path_ + ":/etc/ssl/certs/ironward-egress-ca.crt:ro", "/srv/data:/data"};
    return s;
  }
  /// Everything wrong at once.
  docker::ContainerCreateSpec Rogue() const {
    docker::ContainerCreateSpec s;
    s.image = "local/agent:latest";
    s.labels = {{"ironward.dev/policed", "true"}};
    s.env = {std::string("OPENROUTER_API_KEY=") + kSecret, std::string("AUTH=Bearer ") + kSecret,
             std::string("IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY=") + kNewToken};
    s.host.binds = {"/var/run/docker.sock:/var/run/docker.sock", std::string(kHome) + "/.ssh:/root/.ssh:ro"};
    return s;
  }
  const nlohmann::json* ViolationsOf(const ResourcePlan& p, const std::string& name) {
    for (const auto& v : p.details["violations"]) {
      if (v["container"] == name) return &v["problems"];
    }
    return nullptr;
  }

  EnforcementReconciler r_{EnforcementOptions{std::string(kHome), std::chrono::seconds(1), [] { return true; }}};
};

TEST_F(EnforcementReconcilerTest, WarnReportsEveryViolationWithoutChanges) {
  docker_.AddContainer("rogue", Rogue(), true);
  docker_.AddContainer("good", Compliant(), true);
  ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_TRUE(p.changes.empty());
  EXPECT_EQ(p.details["mode"], "warn");
  EXPECT_EQ(p.details["compliant"], 1);
  EXPECT_EQ(p.details["non_compliant"], 1);
  const nlohmann::json* problems = ViolationsOf(p, "rogue");
  ASSERT_NE(problems, nullptr) << p.details.dump();
  const std::string text = problems->dump();
  EXPECT_THAT(text, HasSubstr("HTTPS_PROXY is not set"));
  EXPECT_THAT(text, HasSubstr("HTTP_PROXY is not set"));
  EXPECT_THAT(text, HasSubstr("egress CA is not mounted"));
  EXPECT_THAT(text, HasSubstr("SSL_CERT_FILE is not set"));
  EXPECT_THAT(text, HasSubstr("env sets OPENROUTER_API_KEY, the real secret name of provider 'openrouter'"));
  EXPECT_THAT(text, HasSubstr("env OPENROUTER_API_KEY holds the real value of secret OPENROUTER_API_KEY"));
  EXPECT_THAT(text, HasSubstr("env AUTH contains the real value of secret OPENROUTER_API_KEY"));
  EXPECT_THAT(text, HasSubstr("IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY holds a stale proxy token"));
  EXPECT_THAT(text, HasSubstr("forbidden mount /var/run/docker.sock"));
  EXPECT_THAT(text, HasSubstr("forbidden mount /home/tester/.ssh"));
  ASSERT_EQ(p.warnings.size(), 1U);
  EXPECT_THAT(p.warnings[0], AllOf(HasSubstr("rogue"), HasSubstr("not egress-compliant")));
  EXPECT_EQ(Apply().changed, 0);
  EXPECT_EQ(MutatingCalls(), 0U);
}

TEST_F(EnforcementReconcilerTest, CompliantContainerHasNoViolations) {
  docker_.AddContainer("good", Compliant(), true);
  ResourcePlan p = Plan();
  EXPECT_TRUE(p.InSync());
  EXPECT_TRUE(p.warnings.empty()) << p.warnings[0];
  EXPECT_EQ(p.details["compliant"], 1);
  EXPECT_EQ(p.details["non_compliant"], 0);
}

TEST_F(EnforcementReconcilerTest, RoutingDnsDoesNotAskForProxyVariables) {
  auto s = Compliant();
  s.env.erase(s.env.begin(), s.env.begin() + 2);  // wiring in dns mode sets no proxy variables
  docker_.AddContainer("dns-wired", s, true);
  ResourcePlan p = Plan();
  ASSERT_NE(ViolationsOf(p, "dns-wired"), nullptr) << "proxy-variables: their absence is a violation";
  EXPECT_THAT(ViolationsOf(p, "dns-wired")->dump(), HasSubstr("HTTPS_PROXY is not set"));
  desired_.spec.enforcement.routing = spec::RoutingMode::kDns;
  p = Plan();
  EXPECT_EQ(ViolationsOf(p, "dns-wired"), nullptr) << p.details.dump();
  EXPECT_EQ(p.details["compliant"], 1);
  // The rest of the check still applies.
  auto rogue = Rogue();
  docker_.AddContainer("rogue", rogue, true);
  p = Plan();
  ASSERT_NE(ViolationsOf(p, "rogue"), nullptr);
  EXPECT_THAT(ViolationsOf(p, "rogue")->dump(), Not(HasSubstr("HTTPS_PROXY")));
  EXPECT_THAT(ViolationsOf(p, "rogue")->dump(), HasSubstr("egress CA is not mounted"));
}

TEST_F(EnforcementReconcilerTest, ProxyPointingElsewhereAndWritableCaAreViolations) {
  auto s = Compliant();
  s.env[0] = "HTTPS_PROXY=http://user:pw@other-proxy:3128";
  s.host.binds[0] = ca_path_ + ":/etc/ssl/certs/ironward-egress-ca.crt";
  docker_.AddContainer("sneaky", s, true);
  ResourcePlan p = Plan();
  const nlohmann::json* problems = ViolationsOf(p, "sneaky");
  ASSERT_NE(problems, nullptr);
  EXPECT_THAT(problems->dump(), AllOf(HasSubstr("HTTPS_PROXY does not point at the egress proxy"),
                                      HasSubstr("egress CA mount is writable")));
  EXPECT_THAT(Visible(p), Not(HasSubstr("user:pw")));
}

TEST_F(EnforcementReconcilerTest, ProxyOnTheRightPortButAnotherHostIsAViolation) {
  auto s = Compliant();
  s.env[0] = "HTTPS_PROXY=http://evil.example:9090";
  s.env[1] = "HTTP_PROXY=http://172.17.0.1:9091";  // the bind address is fine
  docker_.AddContainer("elsewhere", s, true);
  ResourcePlan p = Plan();
  const nlohmann::json* problems = ViolationsOf(p, "elsewhere");
  ASSERT_NE(problems, nullptr);
  EXPECT_EQ(problems->size(), 1U) << problems->dump();
  EXPECT_THAT(problems->dump(), HasSubstr("HTTPS_PROXY does not point at the egress proxy"));
}

TEST_F(EnforcementReconcilerTest, EnforceStopsOnlyNonCompliantContainers) {
  desired_.spec.enforcement.mode = spec::EnforcementMode::kEnforce;
  const std::string rogue = docker_.AddContainer("rogue", Rogue(), true);
  const std::string good = docker_.AddContainer("good", Compliant(), true);
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].address, "enforcement.container[\"rogue\"]");
  EXPECT_EQ(p.changes[0].action, Action::kUpdate);
  EXPECT_EQ(p.changes[0].after["state"], "stopped");
  Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(o.changed, 1);
  EXPECT_EQ(o.details["stopped"], 1);
  EXPECT_FALSE((*docker_.InspectContainer(rogue))->state.running);
  EXPECT_TRUE((*docker_.InspectContainer(good))->state.running);
  EXPECT_TRUE(Plan().InSync());  // the stopped one is no longer policed
}

TEST_F(EnforcementReconcilerTest, OffLooksAtNothing) {
  desired_.spec.enforcement.mode = spec::EnforcementMode::kOff;
  docker_.AddContainer("rogue", Rogue(), true);
  ResourcePlan p = Plan();
  EXPECT_TRUE(p.InSync());
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.details["mode"], "off");
  EXPECT_EQ(docker_.calls().size(), 0U);
  EXPECT_FALSE(PlanWith(r_, nullptr).error);  // no engine needed either
}

TEST_F(EnforcementReconcilerTest, OnlySelectedUnownedRunningContainersArePoliced) {
  auto unselected = Rogue();
  unselected.labels.clear();
  docker_.AddContainer("unselected", unselected, true);
  docker_.AddContainer("stopped", Rogue(), false);
  auto ours = Rogue();
  ours.labels[kOwnerLabel] = "prod-agents";
  docker_.AddContainer("ours", ours, true);
  ResourcePlan p = Plan();
  EXPECT_TRUE(p.InSync());
  EXPECT_EQ(p.details["compliant"], 0);
  EXPECT_EQ(p.details["non_compliant"], 0);
}

TEST_F(EnforcementReconcilerTest, CustomSelectorWithoutValue) {
  desired_.spec.enforcement.selector = "agents";
  auto s = Rogue();
  s.labels = {{"agents", "whatever"}};
  docker_.AddContainer("rogue", s, true);
  EXPECT_EQ(Plan().details["non_compliant"], 1);
}

TEST_F(EnforcementReconcilerTest, SandboxesIronwardCreatedAreCompliant) {
  // The sandboxes reconciler's own output passes the policy it enforces on others.
  SandboxesReconciler sandboxes{SandboxesOptions{std::string(kHome), std::chrono::seconds(1)}};
  ASSERT_EQ(ApplyWith(sandboxes, &docker_).kind, Outcome::Kind::kDone);
  auto spec = *docker_.CreateSpecOf("agent-1");
  spec.labels = {{"ironward.dev/policed", "true"}};  // same wiring, not owned
  docker_.AddContainer("copy", spec, true);
  ResourcePlan p = Plan();
  EXPECT_EQ(p.details["compliant"], 1) << p.details.dump();
  EXPECT_EQ(p.details["non_compliant"], 0);
}

TEST_F(EnforcementReconcilerTest, EngineDownIsATransientFailure) {
  docker_.SetEngineDown(true);
  ResourcePlan p = Plan();
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->kind, ErrorKind::kTransient);
  ResourcePlan none = PlanWith(r_, nullptr);
  ASSERT_TRUE(none.error);
  EXPECT_THAT(none.error->message, HasSubstr("DOCKER_HOST"));
}

TEST_F(EnforcementReconcilerTest, NoEngineOnTheHostIsNothingToPolice) {
  EnforcementReconciler absent{EnforcementOptions{std::string(kHome), std::chrono::seconds(1), [] { return false; }}};
  docker_.SetEngineDown(true);
  ResourcePlan p = PlanWith(absent, &docker_);
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_TRUE(p.changes.empty());
  EXPECT_EQ(p.details["engine"], "absent");
  EXPECT_TRUE(p.warnings.empty()) << "nothing needs Docker: no warning";
  EXPECT_THAT(p.details["engine_detail"].get<std::string>(), HasSubstr("nothing to police"));
}

// A dry run only plans (it never reaches Apply: Engine::Plan has no WriteDeps to give it).
TEST_F(EnforcementReconcilerTest, DryRunOfEnforceStopsNothing) {
  desired_.spec.enforcement.mode = spec::EnforcementMode::kEnforce;
  const std::string rogue = docker_.AddContainer("rogue", Rogue(), true);
  Facts f = facts_;
  ReconcileContext ctx{desired_, f, true};
  ResourcePlan p = r_.Plan(ctx, Reads(&docker_));
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(MutatingCalls(), 0U);
  EXPECT_TRUE((*docker_.InspectContainer(rogue))->state.running);
}

TEST_F(EnforcementReconcilerTest, SecretsAndTokensNeverAppearInOutputs) {
  desired_.spec.enforcement.mode = spec::EnforcementMode::kEnforce;
  docker_.AddContainer("rogue", Rogue(), true);
  ResourcePlan p;
  Outcome o = Apply(&p);
  const std::string all = Visible(p) + Visible(o);
  EXPECT_THAT(all, HasSubstr("stale proxy token"));
  EXPECT_THAT(all, Not(HasSubstr(kSecret)));
  EXPECT_THAT(all, Not(HasSubstr(kToken)));
  EXPECT_THAT(all, Not(HasSubstr(kNewToken)));
}

}  // namespace
}  // namespace ironward::sandboxes
