// Catalog names in spec.providers (state/spec/provider_catalog.h) and `optional`.
#include "state/spec/provider_catalog.h"
#include "state/spec/validators.h"
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::Load;
using testing::OnlyError;

/// The one provider of a document that must load (a copy: `r` may be a temporary).
Provider Only(const LoadResult& r) {
  EXPECT_TRUE(r.ok()) << testing::Dump(r);
  if (!r.ok() || r.state->spec.providers.size() != 1) return Provider{};
  return r.state->spec.providers[0];
}

TEST(ProviderCatalogTest, EveryEntryIsAValidProviderAndNamesAndSecretsAreUnique) {
  std::set<std::string> names;
  std::set<std::string> secrets;
  for (const Provider& p : ProviderCatalog()) {
    EXPECT_TRUE(IsProviderName(p.name)) << p.name;
    EXPECT_TRUE(IsEnvVarName(p.secret)) << p.secret;
    EXPECT_FALSE(p.hosts.empty()) << p.name;
    for (const auto& h : p.hosts) EXPECT_EQ(CheckHostPattern(h), "") << p.name << ": " << h;
    for (const auto& h : p.headers) EXPECT_TRUE(IsHeaderName(h)) << p.name << ": " << h;
    EXPECT_FALSE(p.optional);
    EXPECT_TRUE(p.in == TokenPlaces{});
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    EXPECT_TRUE(secrets.insert(p.secret).second) << p.secret;
  }
  EXPECT_EQ(names.size(), 11U);
  ASSERT_NE(FindCatalogProvider("azure-openai"), nullptr);
  EXPECT_EQ(FindCatalogProvider("azure_openai"), nullptr) << "only the provider-name spelling";
}

TEST(LoaderCatalogTest, EveryCatalogNameAloneLoadsCleanly) {
  std::string yaml = "  providers:\n";
  for (const Provider& p : ProviderCatalog()) yaml += "    - name: " + p.name + "\n";
  const auto r = Load(Doc(yaml));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(r.warnings.empty()) << testing::Dump(r);
  ASSERT_EQ(r.state->spec.providers.size(), ProviderCatalog().size());
}

TEST(LoaderCatalogTest, ANameAloneFillsSecretHostsAndHeadersAndTheDigestSeesThem) {
  const auto alone = Load(Doc("  providers:\n    - name: anthropic\n"));
  const Provider p = Only(alone);
  EXPECT_EQ(p.secret, "ANTHROPIC_API_KEY");
  EXPECT_EQ(p.hosts, std::vector<std::string>{"api.anthropic.com"});
  EXPECT_EQ(p.headers, std::vector<std::string>{"x-api-key"});
  EXPECT_FALSE(p.optional);
  const auto json = ToJson(*alone.state)["spec"]["providers"][0];
  EXPECT_EQ(json["secret"], "ANTHROPIC_API_KEY");
  EXPECT_EQ(json["hosts"], nlohmann::json::array({"api.anthropic.com"}));
  EXPECT_EQ(json["headers"], nlohmann::json::array({"x-api-key"}));
  EXPECT_FALSE(json.contains("optional")) << "optional joins the digest only when set";
  // Spelled out, the same provider has the same digest: only effective values count.
  const auto spelled = Load(Doc(
      "  providers:\n"
      "    - {name: anthropic, secret: ANTHROPIC_API_KEY, hosts: [api.anthropic.com], headers: [x-api-key]}\n"));
  ASSERT_TRUE(spelled.ok()) << testing::Dump(spelled);
  EXPECT_EQ(spelled.state->digest, alone.state->digest);
}

TEST(LoaderCatalogTest, WrittenFieldsOverrideTheCatalog) {
  const Provider hosts = Only(Load(Doc("  providers:\n    - {name: openai, hosts: [my.proxy.example]}\n")));
  EXPECT_EQ(hosts.hosts, std::vector<std::string>{"my.proxy.example"});
  EXPECT_EQ(hosts.secret, "OPENAI_API_KEY");
  EXPECT_EQ(hosts.headers, std::vector<std::string>{"Authorization"});

  const auto r = Load(Doc("  providers:\n    - {name: gemini, secret: GOOGLE_KEY, headers: [Authorization]}\n"));
  const Provider both = Only(r);
  EXPECT_EQ(both.secret, "GOOGLE_KEY");
  EXPECT_EQ(both.headers, std::vector<std::string>{"Authorization"});
  EXPECT_EQ(both.hosts, std::vector<std::string>{"generativelanguage.googleapis.com"});
  EXPECT_NE(r.state->digest, Load(Doc("  providers:\n    - name: gemini\n")).state->digest);
}

TEST(LoaderCatalogTest, AnUnknownNameWithoutSecretOrHostsIsAnErrorAtTheProviderListingTheCatalog) {
  const auto r = Load(Doc("  providers:\n    - name: telegram\n"));  // line 10, the mapping at col 7
  EXPECT_TRUE(OnlyError(r, 10, 7,
                        "spec.providers[0]: 'telegram' is not in the built-in provider catalog, so it needs "
                        "'secret' and 'hosts' (catalog: openrouter, openai, anthropic, azure-openai, gemini, groq, "
                        "together, deepseek, mistral, xai, nous; `ironward providers` shows"));
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - {name: telegram, secret: TELEGRAM_BOT_TOKEN}\n")), 10, 7,
                        "'telegram' is not in the built-in provider catalog, so it needs 'hosts' (catalog: "));
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - {name: telegram, hosts: [api.telegram.org]}\n")), 10, 7,
                        "so it needs 'secret' (catalog: "));
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - name: mistal\n")), 10, 7, "did you mean 'mistral'?"));
}

TEST(LoaderCatalogTest, HermesSpellingAzureOpenaiIsRefusedWithTheCatalogName) {
  const auto r = Load(Doc("  providers:\n    - name: azure_openai\n"));
  EXPECT_TRUE(OnlyError(r, 10, 13, "'azure_openai' is not a valid provider name"));
  EXPECT_TRUE(OnlyError(r, 10, 13, "did you mean 'azure-openai' from the built-in catalog?"));
  EXPECT_EQ(Only(Load(Doc("  providers:\n    - name: azure-openai\n"))).headers, std::vector<std::string>{"api-key"});
}

TEST(LoaderCatalogTest, OptionalIsABooleanThatJoinsTheDigestOnlyWhenTrue) {
  const auto on = Load(Doc("  providers:\n    - {name: groq, optional: true}\n"));
  EXPECT_TRUE(Only(on).optional);
  EXPECT_EQ(ToJson(*on.state)["spec"]["providers"][0]["optional"], true);
  const auto off = Load(Doc("  providers:\n    - {name: groq, optional: false}\n"));
  EXPECT_FALSE(Only(off).optional);
  EXPECT_EQ(off.state->digest, Load(Doc("  providers:\n    - name: groq\n")).state->digest);
  EXPECT_NE(on.state->digest, off.state->digest);
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - {name: groq, optional: yes}\n")), 10, 30,
                        "spec.providers[0].optional: expected a boolean"));
}

}  // namespace
}  // namespace ironward::spec
