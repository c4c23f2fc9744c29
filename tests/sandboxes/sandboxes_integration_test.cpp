// The sandboxes and enforcement reconcilers against the real private dockerd of the ctest
// fixture `docker_engine`: what the reconciler creates is inspected, healed and replaced for real.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "reconcilers/sandboxes/enforcement_reconciler.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "state/encoding.h"
#include "state/state_dir.h"
#include "tests/docker/integration_env.h"
#include "tests/support/eventually.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"

namespace ironward::sandboxes {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "iwpt_integration_0123456789abcdef0123";
constexpr const char* kSecret = "sk-integration-real-secret-0123456789";

/// Shows whether the hardening holds from inside: the CA, the proxy env, NoNewPrivs and CapEff.
const std::vector<std::string> kProbeCommand = {
    "sh", "-c",
    "cat /etc/ssl/certs/ironward-egress-ca.crt; echo proxy=$HTTPS_PROXY; grep -E 'NoNewPrivs|CapEff' "
    "/proc/self/status; exec sleep 300"};

class SandboxesIntegrationTest : public docker::test_support::DockerIntegrationTest {
 protected:
  void SetUp() override {
    DockerIntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    desired_.name = "iwt-" + run_;  // the owner label: this test's containers only
    spec::Provider p;
    p.name = "openrouter";
    p.secret = "OPENROUTER_API_KEY";
    p.hosts = {"openrouter.ai"};
    desired_.spec.providers.push_back(p);
    desired_.spec.proxy.http_port = 9091;
    desired_.spec.enforcement.selector = "ironward.test.policed=" + run_;
    spec::Sandbox s;
    s.name = Name("sbx");
    s.image = docker::test_support::TestImage();
    s.command = kProbeCommand;
    s.env = {{"TASK", "integration"}};
    s.mounts = {work_.path().string() + ":/work:rw"};  // outside the state dir (that is refused)
    s.resources.memory_bytes = 64LL * 1024 * 1024;
    s.resources.cpus = 0.5;
    s.resources.pids = 64;
    desired_.spec.sandboxes.push_back(s);
    ca_path_ = (dir_.path() / "ca.crt").string();
    ironward::testing::WriteFile(ca_path_, "-----TEST EGRESS CA-----\n");
    CaFacts ca;
    ca.cert_path = ca_path_;
    ca.cert_digest = Sha256Hex("-----TEST EGRESS CA-----\n");
    facts_.ca = ca;
    MappingFacts m;
    m.rotation = 1;
    m.tokens = {{"openrouter", kToken}};
    facts_.mappings = m;
    ConfigFacts c;
    c.bind_address = "172.29.0.1";
    c.tunnel_port = 9090;
    c.http_port = 9091;
    facts_.config = c;
    SecretFacts sf;
    sf.digests = {{"OPENROUTER_API_KEY", Sha256Hex(kSecret)}};
    sf.values = {{"OPENROUTER_API_KEY", kSecret}};
    facts_.secrets = sf;
  }
  void TearDown() override {
    if (docker_) {
      auto owned = docker_->ListContainers(OwnerFilter(desired_.name), true);
      if (owned.ok()) {
        for (const auto& c : *owned) EXPECT_TRUE(docker_->RemoveContainer(c.id, true).ok());
      }
    }
    DockerIntegrationTest::TearDown();
  }

  ResourcePlan Plan(Reconciler& r) {
    Facts f = facts_;
    ReconcileContext ctx{desired_, f, true};
    return r.Plan(ctx, ReadDeps{clock_, writer_, nullptr, nullptr, docker_.get(), nullptr});
  }
  Outcome Apply(Reconciler& r) {
    Facts f = facts_;
    ReconcileContext ctx{desired_, f, false};
    WriteDeps w{clock_, writer_, nullptr, nullptr, docker_.get(), nullptr};
    ResourcePlan plan = r.Plan(ctx, w.Read());
    EXPECT_FALSE(plan.error) << plan.error->message;
    if (plan.changes.empty()) return Outcome::Done(0);
    return r.Apply(ctx, plan, w);
  }
  docker::ContainerInfo Inspect(const std::string& name) {
    auto info = docker_->InspectContainer(name);
    EXPECT_TRUE(info.ok() && info->has_value()) << name;
    return info.ok() && info->has_value() ? **info : docker::ContainerInfo{};
  }
  /// Logs once the probe printed its lines (the container starts asynchronously).
  std::string ProbeOutput(const std::string& name) {
    std::string out;
    const bool printed = ironward::testing::Eventually([&] {
      auto logs = docker_->Logs(name, docker::LogsOptions{});
      out = logs.ok() ? logs->out : "";
      return out.find("CapEff") != std::string::npos;
    }, std::chrono::seconds(5), std::chrono::milliseconds(100));
    return printed ? out : "";
  }

  ironward::testing::TempDir dir_;
  ironward::testing::TempDir work_;
  state::StateWriter writer_{dir_.path()};
  spec::DesiredState desired_;
  Facts facts_;
  std::string ca_path_;
  SandboxesReconciler sandboxes_{SandboxesOptions{std::string("/nonexistent-home"), std::chrono::seconds(2)}};
};

TEST_F(SandboxesIntegrationTest, CreatedSandboxRunsWiredAndHardened) {
  Outcome o = Apply(sandboxes_);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  const std::string name = desired_.spec.sandboxes[0].name;
  const docker::ContainerInfo info = Inspect(name);
  EXPECT_TRUE(info.state.running);
  EXPECT_EQ(info.EnvValue("HTTPS_PROXY").value_or(""), "http://host.docker.internal:9090");
  EXPECT_EQ(info.EnvValue("HTTP_PROXY").value_or(""), "http://host.docker.internal:9091");
  EXPECT_EQ(info.EnvValue("SSL_CERT_FILE").value_or(""), "/etc/ssl/certs/ironward-egress-ca.crt");
  EXPECT_EQ(info.EnvValue("NODE_OPTIONS").value_or(""), "--use-openssl-ca");
  EXPECT_EQ(info.EnvValue("IRONWARD_EGRESS_PROXY").value_or(""), "1");
  EXPECT_EQ(info.EnvValue("IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY").value_or(""), kToken);
  EXPECT_EQ(info.host_config.memory, 64LL * 1024 * 1024);
  EXPECT_EQ(info.host_config.nano_cpus, 500000000LL);
  EXPECT_EQ(info.host_config.pids_limit, 64);
  EXPECT_THAT(info.host_config.cap_drop, Contains("ALL"));
  EXPECT_THAT(info.host_config.security_opt, Contains("no-new-privileges:true"));
  EXPECT_TRUE(info.host_config.init);
  EXPECT_FALSE(info.host_config.privileged);
  EXPECT_EQ(info.host_config.network_mode, "bridge");
  EXPECT_THAT(info.host_config.extra_hosts, Contains("host.docker.internal:host-gateway"));
  bool ca_mounted = false;
  for (const auto& m : info.mounts) {
    if (m.destination == "/etc/ssl/certs/ironward-egress-ca.crt") ca_mounted = !m.rw && m.source == ca_path_;
  }
  EXPECT_TRUE(ca_mounted);
  EXPECT_EQ(info.config.labels.at(kOwnerLabel), desired_.name);
  // From inside: the CA is readable, the proxy is set, no privileges can be gained, no capabilities.
  const std::string out = ProbeOutput(name);
  EXPECT_THAT(out, HasSubstr("-----TEST EGRESS CA-----"));
  EXPECT_THAT(out, HasSubstr("proxy=http://host.docker.internal:9090"));
  EXPECT_THAT(out, ::testing::ContainsRegex("NoNewPrivs:[ \t]*1"));
  EXPECT_THAT(out, ::testing::ContainsRegex("CapEff:[ \t]*0000000000000000"));
  // The real engine's answer (merged image env, "bridge" network) reads back as in sync.
  ResourcePlan again = Plan(sandboxes_);
  EXPECT_TRUE(again.InSync()) << (again.changes.empty() ? "" : again.changes[0].reason);
  EXPECT_EQ(again.details["running"], 1);
}

TEST_F(SandboxesIntegrationTest, OptionalFieldsRoundTripThroughTheEngineAndAOneshotSettles) {
  spec::Sandbox& s = desired_.spec.sandboxes[0];
  s.command = {"sh", "-c", "id -u; grep CapEff /proc/self/status; exec sleep 300"};
  s.ports = {spec::PortSpec{"127.0.0.1", 0, 8080, "tcp", false}, spec::PortSpec{"127.0.0.1", 0, 9000, "udp", false}};
  s.ports[0].host_port = static_cast<std::uint16_t>(ironward::testing::FreeLoopbackPorts(1, 26000));
  s.ports[1].host_port = s.ports[0].host_port;
  s.user = "1000:1000";
  s.cap_add = {"SETUID", "SETGID"};
  s.restart = spec::RestartPolicy::kAlways;
  s.healthcheck = spec::Healthcheck{{"true"}, std::chrono::seconds(1), std::chrono::seconds(5), 2};
  s.no_proxy = {"dashboard"};
  s.env["NODE_OPTIONS"] = "--max-old-space-size=256";
  spec::Sandbox job;
  job.name = Name("job");
  job.image = docker::test_support::TestImage();
  job.command = {"sh", "-c", "exit 0"};
  job.oneshot = true;
  job.resources = s.resources;
  const std::string name = s.name;
  desired_.spec.sandboxes.push_back(job);  // `s` dangles from here on

  Outcome o = Apply(sandboxes_);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  const docker::ContainerInfo info = Inspect(name);
  EXPECT_EQ(info.config.user, "1000:1000");
  EXPECT_EQ(info.host_config.restart_policy, "always");
  EXPECT_EQ(info.host_config.port_bindings.size(), 2U);
  ASSERT_TRUE(info.config.healthcheck);
  EXPECT_EQ(info.config.healthcheck->test, (std::vector<std::string>{"CMD", "true"}));
  EXPECT_EQ(info.EnvValue("NO_PROXY").value_or(""), "localhost,127.0.0.1,::1,dashboard");
  EXPECT_EQ(info.EnvValue("NODE_OPTIONS").value_or(""), "--max-old-space-size=256 --use-openssl-ca");
  // SETUID + SETGID only (bits 6 and 7), as uid 1000.
  const std::string out = ProbeOutput(name);
  EXPECT_THAT(out, HasSubstr("1000\n"));
  EXPECT_THAT(out, ::testing::ContainsRegex("CapEff:[ \t]*0000000000000000"))
      << "a non-root user has no effective capabilities even with capAdd (they are in the bounding set)";
  // The job ran to completion; every field reads back from the real engine as in sync.
  auto waited = docker_->WaitContainer(job.name, std::chrono::seconds(30));
  ASSERT_TRUE(waited.ok()) << waited.error().message;
  EXPECT_EQ(waited->status_code, 0);
  const ResourcePlan again = Plan(sandboxes_);
  EXPECT_TRUE(again.InSync()) << (again.changes.empty() ? again.warnings.empty() ? "" : again.warnings[0]
                                                        : again.changes[0].reason);
  EXPECT_TRUE(again.warnings.empty());
  EXPECT_THAT(again.details["exited"][job.name].get<std::string>(), HasSubstr("Exited (0)"));
}

TEST_F(SandboxesIntegrationTest, SandboxRemovedOutOfBandIsRecreated) {
  ASSERT_EQ(Apply(sandboxes_).kind, Outcome::Kind::kDone);
  const std::string name = desired_.spec.sandboxes[0].name;
  const std::string first = Inspect(name).id;
  ASSERT_TRUE(docker_->RemoveContainer(name, true).ok());
  ResourcePlan p = Plan(sandboxes_);
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kCreate);
  Outcome o = Apply(sandboxes_);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  const docker::ContainerInfo now = Inspect(name);
  EXPECT_TRUE(now.state.running);
  EXPECT_NE(now.id, first);
  EXPECT_TRUE(Plan(sandboxes_).InSync());
}

TEST_F(SandboxesIntegrationTest, StoppedSandboxIsReplaced) {
  ASSERT_EQ(Apply(sandboxes_).kind, Outcome::Kind::kDone);
  const std::string name = desired_.spec.sandboxes[0].name;
  ASSERT_TRUE(docker_->StopContainer(name, std::chrono::seconds(2)).ok());
  ResourcePlan p = Plan(sandboxes_);
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  EXPECT_THAT(p.changes[0].reason, HasSubstr("exited"));
  ASSERT_EQ(Apply(sandboxes_).kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Inspect(name).state.running);
}

TEST_F(SandboxesIntegrationTest, ChangedSpecAndRotatedTokenReplaceTheSandbox) {
  ASSERT_EQ(Apply(sandboxes_).kind, Outcome::Kind::kDone);
  const std::string name = desired_.spec.sandboxes[0].name;
  const std::string first = Inspect(name).id;
  desired_.spec.sandboxes[0].env["TASK"] = "changed";
  ResourcePlan p = Plan(sandboxes_);
  ASSERT_EQ(p.changes.size(), 1U);
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  ASSERT_EQ(Apply(sandboxes_).kind, Outcome::Kind::kDone);
  const docker::ContainerInfo second = Inspect(name);
  EXPECT_NE(second.id, first);
  EXPECT_EQ(second.EnvValue("TASK").value_or(""), "changed");

  facts_.mappings->rotation = 2;
  facts_.mappings->tokens["openrouter"] = "iwpt_integration_rotated_000000000000";
  ASSERT_EQ(Apply(sandboxes_).kind, Outcome::Kind::kDone);
  const docker::ContainerInfo third = Inspect(name);
  EXPECT_NE(third.id, second.id);
  EXPECT_EQ(third.EnvValue("IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY").value_or(""),
            "iwpt_integration_rotated_000000000000");
  EXPECT_EQ(third.config.labels.at(kTokenRotationLabel), "2");
  EXPECT_TRUE(Plan(sandboxes_).InSync());
}

TEST_F(SandboxesIntegrationTest, EnforcementWarnsThenStopsAnUnmanagedContainer) {
  docker::ContainerCreateSpec rogue = Spec({"sleep", "300"});
  rogue.labels["ironward.test.policed"] = run_;
  rogue.env = {std::string("OPENROUTER_API_KEY=") + kSecret};
  const std::string id = Run(Name("rogue"), rogue);
  ASSERT_FALSE(id.empty());
  EnforcementReconciler enforcement{
      EnforcementOptions{std::string("/nonexistent-home"), std::chrono::seconds(2), [] { return true; }}};

  desired_.spec.enforcement.mode = spec::EnforcementMode::kWarn;
  ResourcePlan warn = Plan(enforcement);
  ASSERT_FALSE(warn.error) << warn.error->message;
  EXPECT_TRUE(warn.changes.empty());
  EXPECT_EQ(warn.details["non_compliant"], 1);
  EXPECT_THAT(warn.details.dump(), HasSubstr("the real secret name of provider 'openrouter'"));
  EXPECT_THAT(warn.details.dump(), HasSubstr("holds the real value of secret OPENROUTER_API_KEY"));
  EXPECT_THAT(warn.details.dump() + warn.warnings[0], Not(HasSubstr(kSecret)));
  EXPECT_EQ(Apply(enforcement).changed, 0);
  EXPECT_TRUE(Inspect(id).state.running);

  desired_.spec.enforcement.mode = spec::EnforcementMode::kEnforce;
  Outcome o = Apply(enforcement);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(o.changed, 1);
  EXPECT_FALSE(Inspect(id).state.running);
}

// The real client from several threads at once: 4 creates in flight, then 4 inspects in flight.
TEST_F(SandboxesIntegrationTest, ParallelCreatesOnTheEngineOneFailingAmongThem) {
  const spec::Sandbox base = desired_.spec.sandboxes[0];
  desired_.spec.sandboxes.clear();
  for (int i = 1; i <= 6; ++i) {
    spec::Sandbox s = base;
    s.name = Name("par" + std::to_string(i));
    if (i == 2) s.image = "ironward/no-such-image:0";  // the engine answers 404
    desired_.spec.sandboxes.push_back(s);
  }
  Outcome o = Apply(sandboxes_);
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal) << o.message;
  EXPECT_EQ(o.changed, 5);
  EXPECT_THAT(o.message, HasSubstr("1 sandbox(es) failed: " + desired_.spec.sandboxes[1].name + ": "));
  for (int i = 0; i < 6; ++i) {
    if (i == 1) continue;
    EXPECT_TRUE(Inspect(desired_.spec.sandboxes[i].name).state.running) << desired_.spec.sandboxes[i].name;
  }
  ResourcePlan again = Plan(sandboxes_);
  ASSERT_FALSE(again.error) << again.error->message;
  ASSERT_EQ(again.changes.size(), 1U);
  EXPECT_EQ(again.changes[0].address, ContainerAddress(desired_.spec.sandboxes[1].name));
  EXPECT_EQ(again.details["running"], 5);
}

}  // namespace
}  // namespace ironward::sandboxes
