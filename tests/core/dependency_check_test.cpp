// The dependency graph is checked against the execution order: a dependency that runs later, or
// (in the production sets) one that names no reconciler, fails loudly instead of never blocking.
#include <gtest/gtest.h>

#include <stdexcept>

#include "controller/engine.h"
#include "reconcilers/teardown/teardown.h"

namespace ironward {
namespace {

class Named final : public Reconciler {
 public:
  Named(std::string name, std::vector<std::string_view> deps) : name_(std::move(name)), deps_(std::move(deps)) {}
  std::string_view Name() const override { return name_; }
  std::vector<std::string_view> DependsOn() const override { return deps_; }
  ResourcePlan DoPlan(ReconcileContext&, const ReadDeps&) override { return {}; }
  Outcome DoApply(ReconcileContext&, const ResourcePlan&, WriteDeps&) override { return Outcome::Done(0); }

 private:
  std::string name_;
  std::vector<std::string_view> deps_;
};

std::vector<std::unique_ptr<Reconciler>> Set(std::vector<std::pair<std::string, std::vector<std::string_view>>> spec) {
  std::vector<std::unique_ptr<Reconciler>> out;
  for (auto& [name, deps] : spec) out.push_back(std::make_unique<Named>(name, deps));
  return out;
}

TEST(DependencyCheckTest, TheProductionSetsAreInDependencyOrderWithEveryNameKnown) {
  EXPECT_NO_THROW(MakeReconcilers());
  const auto set = MakeReconcilers();
  EXPECT_TRUE(CheckDependencies(set, /*require_all=*/true).ok());
  for (bool purge : {false, true}) {
    const auto down = teardown::MakeTeardownReconcilers(purge);
    const Status s = CheckDependencies(down, /*require_all=*/true);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  }
}

TEST(DependencyCheckTest, AMisspelledDependencyIsCaughtInAFullSet) {
  const auto set = Set({{"network", {}}, {"daemon", {"netwrok"}}});
  const Status s = CheckDependencies(set, /*require_all=*/true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "daemon depends on \"netwrok\", which is not a reconciler of this set (misspelled?)");
  EXPECT_TRUE(CheckDependencies(set, /*require_all=*/false).ok()) << "a test engine may leave reconcilers out";
}

TEST(DependencyCheckTest, ADependencyThatRunsLaterStopsTheEngineAtConstruction) {
  auto set = Set({{"daemon", {"network"}}, {"network", {}}});
  try {
    Engine engine(std::move(set));
    FAIL() << "the engine accepted a dependency that runs after its dependent";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "daemon depends on \"network\", which runs after it: it can never be Ready in time");
  }
}

}  // namespace
}  // namespace ironward
