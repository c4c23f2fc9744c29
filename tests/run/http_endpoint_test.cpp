#include "controller/run/http_endpoint.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstring>
#include <memory>
#include <thread>

#include "tests/support/ports.h"

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

// The endpoint is read-only: GET and HEAD answer, every other method is 405 on every path; the
// page goes out with a CSP that forbids scripts (defence behind the escaping).
TEST(HttpEndpointTest, ServesThePageReadOnly) {
  const int port = testing::FreeLoopbackPorts(1, 17000);
  ASSERT_GT(port, 0);
  HttpEndpoint endpoint([] { return std::vector<ReadyCheck>{}; }, [] { return std::string("m 1\n"); },
                        [] { return std::string("<!DOCTYPE html><p>page</p>"); });
  ASSERT_TRUE(endpoint.Start({"127.0.0.1", port}).ok());
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  auto get = c.Get("/");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "<!DOCTYPE html><p>page</p>");
  EXPECT_EQ(get->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(get->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(get->get_header_value("Content-Security-Policy").find("script-src"), std::string::npos);
  EXPECT_EQ(get->get_header_value("X-Content-Type-Options"), "nosniff");
  auto head = c.Head("/");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  for (const std::string path : {"/", "/metrics", "/readyz", "/anything"}) {
    auto refused = [&path](const httplib::Result& r, const char* method) {
      ASSERT_TRUE(r) << method << " " << path;
      EXPECT_EQ(r->status, 405) << method << " " << path;
      EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD") << method << " " << path;
    };
    refused(c.Post(path.c_str(), "x", "text/plain"), "POST");
    refused(c.Put(path.c_str(), "x", "text/plain"), "PUT");
    refused(c.Patch(path.c_str(), "x", "text/plain"), "PATCH");
    refused(c.Delete(path.c_str()), "DELETE");
    refused(c.Options(path.c_str()), "OPTIONS");
  }
  EXPECT_EQ(c.Get("/metrics")->body, "m 1\n");
  EXPECT_EQ(c.Get("/nonexistent")->status, 404);
}

TEST(HttpEndpointTest, RoutesWithoutAServer) {
  HttpEndpoint endpoint([] { return std::vector<ReadyCheck>{{"proxy", false, "down"}}; },
                        [] { return std::string("m 1\n"); });
  const EndpointReply ready = endpoint.Route({"GET", "/readyz", true});
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("[-]proxy failed: down"), std::string::npos) << ready.body;
  EXPECT_EQ(endpoint.Route({"HEAD", "/livez", false}).body, "ok\n");
  EXPECT_EQ(endpoint.Route({"GET", "/metrics", false}).content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(endpoint.Route({"GET", "/", false}).status, 404) << "no page given";
  const EndpointReply post = endpoint.Route({"POST", "/livez", false});
  EXPECT_EQ(post.status, 405);
  ASSERT_EQ(post.headers.size(), 1U);
  EXPECT_EQ(post.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, HEAD"}));
}

TEST(HttpEndpointTest, TheModuleIsOpenedTheWayRunOpensIt) {
  auto missing = LoadEndpointServerModule({"/nonexistent/a/ironward-http.so", "/nonexistent/b/ironward-http.so"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/a/ironward-http.so, /nonexistent/b/ironward-http.so"),
            std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("reinstall ironward"), std::string::npos);
  Dl_info libc{};
  ASSERT_NE(::dladdr(reinterpret_cast<void*>(&::strlen), &libc), 0);
  auto foreign = LoadEndpointServerModule({libc.dli_fname});
  ASSERT_FALSE(foreign.ok()) << "a shared object without the entry point";
  EXPECT_NE(foreign.error().message.find("not ironward's module"), std::string::npos) << foreign.error().message;

  auto loaded = LoadEndpointServerModule({"/nonexistent/ironward-http.so", IRONWARD_HTTP_MODULE});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_NE(loaded->make, &ironward_endpoint_server_new) << "the module's own entry point, not the linked-in one";
  const EndpointHandler echo = [](const EndpointRequest& r) {
    EndpointReply reply;
    reply.body = r.method + " " + r.path + (r.verbose ? " verbose" : "");
    reply.headers = {{"X-Seen", "1"}};
    return reply;
  };
  std::unique_ptr<EndpointServer> server(loaded->make(&echo));
  const int port = testing::FreeLoopbackPorts(1, 17200);
  ASSERT_GT(port, 0);
  ASSERT_TRUE(server->Bind("127.0.0.1", port));
  std::thread serving([&] { server->Serve(); });
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  auto got = c.Get("/x?verbose");
  auto put = c.Put("/y", "b", "text/plain");
  server->Stop();
  serving.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, "GET /x verbose");
  EXPECT_EQ(got->get_header_value("X-Seen"), "1");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->body, "PUT /y");
}

TEST(HttpEndpointTest, WithoutAPageTheRootIsNotFound) {
  const int port = testing::FreeLoopbackPorts(1, 17100);
  ASSERT_GT(port, 0);
  HttpEndpoint endpoint([] { return std::vector<ReadyCheck>{}; }, [] { return std::string(); });
  ASSERT_TRUE(endpoint.Start({"127.0.0.1", port}).ok());
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/")->status, 404);
}

}  // namespace
}  // namespace ironward::run
