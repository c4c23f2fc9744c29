// Shared fixture for the sandboxes/enforcement unit tests: a desired state with one provider and
// one sandbox, the facts the upstream reconcilers would publish, a FakeDocker and a state dir.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "reconcilers/reconciler.h"
#include "reconcilers/sandboxes/wiring.h"
#include "state/encoding.h"
#include "state/state_dir.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_docker.h"
#include "tests/support/temp_dir.h"

namespace ironward::sandboxes::test_support {

// Values the tests grep every output for.
inline constexpr const char* kToken = "iwpt_0123456789abcdef0123456789abcdef";
inline constexpr const char* kNewToken = "iwpt_fedcba9876543210fedcba9876543210";
inline constexpr const char* kSecret = "sk-or-v1-realsecretvalue-000111222333";
inline constexpr const char* kHome = "/home/tester";

/// The value of `key` in a create body's env, or "<unset>".
inline std::string EnvOf(const docker::ContainerCreateSpec& s, const std::string& key) {
  for (const auto& kv : s.env) {
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
  }
  return "<unset>";
}

inline spec::DesiredState MakeDesired() {
  spec::DesiredState d;
  d.name = "prod-agents";
  spec::Provider p;
  p.name = "openrouter";
  p.secret = "OPENROUTER_API_KEY";
  p.hosts = {"openrouter.ai"};
  d.spec.providers.push_back(p);
  spec::Sandbox s;
  s.name = "agent-1";
  s.image = "local/agent:latest";
  s.command = {"sleep", "infinity"};
  s.env = {{"TASK", "demo"}};
  s.mounts = {"/srv/agent-1:/work:rw"};
  s.resources.memory_bytes = 512LL * 1024 * 1024;
  s.resources.cpus = 1.5;
  s.resources.pids = 128;
  d.spec.sandboxes.push_back(s);
  d.spec.proxy.http_port = 9091;
  return d;
}

class SandboxFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    desired_ = MakeDesired();
    ca_path_ = (dir_.path() / "ca.crt").string();
    CaFacts ca;
    ca.cert_path = ca_path_;
    ca.cert_digest = Sha256Hex("ca-one");
    facts_.ca = ca;
    MappingFacts m;
    m.rotation = 1;
    m.tokens = {{"openrouter", kToken}};
    facts_.mappings = m;
    ConfigFacts c;
    c.bind_address = "172.17.0.1";
    c.tunnel_port = 9090;
    c.http_port = 9091;
    facts_.config = c;
    SecretFacts s;
    s.digests = {{"OPENROUTER_API_KEY", Sha256Hex(kSecret)}};
    s.values = {{"OPENROUTER_API_KEY", kSecret}};
    facts_.secrets = s;
    docker_.AddImage("local/agent:latest");
  }

  ReadDeps Reads(docker::DockerApi* api) { return ReadDeps{clock_, writer_, nullptr, nullptr, api, nullptr}; }

  /// The wiring the reconcilers would collect from the current facts.
  EgressWiring CurrentWiring() {
    Facts f = facts_;
    ReconcileContext ctx{desired_, f, false};
    auto w = CollectWiring(ctx);
    EXPECT_TRUE(w.ok());
    return *w;
  }

  ResourcePlan PlanWith(Reconciler& r, docker::DockerApi* api, bool dry_run = true) {
    Facts f = facts_;
    ReconcileContext ctx{desired_, f, dry_run};
    return r.Plan(ctx, Reads(api));
  }

  /// Plan + Apply as the engine does.
  Outcome ApplyWith(Reconciler& r, docker::DockerApi* api, ResourcePlan* plan_out = nullptr) {
    Facts f = facts_;
    ReconcileContext ctx{desired_, f, false};
    WriteDeps w{clock_, writer_, nullptr, nullptr, api, nullptr};
    ResourcePlan plan = r.Plan(ctx, w.Read());
    if (plan_out != nullptr) *plan_out = plan;
    if (plan.changes.empty() && !plan.error) return Outcome::Done(0);
    return r.Apply(ctx, plan, w);
  }

  /// Everything a human or a log could see of a plan.
  static std::string Visible(const ResourcePlan& p) {
    nlohmann::json j = {{"digest", p.desired_digest}, {"warnings", p.warnings}, {"details", p.details}};
    for (const auto& c : p.changes) {
      j["changes"].push_back({{"address", c.address}, {"reason", c.reason}, {"before", c.before}, {"after", c.after}});
    }
    if (p.error) j["error"] = p.error->message;
    return j.dump();
  }
  static std::string Visible(const Outcome& o) { return o.message + o.reason + o.details.dump(); }

  std::size_t MutatingCalls() const {
    std::size_t n = 0;
    for (const char* m : {"CreateContainer", "StartContainer", "StopContainer", "RemoveContainer", "CreateNetwork",
                          "ConnectNetwork", "DisconnectNetwork", "RemoveNetwork"}) {
      n += docker_.CallCount(m);
    }
    return n;
  }

  ironward::testing::TempDir dir_;
  state::StateWriter writer_{dir_.path()};
  FakeClock clock_;
  docker::FakeDocker docker_;
  spec::DesiredState desired_;
  Facts facts_;
  std::string ca_path_;
};

}  // namespace ironward::sandboxes::test_support
