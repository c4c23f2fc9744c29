// The proxy's own loopback endpoints (/healthz, the management API) are never reached through a
// forward proxy, even when ironward's environment names one for every scheme and NO_PROXY is
// empty: those requests do not ask for it, and loopback is direct regardless.
#include <gtest/gtest.h>

#include "reconcilers/daemon/management_client.h"
#include "reconcilers/daemon/readiness.h"
#include "reconcilers/io/http_client.h"
#include "tests/fakes/forward_proxy.h"

namespace ironward::daemon {
namespace {

using Lines = std::vector<std::string>;

TEST(LoopbackProxyTest, HealthzAndReloadNeverGoThroughAProxy) {
  ironward::test::ForwardProxy proxy;
  ironward::test::ForwardProxy listener;  // stands in for iron-proxy's metrics/management listener
  ASSERT_TRUE(proxy.ok() && listener.ok());
  CurlHttpClient http(ProxySettings::FromEnvironment(
      {{"HTTP_PROXY", proxy.url()}, {"HTTPS_PROXY", proxy.url()}, {"http_proxy", proxy.url()}, {"NO_PROXY", ""}}));
  const Endpoint ep{"127.0.0.1", listener.port()};

  EXPECT_EQ(HealthzStatus(&http, ep, std::chrono::seconds(5)), 200);
  const ReloadResult reload = Reload(&http, ep, "management-key-0123", std::chrono::seconds(5));
  EXPECT_EQ(reload.status, 200) << reload.message;

  EXPECT_EQ(listener.requests(), (Lines{"GET /healthz HTTP/1.1", "POST /v1/reload HTTP/1.1"}));
  EXPECT_TRUE(proxy.requests().empty()) << ::testing::PrintToString(proxy.requests());
}

}  // namespace
}  // namespace ironward::daemon
