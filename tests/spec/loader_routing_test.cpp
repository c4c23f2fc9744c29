// spec.enforcement.routing (its default and the combinations it refuses) and spec.dns.
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::HasError;
using testing::HasWarning;
using testing::Load;
using testing::OnlyError;

// Line 9 onwards: a sandbox-network bind and an internal network, then `tail`.
std::string InternalDoc(const std::string& enforcement_extra, const std::string& tail = "") {
  return Doc("    bind: sandbox-network\n"   // 9
             "  enforcement:\n"              // 10
             "    network: internal\n"       // 11
             + enforcement_extra + tail);    // 12...
}

TEST(LoaderRoutingTest, DefaultsToBothOnTheSandboxNetwork) {
  const auto r = Load(InternalDoc(""));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.enforcement.routing, RoutingMode::kBoth);
  EXPECT_TRUE(r.state->spec.enforcement.RoutesDns());
  EXPECT_TRUE(r.state->spec.enforcement.InjectsProxyVariables());
}

TEST(LoaderRoutingTest, DefaultsToProxyVariablesOtherwise) {
  auto r = Load(Doc());
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.enforcement.routing, RoutingMode::kProxyVariables);
  // Internal network, but the proxy is not on its gateway: the old behaviour, no error.
  r = Load(Doc("  enforcement:\n    network: internal\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.enforcement.routing, RoutingMode::kProxyVariables);
}

TEST(LoaderRoutingTest, ExplicitModes) {
  auto r = Load(InternalDoc("    routing: dns\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.enforcement.routing, RoutingMode::kDns);
  EXPECT_FALSE(r.state->spec.enforcement.InjectsProxyVariables());
  r = Load(InternalDoc("    routing: proxy-variables\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_FALSE(r.state->spec.enforcement.RoutesDns());
  r = Load(InternalDoc("    routing: Dns\n"));
  EXPECT_TRUE(OnlyError(r, 12, 14, "spec.enforcement.routing"));
}

TEST(LoaderRoutingTest, DnsWithNetworkNoneIsAnError) {
  const auto r = Load(Doc("  enforcement:\n    network: none\n    routing: dns\n"));
  EXPECT_TRUE(OnlyError(r, 11, 14, "routing: dns needs enforcement.network: internal"));
  const auto both = Load(Doc("  enforcement:\n    routing: both\n"));
  EXPECT_TRUE(OnlyError(both, 10, 14, "routing: both needs enforcement.network: internal"));
}

TEST(LoaderRoutingTest, DnsWithAnotherBindIsAnError) {
  const auto r = Load(Doc("  enforcement:\n    network: internal\n    routing: both\n"));
  EXPECT_TRUE(OnlyError(r, 11, 14, "needs proxy.bind: sandbox-network"));
}

TEST(LoaderRoutingTest, DnsSectionIsParsed) {
  const auto r = Load(InternalDoc("",
                                  "  dns:\n"                                       // 12
                                  "    passthrough: [\"*.internal.example\", ntp.example]\n"  // 13
                                  "    records:\n"                                 // 14
                                  "      - {name: db.corp, type: A, value: 10.1.2.3}\n"  // 15
                                  "      - {name: www.corp, type: CNAME, value: web.corp}\n"));  // 16
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const auto& dns = r.state->spec.dns;
  EXPECT_EQ(dns.passthrough, (std::vector<std::string>{"*.internal.example", "ntp.example"}));
  ASSERT_EQ(dns.records.size(), 2U);
  EXPECT_EQ(dns.records[0], (DnsRecord{"db.corp", "A", "10.1.2.3"}));
  EXPECT_EQ(dns.records[1], (DnsRecord{"www.corp", "CNAME", "web.corp"}));
}

TEST(LoaderRoutingTest, DnsRecordErrorsArePositioned) {
  const auto r = Load(InternalDoc("",
                                  "  dns:\n"                                                  // 12
                                  "    passthrough: [\"Bad.Example\"]\n"                       // 13
                                  "    records:\n"                                            // 14
                                  "      - {name: db.corp, type: AAAA, value: \"::1\"}\n"      // 15
                                  "      - {name: a.corp, type: A, value: 10.1.2}\n"           // 16
                                  "      - {name: \"*.corp\", type: A, value: 10.1.2.3}\n"     // 17
                                  "      - {name: c.corp, type: CNAME, value: 10.0.0.1}\n"     // 18
                                  "      - {name: a.corp, type: A, value: 10.0.0.2}\n"         // 19
                                  "      - {name: d.corp, type: A}\n"));                       // 20
  EXPECT_TRUE(HasError(r, 13, 19, "uppercase"));
  EXPECT_TRUE(HasError(r, 15, 31, "spec.dns.records[0].type"));
  EXPECT_TRUE(HasError(r, 16, 40, "'10.1.2' is not an IPv4 address (type A)"));
  EXPECT_TRUE(HasError(r, 17, 16, "is a wildcard"));
  EXPECT_TRUE(HasError(r, 18, 44, "is an IPv4 address, not a DNS name"));
  EXPECT_TRUE(HasError(r, 19, 16, "'a.corp' has a record already"));
  EXPECT_TRUE(HasError(r, 20, 9, "missing required key 'value'"));
  EXPECT_EQ(r.errors.size(), 7U) << testing::Dump(r);
}

TEST(LoaderRoutingTest, DnsWithoutDnsRoutingWarns) {
  const auto r = Load(Doc("  dns:\n    passthrough: [a.example]\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(HasWarning(r, 10, 5, "spec.dns has no effect"));
}

TEST(LoaderRoutingTest, DigestChangesWithTheMode) {
  const auto both = Load(InternalDoc(""));
  const auto vars = Load(InternalDoc("    routing: proxy-variables\n"));
  const auto dns = Load(InternalDoc("    routing: dns\n"));
  ASSERT_TRUE(both.ok() && vars.ok() && dns.ok());
  EXPECT_NE(both.state->digest, vars.state->digest);
  EXPECT_NE(both.state->digest, dns.state->digest);
  // The default and the same mode written out are one desired state.
  const auto explicit_both = Load(InternalDoc("    routing: both\n"));
  EXPECT_EQ(both.state->digest, explicit_both.state->digest);
}

}  // namespace
}  // namespace ironward::spec
