#include <gtest/gtest.h>

#include "reconcilers/secrets/env_source.h"
#include "reconcilers/secrets/secret_value.h"
#include "reconcilers/secrets/secrets_reconciler.h"
#include "reconcilers/secrets/uncovered.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/map_environment.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward::secrets {
namespace {

using ironward::testing::Desired;
using ironward::testing::TempDir;

using ironward::testing::MapEnvironment;

TEST(EnvFileTest, ParsesCommentsExportAndQuotes) {
  auto r = ParseEnvFile("# c\n\nexport A=1\nB = two\nC=\"three four\"\nD='5'\r\n", "f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("A"), "1");
  EXPECT_EQ(r->at("B"), " two");
  EXPECT_EQ(r->at("C"), "three four");
  EXPECT_EQ(r->at("D"), "5");
}

TEST(EnvFileTest, ErrorsNameTheLineNeverTheValue) {
  auto r = ParseEnvFile("A=1\nnot a pair super-secret\n", "/etc/x.env");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/etc/x.env:2"), std::string::npos);
  EXPECT_EQ(r.error().message.find("super-secret"), std::string::npos);
}

TEST(EnvFileTest, RefusesLooseModesAndSymlinks) {
  TempDir tmp;
  const auto f = tmp.path() / "s.env";
  ironward::testing::WriteFile(f, "A=1\n");
  ::chmod(f.c_str(), 0640);
  auto loose = ReadEnvFile(f.string());
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message.find("0640"), std::string::npos);
  ::chmod(f.c_str(), 0600);
  EXPECT_TRUE(ReadEnvFile(f.string()).ok());
  std::filesystem::create_symlink(f, tmp.path() / "link.env");
  auto link = ReadEnvFile((tmp.path() / "link.env").string());
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message.find("symlink"), std::string::npos);
}

TEST(UncoveredTest, StrictAndWarnNamesInOwnEnvAndSandboxes) {
  auto d = Desired(std::string(ironward::testing::kBaseYaml) + R"(  sandboxes:
    - name: agent-1
      image: "local/agent:1"
      env: {AWS_ACCESS_KEY_ID: "AKIA..."}
)");
  const auto findings = FindUncovered(d.spec, {{"ANTHROPIC_API_KEY", "x"}, {"GOOGLE_API_KEY", ""}, {"HOME", "/root"}});
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].variable, "ANTHROPIC_API_KEY");
  EXPECT_TRUE(findings[0].strict);
  EXPECT_EQ(findings[1].variable, "AWS_ACCESS_KEY_ID");
  EXPECT_FALSE(findings[1].strict);
  EXPECT_EQ(findings[1].where, "sandbox 'agent-1'");
}

TEST(UncoveredTest, AProviderDeclaringTheVariableCoversIt) {
  auto d = Desired(ironward::testing::With(ironward::testing::kBaseYaml, "  allowlist:", R"(    - name: anthropic
      secret: ANTHROPIC_API_KEY
      hosts: ["api.anthropic.com"]
      headers: ["x-api-key"]
  allowlist:)"));
  EXPECT_TRUE(FindUncovered(d.spec, {{"ANTHROPIC_API_KEY", "x"}}).empty());
}

/// One reconciler over a MapEnvironment and an empty state dir; PlanOf plans a desired state.
class SecretsPlanTest : public ::testing::Test {
 protected:
  ResourcePlan PlanOf(const spec::DesiredState& d, Facts* facts) {
    ReconcileContext ctx{d, *facts, true};
    return r_.Plan(ctx, ReadDeps{clock_, reader_});
  }
  TempDir tmp_;
  FakeClock clock_;
  state::StateReader reader_{tmp_.path()};
  MapEnvironment env_;
  SecretsReconciler r_{&env_};
};

TEST(SecretsReconcilerTest, PublishesValuesAndOnlyDigestsInDetails) {
  TempDir tmp;
  FakeClock clock;
  state::StateReader reader(tmp.path());
  MapEnvironment env;
  env.vars = {{"OPENROUTER_API_KEY", "sk-or-123"}, {"OPENAI_API_KEY", "sk-oa-456"}};
  SecretsReconciler r(&env);
  const auto d = Desired(ironward::testing::kBaseYaml);
  Facts facts;
  ReconcileContext ctx{d, facts, true};
  const auto plan = r.Plan(ctx, ReadDeps{clock, reader});
  ASSERT_FALSE(plan.error);
  EXPECT_TRUE(plan.changes.empty());
  ASSERT_TRUE(facts.secrets);
  EXPECT_EQ(facts.secrets->values.at("OPENAI_API_KEY"), "sk-oa-456");
  EXPECT_EQ(facts.secrets->digests.at("OPENAI_API_KEY"), Sha256Hex("sk-oa-456"));
  EXPECT_EQ(plan.details.dump().find("sk-oa-456"), std::string::npos);
  EXPECT_NE(plan.details.dump().find("sha256:"), std::string::npos);
  const std::string first = facts.secrets->combined_digest;

  env.vars["OPENAI_API_KEY"] = "sk-oa-rotated";
  Facts again;
  ReconcileContext ctx2{d, again, true};
  const auto plan2 = r.Plan(ctx2, ReadDeps{clock, reader});
  EXPECT_NE(again.secrets->combined_digest, first) << "a rotated value must change the digest the daemon compares";
  EXPECT_NE(plan2.observed_fingerprint, plan.observed_fingerprint);
}

TEST(SecretsReconcilerTest, EmptyValueIsAnErrorNamingTheVariable) {
  TempDir tmp;
  FakeClock clock;
  state::StateReader reader(tmp.path());
  MapEnvironment env;
  env.vars = {{"OPENROUTER_API_KEY", ""}, {"OPENAI_API_KEY", "x"}};
  SecretsReconciler r(&env);
  const auto d = Desired(ironward::testing::kBaseYaml);
  Facts facts;
  ReconcileContext ctx{d, facts, true};
  const auto plan = r.Plan(ctx, ReadDeps{clock, reader});
  ASSERT_TRUE(plan.error);
  EXPECT_TRUE(plan.error->terminal());
  EXPECT_NE(plan.error->message.find("OPENROUTER_API_KEY (provider openrouter)"), std::string::npos);
  EXPECT_FALSE(facts.secrets);
}

TEST(SecretValueTest, TrailingLineBreaksAreTrimmedOtherControlCharactersRefused) {
  const auto crlf = CheckProviderValue("K", "in ironward's environment", "sk-abc\r\n");
  EXPECT_EQ(crlf.value, "sk-abc");
  EXPECT_TRUE(crlf.problem.empty());
  EXPECT_NE(crlf.warning.find("secret 'K' in ironward's environment ends with a line break (2 CR/LF"),
            std::string::npos)
      << crlf.warning;
  EXPECT_EQ(crlf.warning.find("sk-abc"), std::string::npos);
  const auto clean = CheckProviderValue("K", "x", "sk-abc\tdef");  // Go allows a tab in a header value
  EXPECT_EQ(clean.value, "sk-abc\tdef");
  EXPECT_TRUE(clean.warning.empty() && clean.problem.empty());
  for (const std::string& bad : {std::string("sk-a\nbc"), std::string("sk-\rabc"), std::string("sk\x01", 3) + "abc",
                                std::string("sk\x7f") + "abc", std::string("sk-ab") + std::string(1, '\0') + "c"}) {
    const auto r = CheckProviderValue("K", "in Bitwarden project P", bad);
    EXPECT_TRUE(r.value.empty());
    EXPECT_NE(r.problem.find("secret 'K' in Bitwarden project P contains "), std::string::npos) << r.problem;
    EXPECT_NE(r.problem.find("502"), std::string::npos);
    EXPECT_EQ(r.problem.find("abc"), std::string::npos) << "never the value";
  }
}

// An env file written with a stray CR in a quoted value, or a value exported with a newline.
TEST_F(SecretsPlanTest, ALineBreakAtTheEndIsTrimmedWithAWarningOneInsideIsRefused) {
  env_.vars = {{"OPENROUTER_API_KEY", "sk-or-123\n"}, {"OPENAI_API_KEY", "sk-oa-456"}};
  const auto d = Desired(ironward::testing::kBaseYaml);
  Facts facts;
  const auto plan = PlanOf(d, &facts);
  ASSERT_FALSE(plan.error) << plan.error->message;
  ASSERT_TRUE(facts.secrets);
  EXPECT_EQ(facts.secrets->values.at("OPENROUTER_API_KEY"), "sk-or-123");
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_NE(plan.warnings[0].find("secret 'OPENROUTER_API_KEY' in ironward's environment ends with a line break"),
            std::string::npos)
      << plan.warnings[0];

  env_.vars["OPENAI_API_KEY"] = "sk-oa\r\n456";
  Facts refused_facts;
  const auto refused = PlanOf(d, &refused_facts);
  ASSERT_TRUE(refused.error);
  EXPECT_TRUE(refused.error->terminal()) << "no env file: only a restart with the variable fixed helps";
  EXPECT_EQ(refused.error_reason, "SecretValueInvalid");
  EXPECT_NE(refused.error->message.find("secret 'OPENAI_API_KEY' in ironward's environment contains a carriage "
                                        "return (CR) inside its value"),
            std::string::npos)
      << refused.error->message;
  EXPECT_EQ(refused.error->message.find("456"), std::string::npos);
  EXPECT_FALSE(refused_facts.secrets) << "the proxy is not started with a key it would break";
}

// A sandbox's secretEnv value goes into a container's environment, where a PEM key is normal.
TEST_F(SecretsPlanTest, ASecretEnvValueMayHoldLineBreaks) {
  env_.vars = {{"OPENROUTER_API_KEY", "sk-or-123"}, {"OPENAI_API_KEY", "sk-oa-456"},
               {"DEPLOY_KEY", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"}};
  const auto d = Desired(std::string(ironward::testing::kBaseYaml) + R"(  sandboxes:
    - name: agent-1
      image: "local/agent:1"
      secretEnv: {DEPLOY_KEY: DEPLOY_KEY}
)");
  Facts facts;
  const auto plan = PlanOf(d, &facts);
  ASSERT_FALSE(plan.error) << plan.error->message;
  EXPECT_TRUE(plan.warnings.empty());
  EXPECT_EQ(facts.secrets->sandbox_values.at("DEPLOY_KEY"), env_.vars["DEPLOY_KEY"]);
}

TEST(SecretsReconcilerTest, SecretEnvValuesReachOnlyTheSandboxesAndAMissingOneIsAWarning) {
  TempDir tmp;
  FakeClock clock;
  state::StateReader reader(tmp.path());
  MapEnvironment env;
  env.vars = {{"OPENROUTER_API_KEY", "sk-or-123"}, {"OPENAI_API_KEY", "sk-oa-456"}, {"TELEGRAM_BOT_TOKEN", "bot-v1-secret"}};
  SecretsReconciler r(&env);
  const auto with = Desired(std::string(ironward::testing::kBaseYaml) + R"(  sandboxes:
    - name: bot
      image: "local/bot:1"
      secretEnv: {BOT_TOKEN: TELEGRAM_BOT_TOKEN, DASH_PASSWORD: DASHBOARD_PASSWORD}
)");
  const auto without = Desired(ironward::testing::kBaseYaml);
  auto plan_of = [&](const spec::DesiredState& d, Facts* facts) {
    ReconcileContext ctx{d, *facts, true};
    return r.Plan(ctx, ReadDeps{clock, reader});
  };
  Facts plain;
  ASSERT_FALSE(plan_of(without, &plain).error);
  Facts facts;
  const auto plan = plan_of(with, &facts);
  ASSERT_FALSE(plan.error) << "a missing secretEnv secret holds back its sandbox, never the proxy";
  ASSERT_TRUE(facts.secrets);
  EXPECT_EQ(facts.secrets->sandbox_values.at("TELEGRAM_BOT_TOKEN"), "bot-v1-secret");
  EXPECT_EQ(facts.secrets->sandbox_digests.at("TELEGRAM_BOT_TOKEN"), Sha256Hex("bot-v1-secret"));
  EXPECT_EQ(facts.secrets->values.count("TELEGRAM_BOT_TOKEN"), 0U) << "never in the proxy's environment";
  EXPECT_EQ(facts.secrets->combined_digest, plain.secrets->combined_digest) << "adding secretEnv restarts no proxy";
  ASSERT_EQ(facts.secrets->sandbox_missing.count("DASHBOARD_PASSWORD"), 1U);
  EXPECT_NE(facts.secrets->sandbox_missing.at("DASHBOARD_PASSWORD").find("not set (or empty) in ironward's environment"),
            std::string::npos);
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_NE(plan.warnings[0].find("secretEnv secret DASHBOARD_PASSWORD"), std::string::npos) << plan.warnings[0];
  EXPECT_EQ(plan.details.dump().find("bot-v1-secret"), std::string::npos);

  // Rotating it moves the sandbox digest, not the proxy's; supplying the missing one clears the warning.
  env.vars["TELEGRAM_BOT_TOKEN"] = "bot-v2-secret";
  env.vars["DASHBOARD_PASSWORD"] = "dash-secret";
  Facts again;
  const auto plan2 = plan_of(with, &again);
  EXPECT_TRUE(plan2.warnings.empty());
  EXPECT_EQ(again.secrets->combined_digest, plain.secrets->combined_digest);
  EXPECT_NE(again.secrets->sandbox_digests.at("TELEGRAM_BOT_TOKEN"), facts.secrets->sandbox_digests.at("TELEGRAM_BOT_TOKEN"));
  EXPECT_TRUE(again.secrets->sandbox_missing.empty());
  EXPECT_NE(plan2.observed_fingerprint, plan.observed_fingerprint);
}

TEST(UncoveredTest, SecretEnvCarryingAKnownProviderKeyIsFlagged) {
  auto d = Desired(std::string(ironward::testing::kBaseYaml) + R"(  sandboxes:
    - name: agent-1
      image: "local/agent:1"
      secretEnv: {ANTHROPIC_API_KEY: MY_KEY, OTHER: GOOGLE_API_KEY}
)");
  const auto findings = FindUncovered(d.spec, {});
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_EQ(findings[0].variable, "ANTHROPIC_API_KEY");
  EXPECT_TRUE(findings[0].strict);
  EXPECT_EQ(findings[0].where, "sandbox 'agent-1' (secretEnv ANTHROPIC_API_KEY)");
  EXPECT_EQ(findings[1].where, "sandbox 'agent-1' (secretEnv OTHER)");
}

}  // namespace
}  // namespace ironward::secrets
