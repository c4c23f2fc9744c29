// Listeners, health, management reload rules, signals and bind failures.
#include "double_harness.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace doubletest {
namespace {

class IronProxyDoubleListeners : public ::testing::Test {
 protected:
  void SetUp() override { MakeDoubleCa(dir_); }
  std::unique_ptr<Proc> Start(const std::string& yaml, Env extra = {}, const std::string& bin = Double039()) {
    path_ = dir_.Write("proxy.yaml", yaml);
    Env env = BaseEnv(dir_);
    for (const auto& [k, v] : extra) env[k] = v;
    auto p = std::make_unique<Proc>(bin, std::vector<std::string>{"-config", path_}, env);
    EXPECT_TRUE(p->WaitLog("iron-proxy starting").is_object()) << p->Stderr();
    return p;
  }
  TempDir dir_;
  std::string path_;
};

TEST_F(IronProxyDoubleListeners, HealthzAnswersAnyMethodAndOtherPathsAre404) {
  int metrics = FreePort();
  auto p = Start(BaseConfig(dir_, "", true, metrics));
  ASSERT_GT(p->port_of("http proxy starting"), 0);
  std::string base = "http://127.0.0.1:" + std::to_string(metrics);
  HttpResult get = Http(base + "/healthz");
  EXPECT_EQ(get.status, 200) << get.error;
  EXPECT_EQ(get.body, "OK");
  EXPECT_EQ(Http(base + "/healthz", {.method = "POST"}).status, 200);
  HttpResult other = Http(base + "/metrics");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body, "404 page not found\n");
}

TEST_F(IronProxyDoubleListeners, SigtermStopsGracefullyWithExitZero) {
  auto p = Start(BaseConfig(dir_, ""));
  p->Signal(SIGTERM);
  RunResult r = p->Wait();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("\"msg\":\"received signal, shutting down\",\"signal\":\"terminated\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"msg\":\"iron-proxy stopped\""), std::string::npos);
  EXPECT_EQ(r.out, "");
}

TEST_F(IronProxyDoubleListeners, SighupKillsTheProcess) {
  auto p = Start(BaseConfig(dir_, ""));
  p->Signal(SIGHUP);
  RunResult r = p->Wait();
  EXPECT_EQ(r.signal, SIGHUP);
}

TEST_F(IronProxyDoubleListeners, BindFailureIsFatalButExitsZero) {
  int busy = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  listen(busy, 1);
  socklen_t len = sizeof a;
  getsockname(busy, reinterpret_cast<sockaddr*>(&a), &len);
  std::string cfg = BaseConfig(dir_, "");
  std::string port = std::to_string(ntohs(a.sin_port));
  cfg.replace(cfg.find("http_listen: \"127.0.0.1:0\""), 26, "http_listen: \"127.0.0.1:" + port + "\"");
  std::string path = dir_.Write("proxy.yaml", cfg);
  RunResult r = RunDouble(Double039(), {"-config", path}, BaseEnv(dir_));
  close(busy);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("\"msg\":\"fatal error\",\"error\":\"proxy: http listen: listen tcp 127.0.0.1:" + port +
                       ": bind: address already in use\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"msg\":\"iron-proxy stopped\""), std::string::npos);
}

TEST_F(IronProxyDoubleListeners, ManagementReloadAuthMethodAndValidation) {
  std::string cfg = BaseConfig(dir_, "management:\n  listen: \"127.0.0.1:0\"\n");
  auto p = Start(cfg, {{"IRON_MANAGEMENT_API_KEY", "sekrit"}});
  int port = p->port_of("management server starting");
  ASSERT_GT(port, 0);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/reload";
  HttpResult noauth = Http(url, {.method = "POST"});
  EXPECT_EQ(noauth.status, 401);
  EXPECT_EQ(noauth.body, "{\"error\":\"unauthorized\"}\n");
  EXPECT_EQ(Http(url, {.method = "POST", .headers = {"Authorization: bearer sekrit"}}).status, 401);
  HttpResult get = Http(url, {.method = "GET", .headers = {"Authorization: Bearer sekrit"}});
  EXPECT_EQ(get.status, 405);
  EXPECT_NE(get.headers.find("Allow: POST"), std::string::npos);
  EXPECT_EQ(Http(url, {.method = "GET"}).status, 401);  // auth before method
  HttpResult other = Http("http://127.0.0.1:" + std::to_string(port) + "/v1/other");
  EXPECT_EQ(other.status, 404);
  HttpResult ok = Http(url, {.method = "POST", .headers = {"Authorization: Bearer sekrit"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"status\":\"ok\"}\n");
  dir_.Write("proxy.yaml", cfg + "transforms:\n  - name: nope\n");
  HttpResult bad = Http(url, {.method = "POST", .headers = {"Authorization: Bearer sekrit"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body, "{\"error\":\"unknown transform \\\"nope\\\": unknown transform: \\\"nope\\\"\"}\n");
}

TEST_F(IronProxyDoubleListeners, Management045StatusAndSyncAre404InStandalone) {
  auto p = Start(BaseConfig(dir_, "management:\n  listen: \"127.0.0.1:0\"\n"), {{"IRON_MANAGEMENT_API_KEY", "k"}}, Double045());
  int port = p->port_of("management server starting");
  HttpResult st = Http("http://127.0.0.1:" + std::to_string(port) + "/v1/status", {.headers = {"Authorization: Bearer k"}});
  EXPECT_EQ(st.status, 404);
  EXPECT_EQ(st.body, "{\"error\":\"status is unavailable in standalone mode\"}\n");
}

TEST_F(IronProxyDoubleListeners, TunnelPortRefusesNonConnectAndDeniedConnect) {
  auto p = Start(BaseConfig(dir_, "transforms:\n  - name: allowlist\n    config:\n      domains: [\"api.example.com\"]\n"));
  int tunnel = p->port_of("tunnel proxy starting");
  ASSERT_GT(tunnel, 0);
  EXPECT_EQ(RawExchange(tunnel, "GET http://x.example/ HTTP/1.1\r\nHost: x.example\r\n\r\n"),
            "HTTP/1.1 405 Method Not Allowed\r\n\r\n");
  std::string denied = RawExchange(tunnel, "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n");
  EXPECT_EQ(denied.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << denied;
  Json audit = p->WaitLog("request");
  ASSERT_TRUE(audit.is_object());
  EXPECT_EQ(audit["audit"]["method"], "CONNECT");
  EXPECT_EQ(audit["audit"]["host"], "evil.example:443");
  EXPECT_EQ(audit["audit"]["action"], "reject");
  EXPECT_EQ(audit["rejected_by"], "allowlist");
  EXPECT_EQ(audit["level"], "WARN");
}

}  // namespace
}  // namespace doubletest
