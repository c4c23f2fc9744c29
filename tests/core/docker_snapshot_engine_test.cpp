// The engine's one Docker snapshot per pass, with the three real readers of the container list
// (network, sandboxes, enforcement) on FakeDocker: one list per no-op pass, and a pass that
// creates sandboxes sees them afterwards (each write invalidates the snapshot).
#include <gtest/gtest.h>

#include <functional>

#include "controller/engine.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/sandboxes/enforcement_reconciler.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "tests/network/fake_firewall.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward {
namespace {

/// Stands in for an upstream resource: publishes the facts it would, changes nothing.
class StubFacts final : public Reconciler {
 public:
  StubFacts(std::string name, std::function<void(FactsView&)> publish)
      : name_(std::move(name)), publish_(std::move(publish)) {}
  std::string_view Name() const override { return name_; }
  ResourcePlan DoPlan(ReconcileContext& ctx, const ReadDeps&) override {
    publish_(ctx.facts);
    return ResourcePlan{};
  }
  Outcome DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps&) override { return Outcome::Done(0); }

 private:
  std::string name_;
  std::function<void(FactsView&)> publish_;
};

class DockerSnapshotEngineTest : public sandboxes::test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    desired_.spec.enforcement.mode = spec::EnforcementMode::kWarn;  // the policed container is only reported
    desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
    desired_.spec.sandboxes.push_back(desired_.spec.sandboxes.front());
    desired_.spec.sandboxes.back().name = "agent-2";
    desired_.spec.sandboxes.back().mounts.clear();
    facts_.config->bind_address = "172.30.99.1";  // the sandbox network's gateway
    // Someone else's container the enforcement selector polices (inspected each pass).
    docker::ContainerCreateSpec web;
    web.image = "nginx";
    web.labels = {{"ironward.dev/policed", "true"}};
    docker_.AddContainer("web", web, true);
  }
  std::vector<std::unique_ptr<Reconciler>> Reconcilers() {
    std::vector<std::unique_ptr<Reconciler>> v;
    const Facts f = facts_;
    v.push_back(std::make_unique<StubFacts>("ca", [f](FactsView& fv) { fv.Publish(*f.ca); }));
    v.push_back(std::make_unique<StubFacts>("mappings", [f](FactsView& fv) { fv.Publish(*f.mappings); }));
    v.push_back(std::make_unique<StubFacts>("secrets", [f](FactsView& fv) { fv.Publish(*f.secrets); }));
    v.push_back(std::make_unique<network::NetworkReconciler>());
    v.push_back(std::make_unique<StubFacts>("proxy_config", [f](FactsView& fv) { fv.Publish(*f.config); }));
    v.push_back(std::make_unique<sandboxes::SandboxesReconciler>(
        sandboxes::SandboxesOptions{std::string(sandboxes::test_support::kHome), std::chrono::seconds(1)}));
    v.push_back(std::make_unique<sandboxes::EnforcementReconciler>());
    return v;
  }
  ReadDeps Reads() { return ReadDeps{clock_, writer_, nullptr, nullptr, &docker_, &firewall_}; }
  WriteDeps Writes() { return WriteDeps{clock_, writer_, nullptr, nullptr, &docker_, &firewall_}; }

  netfilter::FakeFirewall firewall_;
};

TEST_F(DockerSnapshotEngineTest, AConvergingPassSeesWhatItCreatedAndANoOpPassListsOnce) {
  Engine engine(Reconcilers());
  WriteDeps w = Writes();
  RunResult applied = engine.Apply(desired_, w);
  ASSERT_FALSE(applied.HasErrors()) << sandboxes::test_support::SandboxFixture::Visible(
      applied.Find("sandboxes")->plan);
  const ResourceResult* sb = applied.Find("sandboxes");
  ASSERT_TRUE(sb->outcome);
  EXPECT_EQ(sb->outcome->changed, 2);
  // The details come from the re-observe after the creates: a snapshot not invalidated by them
  // would still say 0.
  EXPECT_EQ(sb->outcome->details["running"], 2);

  docker_.ClearCalls();
  RunResult plan = engine.Plan(desired_, Reads());
  EXPECT_FALSE(plan.HasChanges());
  EXPECT_FALSE(plan.HasErrors());
  // network (ours, running), sandboxes (all), enforcement (selector, wired-by): one list.
  EXPECT_EQ(docker_.CallCount("ListContainers"), 1U);
  // Every running sandbox and the policed container, each once (one-shot: a full drift check).
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 3U);

  // The same three plans without the engine's snapshot list four times.
  docker_.ClearCalls();
  Facts facts;
  ReconcileContext ctx{desired_, facts, true};
  for (auto& r : Reconcilers()) r->Plan(ctx, Reads());
  EXPECT_EQ(docker_.CallCount("ListContainers"), 4U);
}

TEST_F(DockerSnapshotEngineTest, ApplyOptionsCarryTheDriftCheckToTheReconcilers) {
  Engine engine(Reconcilers());
  WriteDeps w = Writes();
  ASSERT_FALSE(engine.Apply(desired_, w).HasErrors());
  docker_.ClearCalls();
  ApplyOptions listed;
  listed.drift_check = DriftCheck::kListed;
  RunResult run = engine.Apply(desired_, w, listed);
  EXPECT_EQ(run.changed, 0);
  EXPECT_EQ(docker_.CallCount("ListContainers"), 1U);
  // The sandboxes' list entries prove them in sync: only the policed container is inspected.
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 1U);
}

}  // namespace
}  // namespace ironward
