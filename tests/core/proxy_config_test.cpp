#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "reconcilers/io/host_info.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/proxy_config/proxy_schema.h"
#include "reconcilers/proxy_config/render.h"
#include "reconcilers/proxy_config_reconciler.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using proxy_config::CheckConfig;
using proxy_config::ProxyVersion;
using testing::Desired;
using testing::TempDir;
using testing::With;

ProxyVersion V(const std::string& s) {
  ProxyVersion v;
  EXPECT_TRUE(ProxyVersion::Parse(s, &v)) << s;
  return v;
}

proxy_config::Rendered Render(const spec::DesiredState& d, const std::string& bind = "127.0.0.1") {
  proxy_config::RenderInputs in;
  in.desired = &d;
  in.bind_ip = bind;
  in.ca_cert_path = "/s/ca.crt";
  in.ca_key_path = "/s/ca.key";
  in.secrets_dir = "/s/secrets";
  for (const auto& p : d.spec.providers) in.tokens[p.name] = "ironward-" + p.name + "-" + std::string(32, 'a');
  auto r = proxy_config::RenderProxyConfig(in);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : proxy_config::Rendered{};
}

TEST(ProxySchemaTest, KeysTheRealBinaryRejectsAreCaught) {
  for (const char* bad : {"log:\n  audit_path: /x\n", "proxy:\n  http_listens: [a]\n", "nope: 1\n",
                          "dns:\n  enabled: false\n", "proxy:\n  upstream_proxy:\n    http_proxy: x\n"}) {
    EXPECT_FALSE(CheckConfig(YAML::Load(bad), V("0.39.0")).empty()) << bad;
  }
  EXPECT_TRUE(CheckConfig(YAML::Load("dns:\n  enabled: false\n"), V("0.43.0")).empty());
  EXPECT_TRUE(CheckConfig(YAML::Load("dns:\n  enabled: false\n"), V("0.45.2")).empty());
  EXPECT_TRUE(CheckConfig(YAML::Load("proxy:\n  upstream_proxy:\n    no_proxy: x\n"), V("0.42.0")).empty());
  EXPECT_FALSE(CheckConfig(YAML::Load("log:\n  level: info\n"), V("0.46.0")).empty());  // unsupported
  EXPECT_FALSE(CheckConfig(YAML::Load("log:\n  level: info\n"), V("0.38.9")).empty());
}

TEST(ProxySchemaTest, SilentlyIgnoredTransformKeysAndRequireTrueAreCaught) {
  const char* hosts_typo = R"(transforms:
  - name: secrets
    config:
      secrets:
        - source: {type: env, var: K}
          hosts: ["api.x.com"]
          replace: {proxy_value: t}
          rules: [{host: api.x.com}]
)";
  const auto problems = CheckConfig(YAML::Load(hosts_typo), V("0.39.0"));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("secrets[].hosts"), std::string::npos) << problems[0];

  const char* require = R"(transforms:
  - name: secrets
    config:
      secrets:
        - source: {type: env, var: K}
          replace: {proxy_value: t, require: true}
          rules: [{host: api.x.com}]
)";
  const auto req = CheckConfig(YAML::Load(require), V("0.39.0"));
  ASSERT_EQ(req.size(), 1U);
  EXPECT_NE(req[0].find("require"), std::string::npos);
}

TEST(ProxyConfigRenderTest, Renders039WithDnsParkedAndEveryListenerPlaced) {
  const auto d = Desired(testing::kBaseYaml);
  const auto r = Render(d);
  const auto& n = r.node;
  EXPECT_EQ(n["dns"]["listen"].as<std::string>(), "127.0.0.1:19094");
  EXPECT_EQ(n["dns"]["proxy_ip"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(n["proxy"]["tunnel_listen"].as<std::string>(), "127.0.0.1:19090");
  EXPECT_EQ(n["proxy"]["http_listen"].as<std::string>(), "127.0.0.1:19091");
  EXPECT_EQ(n["proxy"]["https_listen"].as<std::string>(), "127.0.0.1:19095");
  EXPECT_EQ(n["metrics"]["listen"].as<std::string>(), "127.0.0.1:19092");
  EXPECT_EQ(n["management"]["listen"].as<std::string>(), "127.0.0.1:19093");
  EXPECT_EQ(n["management"]["api_key_env"].as<std::string>(), proxy_config::kManagementKeyEnv);
  EXPECT_EQ(n["tls"]["ca_cert"].as<std::string>(), "/s/ca.crt");
  EXPECT_EQ(n["proxy"]["upstream_deny_cidrs"].size(), spec::DefaultUpstreamDenyCidrs().size());
  EXPECT_EQ(r.text.find("0.0.0.0:"), std::string::npos);
  EXPECT_TRUE(CheckConfig(n, V("0.39.0")).empty());
}

TEST(ProxyConfigRenderTest, MetricsAndManagementStayOnLoopbackWhateverTheBind) {
  const auto d = Desired(testing::kBaseYaml);
  const auto r = Render(d, "172.29.0.1");
  EXPECT_EQ(r.node["proxy"]["tunnel_listen"].as<std::string>(), "172.29.0.1:19090");
  EXPECT_EQ(r.node["metrics"]["listen"].as<std::string>().rfind("127.0.0.1:", 0), 0U);
  EXPECT_EQ(r.node["management"]["listen"].as<std::string>().rfind("127.0.0.1:", 0), 0U);
  EXPECT_EQ(r.node["proxy"]["https_listen"].as<std::string>().rfind("127.0.0.1:", 0), 0U);
}

TEST(ProxyConfigRenderTest, Renders045WithDnsDisabled) {
  const auto d = Desired(With(testing::kBaseYaml, "\"0.39.0\"", "\"0.45.0\""));
  const auto r = Render(d);
  EXPECT_FALSE(r.node["dns"]["enabled"].as<bool>());
  EXPECT_FALSE(r.node["dns"]["listen"]);
  EXPECT_TRUE(CheckConfig(r.node, V("0.45.0")).empty());
}

TEST(ProxyConfigRenderTest, DnsRoutingServesDnsAndHttpsOnTheGatewayForEverySupportedVersion) {
  for (int minor = proxy_config::kOldestSupportedMinor; minor <= proxy_config::kNewestSupportedMinor; ++minor) {
    const std::string version = "0." + std::to_string(minor) + ".0";
    auto d = Desired(With(testing::kBaseYaml, "\"0.39.0\"", "\"" + version + "\""));
    d.spec.enforcement.network = spec::NetworkMode::kInternal;
    d.spec.enforcement.routing = spec::RoutingMode::kBoth;
    d.spec.dns.passthrough = {"*.corp.example"};
    d.spec.dns.records = {{"db.corp", "A", "10.1.2.3"}, {"www.corp", "CNAME", "web.corp"}};
    const auto r = Render(d, "172.30.99.1");
    const auto& n = r.node;
    EXPECT_EQ(n["dns"]["listen"].as<std::string>(), "172.30.99.1:19094") << version;
    EXPECT_EQ(n["dns"]["proxy_ip"].as<std::string>(), "172.30.99.1") << version;
    if (minor >= 43) {
      EXPECT_TRUE(n["dns"]["enabled"].as<bool>()) << version;
    } else {
      EXPECT_FALSE(n["dns"]["enabled"]) << version;
    }
    EXPECT_EQ(n["dns"]["passthrough"][0].as<std::string>(), "*.corp.example");
    ASSERT_EQ(n["dns"]["records"].size(), 2U);
    EXPECT_EQ(n["dns"]["records"][0]["name"].as<std::string>(), "db.corp");
    EXPECT_EQ(n["dns"]["records"][0]["type"].as<std::string>(), "A");
    EXPECT_EQ(n["dns"]["records"][0]["value"].as<std::string>(), "10.1.2.3");
    EXPECT_EQ(n["dns"]["records"][1]["type"].as<std::string>(), "CNAME");
    EXPECT_EQ(n["proxy"]["http_listen"].as<std::string>(), "172.30.99.1:19091");
    EXPECT_EQ(n["proxy"]["https_listen"].as<std::string>(), "172.30.99.1:19095");
    // Metrics and management never leave loopback.
    EXPECT_EQ(n["metrics"]["listen"].as<std::string>().rfind("127.0.0.1:", 0), 0U);
    EXPECT_TRUE(CheckConfig(n, V(version)).empty()) << version;
  }
}

TEST(ProxyConfigRenderTest, RoutingModeChangesTheListenersDigestNotTheRuleset) {
  auto d = Desired(testing::kBaseYaml);
  d.spec.enforcement.network = spec::NetworkMode::kInternal;
  const auto vars = Render(d, "172.30.99.1");
  d.spec.enforcement.routing = spec::RoutingMode::kDns;
  const auto dns = Render(d, "172.30.99.1");
  EXPECT_NE(vars.listeners_digest, dns.listeners_digest);  // a restart: new listeners
  EXPECT_EQ(vars.ruleset_digest, dns.ruleset_digest);
  d.spec.dns.records = {{"db.corp", "A", "10.1.2.3"}};
  EXPECT_NE(Render(d, "172.30.99.1").listeners_digest, dns.listeners_digest);
}

TEST(ProxyConfigRenderTest, AllowlistAndSecretsTransformsMapTokensToSecretNamesNeverValues) {
  const auto d = Desired(testing::kBaseYaml);
  const auto r = Render(d);
  const auto t = r.node["transforms"];
  ASSERT_EQ(t.size(), 2U);
  EXPECT_EQ(t[0]["name"].as<std::string>(), "allowlist");
  std::vector<std::string> domains;
  for (const auto& x : t[0]["config"]["domains"]) domains.push_back(x.as<std::string>());
  EXPECT_EQ(domains, (std::vector<std::string>{"*.openrouter.ai", "api.github.com", "api.openai.com", "openrouter.ai"}));
  const auto entries = t[1]["config"]["secrets"];
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0]["source"]["type"].as<std::string>(), "env");
  EXPECT_EQ(entries[0]["source"]["var"].as<std::string>(), "OPENROUTER_API_KEY");
  EXPECT_EQ(entries[0]["replace"]["proxy_value"].as<std::string>(), "ironward-openrouter-" + std::string(32, 'a'));
  EXPECT_EQ(entries[0]["replace"]["match_headers"][0].as<std::string>(), "Authorization");
  EXPECT_FALSE(entries[0]["replace"]["require"]);
  EXPECT_EQ(entries[0]["rules"].size(), 2U);
}

TEST(ProxyConfigRenderTest, TokensInThePathOrQueryRenderMatchPathAndMatchQueryOnlyWhenAsked) {
  const auto base = Render(Desired(testing::kBaseYaml));
  const auto plain = base.node["transforms"][1]["config"]["secrets"][0]["replace"];
  EXPECT_FALSE(plain["match_path"]) << "left out by default: existing config digests stay as they were";
  EXPECT_FALSE(plain["match_query"]);
  for (const char* version : {"0.39.0", "0.45.0"}) {
    SCOPED_TRACE(version);
    const std::string versioned =
        With(testing::kBaseYaml, "version: \"0.39.0\"", std::string("version: \"") + version + "\"");
    const auto same_version = Render(Desired(versioned));
    const auto r = Render(Desired(With(versioned, "      hosts: [\"api.openai.com\"]\n",
                                       "      hosts: [\"api.openai.com\"]\n      in: [path, query]\n")));
    const auto replace = r.node["transforms"][1]["config"]["secrets"][1]["replace"];
    EXPECT_TRUE(replace["match_path"].as<bool>());
    EXPECT_TRUE(replace["match_query"].as<bool>());
    EXPECT_EQ(replace["match_headers"][0].as<std::string>(), "Authorization");
    proxy_config::ProxyVersion v;
    ASSERT_TRUE(proxy_config::ProxyVersion::Parse(version, &v));
    EXPECT_TRUE(proxy_config::CheckConfig(YAML::Load(r.text), v).empty());
    EXPECT_NE(r.ruleset_digest, same_version.ruleset_digest) << "a transforms change: reload, not restart";
    EXPECT_EQ(r.listeners_digest, same_version.listeners_digest);
  }
}

TEST(ProxyConfigRenderTest, NoProvidersStillDeniesByDefault) {
  const auto d = Desired(With(With(testing::kBaseYaml, R"(    - name: openrouter
      secret: OPENROUTER_API_KEY
      hosts: ["openrouter.ai", "*.openrouter.ai"]
    - name: openai
      secret: OPENAI_API_KEY
      hosts: ["api.openai.com"]
)", ""), "  providers:\n", "  providers: []\n"));
  const auto r = Render(d);
  ASSERT_EQ(r.node["transforms"].size(), 1U);
  EXPECT_EQ(r.node["transforms"][0]["name"].as<std::string>(), "allowlist");
}

TEST(ProxyConfigRenderTest, EmptyDenyListIsExplicitAndTransformsOnlyChangeTheRulesetDigest) {
  const auto d = Desired(With(testing::kBaseYaml, "    tunnelPort: 19090\n", "    tunnelPort: 19090\n    upstreamDenyCidrs: []\n"));
  const auto r = Render(d);
  ASSERT_TRUE(r.node["proxy"]["upstream_deny_cidrs"].IsSequence());
  EXPECT_EQ(r.node["proxy"]["upstream_deny_cidrs"].size(), 0U);

  const auto base = Render(Desired(testing::kBaseYaml));
  const auto more_hosts = Render(Desired(With(testing::kBaseYaml, "[\"api.github.com\"]", "[\"api.github.com\", \"pypi.org\"]")));
  EXPECT_EQ(base.listeners_digest, more_hosts.listeners_digest);
  EXPECT_NE(base.ruleset_digest, more_hosts.ruleset_digest);
  const auto new_level = Render(Desired(With(testing::kBaseYaml, "    bind: loopback\n", "    bind: loopback\n    logLevel: debug\n")));
  EXPECT_NE(base.listeners_digest, new_level.listeners_digest);
  EXPECT_EQ(base.ruleset_digest, new_level.ruleset_digest);
}

TEST(ProxyConfigRenderTest, UpstreamResponseHeaderTimeoutIsRenderedOnlyWhenSetForEveryVersion) {
  const auto base = Render(Desired(testing::kBaseYaml));
  EXPECT_FALSE(base.node["proxy"]["upstream_response_header_timeout"]) << "unset: iron-proxy's own 30s, digest kept";
  for (const char* version : {"0.39.0", "0.45.0"}) {
    SCOPED_TRACE(version);
    const auto d = Desired(With(With(testing::kBaseYaml, "    tunnelPort: 19090\n",
                                     "    tunnelPort: 19090\n    upstreamResponseHeaderTimeout: 5m\n"),
                                "version: \"0.39.0\"", std::string("version: \"") + version + "\""));
    const auto r = Render(d);
    EXPECT_EQ(r.node["proxy"]["upstream_response_header_timeout"].as<std::string>(), "300s");
    proxy_config::ProxyVersion v;
    ASSERT_TRUE(proxy_config::ProxyVersion::Parse(version, &v));
    EXPECT_TRUE(proxy_config::CheckConfig(YAML::Load(r.text), v).empty());
    EXPECT_NE(r.listeners_digest, base.listeners_digest) << "a restart-class change";
  }
}

class FakeHostInfo final : public HostInfo {
 public:
  std::optional<std::string> InterfaceIPv4(const std::string& name) const override {
    if (name == "docker0" && docker0_) return "172.29.0.1";
    return std::nullopt;
  }
  std::vector<std::string> LocalIPv4Addresses() const override { return {"127.0.0.1", "10.1.2.3"}; }
  bool docker0_ = true;
};

TEST(ProxyConfigRenderTest, BindResolution) {
  FakeHostInfo host;
  auto bridge = Desired(With(testing::kBaseYaml, "bind: loopback", "bind: docker-bridge"));
  auto r = proxy_config::ResolveBindAddress(bridge.spec, &host);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "172.29.0.1");
  host.docker0_ = false;
  r = proxy_config::ResolveBindAddress(bridge.spec, &host);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("docker0"), std::string::npos);

  auto sandbox = Desired(With(testing::kBaseYaml, "bind: loopback", "bind: sandbox-network") +
                         "  enforcement:\n    network: internal\n");
  r = proxy_config::ResolveBindAddress(sandbox.spec, &host);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "172.30.99.1");

  auto addr = Desired(With(testing::kBaseYaml, "bind: loopback", "bind: 10.1.2.3"));
  r = proxy_config::ResolveBindAddress(addr.spec, &host);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "10.1.2.3");
  auto foreign = Desired(With(testing::kBaseYaml, "bind: loopback", "bind: 10.9.9.9"));
  EXPECT_FALSE(proxy_config::ResolveBindAddress(foreign.spec, &host).ok());
}

class ProxyConfigReconcilerTest : public ::testing::Test {
 protected:
  std::vector<ResourcePlan> PlanAll(const spec::DesiredState& d) {
    Facts facts;
    ReconcileContext ctx{d, facts, true};
    ReadDeps deps{clock_, writer_, nullptr, &host_};
    return {mappings_.Plan(ctx, deps), config_.Plan(ctx, deps)};
  }
  void ApplyAll(const spec::DesiredState& d) {
    Facts facts;
    ReconcileContext ctx{d, facts, false};
    WriteDeps deps{clock_, writer_, nullptr, &host_};
    for (Reconciler* r : std::initializer_list<Reconciler*>{&mappings_, &config_}) {
      auto plan = r->Plan(ctx, deps.Read());
      ASSERT_FALSE(plan.error) << plan.error->message;
      ASSERT_EQ(r->Apply(ctx, plan, deps).kind, Outcome::Kind::kDone);
    }
  }

  TempDir dir_;
  FakeClock clock_;
  FakeHostInfo host_;
  state::StateWriter writer_{dir_.path()};
  MappingsReconciler mappings_;
  ProxyConfigReconciler config_;
};

TEST_F(ProxyConfigReconcilerTest, FreshHostPlansCreateKnownAfterApplyThenConverges) {
  const auto d = Desired(testing::kBaseYaml);
  auto plans = PlanAll(d);
  ASSERT_EQ(plans[1].changes.size(), 1U);
  EXPECT_EQ(plans[1].changes[0].action, Action::kCreate);
  EXPECT_EQ(plans[1].changes[0].after["sha256"], kKnownAfterApply);
  ApplyAll(d);
  EXPECT_EQ(testing::ModeOf(dir_.path() / "proxy.yaml"), 0600U);
  plans = PlanAll(d);
  EXPECT_TRUE(plans[0].changes.empty());
  EXPECT_TRUE(plans[1].changes.empty());
  const auto text = testing::ReadFile(dir_.path() / "proxy.yaml");
  EXPECT_TRUE(CheckConfig(YAML::Load(text), V("0.39.0")).empty());
  auto mappings = ParseMappings(testing::ReadFile(dir_.path() / "mappings.json"));
  ASSERT_TRUE(mappings.ok());
  for (const auto& [name, m] : mappings->providers) EXPECT_NE(text.find(m.token), std::string::npos) << name;
}

TEST_F(ProxyConfigReconcilerTest, HandEditIsDriftWithTheChangedSectionNamed) {
  const auto d = Desired(testing::kBaseYaml);
  ApplyAll(d);
  auto text = testing::ReadFile(dir_.path() / "proxy.yaml");
  text = With(text, "level: info", "level: debug");
  testing::WriteFile(dir_.path() / "proxy.yaml", text);
  const auto plans = PlanAll(d);
  ASSERT_EQ(plans[1].changes.size(), 1U);
  EXPECT_EQ(plans[1].changes[0].action, Action::kUpdate);
  EXPECT_NE(plans[1].changes[0].reason.find("changed: log"), std::string::npos) << plans[1].changes[0].reason;
  ApplyAll(d);
  EXPECT_TRUE(PlanAll(d)[1].changes.empty());
}

TEST_F(ProxyConfigReconcilerTest, DeletedOrLoosenedFileIsRepaired) {
  const auto d = Desired(testing::kBaseYaml);
  ApplyAll(d);
  ::chmod((dir_.path() / "proxy.yaml").c_str(), 0644);
  auto plans = PlanAll(d);
  ASSERT_EQ(plans[1].changes.size(), 1U);
  EXPECT_EQ(plans[1].changes[0].reason, "mode 0644 is not 0600");
  ApplyAll(d);
  EXPECT_EQ(testing::ModeOf(dir_.path() / "proxy.yaml"), 0600U);
  std::filesystem::remove(dir_.path() / "proxy.yaml");
  plans = PlanAll(d);
  ASSERT_EQ(plans[1].changes.size(), 1U);
  EXPECT_EQ(plans[1].changes[0].action, Action::kCreate);
}

TEST_F(ProxyConfigReconcilerTest, MissingBridgeIsAnObserveErrorNotACrash) {
  host_.docker0_ = false;
  const auto d = Desired(With(testing::kBaseYaml, "bind: loopback", "bind: docker-bridge"));
  const auto plans = PlanAll(d);
  ASSERT_TRUE(plans[1].error);
  EXPECT_NE(plans[1].error->message.find("docker0"), std::string::npos);
}

}  // namespace
}  // namespace ironward
