// The sandboxes reconciler at scale: parallel creates (bounded, ordered recap, a failure never
// hiding the others, progress lines) and which containers Observe inspects under each DriftCheck.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "reconcilers/io/progress.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "tests/fakes/gated_docker.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test_support::kHome;

class SandboxParallelTest : public test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    Declare(10);
  }
  /// agent-1 .. agent-N, the fixture's sandbox under other names (no mounts: not the point here).
  void Declare(int n) {
    const spec::Sandbox base = desired_.spec.sandboxes.front();
    desired_.spec.sandboxes.clear();
    for (int i = 1; i <= n; ++i) {
      spec::Sandbox s = base;
      s.name = "agent-" + std::to_string(i);
      s.mounts.clear();
      desired_.spec.sandboxes.push_back(s);
    }
  }
  SandboxesOptions Options() {
    SandboxesOptions o{std::string(kHome), std::chrono::seconds(1)};
    o.progress = [this](std::string_view line, bool done) {
      std::lock_guard lock(lines_mu_);
      lines_.emplace_back(std::string(line) + (done ? " [done]" : ""));
    };
    return o;
  }
  ResourcePlan PlanAt(DriftCheck check) {
    Facts f = facts_;
    ReconcileContext ctx{desired_, f, true, check};
    return r_.Plan(ctx, Reads(&docker_));
  }
  bool Running(const std::string& name) {
    auto info = docker_.InspectContainer(name);
    return info.ok() && info->has_value() && (*info)->state.running;
  }

  SandboxesReconciler r_{Options()};
  std::mutex lines_mu_;
  std::vector<std::string> lines_;
};

TEST_F(SandboxParallelTest, OneFailingCreateNeitherStopsNorHidesTheOthersAndTheRecapKeepsSpecOrder) {
  docker::GatedDocker gated(docker_);
  gated.FailCreateOf("agent-3");
  gated.FailCreateOf("agent-7");
  // agent-3 fails last: its create waits until every other create has returned.
  gated.HoldCreateOf("agent-3");
  Outcome o;
  std::thread apply([&] { o = ApplyWith(r_, &gated); });
  const bool others_done = gated.WaitForCreatesDone(9);
  gated.OpenGate();
  apply.join();
  ASSERT_TRUE(others_done);
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal) << o.message;  // a refused create body is the operator's to fix
  EXPECT_EQ(o.changed, 8);
  for (int i = 1; i <= 10; ++i) {
    const std::string name = "agent-" + std::to_string(i);
    EXPECT_EQ(Running(name), i != 3 && i != 7) << name;
  }
  // Spec order, although agent-7 failed first.
  EXPECT_THAT(o.message, HasSubstr("2 sandbox(es) failed: agent-3: "));
  EXPECT_LT(o.message.find("agent-3:"), o.message.find("agent-7:"));
  std::lock_guard lock(lines_mu_);
  ASSERT_FALSE(lines_.empty());
  EXPECT_EQ(lines_.back(), "sandboxes: 10/10 done, 2 failed [done]");
}

TEST_F(SandboxParallelTest, CreatesRunWithTheConfiguredBoundInFlight) {
  desired_.spec.reconcile.parallelism = 3;
  docker::GatedDocker gated(docker_);
  gated.HoldCreates();
  Outcome o;
  std::thread apply([&] { o = ApplyWith(r_, &gated); });
  const bool three = gated.WaitForCreatesInFlight(3);
  gated.OpenGate();
  apply.join();
  ASSERT_TRUE(three) << "never 3 creates in flight at once";
  EXPECT_EQ(gated.max_creates_in_flight(), 3);
  EXPECT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(o.changed, 10);
  EXPECT_EQ(docker_.CallCount("CreateContainer"), 10U);
}

TEST_F(SandboxParallelTest, ParallelismOneCreatesOneAtATime) {
  desired_.spec.reconcile.parallelism = 1;
  docker::GatedDocker gated(docker_);
  Outcome o = ApplyWith(r_, &gated);
  EXPECT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(gated.max_creates_in_flight(), 1);
  EXPECT_EQ(o.changed, 10);
}

TEST_F(SandboxParallelTest, InSyncListEntriesAreNotInspectedBetweenDriftChecks) {
  ASSERT_EQ(ApplyWith(r_, &docker_).kind, Outcome::Kind::kDone);
  docker_.ClearCalls();
  ResourcePlan listed = PlanAt(DriftCheck::kListed);
  ASSERT_FALSE(listed.error) << listed.error->message;
  EXPECT_TRUE(listed.InSync()) << Visible(listed);
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 0U);
  EXPECT_EQ(docker_.CallCount("ListContainers"), 1U);
  EXPECT_EQ(listed.details["running"], 10);

  ResourcePlan full = PlanAt(DriftCheck::kFull);
  EXPECT_TRUE(full.InSync()) << Visible(full);
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 10U);
  EXPECT_EQ(full.observed_fingerprint, listed.observed_fingerprint);
}

TEST_F(SandboxParallelTest, AnEditOnlyAnInspectShowsWaitsForTheFullDriftCheck) {
  ASSERT_EQ(ApplyWith(r_, &docker_).kind, Outcome::Kind::kDone);
  // Same labels, image and network (the list entry looks in sync), but the limits were raised.
  docker::ContainerCreateSpec edited = *docker_.CreateSpecOf("agent-4");
  edited.host.memory *= 4;
  ASSERT_TRUE(docker_.RemoveContainer("agent-4", true).ok());
  docker_.AddContainer("agent-4", edited, true);
  EXPECT_TRUE(PlanAt(DriftCheck::kListed).InSync());
  ResourcePlan full = PlanAt(DriftCheck::kFull);
  ASSERT_EQ(full.changes.size(), 1U) << Visible(full);
  EXPECT_EQ(full.changes[0].action, Action::kReplace);
  EXPECT_THAT(full.changes[0].reason, HasSubstr("memory limit"));
}

TEST_F(SandboxParallelTest, WhatTheListCannotProveIsInspectedEvenBetweenDriftChecks) {
  ASSERT_EQ(ApplyWith(r_, &docker_).kind, Outcome::Kind::kDone);
  desired_.spec.sandboxes[5].env["TASK"] = "changed";  // agent-6's spec digest label is now stale
  ASSERT_TRUE(docker_.StopContainer("agent-9", std::chrono::seconds(1)).ok());  // not running: the list says so
  docker_.ClearCalls();
  ResourcePlan p = PlanAt(DriftCheck::kListed);
  ASSERT_EQ(p.changes.size(), 2U) << Visible(p);
  EXPECT_EQ(p.changes[0].address, ContainerAddress("agent-6"));
  EXPECT_THAT(p.changes[0].reason, HasSubstr("spec changed"));
  EXPECT_THAT(p.changes[0].reason, HasSubstr("env"));  // the field names come from the inspect
  EXPECT_EQ(p.changes[1].address, ContainerAddress("agent-9"));
  EXPECT_EQ(docker_.CallCount("InspectContainer"), 1U);
  EXPECT_EQ(docker_.calls().back().method, "InspectContainer");
}

TEST_F(SandboxParallelTest, AShortPassPrintsNoProgress) {
  Declare(3);
  ASSERT_EQ(ApplyWith(r_, &docker_).kind, Outcome::Kind::kDone);
  std::lock_guard lock(lines_mu_);
  EXPECT_TRUE(lines_.empty());
}

TEST(StepProgressTest, PlainLinesEachTenthTerminalLineEveryStep) {
  std::vector<std::string> plain, terminal;
  StepProgress p("sandboxes", 40, [&](std::string_view l, bool) { plain.emplace_back(l); }, false);
  StepProgress t("sandboxes", 40, [&](std::string_view l, bool) { terminal.emplace_back(l); }, true);
  for (int i = 0; i < 40; ++i) {
    p.StepDone(i == 2);
    t.StepDone(i == 2);
  }
  EXPECT_EQ(plain.size(), 10U);
  EXPECT_EQ(plain.front(), "sandboxes: 4/40 done, 1 failed");
  EXPECT_EQ(plain.back(), "sandboxes: 40/40 done, 1 failed");
  EXPECT_EQ(terminal.size(), 40U);
  EXPECT_EQ(terminal.front(), "sandboxes: 1/40 done");
}

}  // namespace
}  // namespace ironward::sandboxes
