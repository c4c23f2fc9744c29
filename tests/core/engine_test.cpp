#include "controller/engine.h"

#include <gtest/gtest.h>

#include "controller/plan_output.h"
#include "reconcilers/io/host_info.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/proxy_config_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/snapshot.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using testing::Desired;
using testing::Snapshot;
using testing::TempDir;

/// Fails every plan: stands in for a resource whose observation breaks.
class BrokenReconciler final : public Reconciler {
 public:
  explicit BrokenReconciler(std::string reason = "") : reason_(std::move(reason)) {}
  std::string_view Name() const override { return "mappings"; }
  ResourcePlan DoPlan(ReconcileContext&, const ReadDeps&) override {
    ResourcePlan p;
    p.error = Error::Transient("engine down");
    p.error_reason = reason_;
    return p;
  }
  Outcome DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps&) override {
    ADD_FAILURE() << "Apply must not run after a failed plan";
    return Outcome::Done(0);
  }

 private:
  std::string reason_;
};

/// Throws from Plan: the engine's catch-all turns it into a counted failure.
class ThrowingReconciler final : public Reconciler {
 public:
  std::string_view Name() const override { return "thrower"; }
  ResourcePlan DoPlan(ReconcileContext&, const ReadDeps&) override { throw std::runtime_error("boom"); }
  Outcome DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps&) override { return Outcome::Done(0); }
};

/// Records the context each plan saw.
class ContextProbe final : public Reconciler {
 public:
  std::string_view Name() const override { return "probe"; }
  ResourcePlan DoPlan(ReconcileContext& ctx, const ReadDeps&) override {
    seen.push_back(ctx.drift_check);
    return {};
  }
  Outcome DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps&) override { return Outcome::Done(0); }
  std::vector<DriftCheck> seen;
};

class EngineTest : public ::testing::Test {
 protected:
  static std::vector<std::unique_ptr<Reconciler>> FileReconcilers() {
    std::vector<std::unique_ptr<Reconciler>> v;
    v.push_back(std::make_unique<MappingsReconciler>());
    v.push_back(std::make_unique<ProxyConfigReconciler>());
    return v;
  }
  RunResult Plan(Engine& e, const spec::DesiredState& d) {
    state::StateReader reader(dir_.path());
    return e.Plan(d, ReadDeps{clock_, reader, nullptr, &host_});
  }
  RunResult Apply(Engine& e, const spec::DesiredState& d) {
    WriteDeps deps{clock_, writer_, nullptr, &host_};
    return e.Apply(d, deps);
  }

  TempDir dir_;
  FakeClock clock_;
  RealHostInfo host_;
  state::StateWriter writer_{dir_.path()};
};

TEST_F(EngineTest, DryRunLeavesTheStateDirectoryByteIdentical) {
  Engine engine(FileReconcilers());
  const auto d = Desired(testing::kBaseYaml);
  const auto empty = Snapshot(dir_.path());
  auto run = Plan(engine, d);
  EXPECT_TRUE(run.HasChanges());
  EXPECT_EQ(Snapshot(dir_.path()), empty);

  Apply(engine, d);
  const auto applied = Snapshot(dir_.path());
  // drift, then a dry run: still byte-identical
  ::chmod((dir_.path() / "proxy.yaml").c_str(), 0644);
  const auto drifted = Snapshot(dir_.path());
  run = Plan(engine, Desired(std::string(testing::kBaseYaml) + "  tokens:\n    rotation: 2\n"));
  EXPECT_TRUE(run.HasChanges());
  EXPECT_EQ(Snapshot(dir_.path()), drifted);
  EXPECT_NE(applied, drifted);
}

TEST_F(EngineTest, TheDriftCheckAskedForReachesTheReconcilersAndOneShotsInspect) {
  auto probe = std::make_unique<ContextProbe>();
  ContextProbe* seen = probe.get();
  std::vector<std::unique_ptr<Reconciler>> v;
  v.push_back(std::move(probe));
  Engine engine(std::move(v));
  const auto d = Desired(testing::kBaseYaml);
  WriteDeps deps{clock_, writer_, nullptr, &host_};
  engine.Apply(d, deps);
  ApplyOptions full;
  full.drift_check = DriftCheck::kFull;
  engine.Apply(d, deps, full);
  Plan(engine, d);
  EXPECT_EQ(seen->seen, (std::vector<DriftCheck>{DriftCheck::kInspect, DriftCheck::kFull, DriftCheck::kInspect}));
}

TEST_F(EngineTest, ApplyTwiceReportsNoChangesTheSecondTime) {
  Engine engine(FileReconcilers());
  const auto d = Desired(testing::kBaseYaml);
  auto first = Apply(engine, d);
  EXPECT_EQ(first.changed, 2);
  EXPECT_EQ(first.failed, 0);
  auto second = Apply(engine, d);
  EXPECT_EQ(second.changed, 0);
  EXPECT_EQ(second.ok, 2);
  EXPECT_FALSE(Plan(engine, d).HasChanges());
}

TEST_F(EngineTest, SuspendPlansButChangesNothing) {
  Engine engine(FileReconcilers());
  const auto d = Desired(std::string(testing::kBaseYaml) + "  reconcile:\n    suspend: true\n");
  const auto before = Snapshot(dir_.path());
  const auto run = Apply(engine, d);
  EXPECT_EQ(run.skipped, 2);
  EXPECT_EQ(run.changed, 0);
  EXPECT_NE(run.resources[0].skip_reason.find("Suspended"), std::string::npos);
  EXPECT_EQ(Snapshot(dir_.path()), before);
}

TEST_F(EngineTest, FailedDependencySkipsDownstreamAndIsRecordedAsNotReady) {
  std::vector<std::unique_ptr<Reconciler>> v;
  v.push_back(std::make_unique<BrokenReconciler>());
  v.push_back(std::make_unique<ProxyConfigReconciler>());
  v.push_back(std::make_unique<ThrowingReconciler>());
  Engine engine(std::move(v));
  const auto d = Desired(testing::kBaseYaml);
  const auto run = Apply(engine, d);
  EXPECT_EQ(run.failed, 2);
  EXPECT_EQ(run.skipped, 1);
  EXPECT_NE(run.resources[1].skip_reason.find("waiting for mappings"), std::string::npos);
  EXPECT_NE(run.resources[2].plan.error->message.find("boom"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "proxy.yaml"));

  state::StatusDoc doc;
  RecordRun(doc, d, run, "2026-01-01T00:00:00Z", "");
  EXPECT_FALSE(doc.resources["mappings"].Ready());
  EXPECT_EQ(doc.resources["mappings"].Find("Reconciling")->reason, "ProgressingWithRetry");
  EXPECT_EQ(doc.resources["proxy_config"].Find("Ready")->reason, "DependencyNotReady");
  EXPECT_EQ(doc.history.back().result, "failed");
  EXPECT_EQ(doc.resources["mappings"].Find("Ready")->reason, "ObserveFailed") << "a plan error without a reason";
}

TEST_F(EngineTest, APlanErrorKeepsTheReasonItsReconcilerNamed) {
  std::vector<std::unique_ptr<Reconciler>> v;
  v.push_back(std::make_unique<BrokenReconciler>("BitwardenRefused"));
  Engine engine(std::move(v));
  const auto d = Desired(testing::kBaseYaml);
  const auto run = Apply(engine, d);
  ASSERT_EQ(run.failed, 1);
  ASSERT_TRUE(run.resources[0].outcome);
  EXPECT_EQ(run.resources[0].outcome->reason, "BitwardenRefused");
  state::StatusDoc doc;
  RecordRun(doc, d, run, "2026-01-01T00:00:00Z", "");
  EXPECT_EQ(doc.resources["mappings"].Find("Ready")->reason, "BitwardenRefused");
}

TEST_F(EngineTest, RecordRunSetsReadyAndObservedDigestOnSuccess) {
  Engine engine(FileReconcilers());
  const auto d = Desired(testing::kBaseYaml);
  const auto run = Apply(engine, d);
  state::StatusDoc doc;
  RecordRun(doc, d, run, "t1", "abc123");
  ASSERT_TRUE(doc.resources["mappings"].Ready());
  EXPECT_FALSE(doc.resources["proxy_config"].observed_digest.empty());
  EXPECT_EQ(doc.resources["proxy_config"].observed_digest, doc.resources["proxy_config"].last_applied_digest);
  EXPECT_EQ(doc.history.back().revision, "abc123");
  EXPECT_EQ(doc.desired_digest, d.digest);
}

TEST_F(EngineTest, TextPlanHasOneLinePerChangeAndTheTerraformFooter) {
  Engine engine(FileReconcilers());
  const auto d = Desired(testing::kBaseYaml);
  const auto text = RenderPlanText(d, Plan(engine, d), OutputStyle{});
  EXPECT_NE(text.find("  + mappings.token[\"openai\"] (ironward_proxy_token): provider 'openai' has no proxy token yet"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Plan: 3 to add, 0 to change, 0 to destroy."), std::string::npos) << text;
  Apply(engine, d);
  const auto synced = RenderPlanText(d, Plan(engine, d), OutputStyle{});
  EXPECT_NE(synced.find("No changes. Actual state matches the desired state."), std::string::npos);

  const auto rotated = Desired(std::string(testing::kBaseYaml) + "  tokens:\n    rotation: 2\n");
  const auto rot = RenderPlanText(rotated, Plan(engine, rotated), OutputStyle{});
  EXPECT_NE(rot.find("-/+ mappings.token[\"openai\"]"), std::string::npos) << rot;
  EXPECT_NE(rot.find("[disruptive]"), std::string::npos);
  EXPECT_NE(rot.find("tokens.rotation 1 -> 2"), std::string::npos);
}

TEST_F(EngineTest, JsonPlanFollowsTheContract) {
  Engine engine(FileReconcilers());
  const auto d = Desired(testing::kBaseYaml);
  const auto j = RenderPlanJson(d, Plan(engine, d));
  EXPECT_EQ(j["format_version"], "1.1");
  EXPECT_EQ(j["desired_digest"], d.digest);
  ASSERT_TRUE(j["resource_changes"].is_array());
  ASSERT_EQ(j["resource_changes"].size(), 3U);
  for (const auto& c : j["resource_changes"]) {
    for (const char* key : {"address", "type", "actions", "action_reason", "before", "after"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
    EXPECT_EQ(c["actions"], nlohmann::json::array({"create"}));
  }
  Apply(engine, d);
  const auto synced = RenderPlanJson(d, Plan(engine, d));
  for (const auto& c : synced["resource_changes"]) EXPECT_EQ(c["actions"], nlohmann::json::array({"no-op"}));
}

}  // namespace
}  // namespace ironward
