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
