// End to end: the reconciler starts the double with the real secret in its environment; a
// client that only holds the proxy token goes HTTPS via CONNECT (trusting ironward's CA) to a
// local TLS upstream (trusted by the proxy through SSL_CERT_FILE), which sees the real secret.
#include <gtest/gtest.h>

#include <memory>

#include "daemon_harness.h"

namespace ironward::daemon {
namespace {

/// A state dir whose provider "openrouter" covers localhost, and a local TLS upstream the proxy
/// trusts (SSL_CERT_FILE through spec.proxy.upstreamCaFile).
class DaemonEndToEndTest : public ::testing::Test {
 protected:
  DaemonEndToEndTest() {
    doubletest::MakeUpstreamPki(pki_);
    up_ = std::make_unique<doubletest::Upstream>(pki_.str() + "/up.crt", pki_.str() + "/up.key");
    h.desired().spec.proxy.upstream_ca_file = pki_.str() + "/upca.crt";
    h.AddProvider({"localhost"});
  }
  test::DaemonHarness h;
  doubletest::TempDir pki_;
  std::unique_ptr<doubletest::Upstream> up_;
};

TEST_F(DaemonEndToEndTest, TunnelledRequestArrivesWithTheRealSecret) {
  doubletest::Upstream& up = *up_;
  const Outcome out = h.Pass();
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.reason << ": " << out.message;

  const std::string token = h.token();
  ASSERT_EQ(token.find(test::kRealSecret), std::string::npos);
  doubletest::HttpResult r =
      doubletest::Http("https://localhost:" + std::to_string(up.port()) + "/v1/chat",
                       {.proxy = "http://127.0.0.1:" + std::to_string(h.Port("tunnel")),
                        .cainfo = h.root() + "/ca.crt",
                        .headers = {"Authorization: Bearer " + token}});
  auto log = h.state().Read("iron-proxy.log");
  ASSERT_EQ(r.status, 200) << r.error << "\n" << (log.ok() && log->has_value() ? **log : "");
  EXPECT_EQ(r.body, "upstream-ok");
  ASSERT_EQ(up.Requests().size(), 1u);
  const std::string seen = up.Requests()[0];
  EXPECT_NE(seen.find(std::string("Authorization: Bearer ") + test::kRealSecret), std::string::npos) << seen;
  EXPECT_EQ(seen.find(token), std::string::npos) << "the token never reaches the upstream";
  // The secret never shows up where a human could see it.
  EXPECT_EQ(out.message.find(test::kRealSecret), std::string::npos);
  ASSERT_TRUE(log.ok() && log->has_value());
  EXPECT_EQ((*log)->find(test::kRealSecret), std::string::npos);
  EXPECT_TRUE(h.Plan().InSync());
}

// `in: [path, query]`: keys APIs take in the URL (Telegram's /bot<TOKEN>/, Google's ?key=) reach
// the upstream with the real secret while the sandbox only ever held the token.
TEST_F(DaemonEndToEndTest, TokensInThePathAndTheQueryArriveAsTheRealSecret) {
  doubletest::Upstream& up = *up_;
  h.desired().spec.providers[0].in = spec::TokenPlaces{true, true, true};
  h.Render();
  const Outcome out = h.Pass();
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.reason << ": " << out.message;

  const std::string base = "https://localhost:" + std::to_string(up.port());
  const doubletest::HttpOptions via{.proxy = "http://127.0.0.1:" + std::to_string(h.Port("tunnel")),
                                    .cainfo = h.root() + "/ca.crt"};
  ASSERT_EQ(doubletest::Http(base + "/bot" + h.token() + "/sendMessage", via).status, 200);
  ASSERT_EQ(doubletest::Http(base + "/v1/models?key=" + h.token() + "&alt=json", via).status, 200);
  const auto seen = up.Requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].rfind(std::string("GET /bot") + test::kRealSecret + "/sendMessage HTTP/1.1\r\n", 0), 0u) << seen[0];
  EXPECT_NE(seen[1].find(std::string("key=") + test::kRealSecret), std::string::npos) << seen[1];
  EXPECT_EQ(seen[1].find(h.token()), std::string::npos) << seen[1];
}

}  // namespace
}  // namespace ironward::daemon
