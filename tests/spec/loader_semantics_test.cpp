// Semantic rules: uniqueness, reserved env, bind, mounts, resources, enums, credentials,
// enforcement, deny list, derived ports.
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::HasError;
using testing::HasWarning;
using testing::Load;
using testing::OnlyError;

constexpr const char* kTwoProviders =
    "  providers:\n"                                                // 9
    "    - {name: openrouter, secret: OR_KEY, hosts: [openrouter.ai]}\n"  // 10
    "    - {name: github, secret: GH_TOKEN, hosts: [api.github.com]}\n";  // 11

std::string SandboxDoc(const std::string& body) {
  return std::string(kTwoProviders) +
         "  sandboxes:\n"     // 12
         "    - name: sb\n"   // 13
         "      image: img\n" // 14
         + body;              // 15...
}

TEST(LoaderUniquenessTest, DuplicateProviderNames) {
  const auto r = Load(Doc(
      "  providers:\n"
      "    - {name: p, secret: A_KEY, hosts: [a.example]}\n"
      "    - {name: p, secret: B_KEY, hosts: [b.example]}\n"));
  EXPECT_TRUE(OnlyError(r, 11, 14, "spec.providers[1].name: duplicate provider name 'p' (also spec.providers[0])"));
}

TEST(LoaderUniquenessTest, TwoProvidersWithSameSecret) {
  const auto r = Load(Doc(
      "  providers:\n"
      "    - {name: a, secret: SAME, hosts: [a.example]}\n"
      "    - {name: b, secret: SAME, hosts: [b.example]}\n"));
  EXPECT_TRUE(OnlyError(r, 11, 25, "spec.providers[1].secret: secret 'SAME' is already used by provider 'a'"));
}

TEST(LoaderUniquenessTest, DuplicateSandboxNames) {
  const auto r = Load(Doc(
      "  sandboxes:\n"
      "    - {name: sb, image: img}\n"
      "    - {name: sb, image: img}\n"));
  EXPECT_TRUE(OnlyError(r, 11, 14, "spec.sandboxes[1].name: duplicate sandbox name 'sb' (also spec.sandboxes[0])"));
}

TEST(LoaderBindTest, RejectsAllInterfaces) {
  const auto r = Load(Doc("    bind: 0.0.0.0\n"));
  EXPECT_TRUE(OnlyError(r, 9, 11, "spec.proxy.bind: '0.0.0.0' would expose the proxy on every interface"));
}

TEST(LoaderBindTest, RejectsMulticastBroadcastAndIpv6) {
  EXPECT_TRUE(OnlyError(Load(Doc("    bind: 239.1.2.3\n")), 9, 11, "is a multicast address"));
  EXPECT_TRUE(OnlyError(Load(Doc("    bind: 255.255.255.255\n")), 9, 11, "is the broadcast address"));
  EXPECT_TRUE(OnlyError(Load(Doc("    bind: \"::1\"\n")), 9, 11, "IPv6 bind addresses are not supported"));
  EXPECT_TRUE(OnlyError(Load(Doc("    bind: \"::\"\n")), 9, 11, "IPv6 bind addresses are not supported"));
}

TEST(LoaderBindTest, UnknownKeywordSuggests) {
  EXPECT_TRUE(OnlyError(Load(Doc("    bind: docker_bridge\n")), 9, 11, "did you mean 'docker-bridge'?"));
}

TEST(LoaderBindTest, AcceptsKeywordsAndAddress) {
  auto r = Load(Doc("    bind: 172.17.0.1\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.proxy.bind, BindKind::kAddress);
  EXPECT_EQ(r.state->spec.proxy.bind_address, "172.17.0.1");
  r = Load(Doc("    bind: loopback\n"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.state->spec.proxy.bind, BindKind::kLoopback);
}

TEST(LoaderProxyTest, UpstreamResponseHeaderTimeoutAndMaxRestartBackoffRanges) {
  const auto ok = Load(Doc("    upstreamResponseHeaderTimeout: 10m\n    maxRestartBackoff: 30s\n"));
  ASSERT_TRUE(ok.ok()) << testing::Dump(ok);
  EXPECT_EQ(*ok.state->spec.proxy.upstream_response_header_timeout, std::chrono::minutes(10));
  EXPECT_EQ(ok.state->spec.proxy.max_restart_backoff, std::chrono::seconds(30));
  EXPECT_FALSE(Load(Doc()).state->spec.proxy.upstream_response_header_timeout);
  EXPECT_TRUE(HasError(Load(Doc("    upstreamResponseHeaderTimeout: 2h\n")), 9, 36, "must be at most 1h"));
  EXPECT_TRUE(HasError(Load(Doc("    maxRestartBackoff: 2h\n")), 9, 24, "must be at most 1h"));
  EXPECT_FALSE(Load(Doc("    maxRestartBackoff: 1s\n")).ok()) << "below 5s: a hot loop";
  EXPECT_EQ(Load(Doc()).state->digest, Load(Doc("    maxRestartBackoff: 5m\n")).state->digest)
      << "the default joins no digest";
}

TEST(LoaderBindTest, SandboxNetworkNeedsInternalNetwork) {
  auto r = Load(Doc("    bind: sandbox-network\n"));
  EXPECT_TRUE(OnlyError(r, 9, 11, "bind: sandbox-network needs enforcement.network: internal"));
  r = Load(Doc("    bind: sandbox-network\n  enforcement:\n    network: internal\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.proxy.bind, BindKind::kSandboxNetwork);
}

TEST(LoaderEnvTest, EgressVariablesAreReserved) {
  const auto r = Load(Doc(SandboxDoc("      env:\n        HTTPS_PROXY: http://evil:1\n        SSL_CERT_FILE: x\n")));
  EXPECT_TRUE(HasError(r, 16, 9, "spec.sandboxes[0].env: 'HTTPS_PROXY' is set by ironward in every sandbox"));
  EXPECT_TRUE(HasError(r, 17, 9, "'SSL_CERT_FILE' is set by ironward"));
  EXPECT_EQ(r.errors.size(), 2U) << testing::Dump(r);
}

TEST(LoaderEnvTest, NodeOptionsIsKeptUnlessItDropsTheSystemCaStore) {
  auto r = Load(Doc(SandboxDoc("      env:\n        NODE_OPTIONS: --max-old-space-size=4096\n")));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.sandboxes[0].env.at("NODE_OPTIONS"), "--max-old-space-size=4096");
  r = Load(Doc(SandboxDoc("      env:\n        NODE_OPTIONS: --use-bundled-ca\n")));
  EXPECT_TRUE(OnlyError(r, 16, 9, "--use-bundled-ca makes Node.js ignore the egress CA"));
}

TEST(LoaderEnvTest, IronwardPrefixIsReserved) {
  const auto r = Load(Doc(SandboxDoc(
      "      env:\n        IRONWARD_FOO: x\n        IRONWARD_PROXY_TOKEN_OR_KEY: y\n")));
  EXPECT_TRUE(HasError(r, 16, 9, "'IRONWARD_FOO': IRONWARD_* variables are reserved"));
  EXPECT_TRUE(HasError(r, 17, 9, "'IRONWARD_PROXY_TOKEN_OR_KEY': IRONWARD_* variables are reserved"));
  EXPECT_EQ(r.errors.size(), 2U) << testing::Dump(r);
}

TEST(LoaderEnvTest, ProviderSecretNameIsForbidden) {
  const auto r = Load(Doc(SandboxDoc("      env: {GH_TOKEN: x}\n")));
  EXPECT_TRUE(OnlyError(r, 15, 13, "'GH_TOKEN' is the real secret of provider 'github'"));
}

TEST(LoaderEnvTest, NamesMustBeValidAndValuesScalar) {
  const auto r = Load(Doc(SandboxDoc("      env:\n        1BAD: x\n        GOOD-NAME: y\n        LIST: [a]\n")));
  EXPECT_TRUE(HasError(r, 16, 9, "'1BAD' is not a valid environment variable name"));
  EXPECT_TRUE(HasError(r, 17, 9, "'GOOD-NAME' is not a valid environment variable name"));
  EXPECT_TRUE(HasError(r, 18, 15, "spec.sandboxes[0].env.LIST: expected a string, got a list"));
  EXPECT_EQ(r.errors.size(), 3U) << testing::Dump(r);
}

TEST(LoaderEnvTest, ScalarValuesBecomeStrings) {
  const auto r = Load(Doc(SandboxDoc("      env: {PORT: 8080, DEBUG: true, TASK: demo}\n")));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const auto& env = r.state->spec.sandboxes[0].env;
  EXPECT_EQ(env.at("PORT"), "8080");
  EXPECT_EQ(env.at("DEBUG"), "true");
  EXPECT_EQ(env.at("TASK"), "demo");
}

TEST(LoaderSecretTest, ProviderSecretMustBeEnvName) {
  const auto r = Load(Doc("  providers:\n    - {name: p, secret: my-key, hosts: [a.example]}\n"));
  EXPECT_TRUE(OnlyError(r, 10, 25, "spec.providers[0].secret: 'my-key' is not a valid environment variable name"));
}

TEST(LoaderSecretTest, ProviderSecretMayNotBeReserved) {
  const auto r = Load(Doc("  providers:\n    - {name: p, secret: IRONWARD_KEY, hosts: [a.example]}\n"));
  EXPECT_TRUE(OnlyError(r, 10, 25, "names starting with IRONWARD_ are reserved"));
}

TEST(LoaderMountTest, RejectsMalformedMounts) {
  const auto r = Load(Doc(SandboxDoc(
      "      mounts:\n"
      "        - relative:/work\n"          // 16
      "        - /srv/a:work\n"             // 17
      "        - /srv/a:/work:rwx\n"        // 18
      "        - /srv/a\n"                  // 19
      "        - /srv/../etc:/x\n")));      // 20
  EXPECT_TRUE(HasError(r, 16, 11, "the host path must be absolute"));
  EXPECT_TRUE(HasError(r, 17, 11, "the container path must be absolute"));
  EXPECT_TRUE(HasError(r, 18, 11, "has an invalid mode 'rwx'"));
  EXPECT_TRUE(HasError(r, 19, 11, "has no container path"));
  EXPECT_TRUE(HasError(r, 20, 11, "the host path must be absolute without '..'"));
  EXPECT_EQ(r.errors.size(), 5U) << testing::Dump(r);
}

TEST(LoaderMountTest, MayNotHideTheCaOrRepeatATarget) {
  const auto r = Load(Doc(SandboxDoc(
      "      mounts:\n"
      "        - /srv/certs:/etc/ssl/certs:ro\n"  // 16
      "        - /srv/a:/work\n"                  // 17
      "        - /srv/b:/work/:ro\n")));           // 18
  EXPECT_TRUE(HasError(r, 16, 11, "would hide the egress CA"));
  EXPECT_TRUE(HasError(r, 18, 11, "container path /work is already mounted by spec.sandboxes[0].mounts[1]"));
  EXPECT_EQ(r.errors.size(), 2U) << testing::Dump(r);
}

TEST(LoaderMountTest, DockerSocketAndItsParentsAreErrors) {
  for (const char* host : {"/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run/", "/var", "/"}) {
    const auto r = Load(Doc(SandboxDoc("      mounts: [\"" + std::string(host) + ":/x\"]\n")));
    EXPECT_FALSE(r.ok()) << host;
    EXPECT_TRUE(HasError(r, 15, 16, "Docker socket")) << host << "\n" << testing::Dump(r);
  }
  const auto ok = Load(Doc(SandboxDoc("      mounts: [\"/var/lib/agent:/x\", \"/run/user/1000/x:/y\"]\n")));
  EXPECT_TRUE(ok.ok()) << testing::Dump(ok);
}

TEST(LoaderResourcesTest, RejectsBadValues) {
  const auto r = Load(Doc(SandboxDoc(
      "      resources:\n"
      "        memory: 1m\n"  // 16
      "        cpus: 0\n"     // 17
      "        pids: 0\n")));  // 18
  EXPECT_TRUE(HasError(r, 16, 17, "spec.sandboxes[0].resources.memory: must be at least 6m"));
  EXPECT_TRUE(HasError(r, 17, 15, "spec.sandboxes[0].resources.cpus: must be greater than 0"));
  EXPECT_TRUE(HasError(r, 18, 15, "spec.sandboxes[0].resources.pids: must be greater than 0"));
  EXPECT_EQ(r.errors.size(), 3U) << testing::Dump(r);
}

TEST(LoaderResourcesTest, RejectsBadMemoryFormat) {
  auto r = Load(Doc(SandboxDoc("      resources: {memory: 2x}\n")));
  EXPECT_TRUE(OnlyError(r, 15, 27, "invalid size '2x'"));
  r = Load(Doc(SandboxDoc("      resources: {memory: -5}\n")));
  EXPECT_TRUE(OnlyError(r, 15, 27, "must be at least 6m"));
  r = Load(Doc(SandboxDoc("      resources: {cpus: lots}\n")));
  EXPECT_TRUE(OnlyError(r, 15, 25, "expected a number, got a string"));
}

TEST(LoaderResourcesTest, AcceptsUnitsAndBytes) {
  auto r = Load(Doc(SandboxDoc("      resources: {memory: 512m, cpus: 1.5, pids: 64}\n")));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.sandboxes[0].resources.memory_bytes, 512LL << 20);
  EXPECT_DOUBLE_EQ(r.state->spec.sandboxes[0].resources.cpus, 1.5);
  EXPECT_EQ(r.state->spec.sandboxes[0].resources.pids, 64);
  r = Load(Doc(SandboxDoc("      resources: {memory: 1073741824}\n")));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.sandboxes[0].resources.memory_bytes, 1LL << 30);
}

TEST(LoaderEnumTest, RejectsUnknownValues) {
  const auto r = Load(Doc(
      "    logLevel: verbose\n"          // 9
      "  ca:\n"
      "    algorithm: rsa-2048\n"        // 11
      "  credentials:\n"
      "    source: vault\n"              // 13
      "  enforcement:\n"
      "    mode: enforec\n"               // 15
      "    network: host\n"              // 16
      "    uncoveredProviders: ignore\n"));  // 17
  EXPECT_TRUE(HasError(r, 9, 15, "spec.proxy.logLevel: unknown value 'verbose' (expected one of: debug, info, warn, error)"));
  EXPECT_TRUE(HasError(r, 11, 16, "spec.ca.algorithm: unknown value 'rsa-2048' (expected one of: rsa-4096, ecdsa-p256, ed25519)"));
  EXPECT_TRUE(HasError(r, 13, 13, "spec.credentials.source: unknown value 'vault' (expected one of: env, bitwarden)"));
  EXPECT_TRUE(HasError(r, 15, 11, "spec.enforcement.mode: unknown value 'enforec' (expected one of: off, warn, enforce); did you mean 'enforce'?"));
  EXPECT_TRUE(HasError(r, 16, 14, "spec.enforcement.network: unknown value 'host' (expected one of: none, internal)"));
  EXPECT_TRUE(HasError(r, 17, 25, "spec.enforcement.uncoveredProviders: unknown value 'ignore' (expected one of: warn, fail)"));
  EXPECT_EQ(r.errors.size(), 6U) << testing::Dump(r);
}

TEST(LoaderCredentialsTest, BitwardenRequiresProjectId) {
  auto r = Load(Doc("  credentials:\n    source: bitwarden\n"));
  EXPECT_TRUE(OnlyError(r, 10, 13, "spec.credentials.source: credentials.source is bitwarden, so bitwarden.projectId is required"));
  r = Load(Doc("  credentials:\n    source: bitwarden\n    bitwarden:\n      accessTokenEnv: BWS\n"));
  EXPECT_TRUE(OnlyError(r, 12, 7, "spec.credentials.bitwarden: credentials.source is bitwarden, so bitwarden.projectId is required"));
}

TEST(LoaderCredentialsTest, ApiAndIdentityUrlComeTogether) {
  const auto r = Load(Doc(
      "  credentials:\n    bitwarden:\n      apiUrl: https://api.bitwarden.eu\n"));
  EXPECT_TRUE(OnlyError(r, 11, 15, "spec.credentials.bitwarden.apiUrl: apiUrl and identityUrl must be set together (identityUrl is missing)"));
}

TEST(LoaderCredentialsTest, EnvFileMustBeAbsolute) {
  const auto r = Load(Doc("  credentials:\n    envFile: secrets.env\n"));
  EXPECT_TRUE(OnlyError(r, 10, 14, "spec.credentials.envFile: 'secrets.env' must be an absolute path"));
}

TEST(LoaderCredentialsTest, BitwardenUrlsAndTokenEnvAreChecked) {
  const auto r = Load(Doc(
      "  credentials:\n    bitwarden:\n      serverUrl: vault.example.com\n"
      "      accessTokenEnv: bws-token\n"));
  EXPECT_TRUE(HasError(r, 11, 18, "spec.credentials.bitwarden.serverUrl: 'vault.example.com' must start with https://"));
  EXPECT_TRUE(HasError(r, 12, 23, "'bws-token' is not a valid environment variable name"));
  EXPECT_EQ(r.errors.size(), 2U) << testing::Dump(r);
}

TEST(LoaderEnforcementTest, SelectorMustBeLabelLike) {
  auto r = Load(Doc("  enforcement:\n    selector: \"=true\"\n"));
  EXPECT_TRUE(OnlyError(r, 10, 15, "spec.enforcement.selector: '=true' has an empty label key"));
  r = Load(Doc("  enforcement:\n    selector: \"a b=c\"\n"));
  EXPECT_TRUE(OnlyError(r, 10, 15, "the label key may only contain"));
  r = Load(Doc("  enforcement:\n    selector: \"k=v w\"\n"));
  EXPECT_TRUE(OnlyError(r, 10, 15, "the label value may only contain"));
  r = Load(Doc("  enforcement:\n    selector: com.example/policed\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.enforcement.selector, "com.example/policed");
}

TEST(LoaderEnforcementTest, NetworkSubnetMustBeSmallEnoughIpv4Cidr) {
  auto r = Load(Doc("  enforcement:\n    networkSubnet: 10.9.0.0/30\n"));
  EXPECT_TRUE(OnlyError(r, 10, 20, "spec.enforcement.networkSubnet: '10.9.0.0/30' is too small; use a prefix of /29 or shorter"));
  r = Load(Doc("  enforcement:\n    networkSubnet: \"fd00::/64\"\n"));
  EXPECT_TRUE(OnlyError(r, 10, 20, "is IPv6; an IPv4 CIDR is required"));
  r = Load(Doc("  enforcement:\n    networkSubnet: 10.9.0.5/24\n"));
  EXPECT_TRUE(OnlyError(r, 10, 20, "has host bits set; did you mean '10.9.0.0/24'?"));
  r = Load(Doc("  enforcement:\n    networkSubnet: 10.9.0.1\n"));
  EXPECT_TRUE(OnlyError(r, 10, 20, "is a bare IP address"));
  r = Load(Doc("  enforcement:\n    networkName: \"-bad\"\n"));
  EXPECT_TRUE(OnlyError(r, 10, 18, "not a valid Docker network name"));
}

TEST(LoaderDenyCidrsTest, DefaultEmptyAndInvalidKeyword) {
  auto r = Load(Doc("    upstreamDenyCidrs: default\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(r.state->spec.proxy.upstream_deny_default);
  EXPECT_EQ(r.state->spec.proxy.upstream_deny_cidrs, DefaultUpstreamDenyCidrs());

  r = Load(Doc("    upstreamDenyCidrs: []\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_FALSE(r.state->spec.proxy.upstream_deny_default);
  EXPECT_TRUE(r.state->spec.proxy.upstream_deny_cidrs.empty());
  EXPECT_TRUE(HasWarning(r, 9, 24, "empty deny list"));

  r = Load(Doc("    upstreamDenyCidrs: none\n"));
  EXPECT_TRUE(OnlyError(r, 9, 24, "spec.proxy.upstreamDenyCidrs: expected 'default', [] or a list of CIDRs, got a string 'none'"));
}

TEST(LoaderPortsTest, ExplicitCollisionNamesBothFields) {
  const auto r = Load(Doc("    tunnelPort: 8000\n    metricsPort: 8000\n"));
  EXPECT_TRUE(OnlyError(r, 10, 18, "spec.proxy.metricsPort: port 8000 is used by both tunnelPort and metricsPort"));
}

TEST(LoaderPortsTest, CollisionWithDerivedPortNamesTheDefault) {
  const auto r = Load(Doc("    tunnelPort: 8000\n    dnsPort: 8001\n"));
  EXPECT_TRUE(OnlyError(r, 10, 14, "spec.proxy.dnsPort: port 8001 is used by both httpPort (default tunnelPort+1) and dnsPort"));
}

TEST(LoaderPortsTest, DerivedPortsMustFit) {
  const auto r = Load(Doc("    tunnelPort: 65533\n"));
  EXPECT_TRUE(HasError(r, 9, 17, "tunnelPort 65533 leaves no room for dnsPort (tunnelPort+4); set dnsPort explicitly"));
  EXPECT_TRUE(HasError(r, 9, 17, "leaves no room for httpsPort"));
  EXPECT_TRUE(HasError(r, 9, 17, "leaves no room for managementPort"));
  EXPECT_EQ(r.errors.size(), 3U) << testing::Dump(r);
}

TEST(LoaderPortsTest, PrivilegedListenerPortWarns) {
  const auto r = Load(Doc("    tunnelPort: 80\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(HasWarning(r, 9, 17, "port 80 is privileged"));
  EXPECT_TRUE(HasWarning(r, 9, 17, "spec.proxy.httpPort: port 81 (default tunnelPort+1) is privileged"));
}

TEST(LoaderRotationTest, RotationMustBePositive) {
  const auto r = Load(Doc("  ca:\n    rotation: 0\n  tokens:\n    rotation: -2\n"));
  EXPECT_TRUE(HasError(r, 10, 15, "spec.ca.rotation: must be at least 1, got 0"));
  EXPECT_TRUE(HasError(r, 12, 15, "spec.tokens.rotation: must be at least 1, got -2"));
}

TEST(LoaderWarningsTest, WarningsDoNotFailTheLoad) {
  const auto r = Load(Doc(
      "  allowlist: [a.example, a.example, \"*.com\"]\n"
      "  credentials:\n    bitwarden: {projectId: 8d5a2e6c-1f3b-4c7d-9e8f-0a1b2c3d4e5f}\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(HasWarning(r, 9, 26, "'a.example' is listed twice"));
  EXPECT_TRUE(HasWarning(r, 9, 37, "matches a whole top-level domain"));
  EXPECT_TRUE(HasWarning(r, 11, 16, "ignored: credentials.source is env"));
}

}  // namespace
}  // namespace ironward::spec
