// CaReconciler plans: what each on-disk state plans, and that planning never writes.
#include "tests/ca/ca_test_util.h"

namespace ironward::ca::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class CaReconcilerTest : public CaFixture {};

TEST_F(CaReconcilerTest, PlansCreateWhenMissingWithoutTouchingDisk) {
  ResourcePlan plan = Plan();
  ASSERT_FALSE(plan.error.has_value());
  EXPECT_EQ(plan.resource, "ca");
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_EQ(plan.changes[0].address, "ca.local");
  EXPECT_FALSE(plan.changes[0].disruptive);
  EXPECT_EQ(plan.changes[0].after["algorithm"], "ecdsa-p256");
  EXPECT_EQ(plan.changes[0].after["fingerprint_sha256"], kKnownAfterApply);
  ASSERT_TRUE(facts_.ca.has_value());
  EXPECT_TRUE(facts_.ca->pending);
  EXPECT_EQ(facts_.ca->fingerprint_sha256, "");
  EXPECT_EQ(facts_.ca->cert_path, P("ca.crt").string());
  EXPECT_FALSE(fs::exists(root_));  // a plan does not even create the state dir
}

TEST_F(CaReconcilerTest, KeepsValidCaAcrossApplies) {
  const ResourcePlan first = Plan();
  Outcome out = Apply(first);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_EQ(out.changed, 1);
  EXPECT_EQ(ModeOf(P("ca.key")), 0600U);
  EXPECT_EQ(ModeOf(P("ca.crt")), 0644U);
  const CaInfo info = InfoOf("ca.crt");
  EXPECT_EQ(info.rotation, 1);
  EXPECT_EQ(info.common_name, "ironward egress CA (test-gw)");
  ASSERT_TRUE(facts_.ca.has_value());
  EXPECT_FALSE(facts_.ca->pending);
  EXPECT_EQ(facts_.ca->fingerprint_sha256, info.fingerprint_sha256);
  EXPECT_EQ(facts_.ca->cert_digest, Sha256Hex(Read("ca.crt")));

  const auto before = Snapshot(root_);
  ResourcePlan second = Plan();
  EXPECT_TRUE(second.InSync());
  EXPECT_TRUE(second.warnings.empty());
  EXPECT_EQ(facts_.ca->fingerprint_sha256, info.fingerprint_sha256);
  EXPECT_EQ(Apply(second).changed, 0);
  EXPECT_EQ(Apply(first).changed, 0);  // re-applying the old create plan is a no-op too
  clock_.Advance(hours(24 * 30));
  EXPECT_TRUE(Plan().InSync());
  EXPECT_EQ(Snapshot(root_), before);
}

TEST_F(CaReconcilerTest, DryRunLeavesDirectoryByteIdentical) {
  Converge();
  auto check = [&](const char* label) {
    const auto before = Snapshot(root_);
    (void)Plan();
    (void)Plan();
    EXPECT_EQ(Snapshot(root_), before) << label;
  };
  check("in sync");
  Spec().rotation = 2;
  check("rotation bump");
  ::chmod(P("ca.key").c_str(), 0640);
  check("wrong mode");
  Write("ca.crt", "garbage", 0644);
  check("garbage");
}

TEST_F(CaReconcilerTest, ReplacesGarbageCertificate) {
  Converge();
  Write("ca.crt", "not a certificate\n", 0644);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_TRUE(plan.changes[0].disruptive);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "ca.crt is unreadable")) << plan.changes[0].reason;
  EXPECT_TRUE(facts_.ca->pending);
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(CaReconcilerTest, ReplacesMismatchedKey) {
  Converge();
  Write("ca.key", Mint(1).key_pem, 0600);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_TRUE(plan.changes[0].disruptive);
  EXPECT_EQ(plan.changes[0].reason, "ca.key does not match ca.crt");
  ASSERT_EQ(Apply(plan).changed, 1);
  Result<CaInfo> now = ParseCa(Read("ca.crt"), Read("ca.key"));
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->key_matches);
}

TEST_F(CaReconcilerTest, ReplacesCaMissingKeyCertSign) {
  CaRequest req;
  req.algorithm = spec::CaAlgorithm::kEcdsaP256;
  req.subject = CaSubject::For("test-gw", 1);
  req.validity = Spec().validity;
  req.now = clock_.Now();
  req.key_usage = "critical,digitalSignature,cRLSign";
  Result<GeneratedCa> bad = GenerateCa(req);
  ASSERT_TRUE(bad.ok());
  Write("ca.crt", bad->cert_pem, 0644);
  Write("ca.key", bad->key_pem, 0600);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_TRUE(plan.changes[0].disruptive);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "keyCertSign")) << plan.changes[0].reason;
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_TRUE(InfoOf("ca.crt").has_key_cert_sign);
}

TEST_F(CaReconcilerTest, RotationBumpStagesTheNextCaFirst) {
  Converge();
  const std::string old_fp = InfoOf("ca.crt").fingerprint_sha256;
  Spec().rotation = 2;
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  const Change& c = plan.changes[0];
  EXPECT_EQ(c.action, Action::kUpdate);
  EXPECT_TRUE(c.disruptive);  // sandboxes recycle to trust the new bundle
  EXPECT_EQ(c.reason, "ca.rotation 1 -> 2: stage the next CA (old + new trusted; the proxy keeps signing with the old one)");
  EXPECT_EQ(c.before["rotation"], 1);
  EXPECT_EQ(c.before["fingerprint_sha256"], old_fp);
  EXPECT_EQ(c.before["rotation_phase"], "stable");
  EXPECT_EQ(c.after["fingerprint_sha256"], old_fp);  // the proxy keeps the old CA for now
  EXPECT_EQ(c.after["rotation_phase"], "staged");
  EXPECT_EQ(c.after["next_rotation"], 2);
  EXPECT_EQ(c.after["next_fingerprint_sha256"], kKnownAfterApply);
  EXPECT_FALSE(facts_.ca->pending);
  EXPECT_EQ(facts_.ca->fingerprint_sha256, old_fp);
  EXPECT_EQ(facts_.ca->trust_bundle_digest, "");  // known after apply
  EXPECT_EQ(facts_.ca->rotation_phase, "staged");
}

TEST_F(CaReconcilerTest, RenewalAtTwoThirdsOfLifetimeStagesTheNextCa) {
  Spec().validity = hours(300);
  Converge();
  const CaInfo info = InfoOf("ca.crt");
  const SystemTime due = info.not_before + (info.not_after - info.not_before) * 2 / 3;
  clock_.Set(due - seconds(1));
  EXPECT_TRUE(Plan().InSync());
  clock_.Set(due);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_TRUE(plan.changes[0].disruptive);
  EXPECT_EQ(plan.changes[0].reason, "renewal due since " + FormatRfc3339(due) +
                                        ": stage the next CA (old + new trusted; the proxy keeps signing with the old one)");
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(InfoOf("ca.crt").fingerprint_sha256, info.fingerprint_sha256);  // still the active CA
  const CaInfo next = InfoOf("ca-next.crt");
  EXPECT_EQ(next.not_after, due + hours(300));
  EXPECT_EQ(next.rotation, 1);  // a renewal keeps the rotation number
  EXPECT_EQ(Read("ca-trust.pem"), Read("ca.crt") + Read("ca-next.crt"));
}

TEST_F(CaReconcilerTest, RenewsAtExplicitRenewBefore) {
  Spec().validity = hours(300);
  Spec().renew_before = hours(24);
  Converge();
  const SystemTime due = InfoOf("ca.crt").not_after - hours(24);
  clock_.Set(due - seconds(1));
  EXPECT_TRUE(Plan().InSync());
  clock_.Set(due + seconds(1));
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "renewal due since " + FormatRfc3339(due)));
}

TEST_F(CaReconcilerTest, ReplacesExpiredCa) {
  Spec().validity = hours(10);
  Converge();
  clock_.Set(InfoOf("ca.crt").not_after + seconds(1));
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "expired")) << plan.changes[0].reason;
}

TEST_F(CaReconcilerTest, AlgorithmAndValidityDriftOnlyWarn) {
  Converge();
  const auto before = Snapshot(root_);
  Spec().algorithm = spec::CaAlgorithm::kEd25519;
  Spec().validity = hours(1000);
  ResourcePlan plan = Plan();
  EXPECT_TRUE(plan.InSync());
  ASSERT_EQ(plan.warnings.size(), 2U);
  EXPECT_TRUE(Contains(plan.warnings[0], "ecdsa-p256, spec wants ed25519; bump ca.rotation to apply"));
  EXPECT_TRUE(Contains(plan.warnings[1], "validity is 87600h, spec wants 1000h"));
  EXPECT_FALSE(facts_.ca->pending);
  EXPECT_EQ(Apply(plan).changed, 0);
  EXPECT_EQ(Snapshot(root_), before);
}

TEST_F(CaReconcilerTest, FixesWrongModesWithChmodOnly) {
  Converge();
  const std::string key = Read("ca.key");
  const std::string crt = Read("ca.crt");
  ::chmod(P("ca.key").c_str(), 0644);
  ::chmod(P("ca.crt").c_str(), 0600);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_FALSE(plan.changes[0].disruptive);
  EXPECT_EQ(plan.changes[0].reason, "ca.key mode 0644 -> 0600; ca.crt mode 0600 -> 0644");
  EXPECT_FALSE(facts_.ca->pending);
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(ModeOf(P("ca.key")), 0600U);
  EXPECT_EQ(ModeOf(P("ca.crt")), 0644U);
  EXPECT_EQ(Read("ca.key"), key);
  EXPECT_EQ(Read("ca.crt"), crt);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(CaReconcilerTest, RefusesSymlinkAtKeyNeverFollowsIt) {
  const ResourcePlan create = Plan();
  const fs::path victim = tmp_.path() / "victim.key";
  WriteRaw(victim, "precious\n", 0644);
  fs::create_directories(root_);
  ::chmod(root_.c_str(), 0700);
  fs::create_symlink(victim, P("ca.key"));

  ResourcePlan plan = Plan();
  ASSERT_TRUE(plan.error.has_value());
  EXPECT_TRUE(Contains(plan.error->message, "symlink")) << plan.error->message;
  EXPECT_TRUE(plan.changes.empty());
  Outcome out = Apply(create);  // a plan made before the link was planted
  EXPECT_NE(out.kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Contains(out.message, "symlink")) << out.message;
  EXPECT_EQ(ReadRaw(victim), "precious\n");
  EXPECT_EQ(ModeOf(victim), 0644U);
  EXPECT_TRUE(fs::is_symlink(P("ca.key")));
  EXPECT_FALSE(Exists("ca.crt"));
  EXPECT_FALSE(Exists("ca.new.key"));
}

TEST_F(CaReconcilerTest, RejectsRenewBeforeNotShorterThanValidity) {
  Spec().validity = hours(100);
  Spec().renew_before = hours(100);
  ResourcePlan plan = Plan();
  ASSERT_TRUE(plan.error.has_value());
  EXPECT_EQ(plan.error->kind, ErrorKind::kInvalidSpec);
  EXPECT_TRUE(Contains(plan.error->message, "ca.renewBefore"));
}

TEST_F(CaReconcilerTest, NeverShowsTheKeyInPlansWarningsOrOutcomes) {
  std::vector<std::string> keys;
  std::string text;
  auto record = [&](const ResourcePlan& plan) {
    for (const Change& c : plan.changes) text += c.reason + c.before.dump() + c.after.dump();
    for (const std::string& w : plan.warnings) text += w;
    if (plan.error) text += plan.error->message;
  };
  auto key_now = [&] { keys.push_back(Read("ca.key")); };
  ResourcePlan p = Plan();
  record(p);
  text += Apply(p).message;
  key_now();
  Spec().algorithm = spec::CaAlgorithm::kEd25519;  // warning
  record(Plan());
  ::chmod(P("ca.key").c_str(), 0644);  // chmod change
  record(p = Plan());
  text += Apply(p).message;
  Spec().rotation = 2;  // replace
  record(p = Plan());
  text += Apply(p).message;
  key_now();
  Write("ca.key", Mint(5).key_pem, 0600);  // mismatch
  key_now();
  record(p = Plan());
  text += Apply(p).message;
  key_now();
  Write("ca.key", "-----BEGIN PRIVATE KEY-----\nTUlJQ2VnZ2Vy\n-----END PRIVATE KEY-----\n", 0600);
  record(Plan());

  EXPECT_FALSE(text.empty());
  EXPECT_FALSE(Contains(text, "PRIVATE KEY"));
  EXPECT_FALSE(Contains(text, "TUlJQ2VnZ2Vy"));
  for (const std::string& key : keys) {
    // Every base64 line of every key that existed along the way.
    std::istringstream lines(key);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("-----", 0) != 0 && line.size() >= 16) {
        EXPECT_FALSE(Contains(text, line)) << line;
      }
    }
  }
}

}  // namespace
}  // namespace ironward::ca::testing
