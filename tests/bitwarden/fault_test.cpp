// Every fault mode of the server double: classification, Retry-After, recovery, and the number of
// attempts a RefreshSchedule makes over a simulated hour (no hot loop).
#include <gtest/gtest.h>

#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/bitwarden/refresh_schedule.h"
#include "tests/bitwarden/client_fixture.h"

namespace ironward::bwtest {
namespace {

using BitwardenFaultTest = BitwardenDoubleTest;

TEST_F(BitwardenFaultTest, Persistent401IsTerminalAfterOneReLogin) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "401"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("401 even after a fresh login"), std::string::npos) << r.error().message;
  EXPECT_EQ(double_.Count("identity"), 2);
  EXPECT_EQ(double_.Count("project_secrets"), 2);
}

TEST_F(BitwardenFaultTest, Single401RecoversWithinTheSameFetch) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "401"}, {"times", 1}}), 200);
  auto r = Fetch(*client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(ValueOf(*r, "OPENROUTER_API_KEY"), kValueA);
  EXPECT_EQ(double_.Count("identity"), 2);
}

TEST_F(BitwardenFaultTest, RateLimitIsTransientWithRetryAfter) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "429"}, {"retry_after", 17}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("HTTP 429: Slow down! Too many requests. Try again in 17s."), std::string::npos)
      << r.error().message;
  EXPECT_EQ(client->last_retry_after(), std::chrono::seconds(17));
  EXPECT_EQ(double_.Count("get_by_ids"), 0);

  ASSERT_EQ(double_.Admin("fault", {{"mode", "none"}}), 200);
  ASSERT_TRUE(Fetch(*client).ok());
  EXPECT_EQ(client->last_retry_after(), std::nullopt);  // cleared by the next call
}

TEST_F(BitwardenFaultTest, RateLimitedLoginIsTransientWithRetryAfter) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "429"}, {"retry_after", 60}, {"scope", "identity"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(client->last_retry_after(), std::chrono::seconds(60));
  EXPECT_EQ(double_.Count("project_secrets"), 0);
}

TEST_F(BitwardenFaultTest, ServerErrorIsTransient) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("HTTP 500"), std::string::npos);
  EXPECT_EQ(client->last_retry_after(), std::nullopt);
}

TEST_F(BitwardenFaultTest, SlowServerTimesOutAsTransient) {
  auto client = MakeClient(nullptr, kToken, std::chrono::milliseconds(300));
  ASSERT_TRUE(Fetch(*client).ok());
  ASSERT_EQ(double_.Admin("fault", {{"mode", "slow"}, {"delay_ms", 1500}}), 200);
  const auto start = std::chrono::steady_clock::now();
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
  ASSERT_EQ(double_.Admin("fault", {{"mode", "slow"}, {"delay_ms", 50}}), 200);
  EXPECT_TRUE(Fetch(*client).ok());  // slow but within the timeout
}

TEST_F(BitwardenFaultTest, GarbageJsonIsTransient) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "garbage"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("not JSON"), std::string::npos) << r.error().message;
}

TEST_F(BitwardenFaultTest, GarbageLoginResponseIsTransient) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "garbage"}, {"scope", "identity"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("identity login"), std::string::npos);
}

TEST_F(BitwardenFaultTest, BadMacIsTransientNamesTheSecretAndForcesAFreshLogin) {
  bw::MemoryLoginCacheStore cache;
  auto client = MakeClient(&cache);
  ASSERT_EQ(double_.Admin("fault", {{"mode", "badmac"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_TRUE(bw::IsMacMismatch(r.error())) << r.error().message;
  EXPECT_NE(r.error().message.find("decrypting its value"), std::string::npos);
  EXPECT_EQ(double_.Count("identity"), 1);

  ASSERT_EQ(double_.Admin("fault", {{"mode", "none"}}), 200);
  auto again = Fetch(*client);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(double_.Count("identity"), 2);  // neither the session nor the cache was trusted
}

// --- A simulated hour per fault: RefreshSchedule + real client + double, fake clock in 1 s steps.

struct HourResult {
  int attempts = 0;
  bool stopped = false;
};

class BitwardenScheduleHourTest : public BitwardenDoubleTest {
 protected:
  HourResult RunHour(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto client = MakeClient(nullptr, kToken, timeout);
    bw::RefreshPolicy policy;
    policy.refresh_interval = std::chrono::hours(1);
    policy.retry_interval = std::chrono::seconds(30);
    bw::RefreshSchedule schedule(clock_, policy, [] { return 0.5; });
    HourResult out;
    for (int t = 0; t < 3600; ++t) {
      if (schedule.Due()) {
        ++out.attempts;
        auto r = Fetch(*client);
        if (r) {
          schedule.OnSuccess();
        } else {
          schedule.OnFailure(r.error(), client->last_retry_after());
        }
      }
      clock_.Advance(std::chrono::seconds(1));
    }
    out.stopped = schedule.stopped();
    return out;
  }
};

TEST_F(BitwardenScheduleHourTest, HealthyServerIsFetchedOncePerHour) {
  const HourResult h = RunHour();
  EXPECT_EQ(h.attempts, 1);
  EXPECT_EQ(double_.Count("project_secrets"), 1);
}

TEST_F(BitwardenScheduleHourTest, Persistent401StopsAfterOneAttempt) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "401"}}), 200);
  const HourResult h = RunHour();
  EXPECT_EQ(h.attempts, 1);
  EXPECT_TRUE(h.stopped);
  EXPECT_EQ(double_.Count("identity"), 2);
}

// Back-off 30, 60, 120, ... s: attempts at t = 0, 30, 90, 210, 450, 930, 1890 (next 3810).
TEST_F(BitwardenScheduleHourTest, ServerErrorsBackOffExponentially) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  const HourResult h = RunHour();
  EXPECT_EQ(h.attempts, 7);
  EXPECT_FALSE(h.stopped);
  EXPECT_EQ(double_.Count("project_secrets"), 7);
  EXPECT_EQ(double_.Count("identity"), 1);
}

// Retry-After 120 s dominates the first back-off steps: t = 0, 120, 240, 360, 600, 1080, 2040.
TEST_F(BitwardenScheduleHourTest, RateLimitHonoursRetryAfter) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "429"}, {"retry_after", 120}}), 200);
  const HourResult h = RunHour();
  EXPECT_EQ(h.attempts, 7);
  EXPECT_EQ(double_.Count("project_secrets"), 7);
}

TEST_F(BitwardenScheduleHourTest, SlowServerBacksOff) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "slow"}, {"delay_ms", 600}}), 200);
  const HourResult h = RunHour(std::chrono::milliseconds(200));
  EXPECT_EQ(h.attempts, 7);
}

TEST_F(BitwardenScheduleHourTest, GarbageBacksOff) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "garbage"}}), 200);
  EXPECT_EQ(RunHour().attempts, 7);
}

TEST_F(BitwardenScheduleHourTest, BadMacBacksOffWithOneLoginPerAttempt) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "badmac"}}), 200);
  EXPECT_EQ(RunHour().attempts, 7);
  EXPECT_EQ(double_.Count("identity"), 7);
  EXPECT_EQ(double_.Count("get_by_ids"), 7);
}

// The grep itself must be able to fail.
TEST(BitwardenSecretGrepTest, DetectsAPlantedSecret) {
  const auto leaked = LeakedSecrets("oops: value=" + kValueA + " leaked", {kValueA, kValueB});
  ASSERT_EQ(leaked.size(), 1U);
  EXPECT_EQ(leaked[0], SensitiveLabel(kValueA));
  EXPECT_TRUE(LeakedSecrets("bitwarden project x: HTTP 500", {kValueA}).empty());
}

}  // namespace
}  // namespace ironward::bwtest
