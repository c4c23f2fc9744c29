// ironward's own outbound HTTP and the proxy variables of its environment: which requests use
// them (only those that ask), loopback never, NO_PROXY as curl reads it. The integration tests
// use a recording forward proxy thread and inject the environment (no setenv).
#include <gtest/gtest.h>

#include "reconcilers/io/http_client.h"
#include "reconcilers/io/http_proxy.h"
#include "tests/fakes/forward_proxy.h"

namespace ironward {
namespace {

using Lines = std::vector<std::string>;

TEST(HttpProxySettingsTest, ReadsEitherCaseAndPrefersLowercase) {
  const auto upper = ProxySettings::FromEnvironment(
      {{"HTTPS_PROXY", "http://s:1"}, {"HTTP_PROXY", "http://p:2"}, {"NO_PROXY", "corp.example"}});
  EXPECT_EQ(upper.https_proxy, "http://s:1");
  EXPECT_EQ(upper.http_proxy, "http://p:2");
  EXPECT_EQ(upper.no_proxy, "corp.example");
  const auto both = ProxySettings::FromEnvironment({{"https_proxy", "http://lower:1"}, {"HTTPS_PROXY", "http://upper:1"},
                                                    {"no_proxy", ""}, {"NO_PROXY", "x"}});
  EXPECT_EQ(both.https_proxy, "http://lower:1");
  EXPECT_EQ(both.no_proxy, "x") << "an empty variable counts as unset";
  EXPECT_TRUE(ProxySettings::FromEnvironment({{"ALL_PROXY", "http://a:1"}}).https_proxy.empty());
}

TEST(HttpProxyTest, EachSchemeUsesItsOwnVariable) {
  ProxySettings p;
  p.https_proxy = "http://tls-proxy:3128";
  EXPECT_EQ(ProxyFor(p, "https://github.com/x"), "http://tls-proxy:3128");
  EXPECT_EQ(ProxyFor(p, "HTTPS://github.com/x"), "http://tls-proxy:3128");
  EXPECT_EQ(ProxyFor(p, "http://github.com/x"), "") << "HTTPS_PROXY is for https:// only";
  p.http_proxy = "http://plain-proxy:8080";
  EXPECT_EQ(ProxyFor(p, "http://github.com/x"), "http://plain-proxy:8080");
  EXPECT_EQ(ProxyFor(p, "file:///srv/iron-proxy.tar.gz"), "");
}

TEST(HttpProxyTest, LoopbackIsNeverProxied) {
  ProxySettings p;
  p.http_proxy = p.https_proxy = "http://proxy:3128";
  for (const char* url : {"http://127.0.0.1:9090/healthz", "http://127.42.0.9/", "http://localhost:1/",
                          "http://LOCALHOST./", "http://metrics.localhost/", "http://[::1]:9090/healthz",
                          "http://[::ffff:127.0.0.1]/", "https://user:pw@127.0.0.1:8443/v1/reload",
                          "http://127.1/"}) {
    EXPECT_EQ(ProxyFor(p, url), "") << url;
  }
  for (const char* host : {"128.0.0.1", "localhost.example.com", "::2", "10.0.0.1", "notlocalhost"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(HttpProxyTest, UrlHostStripsUserinfoPortBracketsAndCase) {
  EXPECT_EQ(UrlHost("https://u:p@API.Bitwarden.com:443/x?y#z"), "api.bitwarden.com");
  EXPECT_EQ(UrlHost("http://[::1]:9090/healthz"), "::1");
  EXPECT_EQ(UrlHost("http://example.com./"), "example.com");
  EXPECT_EQ(UrlHost("not a url"), "");
}

TEST(HttpProxyTest, NoProxyFollowsCurlsRules) {
  EXPECT_TRUE(NoProxyMatches("*", "anything.example"));
  EXPECT_TRUE(NoProxyMatches("example.com", "example.com"));
  EXPECT_TRUE(NoProxyMatches("example.com", "api.example.com"));
  EXPECT_TRUE(NoProxyMatches(".example.com", "api.example.com"));
  EXPECT_TRUE(NoProxyMatches("other.org, Example.COM", "example.com"));
  EXPECT_TRUE(NoProxyMatches("other.org example.com", "example.com"));
  EXPECT_FALSE(NoProxyMatches("example.com", "badexample.com"));
  EXPECT_FALSE(NoProxyMatches("api.example.com", "example.com"));
  EXPECT_FALSE(NoProxyMatches("", "example.com"));
  EXPECT_TRUE(NoProxyMatches("10.0.0.0/8", "10.20.30.40"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(NoProxyMatches("192.168.1.7", "192.168.1.7"));
  EXPECT_FALSE(NoProxyMatches("192.168.1.7", "192.168.1.70"));
  EXPECT_TRUE(NoProxyMatches("fd00::/8", "fd12::1"));
  EXPECT_TRUE(NoProxyMatches("[2001:db8::1]", "2001:db8::1"));
  EXPECT_FALSE(NoProxyMatches("10.0.0.0/8", "ten.example")) << "a CIDR entry matches addresses only";
  ProxySettings p;
  p.https_proxy = "http://proxy:3128";
  p.no_proxy = "bitwarden.internal";
  EXPECT_EQ(ProxyFor(p, "https://vault.bitwarden.internal/api"), "");
  EXPECT_EQ(ProxyFor(p, "https://api.bitwarden.com"), "http://proxy:3128");
}

// --- CurlHttpClient against a recording forward proxy.

class CurlHttpClientProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(proxy_.ok());
    ASSERT_TRUE(server_.ok());
  }
  HttpRequest Get(const std::string& url, bool use_env_proxy) {
    HttpRequest r;
    r.url = url;
    r.use_env_proxy = use_env_proxy;
    r.timeout = std::chrono::seconds(10);
    r.connect_timeout = std::chrono::seconds(5);
    return r;
  }
  /// A non-loopback address that still reaches server_: on Linux, connecting to 0.0.0.0 means
  /// this host. So a request to it is proxied unless NO_PROXY (or use_env_proxy=false) says not.
  std::string ServerViaAnyAddress() const { return "http://0.0.0.0:" + std::to_string(server_.port()) + "/file"; }

  test::ForwardProxy proxy_;
  test::ForwardProxy server_;  ///< answers origin-form requests itself: a plain loopback server
};

TEST_F(CurlHttpClientProxyTest, RequestThatAsksGoesThroughTheProxy) {
  CurlHttpClient http(ProxySettings::FromEnvironment({{"HTTP_PROXY", proxy_.url()}}));
  auto r = http.Send(Get("http://releases.example.invalid/v0.45.0/checksums.txt", true));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "via-proxy");
  EXPECT_EQ(proxy_.requests(), (Lines{"GET http://releases.example.invalid/v0.45.0/checksums.txt HTTP/1.1"}));

  auto any = http.Send(Get(ServerViaAnyAddress(), true));
  ASSERT_TRUE(any.ok()) << any.error().message;
  EXPECT_EQ(any->body, "via-proxy");
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CurlHttpClientProxyTest, HttpsGoesThroughHttpsProxyAsAConnectTunnel) {
  CurlHttpClient http(ProxySettings::FromEnvironment({{"https_proxy", proxy_.url()}}));
  auto r = http.Send(Get("https://github.example.invalid/releases/x.tar.gz", true));
  EXPECT_FALSE(r.ok()) << "the test proxy refuses every tunnel";
  EXPECT_EQ(proxy_.requests(), (Lines{"CONNECT github.example.invalid:443 HTTP/1.1"}));
}

TEST_F(CurlHttpClientProxyTest, NoProxyBypassesTheProxy) {
  CurlHttpClient http(ProxySettings::FromEnvironment({{"HTTP_PROXY", proxy_.url()}, {"NO_PROXY", "0.0.0.0"}}));
  auto r = http.Send(Get(ServerViaAnyAddress(), true));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "direct");
  EXPECT_EQ(server_.requests(), (Lines{"GET /file HTTP/1.1"}));
  EXPECT_TRUE(proxy_.requests().empty());
}

TEST_F(CurlHttpClientProxyTest, RequestThatDoesNotAskIsDirectEvenWithAProxySet) {
  CurlHttpClient http(ProxySettings::FromEnvironment({{"HTTP_PROXY", proxy_.url()}, {"HTTPS_PROXY", proxy_.url()}}));
  auto r = http.Send(Get(ServerViaAnyAddress(), false));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "direct");
  EXPECT_TRUE(proxy_.requests().empty());
}

TEST_F(CurlHttpClientProxyTest, LoopbackIsDirectEvenWhenTheRequestAsks) {
  CurlHttpClient http(ProxySettings::FromEnvironment({{"HTTP_PROXY", proxy_.url()}}));
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto r = http.Send(Get("http://" + host + ":" + std::to_string(server_.port()) + "/healthz", true));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, "direct") << host;
  }
  EXPECT_EQ(server_.requests().size(), 2U);
  EXPECT_TRUE(proxy_.requests().empty());
}

TEST_F(CurlHttpClientProxyTest, WithoutProxyVariablesEverythingIsDirect) {
  CurlHttpClient http(ProxySettings{});
  auto r = http.Send(Get(ServerViaAnyAddress(), true));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "direct");
  EXPECT_TRUE(proxy_.requests().empty());
}

}  // namespace
}  // namespace ironward
