// The release download honours the forward proxy of ironward's own environment (injected: no
// setenv): http:// through HTTP_PROXY, https:// as a CONNECT tunnel through HTTPS_PROXY, and
// NO_PROXY hosts directly.
#include <gtest/gtest.h>

#include "reconcilers/binary/download.h"
#include "tests/fakes/forward_proxy.h"

namespace ironward::binary {
namespace {

using Lines = std::vector<std::string>;

FetchOptions Once() {
  FetchOptions o;
  o.retries = 0;
  o.timeout = std::chrono::seconds(10);
  return o;
}

TEST(ReleaseDownloadProxyTest, HttpReleaseGoesThroughHttpProxy) {
  ironward::test::ForwardProxy proxy;
  ASSERT_TRUE(proxy.ok());
  CurlHttpClient http(ProxySettings::FromEnvironment({{"http_proxy", proxy.url()}}));
  auto r = FetchWithRetry(http, "http://mirror.example.invalid/iron-proxy/v0.45.0/checksums.txt", Once());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->found);
  EXPECT_EQ(r->body, "via-proxy");
  EXPECT_EQ(proxy.requests(), (Lines{"GET http://mirror.example.invalid/iron-proxy/v0.45.0/checksums.txt HTTP/1.1"}));
}

TEST(ReleaseDownloadProxyTest, HttpsReleaseTunnelsThroughHttpsProxy) {
  ironward::test::ForwardProxy proxy;
  ASSERT_TRUE(proxy.ok());
  CurlHttpClient http(ProxySettings::FromEnvironment({{"HTTPS_PROXY", proxy.url()}}));
  auto r = FetchWithRetry(http, "https://github.example.invalid/ironsh/iron-proxy/releases/download/v0.45.0/x.tar.gz",
                          Once());
  EXPECT_FALSE(r.ok()) << "the test proxy refuses every tunnel";
  EXPECT_EQ(proxy.requests(), (Lines{"CONNECT github.example.invalid:443 HTTP/1.1"}));
}

TEST(ReleaseDownloadProxyTest, NoProxyHostIsFetchedDirectly) {
  ironward::test::ForwardProxy proxy;
  ironward::test::ForwardProxy mirror;  // answers origin-form requests itself
  ASSERT_TRUE(proxy.ok() && mirror.ok());
  // 0.0.0.0 reaches this host on Linux without being a loopback name, so only NO_PROXY keeps
  // the request away from the proxy.
  CurlHttpClient http(ProxySettings::FromEnvironment({{"HTTP_PROXY", proxy.url()}, {"NO_PROXY", "mirror.corp,0.0.0.0"}}));
  auto r = FetchWithRetry(http, "http://0.0.0.0:" + std::to_string(mirror.port()) + "/checksums.txt", Once());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "direct");
  EXPECT_EQ(mirror.requests(), (Lines{"GET /checksums.txt HTTP/1.1"}));
  EXPECT_TRUE(proxy.requests().empty());
}

}  // namespace
}  // namespace ironward::binary
