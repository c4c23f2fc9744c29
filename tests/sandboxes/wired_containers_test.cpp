// Containers another launcher started with `ironward wiring` output: compliant while current,
// named (never stopped or re-created) once a token or CA rotation makes them stale, and the
// wiring's names (spec.wiring) used by enforcement's checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/sandboxes/container_spec.h"
#include "reconcilers/sandboxes/enforcement_reconciler.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/wired_containers.h"
#include "reconcilers/sandboxes/wiring.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using test_support::kHome;
using test_support::kNewToken;
using test_support::kToken;

class WiredContainersTest : public test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    desired_.spec.enforcement.mode = spec::EnforcementMode::kEnforce;
    desired_.source_path = "/etc/ironward/gateway.yaml";
    desired_.source_paths = {desired_.source_path};
  }

  /// What `ironward wiring` hands a launcher today, as the container it starts.
  docker::ContainerCreateSpec Wired(const docker::Labels& extra = {}, const std::string& wiring_file = "") {
    const EgressWiring w = CurrentWiring();
    docker::Labels labels = MakeWiredLabels(w, desired_.spec.enforcement.selector, wiring_file);
    labels.insert(extra.begin(), extra.end());
    docker::ContainerCreateSpec s = BuildExternalSpec(w, labels);
    s.image = "local/agent:latest";
    return s;
  }

  /// The token rotation the mappings reconciler makes (tokens.rotation 1 -> 2).
  void RotateTokens() {
    facts_.mappings->rotation = 2;
    facts_.mappings->tokens = {{"openrouter", kNewToken}};
    desired_.spec.tokens.rotation = 2;
  }

  ResourcePlan Plan() { return PlanWith(r_, &docker_); }

  EnforcementReconciler r_{EnforcementOptions{std::string(kHome), std::chrono::seconds(1), [] { return true; }}};
};

TEST_F(WiredContainersTest, CurrentWiringIsCompliantAndNotStale) {
  docker_.AddContainer("agent", Wired(), true);
  const ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_TRUE(p.InSync());
  EXPECT_TRUE(p.warnings.empty()) << p.warnings[0];
  EXPECT_EQ(p.details["compliant"], 1);
  EXPECT_FALSE(p.details.contains("stale_wired"));
}

TEST_F(WiredContainersTest, WiredLabelsCarryTheGatewayGenerationAndTheSelector) {
  const auto s = Wired({}, "/srv/stack/wired.yaml");
  EXPECT_EQ(s.labels.at(kWiredByLabel), "prod-agents");
  EXPECT_EQ(s.labels.at("ironward.dev/policed"), "true");
  EXPECT_EQ(s.labels.at(kTokenRotationLabel), "1");
  EXPECT_EQ(s.labels.at(kPostureLabel), CurrentWiring().PostureDigest());
  EXPECT_EQ(s.labels.at(kWiringFileLabel), "/srv/stack/wired.yaml");
  EXPECT_EQ(s.labels.count(kOwnerLabel), 0U) << "wired containers are never ironward's own (no prune)";
  desired_.spec.enforcement.selector = "team.example/agents";
  EXPECT_EQ(Wired().labels.at("team.example/agents"), "true");
}

TEST_F(WiredContainersTest, TokenRotationMakesADockerRunContainerStaleButNeverStopsIt) {
  const std::string id = docker_.AddContainer("agent", Wired({}, "/run/agent.args"), true);
  RotateTokens();
  const ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_TRUE(p.changes.empty()) << "a stale wired container is not stopped under enforce";
  EXPECT_EQ(p.details["non_compliant"], 0) << p.details.dump();
  ASSERT_EQ(p.details["stale_wired"].size(), 1U) << p.details.dump();
  EXPECT_EQ(p.details["stale_wired"][0]["reason"],
            "wired at tokens.rotation 1, now 2: its proxy tokens no longer work");
  EXPECT_EQ(p.details["stale_wired"][0]["recreate"],
            "docker rm -f agent, then start it again with the arguments of `ironward wiring -f "
            "/etc/ironward/gateway.yaml --format docker-args --out /run/agent.args`");
  ASSERT_EQ(p.warnings.size(), 1U);
  EXPECT_THAT(p.warnings[0], AllOf(HasSubstr("'agent'"), HasSubstr("older ironward wiring"),
                                   HasSubstr("does not re-create containers it did not create")));
  EXPECT_EQ(ApplyWith(r_, &docker_).changed, 0);
  EXPECT_EQ(MutatingCalls(), 0U);
  EXPECT_TRUE((*docker_.InspectContainer(id))->state.running);
  EXPECT_THAT(Visible(p), AllOf(Not(HasSubstr(kToken)), Not(HasSubstr(kNewToken))));
}

TEST_F(WiredContainersTest, ComposeServicesGetTheComposeCommandWithTheProjectsOwnFiles) {
  const docker::Labels compose = {
      {"com.docker.compose.project", "agents"},
      {"com.docker.compose.service", "web"},
      {"com.docker.compose.version", "1.29.2"},
      {"com.docker.compose.project.working_dir", "/srv/agents"},
      {"com.docker.compose.project.config_files", "/srv/agents/compose.yaml,/srv/agents/wired.yaml"},
      {kWiringServicesLabel, "web,worker"}};
  docker_.AddContainer("agents_web_1", Wired(compose, "/srv/agents/wired.yaml"), true);
  auto v2 = compose;  // `docker compose` 2.x, a directory with a space, an override written to stdout
  v2["com.docker.compose.version"] = "2.24.6";
  v2["com.docker.compose.project.working_dir"] = "/srv/my agents";
  docker_.AddContainer("agents-web-2", Wired(v2), true);
  RotateTokens();
  const ResourcePlan p = Plan();
  ASSERT_EQ(p.details["stale_wired"].size(), 2U) << p.details.dump();
  EXPECT_EQ(p.details["stale_wired"][0]["recreate"],
            "ironward wiring -f /etc/ironward/gateway.yaml --format compose --service web --service worker --out "
            "/srv/agents/wired.yaml && cd /srv/agents && docker-compose -p agents -f /srv/agents/compose.yaml -f "
            "/srv/agents/wired.yaml up -d --force-recreate web worker");
  EXPECT_THAT(p.details["stale_wired"][1]["recreate"].get<std::string>(),
              AllOf(HasSubstr("--out OVERRIDE && cd '/srv/my agents' && docker compose -p agents"),
                    HasSubstr("up -d --force-recreate web worker")));
}

TEST_F(WiredContainersTest, CaRotationMakesWiredContainersStale) {
  docker_.AddContainer("agent", Wired(), true);
  facts_.ca->cert_digest = Sha256Hex("ca-two");
  const ResourcePlan p = Plan();
  ASSERT_EQ(p.details["stale_wired"].size(), 1U) << p.details.dump();
  EXPECT_THAT(p.details["stale_wired"][0]["reason"].get<std::string>(),
              HasSubstr("it no longer trusts the proxy's CA"));
}

TEST_F(WiredContainersTest, AWiredContainerOutsideTheSelectorIsStillNamedWhenStale) {
  auto s = Wired();
  s.labels.erase("ironward.dev/policed");
  docker_.AddContainer("unpoliced", s, true);
  EXPECT_EQ(Plan().details["compliant"], 0);
  RotateTokens();
  const ResourcePlan p = Plan();
  EXPECT_EQ(p.details["compliant"], 0);
  EXPECT_EQ(p.details["non_compliant"], 0);
  EXPECT_EQ(p.details["stale_wired"].size(), 1U) << p.details.dump();
}

TEST_F(WiredContainersTest, ARotationPlannedInThisApplyIsAnnouncedForEveryWiredContainer) {
  docker_.AddContainer("agent", Wired(), true);
  facts_.mappings->pending = {"openrouter"};
  const ResourcePlan p = Plan();
  ASSERT_EQ(p.details["stale_wired"].size(), 1U) << p.details.dump();
  EXPECT_EQ(p.details["stale_wired"][0]["reason"], "the CA or proxy tokens it was wired with change in this apply");
}

TEST_F(WiredContainersTest, AnotherGatewaysWiringIsPolicedButNotOurStaleness) {
  auto s = Wired();
  s.labels[kWiredByLabel] = "other-gateway";
  docker_.AddContainer("theirs", s, true);
  RotateTokens();
  const ResourcePlan p = Plan();
  EXPECT_FALSE(p.details.contains("stale_wired"));
  EXPECT_EQ(p.details["non_compliant"], 1) << "its token is not one of ours";
}

TEST_F(WiredContainersTest, HermesProfileNamesAreWhatEnforcementChecks) {
  desired_.spec.wiring = *spec::WiringProfile("hermes");
  const auto hermes = Wired();
  docker_.AddContainer("hermes-sandbox", hermes, true);
  bool has_token = false;
  for (const auto& e : hermes.env) has_token = has_token || e.rfind("HERMES_PROXY_TOKEN_OPENROUTER_API_KEY=", 0) == 0;
  EXPECT_TRUE(has_token);
  EXPECT_THAT(hermes.env, ::testing::Contains("HERMES_EGRESS_PROXY=1"));
  EXPECT_THAT(hermes.env, ::testing::Contains("SSL_CERT_FILE=/etc/ssl/certs/hermes-egress-ca.crt"));
  EXPECT_EQ(hermes.host.binds[0], ca_path_ + ":/etc/ssl/certs/hermes-egress-ca.crt:ro");
  EXPECT_EQ(Plan().details["non_compliant"], 0) << Plan().details.dump();

  desired_.spec.wiring = spec::WiringSpec{};
  auto ironward_names = Wired();
  desired_.spec.wiring = *spec::WiringProfile("hermes");
  ironward_names.labels.erase(kWiredByLabel);
  docker_.AddContainer("ironward-names", ironward_names, true);
  const ResourcePlan p = Plan();
  ASSERT_EQ(p.details["non_compliant"], 1) << p.details.dump();
  EXPECT_THAT(p.details["violations"][0]["problems"].dump(),
              HasSubstr("egress CA is not mounted at /etc/ssl/certs/hermes-egress-ca.crt"));
}

TEST_F(WiredContainersTest, WithAnInternalNetworkAnyOtherNetworkIsAWayOut) {
  desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
  desired_.spec.enforcement.network_name = "ironward-sandboxes";
  NetworkFacts n;
  n.name = "ironward-sandboxes";
  n.id = "net1";
  n.gateway = "172.30.99.1";
  n.bridge = "br-ironward";
  facts_.network = n;
  docker::NetworkCreateSpec net;
  net.name = "ironward-sandboxes";
  net.internal = true;
  ASSERT_TRUE(docker_.CreateNetwork(net).ok());
  docker_.AddContainer("confined", Wired(), true);
  const std::string leaky = docker_.AddContainer("leaky", Wired(), true);
  ASSERT_TRUE(docker_.ConnectNetwork("bridge", leaky).ok());
  const ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_EQ(p.details["compliant"], 1) << p.details.dump();
  ASSERT_EQ(p.details["violations"].size(), 1U);
  EXPECT_EQ(p.details["violations"][0]["container"], "leaky");
  EXPECT_THAT(p.details["violations"][0]["problems"].dump(),
              HasSubstr("attached to network bridge besides the sandbox network ironward-sandboxes"));
}

}  // namespace
}  // namespace ironward::sandboxes
