#include "reconcilers/docker/docker_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/docker/fixtures.h"
#include "tests/fakes/scripted_http_client.h"

namespace ironward::docker {
namespace {

using fixtures::PingReply;
using ironward::testing::Reply;
using ironward::testing::ScriptedHttpClient;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;


/// An engine speaking `version` that answers `routes` ("METHOD /path" without version and query).
ScriptedHttpClient::Handler Engine(std::string version, std::map<std::string, HttpResponse> routes) {
  return [version, routes](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = ScriptedHttpClient::PathOf(r);
    if (path == "/_ping") return PingReply(version);
    if (path.rfind("/v1.", 0) == 0) path = path.substr(path.find('/', 1));
    path = path.substr(0, path.find('?'));
    auto it = routes.find(r.method + " " + path);
    if (it == routes.end()) return Reply(404, R"({"message":"page not found"})");
    return it->second;
  };
}

TEST(DockerVersionTest, NegotiatesMinOfOursAndTheServers) {
  EXPECT_EQ(NegotiateApiVersion("1.41").value(), "1.41");
  EXPECT_EQ(NegotiateApiVersion("1.43").value(), "1.43");
  EXPECT_EQ(NegotiateApiVersion("1.47").value(), "1.43");
  auto old = NegotiateApiVersion("1.40");
  ASSERT_FALSE(old.ok());
  EXPECT_TRUE(old.error().terminal());
  EXPECT_THAT(old.error().message, HasSubstr("API 1.40, older than 1.41"));
  EXPECT_FALSE(NegotiateApiVersion("2.0").ok());
  EXPECT_FALSE(NegotiateApiVersion("").ok());
  EXPECT_FALSE(NegotiateApiVersion("1.4x").ok());
}

TEST(DockerClientTest, PrefixesPathsWithTheNegotiatedVersionAndPingsOnce) {
  ScriptedHttpClient http(
      Engine("1.41", {{"GET /containers/json", Reply(200, "[]")}, {"GET /info", Reply(200, fixtures::kInfo)}}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  ASSERT_TRUE(client.ListContainers({}, true).ok());
  ASSERT_TRUE(client.Info().ok());
  EXPECT_THAT(http.paths(), ElementsAre("/_ping", "/v1.41/containers/json?all=true", "/v1.41/info"));
  EXPECT_EQ(client.api_version(), "1.41");
  for (const auto& r : http.requests()) EXPECT_EQ(r.unix_socket, "/run/test/docker.sock");
}

TEST(DockerClientTest, NewerServerIsCappedAtOurMaximum) {
  ScriptedHttpClient http(Engine("1.45", {{"GET /info", Reply(200, fixtures::kInfo)}}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto ping = client.Ping();
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(ping->server_api_version, "1.45");
  EXPECT_EQ(ping->api_version, "1.43");
  ASSERT_TRUE(client.Info().ok());
  EXPECT_EQ(http.paths().back(), "/v1.43/info");
}

TEST(DockerClientTest, TooOldServerIsTerminalAndNothingElseIsSent) {
  ScriptedHttpClient http(Engine("1.40", {}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto r = client.ListContainers({}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().terminal());
  EXPECT_THAT(r.error().message, HasSubstr("older than 1.41"));
  EXPECT_THAT(http.paths(), ElementsAre("/_ping"));
}

TEST(DockerClientTest, FallsBackToVersionEndpointWithoutApiVersionHeader) {
  ScriptedHttpClient http([](const HttpRequest& r) -> Result<HttpResponse> {
    const std::string p = ScriptedHttpClient::PathOf(r);
    if (p == "/_ping") return Reply(200, "OK");
    if (p == "/version") return Reply(200, R"({"Version":"20.10.24","ApiVersion":"1.42"})");
    return Reply(200, "[]");
  });
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  ASSERT_TRUE(client.ListNetworks({}).ok());
  EXPECT_THAT(http.paths(), ElementsAre("/_ping", "/version", "/v1.42/networks"));
}

TEST(DockerClientTest, EngineDownIsATransientErrorNamingTheSocket) {
  ScriptedHttpClient http([](const HttpRequest& r) -> Result<HttpResponse> {
    return Error::Transient(r.method + " " + r.url + ": Couldn't connect to server");
  });
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto r = client.InspectContainer("sbx-a1");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().terminal());
  EXPECT_EQ(r.error().message,
            "cannot reach the Docker engine at unix:///run/test/docker.sock: Couldn't connect to server");
}

TEST(DockerClientTest, RealClientAgainstAMissingSocketFailsCleanlyWithoutOpeningCurl) {
  CurlHttpClient http;
  RealClock clock;
  DockerClient client(http, DockerEndpoint{"/nonexistent/ironward-test/docker.sock"}, clock);
  auto r = client.Ping();
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().terminal());
  EXPECT_EQ(r.error().message,
            "cannot reach the Docker engine at unix:///nonexistent/ironward-test/docker.sock: "
            "Couldn't connect to server (No such file or directory)");
  EXPECT_EQ(client.stats().Count("GET /_ping"), 1U);
  // Answered before libcurl is opened (it costs ~11 ms and ~35 libraries; no Docker, no need).
  EXPECT_EQ(::dlopen(IRONWARD_CURL_SONAME, RTLD_LAZY | RTLD_NOLOAD), nullptr);
}

TEST(DockerClientTest, RealCurlAgainstAFileThatIsNotASocket) {
  char path[] = "/tmp/ironward-not-a-socket.XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  CurlHttpClient http;
  RealClock clock;
  DockerClient client(http, DockerEndpoint{path}, clock);
  auto r = client.ListContainers({}, true);
  ::unlink(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, StartsWith(std::string("cannot reach the Docker engine at unix://") + path));
  EXPECT_THAT(r.error().message, HasSubstr("(not a socket)"));
}

TEST(DockerClientTest, RenegotiatesAfterTheEngineComesBack) {
  bool down = true;
  ScriptedHttpClient http([&down](const HttpRequest& r) -> Result<HttpResponse> {
    if (down) return Error::Transient("connect failed");
    if (ScriptedHttpClient::PathOf(r) == "/_ping") return PingReply("1.41");
    return Reply(200, "[]");
  });
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  EXPECT_FALSE(client.ListContainers({}, true).ok());
  down = false;
  EXPECT_TRUE(client.ListContainers({}, true).ok());
  EXPECT_EQ(client.stats().Count("GET /_ping"), 2U);
}

TEST(DockerClientTest, CreateSendsJsonWithContentType) {
  ScriptedHttpClient http(Engine("1.41", {{"POST /containers/create", Reply(201, R"({"Id":"da5b","Warnings":[]})")}}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  ContainerCreateSpec spec;
  spec.image = "ironward/test-sandbox:1";
  spec.env = {"A=1"};
  auto r = client.CreateContainer("sbx-a1", spec);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "da5b");
  const HttpRequest req = http.requests().back();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(ScriptedHttpClient::PathOf(req), "/v1.41/containers/create?name=sbx-a1");
  EXPECT_THAT(req.headers,
              ::testing::Contains(std::make_pair(std::string("Content-Type"), std::string("application/json"))));
  EXPECT_EQ(nlohmann::json::parse(req.body)["Env"], nlohmann::json({"A=1"}));
}

TEST(DockerClientTest, MapsEngineErrorBodiesWithStatus) {
  ScriptedHttpClient http(Engine(
      "1.41",
      {
          {"POST /containers/create",
           Reply(409,
                 R"({"message":"Conflict. The container name \"/sbx-a1\" is already in use by container \"da5b\"."})")},
          {"GET /containers/json", Reply(500, R"({"message":"json: cannot unmarshal string into Go value"})")},
      }));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto created = client.CreateContainer("sbx-a1", ContainerCreateSpec{});
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(IsConflict(created.error()));
  EXPECT_TRUE(created.error().terminal());
  EXPECT_THAT(created.error().message, HasSubstr("is already in use"));
  EXPECT_THAT(created.error().message, HasSubstr("(HTTP 409)"));
  auto listed = client.ListContainers({}, true);
  ASSERT_FALSE(listed.ok());
  EXPECT_FALSE(listed.error().terminal());
  EXPECT_EQ(HttpStatusOf(listed.error()), 500);
}

TEST(DockerClientTest, NotFoundAndNotModifiedAreOutcomesNotErrors) {
  ScriptedHttpClient http(Engine(
      "1.41", {
                  {"GET /containers/gone/json", Reply(404, R"({"message":"No such container: gone"})")},
                  {"POST /containers/up/start", Reply(304)},
                  {"POST /containers/up/stop", Reply(204)},
                  {"POST /containers/gone/stop", Reply(404, R"({"message":"No such container: gone"})")},
                  {"DELETE /containers/up", Reply(409, R"({"message":"You cannot remove a running container"})")},
                  {"GET /networks/nonet", Reply(404, R"({"message":"network nonet not found"})")},
              }));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto inspected = client.InspectContainer("gone");
  ASSERT_TRUE(inspected.ok());
  EXPECT_FALSE(inspected->has_value());
  EXPECT_EQ(client.StartContainer("up").value(), Outcome::kUnchanged);
  EXPECT_EQ(client.StopContainer("up", std::chrono::seconds(2)).value(), Outcome::kChanged);
  EXPECT_EQ(client.StopContainer("gone", std::chrono::seconds(2)).value(), Outcome::kNotFound);
  auto removed = client.RemoveContainer("up", false);
  ASSERT_FALSE(removed.ok());
  EXPECT_TRUE(IsConflict(removed.error()));
  auto net = client.InspectNetwork("nonet");
  ASSERT_TRUE(net.ok());
  EXPECT_FALSE(net->has_value());
  const auto paths = http.paths();
  EXPECT_THAT(paths, ::testing::Contains("/v1.41/containers/up/stop?t=2"));
  EXPECT_THAT(paths, ::testing::Contains("/v1.41/containers/up?v=true&force=false"));
}

TEST(DockerClientTest, ListEncodesLabelFilters) {
  ScriptedHttpClient http(Engine("1.41", {{"GET /containers/json", Reply(200, fixtures::kList)}}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto r = client.ListContainers(LabelFilter({{"sbx.test", "1"}}), true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2U);
  EXPECT_EQ(http.paths().back(),
            "/v1.41/containers/json?all=true&filters=%7B%22label%22%3A%5B%22sbx.test%3D1%22%5D%7D");
}

TEST(DockerClientTest, CountsCallsPerEndpoint) {
  ScriptedHttpClient http(Engine("1.41", {{"GET /containers/a/json", Reply(200, fixtures::kInspectRunning)},
                                          {"GET /containers/b/json", Reply(200, fixtures::kInspectRunning)},
                                          {"POST /containers/a/start", Reply(204)}}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  ASSERT_TRUE(client.InspectContainer("a").ok());
  ASSERT_TRUE(client.InspectContainer("b").ok());
  ASSERT_TRUE(client.StartContainer("a").ok());
  EXPECT_EQ(client.stats().Count("GET /containers/{id}/json"), 2U);
  EXPECT_EQ(client.stats().Count("POST /containers/{id}/start"), 1U);
  EXPECT_EQ(client.stats().Count("GET /_ping"), 1U);
  EXPECT_EQ(client.stats().Total(), 4U);
  client.stats().Reset();
  EXPECT_EQ(client.stats().Total(), 0U);
}

TEST(DockerClientTest, LogsAreDemultiplexedUnlessTheContainerHasATty) {
  const std::string muxed = std::string(
                                "\x01\0\0\0\0\0\0\x03"
                                "hi\n",
                                11) +
                            std::string(
                                "\x02\0\0\0\0\0\0\x02"
                                "e\n",
                                10);
  ScriptedHttpClient http(
      Engine("1.41", {
                         {"GET /containers/mux/logs", Reply(200, muxed)},  // 1.41 sends no Content-Type
                         {"GET /containers/mux/json", Reply(200, fixtures::kInspectRunning)},  // Tty false
                         {"GET /containers/tty/logs", Reply(200, "plain text\n")},
                         {"GET /containers/tty/json", Reply(200, fixtures::kInspectExitedNulls)},  // Tty true
                         {"GET /containers/new/logs",
                          Reply(200, muxed, {{"Content-Type", "application/vnd.docker.multiplexed-stream"}})},
                     }));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto mux = client.Logs("mux", LogsOptions{});
  ASSERT_TRUE(mux.ok()) << mux.error().message;
  EXPECT_EQ(mux->out, "hi\n");
  EXPECT_EQ(mux->err, "e\n");
  auto tty = client.Logs("tty", LogsOptions{});
  ASSERT_TRUE(tty.ok()) << tty.error().message;
  EXPECT_EQ(tty->out, "plain text\n");
  client.stats().Reset();
  auto typed =
      client.Logs("new", LogsOptions{.stdout_stream = true, .stderr_stream = false, .timestamps = false, .tail = 5});
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(client.stats().Count("GET /containers/{id}/json"), 0U);  // the header was enough
  EXPECT_EQ(http.paths().back(),
            "/v1.41/containers/new/logs?follow=false&stdout=true&stderr=false&timestamps=false&tail=5");
}

TEST(DockerClientTest, WaitReturnsTheExitCode) {
  ScriptedHttpClient http(
      Engine("1.41", {{"POST /containers/x/wait", Reply(200, R"({"Error":null,"StatusCode":3})")}}));
  RealClock clock;
  DockerClient client(http, fixtures::kEndpoint, clock);
  auto r = client.WaitContainer("x", std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status_code, 3);
  EXPECT_EQ(http.requests().back().timeout, std::chrono::seconds(5));
  auto missing = client.WaitContainer("nosuch", std::chrono::seconds(5));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(IsNotFound(missing.error()));
}

TEST(DockerHostTest, ParsesUnixSocketsAndDefaults) {
  EXPECT_EQ(ParseDockerHost("").value().socket_path, "/var/run/docker.sock");
  EXPECT_EQ(ParseDockerHost("unix:///tmp/ce/docker.sock").value().socket_path, "/tmp/ce/docker.sock");
  EXPECT_EQ(ParseDockerHost("unix:///tmp/ce/docker.sock").value().uri(), "unix:///tmp/ce/docker.sock");
}

TEST(DockerHostTest, RejectsTcpAndOtherSchemesClearly) {
  auto tcp = ParseDockerHost("tcp://10.0.0.5:2376");
  ASSERT_FALSE(tcp.ok());
  EXPECT_EQ(tcp.error().kind, ErrorKind::kInvalidSpec);
  EXPECT_THAT(tcp.error().message, HasSubstr("tcp:// engines are not supported yet"));
  EXPECT_THAT(tcp.error().message, HasSubstr("unix:///"));
  EXPECT_FALSE(ParseDockerHost("ssh://me@host").ok());
  EXPECT_FALSE(ParseDockerHost("unix://").ok());
  EXPECT_FALSE(ParseDockerHost("/var/run/docker.sock").ok());
  EXPECT_FALSE(ParseDockerHost("unix://" + std::string(120, 'a')).ok());
}

TEST(DockerHostTest, FromEnvironmentReadsDockerHost) {
  const char* saved = std::getenv("DOCKER_HOST");
  const std::string restore = saved == nullptr ? "" : saved;
  ::setenv("DOCKER_HOST", "unix:///tmp/x/docker.sock", 1);
  CurlHttpClient http;
  RealClock clock;
  auto client = DockerClient::FromEnvironment(http, clock);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client.value()->endpoint().socket_path, "/tmp/x/docker.sock");
  ::setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
  EXPECT_FALSE(DockerClient::FromEnvironment(http, clock).ok());
  if (saved == nullptr) {
    ::unsetenv("DOCKER_HOST");
  } else {
    ::setenv("DOCKER_HOST", restore.c_str(), 1);
  }
}

}  // namespace
}  // namespace ironward::docker
