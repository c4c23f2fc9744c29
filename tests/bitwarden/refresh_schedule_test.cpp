// RefreshSchedule with a fake clock: jitter, back-off, Retry-After, terminal stop, reset.
#include <gtest/gtest.h>

#include <set>

#include "reconcilers/bitwarden/refresh_schedule.h"
#include "tests/bitwarden/test_support.h"

namespace ironward::bw {
namespace {

using std::chrono::seconds;

RefreshPolicy Policy() {
  RefreshPolicy p;
  p.refresh_interval = std::chrono::hours(1);
  p.retry_interval = seconds(30);
  return p;
}

seconds Wait(const RefreshSchedule& s) {
  return std::chrono::duration_cast<seconds>(*s.TimeUntilNext());
}

TEST(RefreshScheduleTest, FirstFetchIsDueAtOnce) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshSchedule s(clock, Policy());
  EXPECT_TRUE(s.Due());
  EXPECT_EQ(Wait(s), seconds(0));
}

TEST(RefreshScheduleTest, SuccessWaitsTheRefreshIntervalWithTenPercentJitter) {
  FakeClock clock{std::chrono::system_clock::now()};
  double r = 0.0;
  RefreshSchedule s(clock, Policy(), [&r] { return r; });
  s.OnSuccess();
  EXPECT_EQ(Wait(s), seconds(3240));
  r = 0.5;
  s.OnSuccess();
  EXPECT_EQ(Wait(s), seconds(3600));
  r = 0.999999;
  s.OnSuccess();
  EXPECT_EQ(Wait(s), seconds(3959));
  EXPECT_FALSE(s.Due());
  clock.Advance(seconds(3960));
  EXPECT_TRUE(s.Due());
}

TEST(RefreshScheduleTest, DefaultRandomStaysWithinJitterAndVaries) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshSchedule s(clock, Policy());
  std::set<long long> waits;
  for (int i = 0; i < 200; ++i) {
    s.OnSuccess();
    const auto w = Wait(s);
    EXPECT_GE(w, seconds(3240));
    EXPECT_LE(w, seconds(3960));
    waits.insert(w.count());
  }
  EXPECT_GT(waits.size(), 10U);
}

TEST(RefreshScheduleTest, TransientFailuresBackOffExponentiallyUpToTheRefreshInterval) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshSchedule s(clock, Policy(), [] { return 0.5; });
  const std::vector<long long> expected = {30, 60, 120, 240, 480, 960, 1920, 3600, 3600};
  for (long long e : expected) {
    s.OnFailure(Error::Transient("HTTP 500"));
    EXPECT_EQ(Wait(s), seconds(e));
  }
  EXPECT_EQ(s.consecutive_failures(), 9);
  s.OnSuccess();
  EXPECT_EQ(s.consecutive_failures(), 0);
  s.OnFailure(Error::Transient("HTTP 500"));
  EXPECT_EQ(Wait(s), seconds(30));  // success reset the back-off
}

TEST(RefreshScheduleTest, RetryAfterIsNeverUndercut) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshSchedule s(clock, Policy());
  s.OnFailure(Error::Transient("HTTP 429"), seconds(600));
  EXPECT_EQ(Wait(s), seconds(600));
  s.OnFailure(Error::Transient("HTTP 429"), seconds(5));
  EXPECT_EQ(Wait(s), seconds(60));  // back-off is longer than Retry-After
  s.OnFailure(Error::Transient("HTTP 429"), seconds(7200));
  EXPECT_EQ(Wait(s), seconds(7200));  // honoured even beyond the refresh interval
  s.OnFailure(Error::Transient("HTTP 429"), seconds(10 * 24 * 3600));
  EXPECT_EQ(Wait(s), seconds(24 * 3600));  // but capped at max_retry_after
}

TEST(RefreshScheduleTest, TerminalErrorsStopUntilReset) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshSchedule s(clock, Policy());
  s.OnFailure(Error::Terminal("HTTP 403"));
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.stop_reason(), "HTTP 403");
  EXPECT_EQ(s.next_attempt(), std::nullopt);
  clock.Advance(std::chrono::hours(24 * 30));
  EXPECT_FALSE(s.Due());
  s.Reset();
  EXPECT_TRUE(s.Due());
  EXPECT_FALSE(s.stopped());
  s.OnFailure(Error::Invalid("projectId must be a UUID"));
  EXPECT_TRUE(s.stopped());
}

TEST(RefreshScheduleTest, RetryIntervalLongerThanRefreshIsCapped) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshPolicy p;
  p.refresh_interval = seconds(60);
  p.retry_interval = seconds(600);
  RefreshSchedule s(clock, p);
  s.OnFailure(Error::Transient("x"));
  EXPECT_EQ(Wait(s), seconds(60));
}

// Attempts over one simulated hour (1 s steps) for a fetch that always returns `outcome`.
int AttemptsPerHour(const Error* outcome, std::optional<seconds> retry_after = std::nullopt) {
  FakeClock clock{std::chrono::system_clock::now()};
  RefreshSchedule s(clock, Policy(), [] { return 0.5; });
  int attempts = 0;
  for (int t = 0; t < 3600; ++t) {
    if (s.Due()) {
      ++attempts;
      outcome == nullptr ? s.OnSuccess() : s.OnFailure(*outcome, retry_after);
    }
    clock.Advance(seconds(1));
  }
  return attempts;
}

TEST(RefreshScheduleTest, NoHotLoopOverASimulatedHour) {
  const Error transient = Error::Transient("timeout");
  const Error terminal = Error::Terminal("HTTP 401 even after a fresh login");
  EXPECT_EQ(AttemptsPerHour(nullptr), 1);
  EXPECT_EQ(AttemptsPerHour(&transient), 7);
  EXPECT_EQ(AttemptsPerHour(&transient, seconds(1)), 7);
  EXPECT_EQ(AttemptsPerHour(&transient, seconds(900)), 4);  // t = 0, 900, 1800, 2700
  EXPECT_EQ(AttemptsPerHour(&terminal), 1);
}

}  // namespace
}  // namespace ironward::bw
