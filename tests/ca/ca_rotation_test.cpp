// Staged CA rotation: phase transitions with their plan text, the converged-run gate read from
// status.json, dry runs, and kill -9 at every step (fault points) followed by normal passes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <set>

#include "state/status.h"
#include "tests/ca/ca_test_util.h"

namespace ironward::ca::testing {
namespace {

using std::chrono::hours;

class CaRotationTest : public CaFixture {
 protected:
  /// One reconcile pass of the CA as the engine runs it: plan, apply when there are changes,
  /// then (like RecordRun) status.json with the CA details and a "daemon" resource that was
  /// Ready (`others_ready`) or not.
  struct PassResult {
    ResourcePlan plan;
    Outcome outcome;
  };
  PassResult Pass(bool others_ready = true) {
    PassResult r;
    r.plan = Plan();
    EXPECT_FALSE(r.plan.error.has_value()) << r.plan.error->message;
    r.outcome = r.plan.changes.empty() ? Outcome::Done(0) : Apply(r.plan);
    EXPECT_EQ(r.outcome.kind, Outcome::Kind::kDone) << r.outcome.reason << ": " << r.outcome.message;
    Record(r.outcome.details.empty() ? r.plan.details : r.outcome.details, others_ready);
    return r;
  }
  void Record(const nlohmann::json& ca_details, bool others_ready) {
    state::StatusDoc doc;
    const std::string now = FormatRfc3339(clock_.Now());
    doc.resources["ca"].details = ca_details;
    doc.resources["ca"].SetCondition("Ready", "True", "Applied", "", now);
    doc.resources["daemon"].SetCondition("Ready", others_ready ? "True" : "False",
                                         others_ready ? "Applied" : "NotHealthy", "", now);
    doc.AddHistory({now, "d", "", 0.1, others_ready ? "converged" : "failed", 1, others_ready ? 0 : 1});
    ASSERT_TRUE(state::SaveStatus(writer_, doc).ok());
  }
  std::string Phase() const { return facts_.ca ? facts_.ca->rotation_phase : "?"; }
  std::string Fingerprint(const std::string& file) { return InfoOf(file).fingerprint_sha256; }
};

TEST_F(CaRotationTest, ThreeConvergedPassesCompleteARotation) {
  Pass();
  ASSERT_EQ(Phase(), "stable");
  const std::string a_crt = Read("ca.crt");
  const std::string a_key = Read("ca.key");
  EXPECT_EQ(Read("ca-trust.pem"), a_crt);
  Spec().rotation = 2;
  clock_.Advance(hours(1));

  // Pass 1: stage. The proxy keeps signing with A; sandboxes now trust A + B.
  PassResult p1 = Pass();
  ASSERT_EQ(p1.plan.changes.size(), 1U);
  EXPECT_EQ(p1.plan.changes[0].reason,
            "ca.rotation 1 -> 2: stage the next CA (old + new trusted; the proxy keeps signing with the old one)");
  EXPECT_EQ(p1.outcome.changed, 1);
  EXPECT_EQ(p1.outcome.after, kRotationRequeue);  // `ironward run` comes back for the next phase
  EXPECT_EQ(Read("ca.crt"), a_crt);
  EXPECT_EQ(Read("ca.key"), a_key);
  const std::string b_crt = Read("ca-next.crt");
  const std::string b_key = Read("ca-next.key");
  EXPECT_EQ(ModeOf(P("ca-next.key")), 0600U);
  EXPECT_EQ(ModeOf(P("ca-next.crt")), 0644U);
  EXPECT_EQ(InfoOf("ca-next.crt").rotation, 2);
  const std::string both = Read("ca-trust.pem");
  EXPECT_EQ(both, a_crt + b_crt);
  EXPECT_EQ(ModeOf(P("ca-trust.pem")), 0644U);
  EXPECT_EQ(Phase(), "staged");
  EXPECT_EQ(facts_.ca->cert_digest, Sha256Hex(a_crt));
  EXPECT_EQ(facts_.ca->trust_bundle_digest, Sha256Hex(both));
  EXPECT_EQ(facts_.ca->trust_bundle_path, P("ca-trust.pem").string());
  EXPECT_EQ(p1.outcome.details["rotation_phase"], "staged");
  EXPECT_EQ(p1.outcome.details["next_fingerprint_sha256"], Fingerprint("ca-next.crt"));
  EXPECT_EQ(p1.outcome.details["trust_bundle_digest"], Sha256Hex(both));

  // Pass 2: switch. The proxy restarts with B (its cert digest changes); the bundle bytes do
  // not, so sandboxes are not recycled again.
  PassResult p2 = Pass();
  ASSERT_EQ(p2.plan.changes.size(), 1U);
  EXPECT_TRUE(Contains(p2.plan.changes[0].reason,
                       "rotation 2 staged and the last run converged with old + new trusted: switch the proxy to "
                       "the next CA"))
      << p2.plan.changes[0].reason;
  EXPECT_TRUE(p2.plan.changes[0].disruptive);
  EXPECT_EQ(p2.plan.changes[0].after["rotation_phase"], "switched");
  EXPECT_EQ(Read("ca.crt"), b_crt);
  EXPECT_EQ(Read("ca.key"), b_key);
  EXPECT_EQ(Read("ca-prev.crt"), a_crt);
  EXPECT_EQ(Read("ca-prev.key"), a_key);
  EXPECT_EQ(ModeOf(P("ca-prev.key")), 0600U);
  EXPECT_EQ(ModeOf(P("ca.key")), 0600U);
  EXPECT_FALSE(Exists("ca-next.crt"));
  EXPECT_FALSE(Exists("ca-next.key"));
  EXPECT_EQ(Read("ca-trust.pem"), both);
  EXPECT_EQ(Phase(), "switched");
  EXPECT_EQ(facts_.ca->cert_digest, Sha256Hex(b_crt));
  EXPECT_EQ(facts_.ca->trust_bundle_digest, Sha256Hex(both));
  EXPECT_EQ(p2.outcome.details["previous_fingerprint_sha256"], Fingerprint("ca-prev.crt"));
  EXPECT_EQ(p2.outcome.after, kRotationRequeue);

  // Pass 3: drop. Bundle = B only; A archived, ca-prev.* gone.
  PassResult p3 = Pass();
  ASSERT_EQ(p3.plan.changes.size(), 1U);
  EXPECT_TRUE(Contains(p3.plan.changes[0].reason,
                       "rotation 2 switched and the last run converged on the new CA: drop the previous CA"))
      << p3.plan.changes[0].reason;
  EXPECT_EQ(Read("ca-trust.pem"), b_crt);
  EXPECT_FALSE(Exists("ca-prev.crt"));
  EXPECT_FALSE(Exists("ca-prev.key"));
  EXPECT_EQ(Read("ca-archive/ca-r1-20260101T010000Z.key"), a_key);
  EXPECT_EQ(Read("ca-archive/ca-r1-20260101T010000Z.crt"), a_crt);
  EXPECT_EQ(Phase(), "stable");
  EXPECT_EQ(p3.outcome.after, std::chrono::seconds(0));
  EXPECT_EQ(p3.outcome.details["rotation_phase"], "stable");

  // Pass 4: nothing left to do.
  PassResult p4 = Pass();
  EXPECT_TRUE(p4.plan.InSync());
  EXPECT_TRUE(p4.plan.warnings.empty());
  EXPECT_EQ(InfoOf("ca.crt").rotation, 2);
}

TEST_F(CaRotationTest, APassDoesNotAdvanceUnlessTheLastRunConvergedWithTheCurrentBundle) {
  Pass();
  Spec().rotation = 2;
  Pass(/*others_ready=*/false);  // stage applied, but the daemon (or a sandbox) was not Ready
  ASSERT_TRUE(Exists("ca-next.crt"));
  const auto staged = Snapshot(root_);

  ResourcePlan waiting = Plan();
  EXPECT_TRUE(waiting.InSync());
  ASSERT_EQ(waiting.warnings.size(), 1U);
  EXPECT_TRUE(Contains(waiting.warnings[0], "the switch waits: not Ready in the last run: daemon")) << waiting.warnings[0];
  EXPECT_EQ(Apply(waiting).changed, 0);
  EXPECT_EQ(Snapshot(root_), staged);

  // A converged run recorded before the stage (phase stable, old bundle) does not count either.
  Record({{"rotation_phase", "stable"}, {"trust_bundle_digest", Sha256Hex(Read("ca.crt"))}}, true);
  ResourcePlan stale = Plan();
  EXPECT_TRUE(stale.InSync());
  ASSERT_EQ(stale.warnings.size(), 1U);
  EXPECT_TRUE(Contains(stale.warnings[0], "the last run converged with phase stable")) << stale.warnings[0];

  // No status at all: never switch blind.
  fs::remove(P("status.json"));
  EXPECT_TRUE(Plan().InSync());

  Pass();  // converged with both trusted: recorded
  EXPECT_EQ(Plan().changes.size(), 1U);  // now the switch is planned
  Pass();  // switch
  ASSERT_TRUE(Exists("ca-prev.crt"));
  Record({{"rotation_phase", "switched"}}, false);
  ResourcePlan hold = Plan();
  EXPECT_TRUE(hold.InSync());
  ASSERT_EQ(hold.warnings.size(), 1U);
  EXPECT_TRUE(Contains(hold.warnings[0], "dropping it waits")) << hold.warnings[0];
}

TEST_F(CaRotationTest, DryRunsChangeNothingInAnyPhase) {
  Pass();
  Spec().rotation = 2;
  for (const char* phase : {"stable", "staged", "switched"}) {
    EXPECT_EQ(Phase(), phase);
    const auto before = Snapshot(root_);
    const ResourcePlan plan = Plan();
    EXPECT_EQ(plan.changes.size(), 1U) << phase;
    (void)Plan();
    EXPECT_EQ(Snapshot(root_), before) << phase;
    Pass();
  }
  EXPECT_EQ(Phase(), "stable");
}

TEST_F(CaRotationTest, BundleIsRepairedToWhatThePhaseSays) {
  Pass();
  Spec().rotation = 2;
  Pass();
  const std::string both = Read("ca-trust.pem");
  Write("ca-trust.pem", Read("ca.crt"), 0600);  // someone "fixed" it by hand
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "rewrite ca-trust.pem (staged: old + new CA)")) << plan.changes[0].reason;
  EXPECT_TRUE(plan.changes[0].disruptive);
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Read("ca-trust.pem"), both);
  EXPECT_EQ(ModeOf(P("ca-trust.pem")), 0644U);
}

TEST_F(CaRotationTest, ExpiredActiveCaSwitchesToTheStagedOneAtOnce) {
  Spec().validity = hours(30);
  Pass();
  Spec().rotation = 2;
  clock_.Advance(hours(10));
  Pass(false);  // staged; the gate stays closed
  const std::string b_crt = Read("ca-next.crt");
  clock_.Advance(hours(21));  // A expired, B still valid
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "CA expired at")) << plan.changes[0].reason;
  EXPECT_TRUE(Contains(plan.changes[0].reason, "switch to the staged next CA")) << plan.changes[0].reason;
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Read("ca.crt"), b_crt);
  EXPECT_EQ(Read("ca-trust.pem"), b_crt);  // an expired CA is not worth trusting
  EXPECT_FALSE(Exists("ca-prev.crt"));
  EXPECT_EQ(Phase(), "stable");
}

// --- kill -9 at every step ------------------------------------------------------------------

struct FaultCase {
  int pass;           ///< 0 stage, 1 switch, 2 drop
  const char* point;
};

class CaRotationFaultTest : public CaRotationTest, public ::testing::WithParamInterface<FaultCase> {};

/// Every private key anywhere in the state dir.
[[maybe_unused]] std::set<std::string> AllKeys(const fs::path& root) {
  std::set<std::string> keys;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".key") keys.insert(ReadRaw(e.path()));
  }
  return keys;
}

TEST_P(CaRotationFaultTest, KillAtEveryStepThenNormalPassesConverge) {
#ifndef IRONWARD_FAULT_POINTS
  GTEST_SKIP() << "needs -DIRONWARD_FAULT_POINTS=ON";
#else
  const FaultCase fc = GetParam();
  Pass();
  const std::string a_crt = Read("ca.crt");
  const std::string a_key = Read("ca.key");
  Spec().rotation = 2;
  for (int i = 0; i < fc.pass; ++i) Pass();

  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("IRONWARD_FAULT", fc.point, 1);
    (void)Apply(plan);
    ::_exit(3);  // the fault point was not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << fc.point << " was not hit";

  // Right after the kill: the old key is still on disk, the bundle still trusts the CA the
  // proxy was started with (A until a converged switched pass), and every CA the bundle trusts
  // has its key somewhere.
  const std::set<std::string> keys = AllKeys(root_);
  EXPECT_EQ(keys.count(a_key), 1U) << "the active key was lost at " << fc.point;
  if (fc.pass < 2) {
    EXPECT_TRUE(Contains(Read("ca-trust.pem"), a_crt)) << fc.point;
  }
  if (Exists("ca-next.crt") && Contains(Read("ca-trust.pem"), Read("ca-next.crt"))) {
    const std::string key = Exists("ca-next.key") ? Read("ca-next.key") : Read("ca.key");
    Result<CaInfo> next = ParseCa(Read("ca-next.crt"), key);
    EXPECT_TRUE(next.ok() && next->key_matches) << "a trusted next CA without its key at " << fc.point;
  }

  // A normal reconcile continues the rotation.
  for (int i = 0; i < 6 && (Phase() != "stable" || !Plan().InSync() || InfoOf("ca.crt").rotation != 2); ++i) Pass();
  EXPECT_TRUE(Plan().InSync()) << fc.point;
  EXPECT_EQ(Phase(), "stable") << fc.point;
  const CaInfo now = InfoOf("ca.crt");
  EXPECT_EQ(now.rotation, 2) << fc.point;
  Result<CaInfo> pair = ParseCa(Read("ca.crt"), Read("ca.key"));
  ASSERT_TRUE(pair.ok()) << fc.point;
  EXPECT_TRUE(pair->key_matches) << fc.point;
  EXPECT_EQ(Read("ca-trust.pem"), Read("ca.crt")) << fc.point;
  EXPECT_FALSE(Exists("ca-next.key") || Exists("ca-next.crt") || Exists("ca-prev.key") || Exists("ca-prev.crt"))
      << fc.point;
  EXPECT_EQ(AllKeys(root_).count(a_key), 1U) << "the old key is archived: " << fc.point;
  EXPECT_EQ(ModeOf(P("ca.key")), 0600U);
#endif
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CaRotationFaultTest,
    ::testing::Values(FaultCase{0, "write:ca-next.key:before-rename"}, FaultCase{0, "ca.rotation.after-next-key"},
                      FaultCase{0, "ca.rotation.after-next-cert"}, FaultCase{0, "write:ca-trust.pem:before-rename"},
                      FaultCase{1, "write:ca-prev.key:before-rename"}, FaultCase{1, "write:ca-prev.crt:before-rename"},
                      FaultCase{1, "ca.rotation.after-prev"}, FaultCase{1, "ca.rotation.after-switch-key"},
                      FaultCase{1, "ca.rotation.after-switch-cert"}, FaultCase{2, "ca.rotation.after-archive-prev"},
                      FaultCase{2, "ca.rotation.after-prev-key-removed"}, FaultCase{2, "ca.rotation.after-prev-removed"},
                      FaultCase{2, "write:ca-trust.pem:before-rename"}),
    [](const ::testing::TestParamInfo<FaultCase>& param) {
      std::string name = "Pass" + std::to_string(param.param.pass) + "_";
      for (const char* c = param.param.point; *c != '\0'; ++c) name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      return name;
    });

}  // namespace
}  // namespace ironward::ca::testing
