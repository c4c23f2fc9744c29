// Facts flow along declared edges only: a reconciler that reads the facts of a resource it does
// not declare (DependsOn / AlsoReads), or publishes another resource's facts, fails loudly, naming
// itself and the resource, in Plan and in Apply alike, whether or not the fact is there.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include "controller/engine.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

/// A reconciler whose Plan and Apply run `body` on the facts it is given.
class FactsUser final : public Reconciler {
 public:
  using Body = std::function<void(FactsView&)>;
  FactsUser(std::string name, std::vector<std::string_view> depends_on, std::vector<std::string_view> also_reads,
            Body body)
      : name_(std::move(name)), depends_on_(std::move(depends_on)), also_reads_(std::move(also_reads)),
        body_(std::move(body)) {}
  std::string_view Name() const override { return name_; }
  std::vector<std::string_view> DependsOn() const override { return depends_on_; }
  std::vector<std::string_view> AlsoReads() const override { return also_reads_; }

 protected:
  ResourcePlan DoPlan(ReconcileContext& ctx, const ReadDeps&) override {
    body_(ctx.facts);
    ResourcePlan p;
    p.changes.push_back(Change{Action::kUpdate, name_ + ".x", "t", "drifted", false, {}, {}, {}});
    return p;
  }
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps&) override {
    body_(ctx.facts);
    return Outcome::Done(1);
  }

 private:
  std::string name_;
  std::vector<std::string_view> depends_on_;
  std::vector<std::string_view> also_reads_;
  Body body_;
};

const FactsUser::Body kReadsCa = [](FactsView& f) { (void)f.ca(); };

class FactsViewTest : public ::testing::Test {
 protected:
  /// What r.Plan threw ("" when it did not).
  std::string PlanError(Reconciler& r) {
    ReconcileContext ctx{desired_, facts_, true};
    try {
      r.Plan(ctx, ReadDeps{clock_, reader_});
    } catch (const std::logic_error& e) {
      return e.what();
    }
    return "";
  }
  /// What r.Apply threw ("" when it did not).
  std::string ApplyError(Reconciler& r) {
    ReconcileContext ctx{desired_, facts_, false};
    WriteDeps deps{clock_, writer_};
    try {
      r.Apply(ctx, ResourcePlan{}, deps);
    } catch (const std::logic_error& e) {
      return e.what();
    }
    return "";
  }

  testing::TempDir dir_;
  FakeClock clock_;
  state::StateReader reader_{dir_.path()};
  state::StateWriter writer_{dir_.path()};
  spec::DesiredState desired_ = testing::Desired(testing::kBaseYaml);
  Facts facts_;
};

TEST_F(FactsViewTest, AnUndeclaredReadIsAnErrorNamingReaderAndResourceEvenWhenTheFactIsAbsent) {
  FactsUser planted("enforcement", {"mappings", "secrets"}, {}, kReadsCa);
  const std::string expected =
      "enforcement reads the facts of \"ca\" but does not declare it: add \"ca\" to its DependsOn() (or "
      "AlsoReads() when it must not wait for ca to be Ready)";
  ASSERT_FALSE(facts_.ca.has_value());
  EXPECT_EQ(PlanError(planted), expected);
  facts_.ca = CaFacts{};
  EXPECT_EQ(PlanError(planted), expected);
  EXPECT_EQ(ApplyError(planted), expected) << "Apply is narrowed like Plan";
}

TEST_F(FactsViewTest, DeclaredFactsAndTheReadersOwnAreReadable) {
  facts_.ca = CaFacts{};
  facts_.ca->cert_path = "/state/ca.crt";
  std::string seen;
  const FactsUser::Body read = [&](FactsView& f) { seen = f.ca()->cert_path; };
  FactsUser depends("proxy_config", {"ca"}, {}, read);
  EXPECT_EQ(PlanError(depends), "");
  EXPECT_EQ(seen, "/state/ca.crt");
  seen.clear();
  FactsUser also("daemon", {}, {"ca"}, read);
  EXPECT_EQ(ApplyError(also), "");
  EXPECT_EQ(seen, "/state/ca.crt");
  FactsUser own("ca", {}, {}, [&](FactsView& f) {
    CaFacts other;
    other.cert_path = "/state/other.crt";
    f.Publish(other);
    seen = f.ca()->cert_path;
  });
  EXPECT_EQ(PlanError(own), "");
  EXPECT_EQ(seen, "/state/other.crt");
  EXPECT_EQ(facts_.ca->cert_path, "/state/other.crt") << "published into the pass's facts";
}

TEST_F(FactsViewTest, PublishingAnotherResourcesFactsIsAnError) {
  FactsUser ca("ca", {"network"}, {}, [](FactsView& f) { f.Publish(NetworkFacts{}); });
  EXPECT_EQ(PlanError(ca), "ca publishes the facts of \"network\", which only the network reconciler publishes");
  EXPECT_FALSE(facts_.network.has_value());
}

TEST_F(FactsViewTest, TheEngineReportsAnUndeclaredReadAsAFailedPlanOfThatResource) {
  std::vector<std::unique_ptr<Reconciler>> set;
  set.push_back(std::make_unique<FactsUser>("ca", std::vector<std::string_view>{}, std::vector<std::string_view>{},
                                            [](FactsView& f) { f.Publish(CaFacts{}); }));
  set.push_back(std::make_unique<FactsUser>("sandboxes", std::vector<std::string_view>{},
                                            std::vector<std::string_view>{}, kReadsCa));
  Engine engine(std::move(set));
  const RunResult run = engine.Plan(desired_, ReadDeps{clock_, reader_});
  const ResourceResult* planted = run.Find("sandboxes");
  ASSERT_NE(planted, nullptr);
  ASSERT_TRUE(planted->plan.error);
  EXPECT_NE(planted->plan.error->message.find("sandboxes reads the facts of \"ca\" but does not declare it"),
            std::string::npos)
      << planted->plan.error->message;
  EXPECT_EQ(run.failed, 1);
}

TEST_F(FactsViewTest, CodeOutsideAReconcilerSeesEveryFact) {
  facts_.network = NetworkFacts{};
  facts_.network->gateway = "10.0.0.1";
  FactsView all(facts_);
  EXPECT_EQ(all.network()->gateway, "10.0.0.1");
  all.Publish(SandboxFacts{});
  EXPECT_TRUE(facts_.sandboxes.has_value());
}

TEST_F(FactsViewTest, AlsoReadsIsOrderedLikeDependsOn) {
  const FactsUser::Body none = [](FactsView&) {};
  std::vector<std::unique_ptr<Reconciler>> late;
  late.push_back(std::make_unique<FactsUser>("proxy_config", std::vector<std::string_view>{},
                                             std::vector<std::string_view>{"secrets"}, none));
  late.push_back(std::make_unique<FactsUser>("secrets", std::vector<std::string_view>{},
                                             std::vector<std::string_view>{}, none));
  Status s = CheckDependencies(late, /*require_all=*/false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "proxy_config reads \"secrets\", which runs after it: its facts are never there in time");

  std::vector<std::unique_ptr<Reconciler>> misspelled;
  misspelled.push_back(std::make_unique<FactsUser>("proxy_config", std::vector<std::string_view>{},
                                                   std::vector<std::string_view>{"secrts"}, none));
  s = CheckDependencies(misspelled, /*require_all=*/true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "proxy_config reads \"secrts\", which is not a reconciler of this set (misspelled?)");
}

}  // namespace
}  // namespace ironward
