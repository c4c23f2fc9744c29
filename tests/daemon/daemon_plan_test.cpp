// Pure decisions: reload vs restart per digest kind, pending facts, crash handling.
#include <gtest/gtest.h>

#include "reconcilers/daemon/daemon_plan.h"
#include "tests/fakes/fake_clock.h"

namespace ironward::daemon {
namespace {

using std::chrono::seconds;

Inputs Base() {
  return Inputs{"bin1", "cfg1", "lis1", "rule1", "ca1", "sec1", "", "key1", "info", {}, {}};
}

struct PlanCase : ::testing::Test {
  FakeClock clock;
  DesiredInputs want{Base(), {}};
  ObservedDaemon running;

  void SetUp() override {
    PidRecord r;
    r.pid = 4242;
    r.nonce = "n";
    r.starttime = 1;
    r.state = RecordState::kRunning;
    r.inputs = Base();
    running.record = r;
    running.liveness = Liveness::kAlive;
    Endpoints eps;
    eps.management = Endpoint{"127.0.0.1", 9094};
    running.endpoints = eps;
  }
  Decision Decide(const ObservedDaemon& o) { return daemon::Decide(want, o, clock.Now()); }
};

TEST_F(PlanCase, InSyncWhenEveryDigestMatches) { EXPECT_EQ(Decide(running).step, Step::kNone); }

TEST_F(PlanCase, NeverStartedIsCreate) {
  ObservedDaemon none;
  const Decision d = Decide(none);
  EXPECT_EQ(d.step, Step::kStart);
  EXPECT_EQ(d.reason, "not running (never started)");
  auto c = ToChange(d, want, none);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->action, Action::kCreate);
  EXPECT_EQ(c->address, "daemon.iron-proxy");
  EXPECT_EQ(c->type, "ironward_proxy_daemon");
}

TEST_F(PlanCase, TransformsOnlyIsReload) {
  want.inputs.ruleset_digest = "rule2";
  want.inputs.config_digest = "cfg2";
  const Decision d = Decide(running);
  EXPECT_EQ(d.step, Step::kReload);
  EXPECT_EQ(d.reason, "reload: transforms changed (ruleset digest rule1 -> rule2)");
  auto c = ToChange(d, want, running);
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_FALSE(c->disruptive);
}

TEST_F(PlanCase, TransformsWithoutManagementListenerIsRestart) {
  want.inputs.ruleset_digest = "rule2";
  running.endpoints->management.reset();
  EXPECT_EQ(Decide(running).step, Step::kRestart);
}

struct RestartKind {
  const char* name;
  void (*mutate)(Inputs*);
  const char* words;
};

TEST_F(PlanCase, RestartClassDigestsAreDisruptiveReplace) {
  const RestartKind kinds[] = {
      {"binary", [](Inputs* i) { i->binary_sha256 = "bin2"; }, "binary changed"},
      {"listeners", [](Inputs* i) { i->listeners_digest = "lis2"; }, "listeners changed"},
      {"log level", [](Inputs* i) { i->listeners_digest = "lis2"; i->log_level = "debug"; }, "log level changed (info -> debug)"},
      {"CA", [](Inputs* i) { i->ca_cert_digest = "ca2"; }, "CA changed"},
      {"secrets", [](Inputs* i) { i->secrets_digest = "sec2"; }, "secrets rotated"},
      {"upstream CA", [](Inputs* i) { i->env_digest = "env2"; }, "upstream CA (SSL_CERT_FILE) changed"},
      {"mgmt key", [](Inputs* i) { i->management_key_digest = "key2"; }, "management key changed"},
  };
  for (const auto& k : kinds) {
    want.inputs = Base();
    want.inputs.ruleset_digest = "rule2";  // a transform change rides along with the restart
    k.mutate(&want.inputs);
    const Decision d = Decide(running);
    EXPECT_EQ(d.step, Step::kRestart) << k.name;
    EXPECT_EQ(d.reason.rfind("restart: ", 0), 0u) << d.reason;
    EXPECT_NE(d.reason.find(k.words), std::string::npos) << k.name << ": " << d.reason;
    auto c = ToChange(d, want, running);
    EXPECT_EQ(c->action, Action::kReplace) << k.name;
    EXPECT_TRUE(c->disruptive) << k.name;
  }
}

TEST_F(PlanCase, UnhealthyRunningProcessIsRestarted) {
  running.unhealthy = "/healthz on 127.0.0.1:9 is not reachable";
  const Decision d = Decide(running);
  EXPECT_EQ(d.step, Step::kRestart);
  EXPECT_NE(d.reason.find("pid 4242 is unhealthy"), std::string::npos);
}

TEST_F(PlanCase, PendingFactsAreKnownAfterApply) {
  want.pending = {"CA", "config"};
  const Decision fresh = Decide(ObservedDaemon{});
  EXPECT_EQ(fresh.step, Step::kStart);
  EXPECT_NE(fresh.reason.find("known after apply: CA, config"), std::string::npos) << fresh.reason;
  auto c = ToChange(fresh, want, ObservedDaemon{});
  EXPECT_EQ(c->after["config"], kKnownAfterApply);

  const Decision d = Decide(running);
  EXPECT_EQ(d.step, Step::kRestart);
  EXPECT_NE(d.reason.find("(known after apply)"), std::string::npos) << d.reason;
}

TEST_F(PlanCase, FirstCrashRestartsAtOnceASecondIsCountedOnceAndWaitsOutTheBackoff) {
  ObservedDaemon crashed = running;
  crashed.liveness = Liveness::kGone;
  Decision d = Decide(crashed);
  EXPECT_TRUE(d.new_crash);
  EXPECT_EQ(d.step, Step::kStart);
  EXPECT_EQ(d.reason, "not running (crashed: pid 4242 gone, crash 1, back-off 0s)");
  EXPECT_EQ(d.wait, seconds(0));

  // Restarted, it dies again: crash 2 waits 1 s.
  crashed.crash = d.crash;
  d = Decide(crashed);
  EXPECT_TRUE(d.new_crash);
  EXPECT_EQ(d.step, Step::kWait);
  EXPECT_EQ(d.reason, "not running (crashed: pid 4242 gone, crash 2, back-off 1s); restart in 1s");
  EXPECT_EQ(d.wait, seconds(1));

  // Apply recorded it: pidfile says crashed, daemon.json counts 2.
  crashed.record->state = RecordState::kCrashed;
  crashed.crash = d.crash;
  d = Decide(crashed);
  EXPECT_FALSE(d.new_crash);
  EXPECT_EQ(d.step, Step::kWait);
  clock.Advance(seconds(1));
  d = Decide(crashed);
  EXPECT_EQ(d.step, Step::kStart);
  EXPECT_EQ(d.reason, "not running (crashed: pid 4242 gone, crash 2, back-off 1s)");
}

TEST_F(PlanCase, RecycledPidIsACrashNotARunningProxy) {
  ObservedDaemon recycled = running;
  recycled.liveness = Liveness::kRecycled;
  const Decision d = Decide(recycled);
  EXPECT_TRUE(d.new_crash);
  EXPECT_NE(d.reason.find("pid now belongs to another process"), std::string::npos);
}

TEST_F(PlanCase, FifthConsecutiveCrashIsACrashLoopRetriedAtTheMaximumBackoffForEver) {
  ObservedDaemon crashed = running;
  crashed.liveness = Liveness::kGone;
  for (int i = 0; i < 4; ++i) crashed.crash = RecordCrash(crashed.crash, clock.Now(), "x", Base().Digest());
  clock.Advance(seconds(600));
  const Decision d = Decide(crashed);
  EXPECT_EQ(d.step, Step::kStalled);
  EXPECT_TRUE(d.crash_loop);
  EXPECT_EQ(d.crash.consecutive, 5);
  EXPECT_EQ(d.wait, seconds(300)) << "from the 5th crash on, the maximum back-off";
  EXPECT_NE(d.reason.find("crash loop: 5 consecutive crashes, retried every 5m"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("next attempt in 5m"), std::string::npos) << d.reason;

  // Apply counted it. Inside the back-off: still Stalled; when it ends: a start, never a give-up.
  crashed.record->state = RecordState::kCrashed;
  crashed.crash = d.crash;
  clock.Advance(seconds(299));
  EXPECT_EQ(Decide(crashed).step, Step::kStalled);
  clock.Advance(seconds(1));
  const Decision retry = Decide(crashed);
  EXPECT_EQ(retry.step, Step::kStart);
  EXPECT_TRUE(retry.crash_loop);
  EXPECT_NE(retry.reason.find("retrying now"), std::string::npos) << retry.reason;
}

TEST_F(PlanCase, ChangedInputsAfterACrashLoopStartAtOnce) {
  ObservedDaemon crashed = running;
  crashed.liveness = Liveness::kGone;
  crashed.record->state = RecordState::kCrashed;
  for (int i = 0; i < 5; ++i) crashed.crash = RecordCrash(crashed.crash, clock.Now(), "x", Base().Digest());
  EXPECT_EQ(Decide(crashed).step, Step::kStalled);
  want.inputs.config_digest = "cfg-fixed";
  want.inputs.ruleset_digest = "rule-fixed";
  const Decision fixed = Decide(crashed);
  EXPECT_EQ(fixed.step, Step::kStart) << "a fixed config is not made to wait out the old loop: " << fixed.reason;
  EXPECT_FALSE(fixed.crash_loop);
}

TEST_F(PlanCase, RequestedStopIsNotACrash) {
  ObservedDaemon stopped = running;
  stopped.liveness = Liveness::kGone;
  stopped.record->state = RecordState::kStopping;
  const Decision d = Decide(stopped);
  EXPECT_FALSE(d.new_crash);
  EXPECT_EQ(d.step, Step::kStart);
  EXPECT_EQ(d.crash.consecutive, 0);
}

TEST_F(PlanCase, TenHealthyMinutesResetTheCrashCount) {
  running.crash = RecordCrash({}, clock.Now(), "x", "d");
  running.crash = RecordStarted(running.crash, clock.Now());
  clock.Advance(seconds(599));
  EXPECT_EQ(Decide(running).step, Step::kNone);
  clock.Advance(seconds(1));
  const Decision d = Decide(running);
  EXPECT_EQ(d.step, Step::kBookkeeping);
  EXPECT_EQ(d.crash.consecutive, 0);
  EXPECT_NE(d.reason.find("reset crash count 1 -> 0"), std::string::npos);
}

TEST_F(PlanCase, StraysAndLogRotationAreBookkeeping) {
  running.strays = {ProcessIdentity{777, "other", 5}};
  running.log_rotation_due = true;
  const Decision d = Decide(running);
  EXPECT_EQ(d.step, Step::kBookkeeping);
  EXPECT_NE(d.reason.find("stop stray iron-proxy pid 777"), std::string::npos);
  EXPECT_NE(d.reason.find("rotate iron-proxy.log"), std::string::npos);
}

}  // namespace
}  // namespace ironward::daemon
