// Value formats: hosts, CIDRs, ports, durations, UUIDs, sha256, URLs, versions.
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::HasError;
using testing::Load;
using testing::OnlyError;

std::string Allowlist(const std::string& host) { return Doc("  allowlist: [\"" + host + "\"]\n"); }

// Column of the allowlist entry's quoted scalar: `  allowlist: [` is 14 chars.
constexpr int kAllowCol = 15;

TEST(LoaderHostTest, RejectsUppercase) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("API.github.com")), 9, kAllowCol,
                        "spec.allowlist[0]: 'API.github.com' has uppercase letters; iron-proxy host "
                        "matching is case-sensitive"));
}

TEST(LoaderHostTest, RejectsScheme) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("https://api.github.com")), 9, kAllowCol, "has a scheme"));
}

TEST(LoaderHostTest, RejectsPort) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("api.github.com:443")), 9, kAllowCol, "has a port"));
}

TEST(LoaderHostTest, RejectsPath) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("api.github.com/v1")), 9, kAllowCol, "has a path"));
}

TEST(LoaderHostTest, RejectsBareWildcard) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("*")), 9, kAllowCol, "a bare '*' would match every host"));
}

TEST(LoaderHostTest, RejectsEmptyLabels) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("api..github.com")), 9, kAllowCol, "has an empty label"));
  EXPECT_TRUE(OnlyError(Load(Allowlist("api.github.com.")), 9, kAllowCol, "has an empty label"));
  EXPECT_TRUE(OnlyError(Load(Allowlist(".github.com")), 9, kAllowCol, "has an empty label"));
  EXPECT_TRUE(OnlyError(Load(Allowlist("")), 9, kAllowCol, "empty host"));
}

TEST(LoaderHostTest, RejectsInnerWildcards) {
  EXPECT_TRUE(OnlyError(Load(Allowlist("api.*.com")), 9, kAllowCol, "only supported as a leading '*.'"));
}

TEST(LoaderHostTest, AcceptsNamesAndLeadingWildcard) {
  const auto r = Load(Doc("  allowlist: [api.github.com, \"*.openrouter.ai\", 10.1.2.3, a-b_c.x]\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.allowlist,
            (std::vector<std::string>{"api.github.com", "*.openrouter.ai", "10.1.2.3", "a-b_c.x"}));
}

TEST(LoaderHostTest, ProviderHostsAreCheckedToo) {
  const auto r = Load(Doc(
      "  providers:\n"
      "    - name: p\n"
      "      secret: P_KEY\n"
      "      hosts: [ok.example, Bad.example]\n"));
  EXPECT_TRUE(OnlyError(r, 12, 27, "spec.providers[0].hosts[1]: 'Bad.example' has uppercase"));
}

TEST(LoaderTokenPlacesTest, InTakesOneOrAListOfHeaderPathQuery) {
  const auto r = Load(Doc("  providers:\n"
                          "    - {name: tg, secret: TG_KEY, hosts: [api.telegram.org], in: path}\n"
                          "    - {name: g, secret: G_KEY, hosts: [g.example], in: [header, query]}\n"
                          "    - {name: o, secret: O_KEY, hosts: [o.example]}\n"));
  ASSERT_TRUE(r.state) << (r.errors.empty() ? "" : r.errors[0].message);
  const auto& p = r.state->spec.providers;
  EXPECT_EQ(p[0].in, (TokenPlaces{false, true, false}));
  EXPECT_EQ(p[1].in, (TokenPlaces{true, false, true}));
  EXPECT_EQ(p[2].in, TokenPlaces{}) << "default: header only";
  EXPECT_EQ(ToString(p[1].in), "header, query");
}

TEST(LoaderTokenPlacesTest, UnknownPlacesEmptyListsAndHeadersWithoutHeaderAreErrors) {
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - {name: p, secret: P_KEY, hosts: [a.example], in: cookie}\n")),
                        10, 56, "spec.providers[0].in: unknown value 'cookie' (expected one of: header, path, query)"));
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - {name: p, secret: P_KEY, hosts: [a.example], in: []}\n")), 10,
                        56, "spec.providers[0].in: must name at least one of header, path, query"));
  EXPECT_TRUE(OnlyError(Load(Doc("  providers:\n    - {name: p, secret: P_KEY, hosts: [a.example], in: [path], "
                                 "headers: [X-Key]}\n")),
                        10, 56, "'headers' is set but `in` (path) does not include header"));
}

TEST(LoaderHostTest, ProviderNeedsAtLeastOneHost) {
  const auto r = Load(Doc("  providers:\n    - {name: p, secret: P_KEY, hosts: []}\n"));
  EXPECT_TRUE(OnlyError(r, 10, 39, "spec.providers[0].hosts: must list at least one host"));
}

TEST(LoaderCidrTest, BareIpv4IsAnError) {
  const auto r = Load(Doc("    upstreamDenyCidrs: [10.0.0.0/8, 10.1.2.3]\n"));
  EXPECT_TRUE(OnlyError(r, 9, 37, "spec.proxy.upstreamDenyCidrs[1]: '10.1.2.3' is a bare IP address; write it as 10.1.2.3/32"));
}

TEST(LoaderCidrTest, BareIpv6IsAnError) {
  const auto r = Load(Doc("    upstreamDenyCidrs: [\"fd00::1\"]\n"));
  EXPECT_TRUE(OnlyError(r, 9, 25, "is a bare IP address; write it as fd00::1/128"));
}

TEST(LoaderCidrTest, BadPrefixAndAddress) {
  const auto r = Load(Doc("    upstreamDenyCidrs: [10.0.0.0/33, \"fe80::/129\", 300.1.1.1/8, \"g::/8\", nope]\n"));
  EXPECT_TRUE(HasError(r, 9, 25, "invalid prefix length (0-32)"));
  EXPECT_TRUE(HasError(r, 9, 38, "invalid prefix length (0-128)"));
  EXPECT_TRUE(HasError(r, 9, 52, "invalid IPv4 address"));
  EXPECT_TRUE(HasError(r, 9, 65, "invalid IPv6 address"));
  EXPECT_TRUE(HasError(r, 9, 74, "is not a CIDR"));
  EXPECT_EQ(r.errors.size(), 5U) << testing::Dump(r);
}

TEST(LoaderCidrTest, AcceptsV4AndV6) {
  const auto r = Load(Doc("    upstreamDenyCidrs: [10.0.0.0/8, \"::1/128\", \"fd00:ec2::254/128\"]\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_FALSE(r.state->spec.proxy.upstream_deny_default);
  EXPECT_EQ(r.state->spec.proxy.upstream_deny_cidrs,
            (std::vector<std::string>{"10.0.0.0/8", "::1/128", "fd00:ec2::254/128"}));
}

TEST(LoaderPortsTest, RejectsZeroTooLargeAndNonInteger) {
  const auto r = Load(Doc(
      "    tunnelPort: 0\n"
      "    httpPort: 65536\n"
      "    metricsPort: 90.5\n"
      "    dnsPort: -1\n"));
  EXPECT_TRUE(HasError(r, 9, 17, "spec.proxy.tunnelPort: port must be between 1 and 65535, got 0"));
  EXPECT_TRUE(HasError(r, 10, 15, "spec.proxy.httpPort: port must be between 1 and 65535, got 65536"));
  EXPECT_TRUE(HasError(r, 11, 18, "spec.proxy.metricsPort: expected an integer, got a number '90.5'"));
  EXPECT_TRUE(HasError(r, 12, 14, "spec.proxy.dnsPort: port must be between 1 and 65535, got -1"));
  EXPECT_EQ(r.errors.size(), 4U) << testing::Dump(r);
}

TEST(LoaderPortsTest, HugeIntegerIsOutOfRange) {
  const auto r = Load(Doc("    tunnelPort: 99999999999999999999999\n"));
  EXPECT_TRUE(OnlyError(r, 9, 17, "is out of range"));
}

TEST(LoaderDurationTest, RejectsNegativeEmptyAndGarbage) {
  const auto r = Load(Doc(
      "  reconcile:\n"
      "    interval: -10m\n"  // 10
      "  ca:\n"
      "    validity: \"\"\n"  // 12
      "    renewBefore: 10\n"  // 13
      "  credentials:\n"
      "    bitwarden:\n"
      "      refreshInterval: 1x\n"  // 16
      "      retryInterval: 5\n"));  // 17
  EXPECT_TRUE(HasError(r, 10, 15, "spec.reconcile.interval: negative duration '-10m'"));
  EXPECT_TRUE(HasError(r, 12, 15, "spec.ca.validity: empty duration"));
  EXPECT_TRUE(HasError(r, 13, 18, "spec.ca.renewBefore: expected a duration like 30s, 10m, 1h30m or 7d, got an integer"));
  EXPECT_TRUE(HasError(r, 16, 24, "invalid duration '1x': missing or unknown unit"));
  EXPECT_TRUE(HasError(r, 17, 22, "expected a duration"));
  EXPECT_EQ(r.errors.size(), 5U) << testing::Dump(r);
}

TEST(LoaderDurationTest, EnforcesMinimums) {
  const auto r = Load(Doc(
      "  reconcile:\n"
      "    interval: 5s\n"  // 10
      "  ca:\n"
      "    validity: 30m\n"  // 12
      "  credentials:\n"
      "    bitwarden:\n"
      "      refreshInterval: 30s\n"));  // 15
  EXPECT_TRUE(HasError(r, 10, 15, "spec.reconcile.interval: must be at least 10s, got '5s'"));
  EXPECT_TRUE(HasError(r, 12, 15, "spec.ca.validity: must be at least 1h, got '30m'"));
  EXPECT_TRUE(HasError(r, 15, 24, "spec.credentials.bitwarden.refreshInterval: must be at least 1m, got '30s'"));
  EXPECT_EQ(r.errors.size(), 3U) << testing::Dump(r);
}

TEST(LoaderDurationTest, RenewBeforeMustBeShorterThanValidity) {
  const auto r = Load(Doc("  ca:\n    validity: 24h\n    renewBefore: 1d\n"));
  EXPECT_TRUE(OnlyError(r, 11, 18, "spec.ca.renewBefore: must be shorter than validity (24h), got '1d'"));
}

TEST(LoaderDurationTest, AcceptsGoStyleAndDays) {
  const auto r = Load(Doc(
      "  ca:\n    validity: 87600h\n    renewBefore: 30d\n"
      "  reconcile:\n    interval: 1h30m\n"
      "  credentials:\n    bitwarden:\n      refreshInterval: 1.5h\n      retryInterval: 30s\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const Spec& s = r.state->spec;
  EXPECT_EQ(s.ca.validity, std::chrono::hours(87600));
  EXPECT_EQ(s.ca.renew_before, std::chrono::hours(24 * 30));
  EXPECT_EQ(s.reconcile.interval, std::chrono::minutes(90));
  EXPECT_EQ(s.credentials.bitwarden.refresh_interval, std::chrono::minutes(90));
}

TEST(LoaderUuidTest, ProjectIdMustBeUuid) {
  const auto r = Load(Doc(
      "  credentials:\n    source: bitwarden\n    bitwarden:\n      projectId: not-a-uuid\n"));
  EXPECT_TRUE(OnlyError(r, 12, 18, "spec.credentials.bitwarden.projectId: 'not-a-uuid' is not a UUID"));
}

TEST(LoaderUuidTest, ProjectIdIsNormalisedToLowercase) {
  const auto r = Load(Doc(
      "  credentials:\n    source: bitwarden\n    bitwarden:\n"
      "      projectId: 8D5A2E6C-1F3B-4C7D-9E8F-0A1B2C3D4E5F\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.credentials.bitwarden.project_id, "8d5a2e6c-1f3b-4c7d-9e8f-0a1b2c3d4e5f");
}

TEST(LoaderSha256Test, MustBe64Hex) {
  std::string text = Doc();
  text.replace(text.find(testing::kSha), 64, "abc123");
  EXPECT_TRUE(OnlyError(Load(text), 8, 15, "spec.proxy.source.sha256: 'abc123' is not a sha256 digest (expected 64 hex characters)"));
  text = Doc();
  text.replace(text.find(testing::kSha), 1, "g");
  EXPECT_TRUE(OnlyError(Load(text), 8, 15, "is not a sha256 digest"));
}

TEST(LoaderSha256Test, IsNormalisedToLowercase) {
  std::string text = Doc();
  text.replace(text.find(testing::kSha), 64, std::string(64, 'A'));
  const auto r = Load(text);
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.proxy.source.sha256, std::string(64, 'a'));
}

TEST(LoaderUrlTest, RejectsOtherSchemes) {
  const auto r = Load(Doc("      url: ftp://example.com/x.tar.gz\n"));
  EXPECT_TRUE(OnlyError(r, 9, 12, "spec.proxy.source.url: 'ftp://example.com/x.tar.gz' must start with https://, http:// or file://"));
}

TEST(LoaderUrlTest, RejectsUnknownPlaceholders) {
  const auto r = Load(Doc("      url: \"https://example.com/{version}/{platform}.tar.gz\"\n"));
  EXPECT_TRUE(OnlyError(r, 9, 12, "uses unknown placeholder {platform}; only {version}, {os} and {arch} are supported"));
}

TEST(LoaderUrlTest, RejectsUnbalancedBracesAndRelativeFile) {
  auto r = Load(Doc("      url: \"https://example.com/{version.tar.gz\"\n"));
  EXPECT_TRUE(OnlyError(r, 9, 12, "unmatched '{'"));
  r = Load(Doc("      url: file://relative/x.tar.gz\n"));
  EXPECT_TRUE(OnlyError(r, 9, 12, "a file:// URL needs an absolute path"));
  r = Load(Doc("      checksumsUrl: \"https:///checksums.txt\"\n"));
  EXPECT_TRUE(OnlyError(r, 9, 21, "spec.proxy.source.checksumsUrl: 'https:///checksums.txt' has no host"));
}

TEST(LoaderUrlTest, AcceptsFileAndHttpWithWarning) {
  auto r = Load(Doc("      url: \"file:///srv/mirror/iron-proxy_{version}_{os}_{arch}.tar.gz\"\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  r = Load(Doc("      url: \"http://mirror.internal/{version}/{os}-{arch}.tar.gz\"\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(testing::HasWarning(r, 9, 12, "plain http://"));
}

TEST(LoaderVersionTest, RejectsUnsupportedVersions) {
  for (const char* v : {"0.38.0", "0.46.0", "1.39.0"}) {
    const auto r = Load(Doc(std::string("    version: \"") + v + "\"\n"));
    EXPECT_TRUE(OnlyError(r, 9, 14, "is not supported (supported: 0.39.x through 0.45.x)")) << v;
  }
}

TEST(LoaderVersionTest, RejectsNonSemver) {
  auto r = Load(Doc("    version: v0.39.0\n"));
  EXPECT_TRUE(OnlyError(r, 9, 14, "'v0.39.0' is not a version (expected X.Y.Z, e.g. 0.39.0); drop the leading 'v'"));
  r = Load(Doc("    version: 0.39.0-rc.1\n"));
  EXPECT_TRUE(OnlyError(r, 9, 14, "is not a version"));
  r = Load(Doc("    version: 0.40\n"));
  EXPECT_TRUE(OnlyError(r, 9, 14, "expected a string, got a number"));
}

TEST(LoaderVersionTest, AcceptsSupportedRange) {
  for (const char* v : {"0.39.0", "0.42.1", "0.45.12"}) {
    const auto r = Load(Doc(std::string("    version: ") + v + "\n"));
    ASSERT_TRUE(r.ok()) << v << testing::Dump(r);
    EXPECT_EQ(r.state->spec.proxy.version, v);
  }
}

}  // namespace
}  // namespace ironward::spec
