// verify: the probe script and how its output is judged (no container needed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/network/verify_probe.h"

namespace ironward::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ProbeInputs Inputs() {
  ProbeInputs in;
  in.direct_target = "10.9.9.9:443";
  in.allowed_url = "https://api.example.test/v1/echo";
  in.token_header = "Authorization";
  in.denied_url = "https://example.com/";
  return in;
}

const char* kGood =
    "IWCHECK direct 28 000 000\n"
    "IWCHECK allowed 0 200 200\n"
    "IWSWAP yes\n"
    "IWCHECK denied 56 000 403\n"
    "IWCHECK loopback 56 000 403\n"
    "IWCHECK imds 56 000 502\n";

const CheckRow& RowOf(const std::vector<CheckRow>& rows, const std::string& prefix) {
  for (const auto& r : rows) {
    if (r.check.rfind(prefix, 0) == 0) return r;
  }
  static const CheckRow none{"missing", "", "", ""};
  return none;
}

TEST(VerifyProbeTest, ScriptKeepsTheTokenOutOfTheCommandLineAndNeverPrintsTheBody) {
  const std::string s = BuildProbeScript(Inputs());
  EXPECT_THAT(s, HasSubstr("-H \"Authorization: Bearer $IRONWARD_VERIFY_TOKEN\" 'https://api.example.test/v1/echo'"));
  EXPECT_THAT(s, HasSubstr("--noproxy '*'"));
  EXPECT_THAT(s, HasSubstr("'http://10.9.9.9:443/'"));
  EXPECT_THAT(s, HasSubstr("p loopback https://127.0.0.1/"));
  EXPECT_THAT(s, HasSubstr("p imds https://169.254.169.254/"));
  EXPECT_THAT(s, Not(HasSubstr("cat \"$B\"\n")));  // the body is only matched, never echoed
}

TEST(VerifyProbeTest, QuotesHostileUrls) {
  ProbeInputs in = Inputs();
  in.denied_url = "https://x/'; rm -rf /; '";
  EXPECT_THAT(BuildProbeScript(in), HasSubstr("'https://x/'\\''; rm -rf /; '\\'''"));
}

TEST(VerifyProbeTest, GoodSetupPassesEveryCheck) {
  ProbeInputs in = Inputs();
  in.echo_upstream = true;
  const auto rows = EvaluateProbe(in, kGood);
  ASSERT_EQ(rows.size(), 6U);
  for (const auto& r : rows) EXPECT_EQ(r.result, "pass") << r.check << ": " << r.got;
  EXPECT_TRUE(AllPassed(rows));
  EXPECT_EQ(RowOf(rows, "direct-egress").got, "blocked (curl exit 28)");
  EXPECT_EQ(RowOf(rows, "allowlisted").check, "allowlisted api.example.test");
}

TEST(VerifyProbeTest, TokenSwapIsSkippedWithoutAnEchoUpstream) {
  const auto rows = EvaluateProbe(Inputs(), kGood);
  EXPECT_EQ(RowOf(rows, "token-swap").result, "skipped");
  EXPECT_TRUE(AllPassed(rows));
}

TEST(VerifyProbeTest, EachBrokenPropertyFailsItsOwnRow) {
  struct Case {
    std::string from, to, row;
  };
  const std::vector<Case> cases = {
      {"IWCHECK direct 28", "IWCHECK direct 52", "direct-egress"},       // something answered directly
      {"IWCHECK allowed 0 200 200", "IWCHECK allowed 56 000 403", "allowlisted"},
      {"IWCHECK allowed 0 200 200", "IWCHECK allowed 60 000 200", "allowlisted"},  // CA not trusted
      {"IWSWAP yes", "IWSWAP no", "token-swap"},
      {"IWCHECK denied 56 000 403", "IWCHECK denied 0 200 200", "not-allowlisted"},
      {"IWCHECK loopback 56 000 403", "IWCHECK loopback 0 200 200", "loopback"},
      {"IWCHECK imds 56 000 502", "IWCHECK imds 7 000 000", "imds"},
  };
  for (const auto& c : cases) {
    std::string out = kGood;
    out.replace(out.find(c.from), c.from.size(), c.to);
    const auto rows = EvaluateProbe(Inputs(), out);
    EXPECT_EQ(RowOf(rows, c.row).result, "FAIL") << c.to;
    EXPECT_FALSE(AllPassed(rows)) << c.to;
    int failed = 0;
    for (const auto& r : rows) failed += r.result == "FAIL" ? 1 : 0;
    EXPECT_EQ(failed, 1) << c.to;
  }
}

TEST(VerifyProbeTest, MissingOutputFailsAndNoAllowedUrlFails) {
  auto rows = EvaluateProbe(Inputs(), "");
  EXPECT_FALSE(AllPassed(rows));
  EXPECT_EQ(RowOf(rows, "direct-egress").got, "no result");
  ProbeInputs in = Inputs();
  in.allowed_url.clear();
  rows = EvaluateProbe(in, kGood);
  EXPECT_EQ(RowOf(rows, "allowlisted").result, "FAIL");
  EXPECT_THAT(RowOf(rows, "allowlisted").got, HasSubstr("--allowed-url"));
}

TEST(VerifyProbeTest, DnsRoutingRowChecksTheProxyAnsweredWithoutProxyVariables) {
  ProbeInputs in = Inputs();
  EXPECT_THAT(BuildProbeScript(in), Not(HasSubstr("IWDNS")));
  EXPECT_EQ(RowOf(EvaluateProbe(in, kGood), "dns-routing").check, "missing") << "no row without DNS routing";
  in.dns_proxy_ip = "172.30.99.1";
  const std::string script = BuildProbeScript(in);
  EXPECT_THAT(script, HasSubstr("curl -sS --noproxy '*' -o /dev/null -w 'ip=%{remote_ip} code=%{http_code}'"));
  EXPECT_THAT(script, HasSubstr("'https://api.example.test/'")) << "the allowed host on the default port";
  auto rows = EvaluateProbe(in, std::string(kGood) + "IWDNS 0 ip=172.30.99.1 code=200\n");
  EXPECT_EQ(RowOf(rows, "dns-routing").result, "pass") << RowOf(rows, "dns-routing").got;
  EXPECT_TRUE(AllPassed(rows));
  // Resolved elsewhere (the engine's resolver, not the proxy's DNS): fails, naming the address.
  rows = EvaluateProbe(in, std::string(kGood) + "IWDNS 0 ip=93.184.216.34 code=200\n");
  EXPECT_EQ(RowOf(rows, "dns-routing").result, "FAIL");
  EXPECT_THAT(RowOf(rows, "dns-routing").got, HasSubstr("resolved to 93.184.216.34"));
  rows = EvaluateProbe(in, std::string(kGood) + "IWDNS 6 ip= code=000\n");
  EXPECT_EQ(RowOf(rows, "dns-routing").result, "FAIL");
  EXPECT_THAT(RowOf(rows, "dns-routing").got, HasSubstr("did not resolve"));
  rows = EvaluateProbe(in, std::string(kGood) + "IWDNS 7 ip= code=000\n");
  EXPECT_EQ(RowOf(rows, "dns-routing").result, "FAIL");
  EXPECT_THAT(RowOf(rows, "dns-routing").got, HasSubstr("no connection (curl exit 7)"));
  rows = EvaluateProbe(in, kGood);
  EXPECT_EQ(RowOf(rows, "dns-routing").result, "FAIL") << "a missing line fails";
  // A port on the URL is dropped (only 80/443 are steered); localhost and IP literals are skipped.
  in.allowed_url = "http://api.example.test:8080/x";
  EXPECT_EQ(DnsRoutingUrl(in), "http://api.example.test/");
  for (const char* url : {"https://localhost:40435/", "https://10.1.2.3/", "https://[::1]:8443/"}) {
    in.allowed_url = url;
    EXPECT_EQ(DnsRoutingUrl(in), "") << url;
    EXPECT_THAT(BuildProbeScript(in), Not(HasSubstr("IWDNS"))) << url;
    EXPECT_EQ(RowOf(EvaluateProbe(in, kGood), "dns-routing").result, "skipped") << url;
  }
}

TEST(VerifyProbeTest, ASteeredDirectTargetCountsAsBlockedOnlyWhenSteeringIsOn) {
  ProbeInputs in = Inputs();
  const std::string refused = "IWCHECK direct 52 000 000\nIWCHECK allowed 0 200 200\nIWSWAP yes\n"
                              "IWCHECK denied 56 000 403\nIWCHECK loopback 56 000 403\nIWCHECK imds 56 000 502\n";
  EXPECT_EQ(RowOf(EvaluateProbe(in, refused), "direct-egress").result, "FAIL");
  in.direct_steered = true;
  const auto row = RowOf(EvaluateProbe(in, refused), "direct-egress");
  EXPECT_EQ(row.result, "pass");
  EXPECT_THAT(row.got, HasSubstr("steered to the proxy"));
  // A real answer from the target is never "steered".
  EXPECT_EQ(RowOf(EvaluateProbe(in, "IWCHECK direct 0 200 000\n"), "direct-egress").result, "FAIL");
}

TEST(VerifyProbeTest, HostOfUrl) {
  EXPECT_EQ(HostOfUrl("https://api.example.test:8443/x?y"), "api.example.test:8443");
  EXPECT_EQ(HostOfUrl("http://user@h/"), "h");
  EXPECT_EQ(HostOfUrl("ftp://h/"), "");
  EXPECT_EQ(HostOfUrl("nonsense"), "");
}

// An optional provider's hosts are left out of the proxy's allowlist while its key is missing:
// the default probe URL prefers a required provider, then spec.allowlist.
TEST(VerifyDefaultsTest, TheDefaultAllowedUrlAvoidsAnOptionalProvider) {
  spec::Spec s;
  spec::Provider optional;
  optional.name = "gemini";
  optional.hosts = {"generativelanguage.googleapis.com"};
  optional.optional = true;
  spec::Provider required;
  required.name = "openrouter";
  required.hosts = {"*.openrouter.ai"};
  s.providers = {optional, required};
  s.allowlist = {"api.github.com"};
  EXPECT_EQ(DefaultAllowedUrl(s), "https://openrouter.ai/") << "the required provider first, even as a wildcard";
  s.providers = {optional};
  EXPECT_EQ(DefaultAllowedUrl(s), "https://api.github.com/") << "then spec.allowlist, the optional provider last";
  s.allowlist.clear();
  s.providers = {optional};
  EXPECT_EQ(DefaultAllowedUrl(s), "https://generativelanguage.googleapis.com/");
  s.providers.clear();
  EXPECT_EQ(DefaultAllowedUrl(s), "");
}

}  // namespace
}  // namespace ironward::verify
