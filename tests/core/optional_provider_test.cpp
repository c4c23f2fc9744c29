// `optional: true` providers: a missing key leaves the provider out of proxy.yaml (no secrets
// entry, hosts not allowlisted) with a Degraded warning, instead of failing the pass; the pass
// that finds the key adds it. A missing key of any other provider still fails closed.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/proxy_config/render.h"
#include "reconcilers/proxy_config_reconciler.h"
#include "reconcilers/secrets/secrets_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/map_environment.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward::optional_provider_test {
namespace {

using testing::Desired;
using testing::TempDir;
using testing::With;

constexpr const char* kOpenaiValue = "sk-oa-OPTIONAL-never-printed-51c2";


/// kBaseYaml (openrouter, openai) with openai optional, plus `extra` under spec.
std::string OptionalOpenai(const std::string& extra = "") {
  return With(testing::kBaseYaml, "      secret: OPENAI_API_KEY\n", "      secret: OPENAI_API_KEY\n      optional: true\n") +
         extra;
}

std::vector<std::string> Domains(const YAML::Node& root) {
  std::vector<std::string> out;
  for (const auto& d : root["transforms"][0]["config"]["domains"]) out.push_back(d.as<std::string>());
  return out;
}

std::vector<std::string> SecretVars(const YAML::Node& root) {
  std::vector<std::string> out;
  if (root["transforms"].size() < 2) return out;
  for (const auto& e : root["transforms"][1]["config"]["secrets"]) out.push_back(e["source"]["var"].as<std::string>());
  return out;
}

proxy_config::Rendered Render(const spec::DesiredState& d, std::set<std::string> skipped) {
  proxy_config::RenderInputs in;
  in.desired = &d;
  in.bind_ip = "127.0.0.1";
  in.ca_cert_path = "/s/ca.crt";
  in.ca_key_path = "/s/ca.key";
  in.secrets_dir = "/s/secrets";
  for (const auto& p : d.spec.providers) in.tokens[p.name] = "ironward-" + p.name + "-" + std::string(32, 'b');
  in.skipped_providers = std::move(skipped);
  auto r = proxy_config::RenderProxyConfig(in);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : proxy_config::Rendered{};
}

TEST(OptionalProviderRenderTest, ASkippedProviderHasNoSecretsEntryAndNoHostUnlessTheAllowlistHasIt) {
  const auto d = Desired(OptionalOpenai());
  const auto all = Render(d, {});
  EXPECT_EQ(SecretVars(all.node), (std::vector<std::string>{"OPENROUTER_API_KEY", "OPENAI_API_KEY"}));

  const auto skipped = Render(d, {"openai"});
  EXPECT_EQ(SecretVars(skipped.node), std::vector<std::string>{"OPENROUTER_API_KEY"});
  EXPECT_EQ(Domains(skipped.node), (std::vector<std::string>{"*.openrouter.ai", "api.github.com", "openrouter.ai"}));
  EXPECT_EQ(skipped.text.find("ironward-openai-"), std::string::npos) << "not even its token";
  EXPECT_EQ(skipped.listeners_digest, all.listeners_digest) << "a reload, not a restart";
  EXPECT_NE(skipped.ruleset_digest, all.ruleset_digest);

  const auto listed = Render(Desired(With(OptionalOpenai(), "[\"api.github.com\"]", "[\"api.github.com\", \"api.openai.com\"]")),
                             {"openai"});
  EXPECT_EQ(SecretVars(listed.node), std::vector<std::string>{"OPENROUTER_API_KEY"});
  const auto domains = Domains(listed.node);
  EXPECT_NE(std::find(domains.begin(), domains.end(), "api.openai.com"), domains.end()) << "spec.allowlist keeps it";

  const auto none = Render(d, {"openai", "openrouter"});
  EXPECT_EQ(none.node["transforms"].size(), 1U) << "no empty secrets transform";
}

class OptionalProviderSecretsTest : public ::testing::Test {
 protected:
  ResourcePlan Plan(const spec::DesiredState& d) {
    facts_ = Facts{};
    ReconcileContext ctx{d, facts_, false};
    auto plan = rec_.Plan(ctx, ReadDeps{clock_, writer_});
    seen_ += plan.details.dump();
    for (const auto& w : plan.warnings) seen_ += w;
    if (plan.error) seen_ += plan.error->message;
    return plan;
  }
  Outcome Apply(const spec::DesiredState& d, const ResourcePlan& plan) {
    ReconcileContext ctx{d, facts_, false};
    WriteDeps deps{clock_, writer_};
    Outcome out = rec_.Apply(ctx, plan, deps);
    seen_ += out.message + out.details.dump();
    return out;
  }
  void TearDown() override { EXPECT_EQ(seen_.find(kOpenaiValue), std::string::npos) << "a key value was shown"; }

  TempDir dir_;
  FakeClock clock_;
  state::StateWriter writer_{dir_.path()};
  testing::MapEnvironment env_{{{"OPENROUTER_API_KEY", "sk-or-present"}}};
  secrets::SecretsReconciler rec_{&env_};
  Facts facts_;
  std::string seen_;
};

TEST_F(OptionalProviderSecretsTest, AMissingOptionalKeyIsDegradedNotAnErrorAndTheKeyIsPickedUpNextPass) {
  const auto d = Desired(OptionalOpenai());
  const ResourcePlan plan = Plan(d);
  ASSERT_FALSE(plan.error) << plan.error->message;
  ASSERT_TRUE(facts_.secrets);
  EXPECT_EQ(facts_.secrets->skipped_providers, std::set<std::string>{"openai"});
  EXPECT_EQ(facts_.secrets->values.count("OPENAI_API_KEY"), 0U);
  EXPECT_TRUE(facts_.secrets->sandbox_missing.empty()) << "not a secretEnv secret";
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_EQ(plan.warnings[0].rfind("Degraded: optional provider 'openai' is left out of the proxy config", 0), 0U)
      << plan.warnings[0];
  EXPECT_NE(plan.warnings[0].find("OPENAI_API_KEY has no value in ironward's environment"), std::string::npos);
  EXPECT_EQ(plan.details["skipped_providers"], nlohmann::json::array({"openai"}));
  const std::string without = facts_.secrets->combined_digest;

  const Outcome out = Apply(d, plan);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_EQ(out.reason, "Degraded");
  EXPECT_NE(out.message.find("optional provider 'openai' is left out"), std::string::npos) << out.message;
  EXPECT_EQ(out.details["skipped_providers"], nlohmann::json::array({"openai"}));

  env_.vars["OPENAI_API_KEY"] = kOpenaiValue;
  const ResourcePlan next = Plan(d);
  ASSERT_FALSE(next.error);
  EXPECT_TRUE(next.warnings.empty()) << next.warnings[0];
  EXPECT_TRUE(facts_.secrets->skipped_providers.empty());
  EXPECT_EQ(facts_.secrets->values.at("OPENAI_API_KEY"), kOpenaiValue);
  EXPECT_NE(facts_.secrets->combined_digest, without) << "the daemon sees the new key";
  EXPECT_EQ(Apply(d, next).reason, "InSync");
}

TEST_F(OptionalProviderSecretsTest, AMissingKeyOfARequiredProviderStillFailsClosed) {
  env_.vars.clear();
  const ResourcePlan plan = Plan(Desired(OptionalOpenai()));
  ASSERT_TRUE(plan.error);
  EXPECT_EQ(plan.error_reason, "SecretMissing");
  EXPECT_NE(plan.error->message.find("missing or empty secret value: OPENROUTER_API_KEY (provider openrouter)"),
            std::string::npos)
      << plan.error->message;
  EXPECT_EQ(plan.error->message.find("OPENAI_API_KEY"), std::string::npos) << "the optional one is not the problem";
  EXPECT_FALSE(facts_.secrets);
}

TEST_F(OptionalProviderSecretsTest, WithAnEnvFileTheWarningNamesItAndItsNewKeyIsReadOnTheNextPass) {
  const auto file = dir_.path() / "secrets.env";
  testing::WriteFile(file, "# none yet\n");
  ::chmod(file.c_str(), 0600);
  const auto d = Desired(OptionalOpenai("  credentials:\n    envFile: " + file.string() + "\n"));
  const ResourcePlan plan = Plan(d);
  ASSERT_FALSE(plan.error) << plan.error->message;
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_NE(plan.warnings[0].find("in ironward's environment or in " + file.string()), std::string::npos)
      << plan.warnings[0];
  EXPECT_NE(plan.warnings[0].find("starts one as soon as " + file.string() + " changes"), std::string::npos);

  testing::WriteFile(file, std::string("OPENAI_API_KEY=") + kOpenaiValue + "\n");
  ASSERT_FALSE(Plan(d).error);
  EXPECT_TRUE(facts_.secrets->skipped_providers.empty());
  EXPECT_EQ(facts_.secrets->values.at("OPENAI_API_KEY"), kOpenaiValue);
}

/// The proxy_config reconciler reads SecretFacts::skipped_providers; without secret facts (a
/// command that does not read secrets, such as `wiring`) it keeps each optional provider as the
/// file on disk has it.
class OptionalProviderConfigTest : public ::testing::Test {
 protected:
  /// Plans (and applies when `apply`) mappings and proxy_config with `secrets` as the facts.
  ResourcePlan Pass(const spec::DesiredState& d, const std::optional<SecretFacts>& secrets, bool apply) {
    Facts facts;
    facts.secrets = secrets;
    ReconcileContext ctx{d, facts, !apply};
    WriteDeps deps{clock_, writer_};
    ResourcePlan config;
    for (Reconciler* r : std::initializer_list<Reconciler*>{&mappings_, &config_}) {
      ResourcePlan plan = r->Plan(ctx, deps.Read());
      EXPECT_FALSE(plan.error) << plan.error->message;
      if (apply && !plan.changes.empty()) {
        EXPECT_EQ(r->Apply(ctx, plan, deps).kind, Outcome::Kind::kDone);
      }
      config = plan;
    }
    return config;
  }
  std::vector<std::string> OnDisk() { return SecretVars(YAML::Load(testing::ReadFile(dir_.path() / "proxy.yaml"))); }

  TempDir dir_;
  FakeClock clock_;
  state::StateWriter writer_{dir_.path()};
  MappingsReconciler mappings_;
  ProxyConfigReconciler config_;
};

TEST_F(OptionalProviderConfigTest, TheFileFollowsTheSkippedProvidersAndKeepsThemWhileSecretsAreUnknown) {
  const auto d = Desired(OptionalOpenai());
  SecretFacts skipped;
  skipped.skipped_providers = {"openai"};
  Pass(d, skipped, true);
  EXPECT_EQ(OnDisk(), std::vector<std::string>{"OPENROUTER_API_KEY"});
  EXPECT_TRUE(Pass(d, std::nullopt, false).changes.empty()) << "unknown secrets: openai stays out";
  EXPECT_TRUE(Pass(d, skipped, false).changes.empty());

  const ResourcePlan add = Pass(d, SecretFacts{}, false);
  ASSERT_EQ(add.changes.size(), 1U);
  EXPECT_NE(add.changes[0].reason.find("changed: transforms"), std::string::npos) << add.changes[0].reason;
  Pass(d, SecretFacts{}, true);
  EXPECT_EQ(OnDisk(), (std::vector<std::string>{"OPENROUTER_API_KEY", "OPENAI_API_KEY"}));
  EXPECT_TRUE(Pass(d, std::nullopt, false).changes.empty()) << "unknown secrets: openai stays in";
  SecretFacts pending;
  pending.pending = true;  // a Bitwarden fetch not done yet
  EXPECT_TRUE(Pass(d, pending, false).changes.empty());
}

}  // namespace
}  // namespace ironward::optional_provider_test
