// Bitwarden requests honour the forward proxy of ironward's own environment (injected here, no
// setenv): through HTTP_PROXY to a recording proxy that forwards to the server double, as a
// CONNECT tunnel through HTTPS_PROXY, never when NO_PROXY names the host or the server is loopback.
#include <gtest/gtest.h>

#include "tests/bitwarden/client_fixture.h"
#include "tests/fakes/forward_proxy.h"

namespace ironward::bwtest {
namespace {

using Lines = std::vector<std::string>;

class BitwardenProxyTest : public BitwardenDoubleTest {
 protected:
  /// A client whose HTTP client sees `env` as ironward's environment, for a server named `base`.
  Result<std::vector<bw::Secret>> FetchVia(const std::map<std::string, std::string>& env, const std::string& base) {
    CurlHttpClient http(ProxySettings::FromEnvironment(env));
    bw::ClientConfig config;
    config.access_token = kToken;
    config.endpoints = {base + "/identity", base + "/api", bw::Deployment::kExplicit};
    config.timeout = std::chrono::seconds(5);
    bw::Client client(http, clock_, config);
    return Fetch(client);
  }
  int Port() const { return std::stoi(double_.base_url().substr(double_.base_url().rfind(':') + 1)); }
};

TEST_F(BitwardenProxyTest, FetchGoesThroughTheProxyOfIronwardsEnvironment) {
  ironward::test::ForwardProxy proxy(Port());
  ASSERT_TRUE(proxy.ok());
  auto r = FetchVia({{"HTTP_PROXY", proxy.url()}}, "http://vault.example.invalid");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(ValueOf(*r, "OPENROUTER_API_KEY"), kValueA);
  EXPECT_EQ(proxy.requests(), (Lines{"POST http://vault.example.invalid/identity/connect/token HTTP/1.1",
                                     "GET http://vault.example.invalid/api/projects/" + kProjectId + "/secrets HTTP/1.1",
                                     "POST http://vault.example.invalid/api/secrets/get-by-ids HTTP/1.1"}));
  EXPECT_EQ(double_.Count("get_by_ids"), 1);
}

TEST_F(BitwardenProxyTest, HttpsServerIsReachedThroughHttpsProxy) {
  ironward::test::ForwardProxy proxy;
  ASSERT_TRUE(proxy.ok());
  auto r = FetchVia({{"HTTPS_PROXY", proxy.url()}, {"HTTP_PROXY", "http://127.0.0.1:1"}}, "https://vault.example.invalid");
  ASSERT_FALSE(r.ok()) << "the test proxy refuses the tunnel";
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(proxy.requests(), (Lines{"CONNECT vault.example.invalid:443 HTTP/1.1"}));
}

TEST_F(BitwardenProxyTest, NoProxyAndLoopbackServersAreReachedDirectly) {
  ironward::test::ForwardProxy proxy(Port());
  ASSERT_TRUE(proxy.ok());
  auto bypassed = FetchVia({{"HTTP_PROXY", proxy.url()}, {"no_proxy", ".example.invalid"}}, "http://vault.example.invalid");
  EXPECT_FALSE(bypassed.ok()) << "direct: the name does not resolve";
  auto loopback = FetchVia({{"HTTP_PROXY", proxy.url()}, {"HTTPS_PROXY", proxy.url()}}, double_.base_url());
  ASSERT_TRUE(loopback.ok()) << loopback.error().message;
  EXPECT_TRUE(proxy.requests().empty()) << ::testing::PrintToString(proxy.requests());
  EXPECT_EQ(double_.Count("get_by_ids"), 1);
}

}  // namespace
}  // namespace ironward::bwtest
