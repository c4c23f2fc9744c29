// The daemon's rule for rotated secrets: env delivery restarts the proxy, file delivery
// (combined digest "file:…", see reconcilers/secrets/secret_delivery.h) reloads it.
#include <gtest/gtest.h>

#include "reconcilers/daemon/daemon_plan.h"
#include "reconcilers/secrets/secret_delivery.h"
#include "tests/fakes/fake_clock.h"

namespace ironward::daemon {
namespace {

Inputs WithSecrets(const std::string& secrets_digest) {
  return Inputs{"bin1", "cfg1", "lis1", "rule1", "ca1", secrets_digest, "", "key1", "info", {}, {}};
}

ObservedDaemon RunningWith(const Inputs& inputs) {
  ObservedDaemon o;
  PidRecord r;
  r.pid = 4242;
  r.nonce = "n";
  r.starttime = 1;
  r.state = RecordState::kRunning;
  r.inputs = inputs;
  o.record = r;
  o.liveness = Liveness::kAlive;
  Endpoints eps;
  eps.management = Endpoint{"127.0.0.1", 9094};
  o.endpoints = eps;
  return o;
}

TEST(SecretDeliveryPlanTest, EnvDeliveredRotationRestarts) {
  FakeClock clock;
  const std::string a = secrets::CombinedDigest({{"K", "aaa"}}, false);
  const std::string b = secrets::CombinedDigest({{"K", "bbb"}}, false);
  const Decision d = Decide(DesiredInputs{WithSecrets(b), {}}, RunningWith(WithSecrets(a)), clock.Now());
  EXPECT_EQ(d.step, Step::kRestart);
  EXPECT_EQ(d.reason, "restart: secrets rotated");
}

TEST(SecretDeliveryPlanTest, FileDeliveredRotationReloads) {
  FakeClock clock;
  const std::string a = secrets::CombinedDigest({{"K", "aaa"}}, true);
  const std::string b = secrets::CombinedDigest({{"K", "bbb"}}, true);
  ASSERT_EQ(a.rfind("file:", 0), 0U);
  const DesiredInputs want{WithSecrets(b), {}};
  const ObservedDaemon running = RunningWith(WithSecrets(a));
  const Decision d = Decide(want, running, clock.Now());
  EXPECT_EQ(d.step, Step::kReload);
  EXPECT_EQ(d.reason, "reload: secrets rotated (secret files rewritten; the proxy re-reads them on reload)");
  auto c = ToChange(d, want, running);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_FALSE(c->disruptive);
}

TEST(SecretDeliveryPlanTest, SwitchingBetweenEnvAndFileDeliveryRestarts) {
  FakeClock clock;
  const std::string env = secrets::CombinedDigest({{"K", "aaa"}}, false);
  const std::string file = secrets::CombinedDigest({{"K", "aaa"}}, true);
  EXPECT_EQ(Decide(DesiredInputs{WithSecrets(file), {}}, RunningWith(WithSecrets(env)), clock.Now()).step,
            Step::kRestart);
}

TEST(SecretDeliveryPlanTest, FileDeliveredRotationWithoutManagementListenerRestarts) {
  FakeClock clock;
  ObservedDaemon running = RunningWith(WithSecrets(secrets::CombinedDigest({{"K", "aaa"}}, true)));
  running.endpoints->management.reset();
  const Decision d =
      Decide(DesiredInputs{WithSecrets(secrets::CombinedDigest({{"K", "bbb"}}, true)), {}}, running, clock.Now());
  EXPECT_EQ(d.step, Step::kRestart);
}

}  // namespace
}  // namespace ironward::daemon
