#include "controller/run/work_queue.h"

#include <gtest/gtest.h>

namespace ironward::run {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SteadyPoint kT0{};

TEST(WorkQueueTest, DuplicatesMergeIntoOneEntryWithTheEarliestDueTime) {
  WorkQueue q;
  q.Add("*", "desired state changed", kT0 + seconds(5));
  q.Add("*", "docker event", kT0 + seconds(1));
  q.Add("*", "docker event", kT0 + seconds(3));
  q.Add("daemon", "proxy exited", kT0 + seconds(2));
  EXPECT_EQ(q.size(), 2U);
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(1));
  auto due = q.TakeDue(kT0 + seconds(1));
  ASSERT_EQ(due.size(), 1U);
  EXPECT_EQ(due[0].resource, "*");
  EXPECT_EQ(due[0].reasons, (std::set<std::string>{"desired state changed", "docker event"}));
  EXPECT_EQ(q.size(), 1U);
  EXPECT_TRUE(q.TakeDue(kT0 + milliseconds(1999)).empty());
  EXPECT_EQ(q.TakeDue(kT0 + seconds(2)).size(), 1U);
  EXPECT_FALSE(q.NextDue().has_value());
}

TEST(WorkQueueTest, RetryBacksOffExponentiallyCappedAndResetsOnSuccess) {
  WorkQueue q(seconds(1), seconds(10));
  EXPECT_EQ(q.BackoffAfter(1), seconds(1));
  EXPECT_EQ(q.BackoffAfter(2), seconds(2));
  EXPECT_EQ(q.BackoffAfter(4), seconds(8));
  EXPECT_EQ(q.BackoffAfter(5), seconds(10));
  EXPECT_EQ(q.BackoffAfter(60), seconds(10));

  q.Record("ca", ResultKind::kRetry, milliseconds(0), "d1", kT0);
  q.Record("ca", ResultKind::kRetry, milliseconds(0), "d1", kT0);
  EXPECT_EQ(q.Failures("ca"), 2);
  auto holds = q.Holds(kT0 + seconds(1), "d1");
  ASSERT_EQ(holds.count("ca"), 1U);
  EXPECT_NE(holds["ca"].find("Held: backing off after 2 failure(s)"), std::string::npos) << holds["ca"];
  EXPECT_TRUE(q.Holds(kT0 + seconds(2), "d1").empty()) << "the window is over";
  // The two retries merged into one entry at the first window's end; a pass then that had to
  // hold the resource queues it again for the current window's end.
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(1));
  ASSERT_EQ(q.TakeDue(kT0 + seconds(1)).size(), 1U);
  q.Record("ca", ResultKind::kNotApplied, milliseconds(0), "d1", kT0 + seconds(1));
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(2));
  ASSERT_EQ(q.TakeDue(kT0 + seconds(2)).size(), 1U);
  q.Record("ca", ResultKind::kNotApplied, milliseconds(0), "d1", kT0 + seconds(2));
  EXPECT_FALSE(q.NextDue().has_value()) << "window over: nothing more to wait for";

  q.Record("ca", ResultKind::kSuccess, milliseconds(0), "d1", kT0 + seconds(3));
  EXPECT_EQ(q.Failures("ca"), 0);
  q.Record("ca", ResultKind::kRetry, milliseconds(0), "d1", kT0 + seconds(4));
  EXPECT_EQ(q.Failures("ca"), 1) << "success reset the count";
}

TEST(WorkQueueTest, TerminalErrorsWaitForADesiredStateChange) {
  WorkQueue q;
  q.Record("binary", ResultKind::kTerminal, milliseconds(0), "digest-a", kT0);
  EXPECT_EQ(q.Holds(kT0 + std::chrono::hours(24), "digest-a").count("binary"), 1U) << "time alone never releases it";
  EXPECT_TRUE(q.Holds(kT0, "digest-b").empty()) << "a new desired state does";
  EXPECT_FALSE(q.NextDue().has_value()) << "nothing is queued for a terminal error";
}

TEST(WorkQueueTest, RequeueAfterSchedulesWithoutCountingAFailure) {
  WorkQueue q;
  q.Record("ca", ResultKind::kRequeueAfter, seconds(30), "d", kT0);
  EXPECT_EQ(q.Failures("ca"), 0);
  EXPECT_TRUE(q.Holds(kT0, "d").empty());
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(30));
}

TEST(WorkQueueTest, SuccessWithAnAfterIsAScheduledRefresh) {
  WorkQueue q;
  q.Record("secrets", ResultKind::kSuccess, seconds(0), "d", kT0);
  EXPECT_FALSE(q.NextDue().has_value());
  q.Record("secrets", ResultKind::kSuccess, seconds(3600), "d", kT0);
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(3600));
}

// A failure that names its next attempt (the Bitwarden retry schedule: a 429's Retry-After of
// 10 s, later 30 s, 60 s) is retried exactly then; the loop's own 1 s doubling would have come
// back at 1, 3, 7, 15 s and fetched at 15 s instead of 10 s.
TEST(WorkQueueTest, RetryWithAnAfterIsRetriedThenNotOnTheLoopsBackOff) {
  WorkQueue q;
  q.Record("secrets", ResultKind::kRetry, seconds(10), "d", kT0);
  EXPECT_EQ(q.Failures("secrets"), 1);
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(10));
  EXPECT_EQ(q.Holds(kT0 + seconds(9), "d").count("secrets"), 1U) << "held until the resource's own time";
  EXPECT_TRUE(q.Holds(kT0 + seconds(10), "d").empty());
  ASSERT_EQ(q.TakeDue(kT0 + seconds(10)).size(), 1U);
  // Shorter than the loop's back-off after 6 failures (32 s): still the resource's time.
  for (int i = 0; i < 5; ++i) q.Record("secrets", ResultKind::kRetry, milliseconds(0), "d", kT0 + seconds(10));
  (void)q.TakeDue(kT0 + std::chrono::hours(1));
  q.Record("secrets", ResultKind::kRetry, seconds(3), "d", kT0 + seconds(20));
  EXPECT_EQ(q.Failures("secrets"), 7);
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(23));
  // Without an `after`, the loop's back-off as before.
  (void)q.TakeDue(kT0 + std::chrono::hours(1));
  q.Record("secrets", ResultKind::kRetry, milliseconds(0), "d", kT0 + seconds(30));
  EXPECT_EQ(*q.NextDue(), kT0 + seconds(30) + q.BackoffAfter(8));
}

TEST(WorkQueueTest, ClearHoldsReleasesBackOffAndTerminal) {
  WorkQueue q;
  q.Record("a", ResultKind::kRetry, milliseconds(0), "d", kT0);
  q.Record("b", ResultKind::kTerminal, milliseconds(0), "d", kT0);
  EXPECT_EQ(q.Holds(kT0, "d").size(), 2U);
  q.ClearHolds();
  EXPECT_TRUE(q.Holds(kT0, "d").empty());
}

TEST(WorkQueueTest, ClearBackoffEndsOneWindowAndKeepsTerminalHolds) {
  WorkQueue q;
  for (int i = 0; i < 9; ++i) q.Record("network", ResultKind::kRetry, milliseconds(0), "d", kT0);
  q.Record("sandboxes", ResultKind::kRetry, milliseconds(0), "d", kT0);
  q.Record("enforcement", ResultKind::kTerminal, milliseconds(0), "d", kT0);
  ASSERT_EQ(q.Holds(kT0, "d").size(), 3U);
  q.ClearBackoff("network");
  q.ClearBackoff("enforcement");
  q.ClearBackoff("never-seen");
  const auto holds = q.Holds(kT0, "d");
  EXPECT_EQ(holds.count("network"), 0U) << "its 4 min window is over";
  EXPECT_EQ(holds.count("sandboxes"), 1U) << "only the named resource";
  EXPECT_EQ(holds.count("enforcement"), 1U) << "a terminal hold waits for a new desired state";
}

TEST(WorkQueueTest, JitterStaysWithinTenPercent) {
  EXPECT_EQ(Jittered(seconds(600), 0.0), seconds(540));
  EXPECT_EQ(Jittered(seconds(600), 0.5), seconds(600));
  EXPECT_EQ(Jittered(seconds(600), 1.0), seconds(660));
  EXPECT_EQ(Jittered(seconds(600), 7.0), seconds(660)) << "clamped";
}

// What a pass of `run` checks (docs/sandboxes.md#drift-checks): everything on the drift-check
// cadence and when the list cannot show what happened; list-proven state otherwise.
TEST(WorkQueueTest, FullDriftCheckOnItsCadenceAndForWhatTheListCannotShow) {
  EXPECT_TRUE(NeedsFullDriftCheck({"desired state changed"}, /*first_pass=*/true));
  EXPECT_TRUE(NeedsFullDriftCheck({kDriftCheckReason}, false));
  EXPECT_TRUE(NeedsFullDriftCheck({"proxy exited", kDriftCheckReason}, false));
  EXPECT_TRUE(NeedsFullDriftCheck({kSighupReason}, false));
  EXPECT_TRUE(NeedsFullDriftCheck({kEngineBackReason}, false));
  EXPECT_TRUE(NeedsFullDriftCheck({std::string(kDockerEventReason) + "container update agent-1"}, false));
  EXPECT_TRUE(NeedsFullDriftCheck({std::string(kDockerEventReason) + "container create agent-1"}, false));

  EXPECT_FALSE(NeedsFullDriftCheck({"desired state changed"}, false));
  EXPECT_FALSE(NeedsFullDriftCheck({"proxy exited"}, false));
  EXPECT_FALSE(NeedsFullDriftCheck({"state dir changed: ca.crt"}, false));
  EXPECT_FALSE(NeedsFullDriftCheck({std::string(kDockerEventReason) + "container die agent-1"}, false));
  EXPECT_FALSE(NeedsFullDriftCheck({std::string(kDockerEventReason) + "container destroy agent-1"}, false));
  EXPECT_FALSE(NeedsFullDriftCheck({std::string(kDockerEventReason) + "network disconnect ironward-sandboxes"}, false));
}

TEST(RepeatedChangeDelayTest, ChangesThatKeepComingWaitLongerUpToTheCap) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const milliseconds cap(300000);
  EXPECT_EQ(RepeatedChangeDelay(milliseconds(0), std::chrono::hours(1), cap), milliseconds(0)) << "a first change: at once";
  milliseconds d(0);
  std::vector<long> seen;
  for (int i = 0; i < 12; ++i) {
    d = RepeatedChangeDelay(d, seconds(2), cap);
    seen.push_back(static_cast<long>(d.count() / 1000));
  }
  EXPECT_EQ(seen, (std::vector<long>{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300}));
  EXPECT_EQ(RepeatedChangeDelay(d, std::chrono::minutes(1), cap), milliseconds(0)) << "a quiet minute starts over";
}

}  // namespace
}  // namespace ironward::run
