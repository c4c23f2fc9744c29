// An `optional: true` provider whose key is not in the Bitwarden project: the fetch succeeds,
// the provider is left out (SecretFacts::skipped_providers) with a Degraded outcome, and the
// refresh that finds the key brings it in. A required provider's missing key still fails it
// (MissingKeyInTheProjectNamesTheKey).
#include <gtest/gtest.h>

#include "secrets_fixture.h"

namespace ironward::secrets::test {
namespace {

TEST_F(BitwardenSecretsTest, AnOptionalProvidersMissingKeyLeavesItOutUntilARefreshFindsIt) {
  SetProxyVersion("0.45.0");  // file delivery: no file for the missing key
  spec::Provider openai;
  openai.name = "openai";
  openai.secret = "OPENAI_API_KEY";
  openai.hosts = {"api.openai.com"};
  openai.optional = true;
  desired_.spec.providers.push_back(openai);

  ResourcePlan plan;
  auto out = Pass(&plan);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->kind, Outcome::Kind::kDone) << out->message;
  EXPECT_EQ(out->reason, "Degraded");
  EXPECT_NE(out->message.find("optional provider 'openai' is left out of the proxy config"), std::string::npos)
      << out->message;
  EXPECT_NE(out->message.find("OPENAI_API_KEY has no value in Bitwarden project " + bwtest::kProjectId),
            std::string::npos)
      << out->message;
  ASSERT_TRUE(facts_.secrets);
  EXPECT_EQ(facts_.secrets->skipped_providers, std::set<std::string>{"openai"});
  EXPECT_EQ(facts_.secrets->values.size(), 2U);
  EXPECT_TRUE(facts_.secrets->sandbox_missing.empty()) << "not a secretEnv secret";
  EXPECT_FALSE(std::filesystem::exists(StatePath("secrets/OPENAI_API_KEY")));
  EXPECT_EQ(double_.Count("project_secrets"), 1);

  ResourcePlan quiet = Plan();  // nothing due: the warning stays, nothing is fetched
  EXPECT_TRUE(quiet.changes.empty()) << Describe(quiet);
  ASSERT_EQ(quiet.warnings.size(), 1U) << Describe(quiet);
  EXPECT_NE(quiet.warnings[0].find("Degraded: optional provider 'openai'"), std::string::npos);
  EXPECT_EQ(double_.Count("project_secrets"), 1);

  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENAI_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  clock_.Advance(std::chrono::hours(1));
  auto in = Pass();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->kind, Outcome::Kind::kDone) << in->message;
  EXPECT_NE(in->reason, "Degraded") << in->message;
  EXPECT_TRUE(facts_.secrets->skipped_providers.empty());
  EXPECT_EQ(facts_.secrets->values.at("OPENAI_API_KEY"), bwtest::kRotated);
  EXPECT_TRUE(std::filesystem::exists(StatePath("secrets/OPENAI_API_KEY")));
}

}  // namespace
}  // namespace ironward::secrets::test
