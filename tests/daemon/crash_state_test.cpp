#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "reconcilers/daemon/crash_state.h"
#include "reconcilers/daemon/exit_ledger.h"
#include "reconcilers/daemon/log_file.h"
#include "reconcilers/daemon/spawn.h"
#include "tests/fakes/fake_clock.h"

namespace ironward::daemon {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(CrashStateTest, FirstCrashRestartsAtOnceThenBackoffDoublesFromOneSecondAndCapsAtFiveMinutes) {
  const std::vector<long> want = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(BackoffAfter(static_cast<int>(i + 1)).count(), want[i]) << "crash " << i + 1;
  }
  EXPECT_EQ(BackoffAfter(0).count(), 0);
  EXPECT_EQ(BackoffAfter(1000).count(), 300);
}

TEST(CrashStateTest, RecordCrashCountsAndOpensTheBackoffWindow) {
  FakeClock clock;
  CrashState s;
  s = RecordCrash(s, clock.Now(), "pid gone", "inputs-a");
  EXPECT_EQ(s.consecutive, 1);
  EXPECT_EQ(RemainingBackoff(s, clock.Now()).count(), 0) << "the first crash is restarted at once";
  for (int i = 2; i <= 4; ++i) {
    s = RecordCrash(s, clock.Now(), "pid gone", "inputs-a");
    EXPECT_EQ(s.consecutive, i);
    EXPECT_EQ(RemainingBackoff(s, clock.Now()), BackoffAfter(i));
    clock.Advance(BackoffAfter(i) - seconds(1));
    EXPECT_EQ(RemainingBackoff(s, clock.Now()).count(), 1);
    clock.Advance(seconds(1));
    EXPECT_EQ(RemainingBackoff(s, clock.Now()).count(), 0);
  }
  EXPECT_FALSE(InCrashLoop(s, "inputs-a"));
  s = RecordCrash(s, clock.Now(), "pid gone", "inputs-a");
  EXPECT_TRUE(InCrashLoop(s, "inputs-a"));
  EXPECT_FALSE(InCrashLoop(s, "inputs-b")) << "changed inputs deserve a new attempt";
  s = RecordCrash(s, clock.Now(), "pid gone", "inputs-b");
  EXPECT_EQ(s.consecutive, 1) << "a crash with other inputs starts a new series";
}

TEST(CrashStateTest, ACrashLoopWaitsTheConfiguredMaximumEveryTime) {
  FakeClock clock;
  const CrashPolicy policy{5, seconds(30)};
  EXPECT_EQ(BackoffAfter(6, seconds(30)).count(), 16);
  EXPECT_EQ(BackoffAfter(7, seconds(30)).count(), 30) << "the doubling is capped at the configured maximum";
  EXPECT_EQ(BackoffAfter(40, std::chrono::hours(1)).count(), 3600);
  CrashState s;
  const std::vector<long> want = {0, 1, 2, 4, 30, 30, 30};  // from the 5th crash on: the maximum
  for (std::size_t i = 0; i < want.size(); ++i) {
    s = RecordCrash(s, clock.Now(), "pid gone", "inputs-a", policy);
    EXPECT_EQ(s.backoff.count(), want[i]) << "crash " << i + 1;
  }
  EXPECT_TRUE(InCrashLoop(s, "inputs-a", policy.threshold));
}

TEST(ExitLedgerTest, AReapedChildIsToldKilledBySignalOrExited) {
  auto child = [](int how) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (how < 0) ::raise(SIGKILL);
      ::_exit(how);
    }
    return pid;
  };
  const pid_t killed = child(-1);
  const pid_t exited = child(3);
  for (pid_t pid : {killed, exited}) {
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);  // exited, not reaped
  }
  RealProcesses processes;
  const auto k = processes.ReapIfExited(killed);
  const auto e = processes.ReapIfExited(exited);
  ASSERT_TRUE(k && e);
  EXPECT_FALSE(processes.ReapIfExited(killed)) << "reaped once";
  EXPECT_TRUE(k->signaled);
  EXPECT_EQ(k->Words(), "killed by SIGKILL");
  EXPECT_FALSE(e->signaled);
  EXPECT_EQ(e->Words(), "exited with code 3");
  EXPECT_FALSE(processes.ReapIfExited(1)) << "not our child";

  ExitLedger ledger;
  ledger.Record(killed, *k);
  EXPECT_EQ(ledger.Find(killed)->Words(), "killed by SIGKILL");
  EXPECT_FALSE(ledger.Find(exited));
  for (pid_t p = 100000; p < 100040; ++p) ledger.Record(p, *e);
  EXPECT_FALSE(ledger.Find(killed)) << "only the newest are kept";
}

TEST(CrashStateTest, CausesAreCountedPerSeries) {
  FakeClock clock;
  CrashState s = RecordCrash({}, clock.Now(), "x", "a", {}, CrashCause::kSignal);
  s = RecordCrash(s, clock.Now(), "x", "a", {}, CrashCause::kExit);
  s = RecordCrash(s, clock.Now(), "x", "a", {}, CrashCause::kSignal);
  EXPECT_EQ(s.killed_by_signal, 2);
  EXPECT_EQ(s.exited, 1);
  auto parsed = ParseCrashState(SerializeCrashState(s));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->killed_by_signal, 2);
  s = RecordCrash(s, clock.Now(), "x", "b", {}, CrashCause::kUnknown);
  EXPECT_EQ(s.killed_by_signal, 0) << "new inputs, new series";
  EXPECT_EQ(Reset(RecordCrash(s, clock.Now(), "x", "b", {}, CrashCause::kExit)).exited, 0);
}

TEST(CrashStateTest, ResetsOnlyAfterTenMinutesHealthy) {
  FakeClock clock;
  CrashState s = RecordCrash({}, clock.Now(), "x", "d");
  s = RecordCrash(s, clock.Now(), "x", "d");
  clock.Advance(seconds(2));
  s = RecordStarted(s, clock.Now());
  EXPECT_EQ(s.consecutive, 2) << "a successful start alone does not reset";
  clock.Advance(minutes(9) + seconds(59));
  EXPECT_FALSE(ResetDue(s, clock.Now(), true));
  clock.Advance(seconds(1));
  EXPECT_FALSE(ResetDue(s, clock.Now(), false)) << "only while healthy";
  EXPECT_TRUE(ResetDue(s, clock.Now(), true));
  s = Reset(s);
  EXPECT_EQ(s.consecutive, 0);
  EXPECT_EQ(RemainingBackoff(s, clock.Now()).count(), 0);
  EXPECT_EQ(BackoffAfter(1).count(), RecordCrash(s, clock.Now(), "x", "d").backoff.count());
}

TEST(CrashStateTest, RoundTripsThroughDaemonJson) {
  FakeClock clock;
  CrashState s = RecordCrash({}, clock.Now(), "crashed: pid 7 gone", "abc");
  s = RecordStarted(s, clock.Now() + seconds(5));
  auto parsed = ParseCrashState(SerializeCrashState(s));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, s);
  EXPECT_FALSE(ParseCrashState("{\"version\":2}").ok());
  EXPECT_FALSE(ParseCrashState("not json").ok());
}

TEST(CrashStateTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(seconds(4)), "4s");
  EXPECT_EQ(FormatDuration(seconds(128)), "2m8s");
  EXPECT_EQ(FormatDuration(seconds(300)), "5m");
}

TEST(DaemonEnvironmentTest, HoldsExactlyTheAllowedVariables) {
  EnvInputs in{"/var/lib/ironward", "IRONWARD_MANAGEMENT_KEY", "k3y", "n0nce", {{"OPENAI_API_KEY", "v"}}, ""};
  auto env = BuildEnvironment(in);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, (std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/var/lib/ironward/proxy-home",
                                            "LANG=C.UTF-8", "IRONWARD_MANAGEMENT_KEY=k3y",
                                            "IRONWARD_PROXY_NONCE=n0nce", "OPENAI_API_KEY=v"}));
  in.upstream_ca_file = "/etc/corp-ca.pem";
  EXPECT_EQ(BuildEnvironment(in)->back(), "SSL_CERT_FILE=/etc/corp-ca.pem");
}

TEST(DaemonEnvironmentTest, RefusesSecretNamesThatWouldOverrideOurs) {
  for (const char* bad : {"PATH", "HOME", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                          "no_proxy", "ALL_PROXY", "IRON_ENROLLMENT_TOKEN", "IRONWARD_PROXY_NONCE",
                          "OTEL_EXPORTER_OTLP_ENDPOINT", "LD_PRELOAD", "1BAD", "A-B", ""}) {
    EnvInputs in{"/s", "IRONWARD_MANAGEMENT_KEY", "k", "n", {{bad, "super-secret-value"}}, ""};
    auto env = BuildEnvironment(in);
    ASSERT_FALSE(env.ok()) << bad;
    EXPECT_EQ(env.error().message.find("super-secret-value"), std::string::npos);
  }
}

TEST(DaemonLogTest, TailScrubsKnownSecretValues) {
  const std::string tail = FormatTail({"line one", "oops sk-live-123456 leaked"}, {"sk-live-123456"});
  EXPECT_EQ(tail.find("sk-live-123456"), std::string::npos);
  EXPECT_NE(tail.find("line one\noops (sensitive"), std::string::npos);
}

}  // namespace
}  // namespace ironward::daemon
