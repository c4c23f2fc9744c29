// The secrets reconciler against two behaviours of the real Bitwarden server (issue #20): a
// project the machine account cannot read is listed as empty (200, not 403/404), and a secret
// deleted between the list and the get makes get-by-ids answer 404.
#include <gtest/gtest.h>

#include "secrets_fixture.h"

namespace ironward::secrets::test {
namespace {

using std::chrono::seconds;

TEST_F(BitwardenSecretsTest, ProjectWithoutReadAccessHintsAtTheGrant) {
  ASSERT_EQ(double_.Admin("project-access", {{"read", false}}), 200);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kRetry) << out->message;
  EXPECT_NE(out->message.find("secret 'OPENROUTER_API_KEY' not found"), std::string::npos) << out->message;
  EXPECT_NE(out->message.find("the project lists no secrets for this machine account: it needs read access to "
                              "the project"),
            std::string::npos)
      << out->message;
  EXPECT_EQ(double_.Count("project_secrets"), 1);
  EXPECT_EQ(double_.Count("get_by_ids"), 0) << "an empty list needs no get";

  // Access granted in Bitwarden: picked up on the retry schedule.
  ASSERT_EQ(double_.Admin("project-access", {{"read", true}}), 200);
  clock_.Advance(seconds(30));
  auto ok = Pass();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->kind, Outcome::Kind::kDone) << ok->message;
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
}

TEST_F(BitwardenSecretsTest, SecretDeletedWhileBeingFetchedIsRetriedNotStopped) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "404"}, {"endpoint", "get_by_ids"}, {"times", 2}}), 200);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kRetry) << out->message;
  EXPECT_EQ(out->reason, "BitwardenUnavailable");
  EXPECT_EQ(out->after, seconds(30));
  EXPECT_NE(out->message.find("a secret was deleted while being fetched"), std::string::npos) << out->message;
  EXPECT_EQ(double_.Count("project_secrets"), 2) << "listed again exactly once";
  EXPECT_EQ(double_.Count("get_by_ids"), 2);

  clock_.Advance(seconds(29));
  EXPECT_FALSE(Pass()) << "nothing fetched before the back-off elapses";
  EXPECT_EQ(double_.Count("project_secrets"), 2);
  clock_.Advance(seconds(1));
  auto ok = Pass();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->kind, Outcome::Kind::kDone) << ok->message;
  EXPECT_EQ(double_.Count("project_secrets"), 3);
}

TEST_F(BitwardenSecretsTest, ProviderSecretDeletedRightAfterTheListIsReportedMissing) {
  ASSERT_EQ(double_.Admin("delete-secret", {{"key", "ANTHROPIC_API_KEY"}, {"after_list", true}}), 200);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kRetry) << out->message;
  EXPECT_NE(out->message.find("secret 'ANTHROPIC_API_KEY' not found in Bitwarden project " + bwtest::kProjectId +
                              " (the key must equal the provider's `secret`, and the machine account needs read "
                              "access to the project)"),
            std::string::npos)
      << out->message;
  EXPECT_EQ(double_.Count("project_secrets"), 2);
  EXPECT_EQ(double_.Count("get_by_ids"), 2);
}

}  // namespace
}  // namespace ironward::secrets::test
