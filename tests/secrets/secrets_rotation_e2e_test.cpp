// End to end: Bitwarden server double -> SecretsReconciler -> DaemonReconciler -> iron-proxy
// double -> a TLS upstream that records what arrives. A value changed in Bitwarden reaches the
// upstream with no manual step: 0.39 by a restart (env delivery), 0.45 by rewriting the 0600
// secret file and POST /v1/reload (file delivery). Everything a human could see is grepped.
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon_harness.h"
#include "secrets_fixture.h"
#include "state/encoding.h"

namespace ironward::secrets::test {
namespace {

namespace fs = std::filesystem;

class SecretsRotationE2ETest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bw_.ok()) << bw_.error();
    doubletest::MakeUpstreamPki(pki_);
    upstream_ = std::make_unique<doubletest::Upstream>(pki_.str() + "/up.crt", pki_.str() + "/up.key");
    auto& s = h_.desired().spec;
    if (GetParam() == "0.45.0") {
      const std::string bin = h_.root() + "/bin/iron-proxy";
      fs::remove(bin);
      fs::copy_file(doubletest::Double045(), bin);
      fs::permissions(bin, fs::perms(0755));
      h_.facts().binary = BinaryFacts{bin, Sha256Hex(ReadFile(bin)), "0.45.0", false};
    }
    s.proxy.version = GetParam();
    s.proxy.upstream_ca_file = pki_.str() + "/upca.crt";
    s.credentials.source = spec::CredentialSource::kBitwarden;
    s.credentials.bitwarden.project_id = bwtest::kProjectId;
    s.credentials.bitwarden.server_url = bw_.base_url();
    s.credentials.bitwarden.refresh_interval = std::chrono::minutes(10);
    env_.vars["BWS_ACCESS_TOKEN"] = bwtest::kToken;
    h_.AddProvider({"localhost"});  // openrouter / OPENROUTER_API_KEY; renders proxy.yaml
    h_.facts().secrets.reset();     // the secrets reconciler publishes them, not the harness
    BitwardenOptions options;
    options.timeout = std::chrono::seconds(5);
    options.jitter = 0.0;
    secrets_ = std::make_unique<SecretsReconciler>(&env_, options);
  }

  void TearDown() override {
    std::string files;
    for (const auto& e : fs::recursive_directory_iterator(h_.root())) {
      const auto rel = fs::relative(e.path(), h_.root()).string();
      if (rel.rfind("secrets/", 0) == 0 || rel.rfind("bin/", 0) == 0 || !e.is_regular_file()) continue;
      files += rel + ":\n" + ReadFile(e.path()) + "\n";
    }
    const std::vector<std::string> secrets = {bwtest::kValueA, bwtest::kValueB, bwtest::kRotated,
                                              bwtest::kToken,  bwtest::kClientSecret, bwtest::kOrgKey};
    for (const auto& [what, text] : {std::pair<std::string, std::string>{"plans/outcomes", seen_},
                                     {"state files (incl. iron-proxy.log)", files},
                                     {"logs", logs_.text()}}) {
      const auto leaked = bwtest::LeakedSecrets(text, secrets);
      EXPECT_TRUE(leaked.empty()) << "secret in " << what << ": " << ::testing::PrintToString(leaked);
    }
  }

  /// What the engine does for the secrets resource.
  void SecretsPass() {
    ReconcileContext ctx{h_.desired(), h_.facts(), false};
    ReadDeps read{h_.clock(), h_.state(), &http_};
    ResourcePlan plan = secrets_->Plan(ctx, read);
    seen_ += Describe(plan) + "\n";
    ASSERT_FALSE(plan.error) << plan.error->message;
    if (plan.changes.empty()) return;
    WriteDeps write{h_.clock(), h_.state(), &http_};
    const Outcome out = secrets_->Apply(ctx, plan, write);
    seen_ += Describe(out) + "\n";
    ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.reason << ": " << out.message;
  }

  /// The daemon resource (with an HTTP client, so a reload can go through).
  ResourcePlan DaemonPass() {
    daemon::DaemonReconciler d(h_.options());
    ReconcileContext ctx{h_.desired(), h_.facts(), false};
    ReadDeps read{.clock = h_.clock(), .state = h_.state(), .http = &http_, .files = h_.files()};
    ResourcePlan plan = d.Plan(ctx, read);
    seen_ += Describe(plan) + "\n";
    if (!plan.changes.empty()) {
      WriteDeps write{.clock = h_.clock(), .state = h_.state(), .http = &http_, .files = h_.files()};
      const Outcome out = d.Apply(ctx, plan, write);
      seen_ += Describe(out) + "\n";
      EXPECT_EQ(out.kind, Outcome::Kind::kDone) << out.reason << ": " << out.message;
    }
    return plan;
  }

  /// A sandbox-style request holding only the proxy token; returns what the upstream saw.
  std::string SendThroughProxy() {
    const size_t before = upstream_->Requests().size();
    doubletest::HttpResult r =
        doubletest::Http("https://localhost:" + std::to_string(upstream_->port()) + "/v1/chat",
                         {.proxy = "http://127.0.0.1:" + std::to_string(h_.Port("tunnel")),
                          .cainfo = h_.root() + "/ca.crt",
                          .headers = {"Authorization: Bearer " + h_.token()}});
    EXPECT_EQ(r.status, 200) << r.error;
    const auto seen = upstream_->Requests();
    return seen.size() > before ? seen.back() : "";
  }

  static bool Carries(const std::string& request, const std::string& value) {
    return request.find("Authorization: Bearer " + value) != std::string::npos;
  }

  bwtest::LogCapture logs_;
  bwtest::DoubleProcess bw_{bwtest::DoubleConfig()};
  daemon::test::DaemonHarness h_;
  doubletest::TempDir pki_;
  std::unique_ptr<doubletest::Upstream> upstream_;
  MapEnvironment env_;
  CurlHttpClient http_;
  std::unique_ptr<SecretsReconciler> secrets_;
  std::string seen_;
};

TEST_P(SecretsRotationE2ETest, RotationInBitwardenReachesTheUpstreamWithoutAManualStep) {
  const bool file_delivery = GetParam() != "0.39.0";
  SecretsPass();
  ASSERT_TRUE(h_.facts().secrets && !h_.facts().secrets->pending);
  const fs::path secret_file = fs::path(h_.root()) / "secrets" / "OPENROUTER_API_KEY";
  EXPECT_EQ(fs::exists(secret_file), file_delivery);
  DaemonPass();
  const auto first_pid = h_.Record()->pid;
  ASSERT_TRUE(Carries(SendThroughProxy(), bwtest::kValueA));
  // The value is in the proxy's environment only when that is how it is delivered.
  const std::string environ_text = ReadFile("/proc/" + std::to_string(first_pid) + "/environ");
  ASSERT_FALSE(environ_text.empty());
  EXPECT_EQ(environ_text.find(bwtest::kValueA) != std::string::npos, !file_delivery);

  // In sync: no Bitwarden request, no daemon change.
  const auto lists = bw_.Count("project_secrets");
  SecretsPass();
  EXPECT_TRUE(DaemonPass().changes.empty());
  EXPECT_EQ(bw_.Count("project_secrets"), lists);

  // Rotate in Bitwarden; the next reconcile after refreshInterval picks it up.
  ASSERT_EQ(bw_.Admin("secret", {{"key", "OPENROUTER_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  h_.clock().Advance(std::chrono::minutes(10));
  SecretsPass();
  EXPECT_EQ(bw_.Count("project_secrets"), lists + 1);
  const ResourcePlan plan = DaemonPass();
  ASSERT_EQ(plan.changes.size(), 1U);
  if (file_delivery) {
    EXPECT_EQ(plan.changes[0].reason,
              "reload: secrets rotated (secret files rewritten; the proxy re-reads them on reload)");
    EXPECT_EQ(h_.Record()->pid, first_pid) << "reloaded, not restarted";
    EXPECT_EQ(ReadFile(secret_file), bwtest::kRotated);
  } else {
    EXPECT_EQ(plan.changes[0].reason, "restart: secret OPENROUTER_API_KEY rotated");
    EXPECT_NE(h_.Record()->pid, first_pid);
  }
  const std::string seen = SendThroughProxy();
  EXPECT_TRUE(Carries(seen, bwtest::kRotated)) << "upstream saw: " << seen.substr(0, 300);
  EXPECT_FALSE(Carries(seen, bwtest::kValueA));

  // Converged: the pid record now carries the new digest.
  SecretsPass();
  EXPECT_TRUE(DaemonPass().changes.empty());
}

INSTANTIATE_TEST_SUITE_P(ProxyVersions, SecretsRotationE2ETest, ::testing::Values("0.39.0", "0.45.0"),
                         [](const auto& p) { return p.param == "0.39.0" ? "EnvDelivery039" : "FileDelivery045"; });

}  // namespace
}  // namespace ironward::secrets::test
