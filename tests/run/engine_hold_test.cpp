// The Engine options the run loop relies on: held resources are planned but not applied (their
// dependents wait, their status conditions stay), and RequeueAfter is not waited out inline.
#include "controller/engine.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

/// Always wants one change; counts applies; returns `outcome`.
class CountingReconciler final : public Reconciler {
 public:
  CountingReconciler(std::string name, std::vector<std::string_view> deps, Outcome outcome)
      : name_(std::move(name)), deps_(std::move(deps)), outcome_(std::move(outcome)) {}
  std::string_view Name() const override { return name_; }
  std::vector<std::string_view> DependsOn() const override { return deps_; }
  ResourcePlan DoPlan(ReconcileContext&, const ReadDeps&) override {
    ResourcePlan p;
    p.desired_digest = "d-" + name_;
    p.changes.push_back(Change{Action::kUpdate, name_ + ".x", "t", "drifted", false, {}, {}, {}});
    return p;
  }
  Outcome DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps&) override {
    ++*applies;
    return outcome_;
  }
  std::shared_ptr<int> applies = std::make_shared<int>(0);

 private:
  std::string name_;
  std::vector<std::string_view> deps_;
  Outcome outcome_;
};

TEST(EngineHoldTest, HeldResourcesArePlannedNotAppliedAndKeepTheirConditions) {
  testing::TempDir dir;
  FakeClock clock;
  state::StateWriter writer(dir.path());
  auto a = std::make_unique<CountingReconciler>("a", std::vector<std::string_view>{}, Outcome::Done(1));
  auto b = std::make_unique<CountingReconciler>("b", std::vector<std::string_view>{"a"}, Outcome::Done(1));
  auto a_applies = a->applies;
  auto b_applies = b->applies;
  std::vector<std::unique_ptr<Reconciler>> v;
  v.push_back(std::move(a));
  v.push_back(std::move(b));
  Engine engine(std::move(v));
  const auto desired = testing::Desired(testing::kBaseYaml);
  WriteDeps deps{clock, writer};

  ApplyOptions options;
  options.hold["a"] = std::string(kHeldPrefix) + "backing off after 2 failure(s); next attempt in 3s";
  const RunResult run = engine.Apply(desired, deps, options);
  EXPECT_EQ(*a_applies, 0);
  EXPECT_EQ(*b_applies, 0) << "the dependent of a held resource waits";
  ASSERT_TRUE(run.Find("a")->skipped);
  EXPECT_EQ(run.Find("a")->plan.changes.size(), 1U) << "still planned and reported";
  EXPECT_NE(run.Find("b")->skip_reason.find("DependencyNotReady"), std::string::npos);

  state::StatusDoc doc;
  doc.resources["a"].SetCondition("Ready", "False", "DownloadFailed", "timeout", "t0");
  RecordRun(doc, desired, run, "t1", "");
  EXPECT_EQ(doc.resources["a"].Find("Ready")->reason, "DownloadFailed") << "the failure that caused the hold stays";
  EXPECT_EQ(doc.resources["b"].Find("Ready")->reason, "DependencyNotReady");

  // Without the hold both apply: the one-shot path is unchanged.
  engine.Apply(desired, deps);
  EXPECT_EQ(*a_applies, 1);
  EXPECT_EQ(*b_applies, 1);
}

TEST(EngineHoldTest, RequeueAfterIsNotWaitedOutInlineWhenTheLoopSchedulesIt) {
  testing::TempDir dir;
  FakeClock clock;
  state::StateWriter writer(dir.path());
  const Outcome requeue = Outcome::RequeueAfter(std::chrono::seconds(2), "Waiting", "wait 2 s");
  auto r = std::make_unique<CountingReconciler>("r", std::vector<std::string_view>{}, requeue);
  auto applies = r->applies;
  std::vector<std::unique_ptr<Reconciler>> v;
  v.push_back(std::move(r));
  Engine engine(std::move(v));
  WriteDeps deps{clock, writer};
  ApplyOptions options;
  options.inline_requeue_wait = false;
  const auto start = std::chrono::steady_clock::now();
  const RunResult run = engine.Apply(testing::Desired(testing::kBaseYaml), deps, options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(*applies, 1);
  EXPECT_EQ(run.Find("r")->outcome->kind, Outcome::Kind::kRequeueAfter);
}

}  // namespace
}  // namespace ironward
