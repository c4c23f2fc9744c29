// Proxying: allowlist, reload swapping policy, deny CIDRs, token swap over HTTP and MITM HTTPS.
#include "double_harness.h"

#include <gtest/gtest.h>

namespace doubletest {
namespace {

const char kReal[] = "sk-real-secret-VALUE-123";

class IronProxyDoubleProxy : public ::testing::Test {
 protected:
  void SetUp() override { MakeDoubleCa(dir_); }
  std::unique_ptr<Proc> Start(const std::string& yaml, Env extra = {}) {
    path_ = dir_.Write("proxy.yaml", yaml);
    Env env = BaseEnv(dir_);
    env["REAL_KEY"] = kReal;
    for (const auto& [k, v] : extra) env[k] = v;
    auto p = std::make_unique<Proc>(Double039(), std::vector<std::string>{"-config", path_}, env);
    http_ = p->port_of("http proxy starting");
    tunnel_ = p->port_of("tunnel proxy starting");
    return p;
  }
  std::string Secrets(const std::string& hosts_rule) {
    return "  - name: secrets\n    config:\n      secrets:\n        - source: {type: env, var: REAL_KEY}\n"
           "          rules: [{host: \"" + hosts_rule + "\"}]\n"
           "          replace:\n            proxy_value: \"proxy-token-1\"\n            match_headers: [\"Authorization\"]\n";
  }
  TempDir dir_;
  std::string path_;
  int http_ = 0, tunnel_ = 0;
};

TEST_F(IronProxyDoubleProxy, DefaultDenyListBlocksLoopbackWith502) {
  Upstream up;
  auto p = Start(BaseConfig(dir_, "", /*deny_none=*/false));
  HttpResult r = Http("http://127.0.0.1:" + std::to_string(up.port()) + "/x", {.proxy = "http://127.0.0.1:" + std::to_string(http_)});
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body, "bad gateway\n");
  EXPECT_TRUE(up.Requests().empty());
  Json audit = p->WaitLog("request");
  ASSERT_TRUE(audit.is_object()) << p->Stderr();
  EXPECT_EQ(audit["audit"]["action"], "error");
  EXPECT_NE(audit["error"].get<std::string>().find("denied by upstream_deny_cidrs: 127.0.0.1 in 127.0.0.0/8"), std::string::npos);
}

TEST_F(IronProxyDoubleProxy, AllowlistRejectsAndReloadSwapsPolicy) {
  Upstream up;
  std::string base = BaseConfig(dir_, "management:\n  listen: \"127.0.0.1:0\"\ntransforms:\n  - name: allowlist\n    config:\n");
  auto p = Start(base + "      domains: [\"api.example.com\"]\n", {{"IRON_MANAGEMENT_API_KEY", "k"}});
  int mgmt = p->port_of("management server starting");
  std::string url = "http://localhost:" + std::to_string(up.port()) + "/v1/x";
  HttpOptions via{.proxy = "http://127.0.0.1:" + std::to_string(http_)};
  HttpResult denied = Http(url, via);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body, "");
  EXPECT_NE(denied.headers.find("Content-Type: text/plain\r\n"), std::string::npos);
  dir_.Write("proxy.yaml", base + "      domains: [\"*.example.com\", \"localhost\"]\n");
  ASSERT_EQ(Http("http://127.0.0.1:" + std::to_string(mgmt) + "/v1/reload",
                 {.method = "POST", .headers = {"Authorization: Bearer k"}}).status, 200);
  HttpResult allowed = Http(url, via);
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.body, "upstream-ok");
  ASSERT_EQ(up.Requests().size(), 1u);
}

TEST_F(IronProxyDoubleProxy, UpstreamHeadersLaterThanTheTimeoutAre502AsInTheRealProxy) {
  // proxy.upstream_response_header_timeout (Go's http.Transport.ResponseHeaderTimeout): spec
  // .proxy.upstreamResponseHeaderTimeout renders it; a model that thinks longer than it gets 502.
  Upstream up;
  up.SetResponseDelay(std::chrono::milliseconds(1500));
  const std::string url = "http://localhost:" + std::to_string(up.port()) + "/v1/chat";
  for (const auto& [timeout, want] : std::vector<std::pair<std::string, long>>{{"1s", 502}, {"5s", 200}}) {
    SCOPED_TRACE(timeout);
    std::string yaml = BaseConfig(dir_, "transforms:\n" + Secrets("localhost"));
    yaml.replace(yaml.find("proxy:\n"), 7, "proxy:\n  upstream_response_header_timeout: \"" + timeout + "\"\n");
    auto p = Start(yaml);
    const HttpResult r = Http(url, {.proxy = "http://127.0.0.1:" + std::to_string(http_)});
    EXPECT_EQ(r.status, want) << r.error << r.body;
  }
}

TEST_F(IronProxyDoubleProxy, SwapsTokenInHeaderOverPlainHttpAndNeverLogsIt) {
  Upstream up;
  auto p = Start(BaseConfig(dir_, "transforms:\n" + Secrets("localhost")));
  HttpResult r = Http("http://localhost:" + std::to_string(up.port()) + "/v1/chat?x=1",
                      {.proxy = "http://127.0.0.1:" + std::to_string(http_), .headers = {"Authorization: Bearer proxy-token-1"}});
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(up.Requests().size(), 1u);
  EXPECT_EQ(up.Requests()[0].rfind("GET /v1/chat?x=1 HTTP/1.1\r\n", 0), 0u) << up.Requests()[0];
  EXPECT_NE(up.Requests()[0].find(std::string("Authorization: Bearer ") + kReal + "\r\n"), std::string::npos);
  Json audit = p->WaitLog("request");
  ASSERT_TRUE(audit.is_object());
  EXPECT_EQ(audit["request_transforms"][0]["annotations"]["swapped"][0]["secret"], "REAL_KEY");
  EXPECT_EQ(audit["request_transforms"][0]["annotations"]["swapped"][0]["locations"][0], "header:Authorization");
  EXPECT_EQ(p->Stderr().find(kReal), std::string::npos);
}

// A real key with a line break (pasted with a newline): Go's Transport refuses the header
// before dialing, and the proxy answers 502 without reaching the upstream.
TEST_F(IronProxyDoubleProxy, ASwappedValueWithALineBreakIs502AsInTheRealProxy) {
  Upstream up;
  auto p = Start(BaseConfig(dir_, "transforms:\n" + Secrets("localhost")), {{"REAL_KEY", std::string(kReal) + "\n"}});
  HttpResult r = Http("http://localhost:" + std::to_string(up.port()) + "/v1/chat",
                      {.proxy = "http://127.0.0.1:" + std::to_string(http_), .headers = {"Authorization: Bearer proxy-token-1"}});
  EXPECT_EQ(r.status, 502) << r.error << r.body;
  EXPECT_TRUE(up.Requests().empty());
  Json audit = p->WaitLog("request");
  ASSERT_TRUE(audit.is_object()) << p->Stderr();
  EXPECT_EQ(audit["audit"]["action"], "error");
  EXPECT_EQ(audit["error"], "net/http: invalid header field value for \"Authorization\"");
  EXPECT_EQ(p->Stderr().find(kReal), std::string::npos);
}

// match_path / match_query (replace mode): a key carried in the URL, as Telegram's bot API and
// Google's ?key= do.
TEST_F(IronProxyDoubleProxy, SwapsTokenInThePathAndInQueryValuesWhenAsked) {
  Upstream up;
  std::string yaml = BaseConfig(dir_, "transforms:\n" + Secrets("localhost"));
  yaml.replace(yaml.find("match_headers"), 0, "match_path: true\n            match_query: true\n            ");
  auto p = Start(yaml);
  const std::string base = "http://localhost:" + std::to_string(up.port());
  HttpOptions via{.proxy = "http://127.0.0.1:" + std::to_string(http_)};
  ASSERT_EQ(Http(base + "/botproxy-token-1/sendMessage?chat=1", via).status, 200);
  ASSERT_EQ(Http(base + "/v1/models?key=proxy-token-1&x=2", via).status, 200);
  const auto seen = up.Requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].rfind(std::string("GET /bot") + kReal + "/sendMessage?chat=1 HTTP/1.1\r\n", 0), 0u) << seen[0];
  EXPECT_EQ(seen[1].rfind(std::string("GET /v1/models?key=") + kReal + "&x=2 HTTP/1.1\r\n", 0), 0u) << seen[1];
  EXPECT_EQ(p->Stderr().find(kReal), std::string::npos);
}

TEST_F(IronProxyDoubleProxy, MissingEnvSecretForwardsPlaceholderWithWarning) {
  Upstream up;
  auto p = Start(BaseConfig(dir_, "transforms:\n" + Secrets("localhost")), {{"REAL_KEY", ""}});
  HttpResult r = Http("http://localhost:" + std::to_string(up.port()) + "/",
                      {.proxy = "http://127.0.0.1:" + std::to_string(http_), .headers = {"Authorization: Bearer proxy-token-1"}});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(up.Requests().size(), 1u);
  EXPECT_NE(up.Requests()[0].find("Authorization: Bearer proxy-token-1\r\n"), std::string::npos);
  Json warn = p->WaitLog("failed to fetch secret, caching error");
  ASSERT_TRUE(warn.is_object());
  EXPECT_EQ(warn["secret"], "REAL_KEY");
}

TEST_F(IronProxyDoubleProxy, SwapsTokenInsideMitmTunnelToTlsUpstream) {
  MakeUpstreamPki(dir_);
  Upstream up(dir_.str() + "/up.crt", dir_.str() + "/up.key");
  auto p = Start(BaseConfig(dir_, "transforms:\n  - name: allowlist\n    config:\n      domains: [localhost]\n" + Secrets("localhost")),
                 {{"SSL_CERT_FILE", dir_.str() + "/upca.crt"}});
  HttpResult r = Http("https://localhost:" + std::to_string(up.port()) + "/v1/models",
                      {.proxy = "http://127.0.0.1:" + std::to_string(tunnel_), .cainfo = dir_.str() + "/ca.crt",
                       .headers = {"Authorization: Bearer proxy-token-1"}});
  ASSERT_EQ(r.status, 200) << r.error << "\n" << p->Stderr();
  EXPECT_EQ(r.body, "upstream-ok");
  ASSERT_EQ(up.Requests().size(), 1u);
  EXPECT_NE(up.Requests()[0].find(std::string("Authorization: Bearer ") + kReal), std::string::npos);
  Json connect = p->WaitLog("request");
  Json inner = p->WaitLog("request", std::chrono::seconds(5), 1);
  ASSERT_TRUE(inner.is_object());
  EXPECT_EQ(connect["audit"]["method"], "CONNECT");
  EXPECT_EQ(inner["audit"]["sni"], "localhost");
  EXPECT_EQ(inner["tunnel"]["target"], "localhost:" + std::to_string(up.port()));
  EXPECT_EQ(p->Stderr().find(kReal), std::string::npos);
}

}  // namespace
}  // namespace doubletest
