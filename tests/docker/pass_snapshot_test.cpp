// PassSnapshot / PassSnapshotApi: one container list per snapshot serving every label filter the
// reconcilers use, inspects remembered, everything forgotten after a write; and the bounded
// parallel inspects.
#include "reconcilers/docker/pass_snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/fakes/fake_docker.h"
#include "tests/fakes/gated_docker.h"

namespace ironward::docker {
namespace {

using ::testing::HasSubstr;

ContainerCreateSpec WithLabels(Labels labels) {
  ContainerCreateSpec s;
  s.image = "local/agent:latest";
  s.labels = std::move(labels);
  return s;
}

std::set<std::string> Ids(const std::vector<ContainerSummary>& list) {
  std::set<std::string> out;
  for (const auto& c : list) out.insert(c.id);
  return out;
}

class PassSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddContainer("agent-1", WithLabels({{"ironward.dev/owner", "prod"}, {"ironward.dev/policed", "true"}}), true);
    fake_.AddContainer("agent-2", WithLabels({{"ironward.dev/owner", "prod"}}), false);  // created, not running
    fake_.AddContainer("web", WithLabels({{"ironward.dev/policed", "true"}}), true);
    fake_.AddContainer("other", WithLabels({{"ironward.dev/owner", "staging"}}), true);
    fake_.AddContainer("plain", WithLabels({}), true);
  }
  FakeDocker fake_;
};

TEST_F(PassSnapshotTest, OneListAnswersEveryLabelFilterLikeTheEngine) {
  // What the readers of a pass ask: network (owner, running), sandboxes (everything),
  // enforcement (the selector, a key alone, and wired-by).
  const std::vector<std::pair<Filters, bool>> asks = {
      {LabelFilter({{"ironward.dev/owner", "prod"}}), false},
      {{}, true},
      {{{"label", {"ironward.dev/policed=true"}}}, false},
      {{{"label", {"ironward.dev/policed"}}}, true},
      {{{"label", {"ironward.dev/owner=prod", "ironward.dev/policed=true"}}}, false},
      {LabelFilter({{"ironward.dev/wired-by", "prod"}}), false},
  };
  std::vector<std::set<std::string>> direct;
  for (const auto& [filters, all] : asks) direct.push_back(Ids(*fake_.ListContainers(filters, all)));
  fake_.ClearCalls();

  PassSnapshot snapshot(fake_);
  for (std::size_t i = 0; i < asks.size(); ++i) {
    auto listed = snapshot.ListContainers(asks[i].first, asks[i].second);
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    EXPECT_EQ(Ids(*listed), direct[i]) << "ask " << i;
  }
  EXPECT_EQ(fake_.CallCount("ListContainers"), 1U);
  EXPECT_EQ(snapshot.lists(), 1U);
  EXPECT_EQ(direct[0].size(), 1U);  // the filters did filter: agent-1 only
  EXPECT_EQ(direct[1].size(), 5U);
}

TEST_F(PassSnapshotTest, AFilterOtherThanLabelsGoesToTheEngine) {
  PassSnapshot snapshot(fake_);
  ASSERT_TRUE(snapshot.ListContainers({{"status", {"created"}}}, true).ok());
  auto again = snapshot.ListContainers({{"status", {"created"}}}, true);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1U);
  EXPECT_EQ(again->front().name, "agent-2");
  EXPECT_EQ(fake_.CallCount("ListContainers"), 2U);
}

TEST_F(PassSnapshotTest, AWriteMakesTheNextReadSeeTheEngineAgain) {
  PassSnapshotApi api(fake_);
  const Filters ours = LabelFilter({{"ironward.dev/owner", "prod"}});
  ASSERT_EQ(api.ListContainers(ours, true)->size(), 2U);
  auto created = api.CreateContainer("agent-3", WithLabels({{"ironward.dev/owner", "prod"}}));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(api.ListContainers(ours, true)->size(), 3U);  // sees what it created
  EXPECT_EQ(api.ListContainers(ours, true)->size(), 3U);  // and lists once per write, not per read
  ASSERT_TRUE(api.RemoveContainer("agent-1", true).ok());
  auto after = api.ListContainers(ours, true);
  ASSERT_EQ(after->size(), 2U);  // sees what it removed
  for (const auto& c : *after) EXPECT_NE(c.name, "agent-1");
  EXPECT_EQ(fake_.CallCount("ListContainers"), 3U);
}

TEST_F(PassSnapshotTest, InspectsAreRememberedUntilAWrite) {
  PassSnapshotApi api(fake_);
  ASSERT_TRUE(api.InspectContainer("agent-1")->has_value());
  ASSERT_TRUE((*api.InspectContainer("agent-1"))->state.running);
  EXPECT_EQ(fake_.CallCount("InspectContainer"), 1U);
  ASSERT_TRUE(api.StopContainer("agent-1", std::chrono::seconds(1)).ok());
  auto stopped = api.InspectContainer("agent-1");
  ASSERT_TRUE(stopped.ok() && stopped->has_value());
  EXPECT_FALSE((*stopped)->state.running);
  EXPECT_EQ(fake_.CallCount("InspectContainer"), 2U);
}

TEST_F(PassSnapshotTest, AFailedListIsNotRemembered) {
  PassSnapshot snapshot(fake_);
  fake_.InjectError("ListContainers", Error::Transient("engine hiccup"));
  auto failed = snapshot.ListContainers({}, true);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error().message, HasSubstr("engine hiccup"));
  auto listed = snapshot.ListContainers({}, true);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 5U);
}

TEST_F(PassSnapshotTest, ParallelInspectsKeepTheBoundAndTheOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(fake_.AddContainer("box-" + std::to_string(i), WithLabels({}), true));
  ids.push_back("no-such-container");
  GatedDocker gated(fake_);
  gated.HoldInspects();
  std::vector<Result<std::optional<ContainerInfo>>> results;
  std::thread worker([&] { results = InspectContainers(gated, ids, 4); });
  const bool four = gated.WaitForInspectsInFlight(4);
  gated.OpenGate();
  worker.join();
  ASSERT_TRUE(four) << "never 4 inspects in flight at once";
  EXPECT_EQ(gated.max_inspects_in_flight(), 4);
  ASSERT_EQ(results.size(), ids.size());
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    ASSERT_TRUE(results[i].ok() && results[i]->has_value());
    EXPECT_EQ((*results[i])->name, "box-" + std::to_string(i));
  }
  ASSERT_TRUE(results.back().ok());
  EXPECT_FALSE(results.back()->has_value());  // missing: nullopt, in its own slot
}

TEST_F(PassSnapshotTest, ParallelismOneIsOneAtATime) {
  std::vector<std::string> ids = {"agent-1", "web", "other", "plain"};
  GatedDocker gated(fake_);
  auto results = InspectContainers(gated, ids, 1);
  EXPECT_EQ(gated.max_inspects_in_flight(), 1);
  ASSERT_EQ(results.size(), 4U);
  EXPECT_EQ((*results[1])->name, "web");
}

}  // namespace
}  // namespace ironward::docker
