#include "controller/run/http_endpoint.h"

#include <gtest/gtest.h>

namespace ironward::run {
namespace {

TEST(HttpEndpointTest, AcceptsOnlyLoopbackAddresses) {
  auto v4 = ParseLoopbackAddr("127.0.0.1:9466");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9466);
  EXPECT_TRUE(ParseLoopbackAddr("127.1.2.3:80").ok());
  EXPECT_EQ(ParseLoopbackAddr("localhost:9466")->host, "127.0.0.1");
  auto v6 = ParseLoopbackAddr("[::1]:9466");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");

  for (const char* bad : {"0.0.0.0:9466", "10.0.0.1:9466", "[::]:9466", "192.168.1.5:1", "example.com:9466"}) {
    auto r = ParseLoopbackAddr(bad);
    ASSERT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(ParseLoopbackAddr("0.0.0.0:9466").error().message.find("non-loopback"), std::string::npos);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:80x", "[::1]9466"}) {
    EXPECT_FALSE(ParseLoopbackAddr(bad).ok()) << bad;
  }
}

TEST(HttpEndpointTest, ReadyzIsOkOnlyWhenEveryCheckPasses) {
  std::vector<ReadyCheck> good = {{"desired_state", true, ""}, {"initial_reconcile", true, ""}};
  auto [code, body] = RenderReadyz(good, false);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body, "ok\n");
  auto verbose = RenderReadyz(good, true);
  EXPECT_EQ(verbose.second, "[+]desired_state ok\n[+]initial_reconcile ok\nreadyz check passed\n");

  std::vector<ReadyCheck> bad = {{"desired_state", true, ""}, {"proxy", false, "iron-proxy is not running"}};
  EXPECT_EQ(RenderReadyz(bad, false).first, 503);
  auto v = RenderReadyz(bad, true);
  EXPECT_EQ(v.first, 503);
  EXPECT_NE(v.second.find("[-]proxy failed: iron-proxy is not running\n"), std::string::npos) << v.second;
  EXPECT_NE(v.second.find("readyz check failed"), std::string::npos);
}

}  // namespace
}  // namespace ironward::run
