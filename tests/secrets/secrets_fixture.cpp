#include "secrets_fixture.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace ironward::secrets::test {

std::string Describe(const ResourcePlan& plan) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : plan.changes) {
    changes.push_back({{"address", c.address}, {"reason", c.reason}, {"before", c.before}, {"after", c.after}});
  }
  return nlohmann::json{{"changes", changes},
                        {"warnings", plan.warnings},
                        {"details", plan.details},
                        {"error", plan.error ? plan.error->message : ""}}
      .dump();
}

std::string Describe(const Outcome& o) {
  return nlohmann::json{{"reason", o.reason}, {"message", o.message}, {"details", o.details}}.dump();
}

BitwardenSecretsTest::BitwardenSecretsTest() {
  state_ = std::make_unique<state::StateWriter>(dir_.path());
  EXPECT_TRUE(state_->EnsureRoot().ok());
  env_.vars["BWS_ACCESS_TOKEN"] = bwtest::kToken;
  env_.vars["HOME"] = "/root";
  auto& s = desired_.spec;
  s.proxy.version = "0.39.0";
  spec::Provider openrouter;
  openrouter.name = "openrouter";
  openrouter.secret = "OPENROUTER_API_KEY";
  openrouter.hosts = {"openrouter.ai"};
  spec::Provider anthropic;
  anthropic.name = "anthropic";
  anthropic.secret = "ANTHROPIC_API_KEY";
  anthropic.hosts = {"api.anthropic.com"};
  anthropic.headers = {"x-api-key"};
  s.providers = {openrouter, anthropic};
  s.credentials.source = spec::CredentialSource::kBitwarden;
  s.credentials.bitwarden.project_id = bwtest::kProjectId;
  s.credentials.bitwarden.server_url = double_.base_url();
  s.credentials.bitwarden.refresh_interval = std::chrono::hours(1);
  s.credentials.bitwarden.retry_interval = std::chrono::seconds(30);
  desired_.name = "secrets-test";
  rec_ = NewReconciler();
}

std::unique_ptr<SecretsReconciler> BitwardenSecretsTest::NewReconciler() {
  BitwardenOptions options;
  options.timeout = std::chrono::seconds(5);
  options.jitter = 0.0;  // refresh exactly every refreshInterval, so the tests can step to it
  return std::make_unique<SecretsReconciler>(&env_, options);
}

ResourcePlan BitwardenSecretsTest::Plan(bool dry_run) {
  facts_ = Facts{};
  ReconcileContext ctx{desired_, facts_, dry_run};
  ReadDeps deps{clock_, *state_, dry_run ? nullptr : &http_};
  ResourcePlan plan = rec_->Plan(ctx, deps);
  seen_ += Describe(plan) + "\n";
  return plan;
}

Outcome BitwardenSecretsTest::Apply(const ResourcePlan& plan) {
  ReconcileContext ctx{desired_, facts_, false};
  WriteDeps deps{clock_, *state_, &http_};
  Outcome out = rec_->Apply(ctx, plan, deps);
  seen_ += Describe(out) + "\n";
  return out;
}

std::optional<Outcome> BitwardenSecretsTest::Pass(ResourcePlan* plan_out) {
  ResourcePlan plan = Plan();
  if (plan_out != nullptr) *plan_out = plan;
  if (plan.error || plan.changes.empty()) return std::nullopt;
  return Apply(plan);
}

void BitwardenSecretsTest::TearDown() {
  // Every state file except the ones the proxy reads (<state>/secrets/, 0600) must be free of
  // secret values and of the access token.
  std::string files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    const auto rel = std::filesystem::relative(e.path(), dir_.path()).string();
    if (rel.rfind("secrets/", 0) == 0 || !e.is_regular_file()) continue;
    files += rel + ":\n" + ReadFile(e.path()) + "\n";
  }
  const std::vector<std::string> secrets = {bwtest::kValueA,      bwtest::kValueB,     bwtest::kRotated,
                                            bwtest::kToken,       bwtest::kClientSecret, bwtest::kTokenKeyB64,
                                            bwtest::kOrgKey};
  EXPECT_TRUE(bwtest::LeakedSecrets(seen_, secrets).empty())
      << "secret in a plan or outcome: " << ::testing::PrintToString(bwtest::LeakedSecrets(seen_, secrets));
  EXPECT_TRUE(bwtest::LeakedSecrets(files, secrets).empty())
      << "secret in a state file: " << ::testing::PrintToString(bwtest::LeakedSecrets(files, secrets));
  BitwardenDoubleTest::TearDown();
}

}  // namespace ironward::secrets::test
