#include "reconcilers/sandboxes/sandboxes_reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "reconcilers/sandboxes/labels.h"
#include "state/encoding.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using test_support::kHome;
using test_support::kNewToken;
using test_support::kSecret;
using test_support::kToken;

using test_support::EnvOf;

class SandboxesReconcilerTest : public test_support::SandboxFixture {
 protected:
  ResourcePlan Plan(bool dry_run = true) { return PlanWith(r_, &docker_, dry_run); }
  Outcome Apply(ResourcePlan* plan = nullptr) { return ApplyWith(r_, &docker_, plan); }
  std::string IdOf(const std::string& name) {
    auto info = docker_.InspectContainer(name);
    EXPECT_TRUE(info.ok() && info->has_value()) << name;
    return info.ok() && info->has_value() ? (*info)->id : "";
  }
  bool Running(const std::string& name) {
    auto info = docker_.InspectContainer(name);
    return info.ok() && info->has_value() && (*info)->state.running;
  }
  /// Applies the initial state and forgets the calls it made.
  void Converge() {
    Outcome o = Apply();
    ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
    docker_.ClearCalls();
  }

  SandboxesReconciler r_{SandboxesOptions{std::string(kHome), std::chrono::seconds(1)}};
};

TEST_F(SandboxesReconcilerTest, PlansCreateForMissingSandbox) {
  ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kCreate);
  EXPECT_EQ(p.changes[0].address, "sandboxes.container[\"agent-1\"]");
  EXPECT_THAT(p.changes[0].reason, HasSubstr("has no container"));
  EXPECT_EQ(p.changes[0].after["https_proxy"], "http://host.docker.internal:9090");
  EXPECT_EQ(p.details["managed"], 0);
}

TEST_F(SandboxesReconcilerTest, CreatesSandboxWiredThroughTheProxy) {
  Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(o.changed, 1);
  auto spec = docker_.CreateSpecOf("agent-1");
  ASSERT_TRUE(spec);
  EXPECT_TRUE(Running("agent-1"));
  EXPECT_EQ(EnvOf(*spec, "HTTPS_PROXY"), "http://host.docker.internal:9090");
  EXPECT_EQ(EnvOf(*spec, "https_proxy"), "http://host.docker.internal:9090");
  EXPECT_EQ(EnvOf(*spec, "HTTP_PROXY"), "http://host.docker.internal:9091");
  EXPECT_EQ(EnvOf(*spec, "http_proxy"), "http://host.docker.internal:9091");
  EXPECT_THAT(EnvOf(*spec, "NO_PROXY"), HasSubstr("localhost"));
  EXPECT_THAT(EnvOf(*spec, "no_proxy"), HasSubstr("127.0.0.1"));
  for (const char* ca : {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"}) {
    EXPECT_EQ(EnvOf(*spec, ca), "/etc/ssl/certs/ironward-egress-ca.crt") << ca;
  }
  EXPECT_THAT(EnvOf(*spec, "NODE_OPTIONS"), HasSubstr("--use-openssl-ca"));
  EXPECT_EQ(EnvOf(*spec, "IRONWARD_EGRESS_PROXY"), "1");
  EXPECT_EQ(EnvOf(*spec, "IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY"), kToken);
  EXPECT_EQ(EnvOf(*spec, "OPENROUTER_API_KEY"), "<unset>");
  EXPECT_EQ(EnvOf(*spec, "TASK"), "demo");
  EXPECT_THAT(spec->host.binds, Contains(ca_path_ + ":/etc/ssl/certs/ironward-egress-ca.crt:ro"));
  EXPECT_THAT(spec->host.binds, Contains("/srv/agent-1:/work:rw"));
  EXPECT_THAT(spec->host.extra_hosts, Contains("host.docker.internal:host-gateway"));
  EXPECT_EQ(spec->cmd, (std::vector<std::string>{"sleep", "infinity"}));
}

TEST_F(SandboxesReconcilerTest, CreatesSandboxHardenedWithLimitsAndLabels) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  auto spec = docker_.CreateSpecOf("agent-1");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->host.memory, 512LL * 1024 * 1024);
  EXPECT_EQ(spec->host.nano_cpus, 1500000000LL);
  EXPECT_EQ(spec->host.pids_limit, 128);
  EXPECT_EQ(spec->host.cap_drop, std::vector<std::string>{"ALL"});
  EXPECT_THAT(spec->host.cap_add, IsEmpty());
  EXPECT_THAT(spec->host.security_opt, Contains("no-new-privileges:true"));
  EXPECT_TRUE(spec->host.init);
  EXPECT_EQ(spec->host.network_mode, "bridge");
  EXPECT_EQ(spec->labels.at(kOwnerLabel), "prod-agents");
  EXPECT_EQ(spec->labels.at(kSandboxLabel), "agent-1");
  EXPECT_EQ(spec->labels.at(kSpecDigestLabel).size(), 64U);
  EXPECT_EQ(spec->labels.at(kEgressCaLabel), Sha256Hex("ca-one"));
  EXPECT_EQ(spec->labels.at(kTokenRotationLabel), "1");
  EXPECT_EQ(spec->labels.at(kPostureLabel).size(), 64U);
  for (const auto& [k, v] : spec->labels) {
    EXPECT_THAT(v, Not(HasSubstr(kToken))) << k;
    EXPECT_THAT(v, Not(HasSubstr(Sha256Hex(kToken)))) << k;
  }
}

TEST_F(SandboxesReconcilerTest, InSyncAfterApplyAndSecondApplyChangesNothing) {
  Converge();
  ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_TRUE(p.InSync()) << Visible(p);
  EXPECT_EQ(p.details["managed"], 1);
  EXPECT_EQ(p.details["running"], 1);
  Outcome again = Apply();
  EXPECT_EQ(again.kind, Outcome::Kind::kDone);
  EXPECT_EQ(again.changed, 0);
  EXPECT_EQ(MutatingCalls(), 0U);
}

// The replace names the fields that change, the environment only by digest (it carries tokens).
TEST_F(SandboxesReconcilerTest, SpecChangeNamesTheFieldsThatDiffer) {
  Converge();
  desired_.spec.sandboxes[0].env["TASK"] = "other";
  desired_.spec.sandboxes[0].image = "local/agent:2";
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("spec changed"));
  EXPECT_THAT(p.changes[0].reason, HasSubstr(": image, env TASK"));
  std::map<std::string, FieldChange> by_field;
  for (const auto& f : p.changes[0].fields) by_field[f.field] = f;
  ASSERT_EQ(by_field.count("image"), 1U) << Visible(p);
  EXPECT_EQ(by_field["image"].after, "local/agent:2");
  ASSERT_EQ(by_field.count("env TASK"), 1U);
  EXPECT_EQ(by_field["env TASK"].action, Action::kUpdate);
  EXPECT_EQ(by_field["env TASK"].after, "sha256:" + Sha256Hex("other").substr(0, 12)) << "values only as digests";
  EXPECT_EQ(p.changes[0].fields.size(), 2U) << "nothing else differs";
}

// `docker rm -f` racing a replace: the engine answers 409 "removal already in progress" (the
// engine soak found it held for good). Someone else changed the engine's state; the next pass
// sees it. A missing image (404 on create) stays terminal: CreateFailureIsReportedPerSandbox.
TEST_F(SandboxesReconcilerTest, AConflictWithAConcurrentRemovalIsRetriedNotHeld) {
  Converge();
  desired_.spec.sandboxes[0].env["TASK"] = "other";  // a replace: remove, then create
  docker_.InjectError("RemoveContainer",
                      docker::ApiError("remove container", 409, "removal of container x is already in progress"));
  Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry) << o.message;
  EXPECT_THAT(o.message, HasSubstr("409"));
  docker_.InjectError("CreateContainer", docker::ApiError("create container", 409, "name is already in use"));
  EXPECT_EQ(Apply().kind, Outcome::Kind::kRetry);
  EXPECT_EQ(Apply().kind, Outcome::Kind::kDone) << "the next pass converges";
  EXPECT_EQ(EnvOf(*docker_.CreateSpecOf("agent-1"), "TASK"), "other");
}

TEST_F(SandboxesReconcilerTest, SpecChangeIsAPlannedReplace) {
  Converge();
  const std::string old_id = IdOf("agent-1");
  desired_.spec.sandboxes[0].env["TASK"] = "other";
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("spec changed"));
  EXPECT_TRUE(p.changes[0].disruptive);
  Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_NE(IdOf("agent-1"), old_id);
  EXPECT_EQ(EnvOf(*docker_.CreateSpecOf("agent-1"), "TASK"), "other");
  EXPECT_EQ(docker_.ContainerCount(), 1U);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(SandboxesReconcilerTest, ResourceChangeIsAPlannedReplace) {
  Converge();
  desired_.spec.sandboxes[0].resources.pids = 64;
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
}

TEST_F(SandboxesReconcilerTest, CaRotationRecyclesTheSandbox) {
  Converge();
  facts_.ca->cert_digest = Sha256Hex("ca-two");
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("egress CA changed"));
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_EQ(docker_.CreateSpecOf("agent-1")->labels.at(kEgressCaLabel), Sha256Hex("ca-two"));
}

TEST_F(SandboxesReconcilerTest, TrustBundleIsPreferredOverTheCertificate) {
  facts_.ca->trust_bundle_path = (dir_.path() / "ca-bundle.crt").string();
  facts_.ca->trust_bundle_digest = Sha256Hex("bundle");
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  auto spec = docker_.CreateSpecOf("agent-1");
  EXPECT_THAT(spec->host.binds,
              Contains((dir_.path() / "ca-bundle.crt").string() + ":/etc/ssl/certs/ironward-egress-ca.crt:ro"));
  EXPECT_EQ(spec->labels.at(kEgressCaLabel), Sha256Hex("bundle"));
}

TEST_F(SandboxesReconcilerTest, TokenRotationRecyclesTheSandbox) {
  Converge();
  facts_.mappings->rotation = 2;
  facts_.mappings->tokens["openrouter"] = kNewToken;
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("tokens.rotation 1 -> 2"));
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_EQ(EnvOf(*docker_.CreateSpecOf("agent-1"), "IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY"), kNewToken);
}

TEST_F(SandboxesReconcilerTest, ChangedTokenWithoutRotationStillRecycles) {
  Converge();
  facts_.mappings->tokens["openrouter"] = kNewToken;  // e.g. mappings.json re-minted after corruption
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("proxy tokens changed"));
}

TEST_F(SandboxesReconcilerTest, PendingTokenRotationIsPlannedAsReplaceInDryRun) {
  Converge();
  facts_.mappings->rotation = 2;
  facts_.mappings->tokens.clear();
  facts_.mappings->pending = {"openrouter"};
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_EQ(p.changes[0].after["tokens"]["IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY"], kKnownAfterApply);
}

TEST_F(SandboxesReconcilerTest, ExitedContainerIsReplaced) {
  Converge();
  const std::string old_id = IdOf("agent-1");
  docker_.ExitContainer(old_id, 137);
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("exited"));
  EXPECT_EQ(p.details["running"], 0);
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Running("agent-1"));
  EXPECT_NE(IdOf("agent-1"), old_id);
}

TEST_F(SandboxesReconcilerTest, RemovedOutOfBandIsRecreated) {
  Converge();
  ASSERT_TRUE(docker_.RemoveContainer("agent-1", true).ok());
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kCreate);
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Running("agent-1"));
}

TEST_F(SandboxesReconcilerTest, HardeningEditedOutOfBandIsReplaced) {
  Converge();
  // Same labels (so the spec digest matches), but someone raised the memory limit.
  docker::ContainerCreateSpec edited = *docker_.CreateSpecOf("agent-1");
  edited.host.memory *= 4;
  edited.host.cap_drop.clear();
  ASSERT_TRUE(docker_.RemoveContainer("agent-1", true).ok());
  docker_.AddContainer("agent-1", edited, true);
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_THAT(p.changes[0].reason, AllOf(HasSubstr("out of band"), HasSubstr("memory limit"),
                                         HasSubstr("capabilities not dropped")));
}

TEST_F(SandboxesReconcilerTest, TamperedTokenEnvIsReplacedWithoutNamingTheValue) {
  Converge();
  docker::ContainerCreateSpec edited = *docker_.CreateSpecOf("agent-1");
  for (auto& kv : edited.env) {
    if (kv.rfind("HTTPS_PROXY=", 0) == 0) kv = "HTTPS_PROXY=http://evil.example:3128";
  }
  ASSERT_TRUE(docker_.RemoveContainer("agent-1", true).ok());
  docker_.AddContainer("agent-1", edited, true);
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("env HTTPS_PROXY"));
  EXPECT_THAT(Visible(p), Not(HasSubstr("evil.example")));
}

TEST_F(SandboxesReconcilerTest, UndeclaredContainersAreKeptWithoutPrune) {
  desired_.spec.sandboxes.push_back(desired_.spec.sandboxes[0]);
  desired_.spec.sandboxes[1].name = "agent-2";
  Converge();
  desired_.spec.sandboxes.pop_back();
  ResourcePlan p = Plan();
  EXPECT_TRUE(p.changes.empty()) << Visible(p);
  ASSERT_EQ(p.warnings.size(), 1U);
  EXPECT_THAT(p.warnings[0], AllOf(HasSubstr("agent-2"), HasSubstr("prune")));
  EXPECT_EQ(Apply().changed, 0);
  EXPECT_TRUE(Running("agent-2"));
}

TEST_F(SandboxesReconcilerTest, UndeclaredContainersAreDeletedWithPrune) {
  desired_.spec.sandboxes.push_back(desired_.spec.sandboxes[0]);
  desired_.spec.sandboxes[1].name = "agent-2";
  Converge();
  desired_.spec.sandboxes.pop_back();
  desired_.spec.reconcile.prune = true;
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kDelete);
  EXPECT_EQ(p.changes[0].address, "sandboxes.container[\"agent-2\"]");
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_EQ(docker_.ContainerCount(), 1U);
  EXPECT_TRUE(Running("agent-1"));
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(SandboxesReconcilerTest, EmptyDeclaredSetNeverPrunes) {
  Converge();
  desired_.spec.sandboxes.clear();
  desired_.spec.reconcile.prune = true;
  ResourcePlan p = Plan();
  ASSERT_FALSE(p.error);
  EXPECT_TRUE(p.changes.empty()) << Visible(p);
  ASSERT_EQ(p.warnings.size(), 1U);
  EXPECT_THAT(p.warnings[0], AllOf(HasSubstr("refusing to prune"), HasSubstr("agent-1")));
  EXPECT_EQ(Apply().changed, 0);
  EXPECT_TRUE(Running("agent-1"));
}

TEST_F(SandboxesReconcilerTest, ContainersOfAnotherOwnerAreNeverTouched) {
  docker::ContainerCreateSpec other;
  other.image = "local/agent:latest";
  other.labels = {{kOwnerLabel, "someone-else"}, {kSandboxLabel, "agent-9"}};
  docker_.AddContainer("agent-9", other, true);
  desired_.spec.reconcile.prune = true;
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Running("agent-9"));
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(SandboxesReconcilerTest, NameTakenByAForeignContainerIsRefused) {
  docker::ContainerCreateSpec other;
  other.image = "local/agent:latest";
  const std::string id = docker_.AddContainer("agent-1", other, true);
  ResourcePlan p = Plan();
  ASSERT_TRUE(p.error);
  EXPECT_THAT(p.error->message, AllOf(HasSubstr("agent-1"), HasSubstr("does not own")));
  Facts f = facts_;
  ReconcileContext ctx{desired_, f, false};
  WriteDeps w{clock_, writer_, nullptr, nullptr, &docker_, nullptr};
  EXPECT_NE(r_.Apply(ctx, p, w).kind, Outcome::Kind::kDone);
  EXPECT_EQ(MutatingCalls(), 0U);
  EXPECT_EQ(IdOf("agent-1"), id);
}

TEST_F(SandboxesReconcilerTest, ForbiddenMountsAreRefusedBeforeTouchingTheEngine) {
  const std::vector<std::string> forbidden = {
      "/var/run/docker.sock:/var/run/docker.sock",
      "/run/docker.sock:/d.sock:ro",
      "/var/run:/host-run",
      std::string(kHome) + ":/home",
      "/home:/home",
      std::string(kHome) + "/.ssh:/root/.ssh:ro",
      std::string(kHome) + "/.aws/credentials:/creds:ro",
      std::string(kHome) + "/.config:/cfg",
      "/:/host",
      dir_.path().string() + ":/state",
      dir_.path().string() + "/mappings.json:/m.json:ro",
  };
  for (const auto& m : forbidden) {
    desired_.spec.sandboxes[0].mounts = {m};
    ResourcePlan p = Plan();
    ASSERT_TRUE(p.error) << m;
    EXPECT_EQ(p.error->kind, ErrorKind::kInvalidSpec) << m;
    EXPECT_THAT(p.error->message, AllOf(HasSubstr("forbidden"), HasSubstr(m))) << m;
  }
  EXPECT_EQ(docker_.calls().size(), 0U);
}

TEST_F(SandboxesReconcilerTest, OrdinaryMountsAreAllowed) {
  for (const std::string& m : std::vector<std::string>{"/srv/agent-1:/work:rw", std::string(kHome) + "/projects/a:/work",
                                                      "/var/lib/agent:/data:ro", "/home/other:/other"}) {
    desired_.spec.sandboxes[0].mounts = {m};
    ResourcePlan p = Plan();
    EXPECT_FALSE(p.error) << m << ": " << p.error->message;
  }
}

TEST_F(SandboxesReconcilerTest, EngineDownIsATransientFailureNotACrash) {
  docker_.SetEngineDown(true);
  ResourcePlan p = Plan();
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->kind, ErrorKind::kTransient);
  EXPECT_THAT(p.error->message, HasSubstr("cannot reach the Docker engine"));
  Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry);
}

// Nothing needs Docker: no warning (every plan on a host without Docker used to carry one).
TEST_F(SandboxesReconcilerTest, EngineDownWithNothingDeclaredIsNoWarning) {
  desired_.spec.sandboxes.clear();
  docker_.SetEngineDown(true);
  ResourcePlan p = Plan();
  ASSERT_FALSE(p.error) << p.error->message;
  EXPECT_TRUE(p.changes.empty());
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_THAT(p.details["engine"].get<std::string>(),
              AllOf(HasSubstr("cannot reach the Docker engine"), HasSubstr("nothing to do")));
}

TEST_F(SandboxesReconcilerTest, EngineDownDuringApplyFailsTransiently) {
  ResourcePlan p = Plan(false);
  ASSERT_FALSE(p.error);
  docker_.SetEngineDown(true);
  Facts f = facts_;
  ReconcileContext ctx{desired_, f, false};
  WriteDeps w{clock_, writer_, nullptr, nullptr, &docker_, nullptr};
  Outcome o = r_.Apply(ctx, p, w);
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry);
  EXPECT_THAT(o.message, HasSubstr("Docker engine"));
}

TEST_F(SandboxesReconcilerTest, CreateFailureIsReportedPerSandbox) {
  desired_.spec.sandboxes[0].image = "missing/image:1";
  Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_THAT(o.message, AllOf(HasSubstr("agent-1"), HasSubstr("No such image")));
}

TEST_F(SandboxesReconcilerTest, NoDockerClientIsAClearError) {
  ResourcePlan p = PlanWith(r_, nullptr);
  ASSERT_TRUE(p.error);
  EXPECT_THAT(p.error->message, HasSubstr("DOCKER_HOST"));
  desired_.spec.sandboxes.clear();
  ResourcePlan empty = PlanWith(r_, nullptr);
  EXPECT_FALSE(empty.error);
  EXPECT_TRUE(empty.changes.empty());
}

// A dry run only plans (it never reaches Apply: Engine::Plan has no WriteDeps to give it).
TEST_F(SandboxesReconcilerTest, DryRunMakesNoMutatingCall) {
  Facts f = facts_;
  ReconcileContext ctx{desired_, f, true};
  ResourcePlan p = r_.Plan(ctx, Reads(&docker_));
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(MutatingCalls(), 0U);
  EXPECT_EQ(docker_.ContainerCount(), 0U);
}

TEST_F(SandboxesReconcilerTest, DryRunOfAReplaceMakesNoMutatingCall) {
  Converge();
  docker_.ExitContainer(IdOf("agent-1"), 1);
  docker_.ClearCalls();
  ResourcePlan p = PlanWith(r_, &docker_);
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(MutatingCalls(), 0U);
}

TEST_F(SandboxesReconcilerTest, SecretsAndTokensNeverAppearInOutputs) {
  std::string all;
  ResourcePlan p;
  Outcome o = Apply(&p);
  all += Visible(p) + Visible(o);
  facts_.mappings->rotation = 2;
  facts_.mappings->tokens["openrouter"] = kNewToken;
  ResourcePlan rotate;
  o = Apply(&rotate);
  all += Visible(rotate) + Visible(o);
  EXPECT_THAT(all, Not(HasSubstr(kToken)));
  EXPECT_THAT(all, Not(HasSubstr(kNewToken)));
  EXPECT_THAT(all, Not(HasSubstr(kSecret)));
  EXPECT_THAT(all, HasSubstr(SensitiveLabel(kNewToken)));  // shown only as the sensitive label
}

TEST_F(SandboxesReconcilerTest, InternalNetworkAttachesOnlyToTheSandboxNetwork) {
  desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
  docker::NetworkCreateSpec net;
  net.name = desired_.spec.enforcement.network_name;
  net.internal = true;
  net.subnet = "172.30.99.0/24";
  net.gateway = "172.30.99.1";
  ASSERT_TRUE(docker_.CreateNetwork(net).ok());
  facts_.network = NetworkFacts{net.name, "id", "172.30.99.1", "br-iw", false};
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  auto spec = docker_.CreateSpecOf("agent-1");
  EXPECT_EQ(spec->host.network_mode, "ironward-sandboxes");
  EXPECT_EQ(EnvOf(*spec, "HTTPS_PROXY"), "http://172.30.99.1:9090");
  EXPECT_EQ(EnvOf(*spec, "HTTP_PROXY"), "http://172.30.99.1:9091");
  EXPECT_THAT(spec->host.extra_hosts, Contains("host.docker.internal:172.30.99.1"));
  auto info = docker_.InspectContainer("agent-1");
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->networks.size(), 1U);
  EXPECT_EQ((*info)->networks.count("ironward-sandboxes"), 1U);
  EXPECT_TRUE(Plan().InSync());
  // Attached to a second network out of band: drift.
  ASSERT_TRUE(docker_.ConnectNetwork("bridge", "agent-1").ok());
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("attached to network bridge"));
}

TEST_F(SandboxesReconcilerTest, RoutingModeSetsTheResolverAndRecreatesSandboxesWhenItChanges) {
  desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
  docker::NetworkCreateSpec net;
  net.name = desired_.spec.enforcement.network_name;
  net.internal = true;
  net.subnet = "172.30.99.0/24";
  net.gateway = "172.30.99.1";
  ASSERT_TRUE(docker_.CreateNetwork(net).ok());
  facts_.network = NetworkFacts{net.name, "id", "172.30.99.1", "br-iw", false};
  Converge();
  EXPECT_TRUE(docker_.CreateSpecOf("agent-1")->host.dns.empty()) << "proxy-variables: the engine's resolver";

  // both: the proxy's DNS on the gateway as the resolver, proxy variables kept. A replace, named.
  desired_.spec.enforcement.routing = spec::RoutingMode::kBoth;
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_EQ(p.changes[0].after["dns"], nlohmann::json::array({"172.30.99.1"}));
  Converge();
  auto spec = docker_.CreateSpecOf("agent-1");
  EXPECT_EQ(spec->host.dns, (std::vector<std::string>{"172.30.99.1"}));
  EXPECT_EQ(EnvOf(*spec, "HTTPS_PROXY"), "http://172.30.99.1:9090");
  EXPECT_TRUE(Plan().InSync());

  // dns: no proxy variables at all, the CA variables stay.
  desired_.spec.enforcement.routing = spec::RoutingMode::kDns;
  p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_FALSE(p.changes[0].after.contains("https_proxy"));
  Converge();
  spec = docker_.CreateSpecOf("agent-1");
  EXPECT_EQ(spec->host.dns, (std::vector<std::string>{"172.30.99.1"}));
  for (const char* var : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}) {
    EXPECT_EQ(EnvOf(*spec, var), "<unset>") << var;
  }
  EXPECT_NE(EnvOf(*spec, "SSL_CERT_FILE"), "<unset>");
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(SandboxesReconcilerTest, ResolverChangedOutOfBandIsDrift) {
  desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
  desired_.spec.enforcement.routing = spec::RoutingMode::kBoth;
  docker::NetworkCreateSpec net;
  net.name = desired_.spec.enforcement.network_name;
  net.internal = true;
  net.subnet = "172.30.99.0/24";
  net.gateway = "172.30.99.1";
  ASSERT_TRUE(docker_.CreateNetwork(net).ok());
  facts_.network = NetworkFacts{net.name, "id", "172.30.99.1", "br-iw", false};
  Converge();
  // Same labels (so the spec digest matches), another resolver: only the drift check sees it.
  auto edited = *docker_.CreateSpecOf("agent-1");
  edited.host.dns = {"8.8.8.8"};
  ASSERT_TRUE(docker_.RemoveContainer(IdOf("agent-1"), true).ok());
  docker_.AddContainer("agent-1", edited, true);
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("dns servers"));
}

TEST_F(SandboxesReconcilerTest, InternalNetworkWithoutNetworkFactsIsRefused) {
  desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
  ResourcePlan p = Plan();
  ASSERT_TRUE(p.error);
  EXPECT_THAT(p.error->message, HasSubstr("no sandbox network"));
}

TEST_F(SandboxesReconcilerTest, SwitchingToTheInternalNetworkRecyclesSandboxes) {
  Converge();
  desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
  facts_.network = NetworkFacts{"ironward-sandboxes", "", "", "", true};
  ResourcePlan p = Plan();
  ASSERT_EQ(p.changes.size(), 1U) << Visible(p);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_EQ(p.changes[0].after["https_proxy"], kKnownAfterApply);
}

TEST_F(SandboxesReconcilerTest, PublishesContainerIdsAsFacts) {
  Facts f = facts_;
  ReconcileContext ctx{desired_, f, false};
  WriteDeps w{clock_, writer_, nullptr, nullptr, &docker_, nullptr};
  ResourcePlan p = r_.Plan(ctx, w.Read());
  ASSERT_TRUE(f.sandboxes);
  EXPECT_EQ(f.sandboxes->container_ids.at("agent-1"), "");
  ASSERT_EQ(r_.Apply(ctx, p, w).kind, Outcome::Kind::kDone);
  EXPECT_EQ(f.sandboxes->container_ids.at("agent-1"), IdOf("agent-1"));
}

}  // namespace
}  // namespace ironward::sandboxes
