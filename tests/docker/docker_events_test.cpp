// DockerClient::Events over a scripted HttpClient: windowed reads, dedupe, stop, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stop_token>

#include "reconcilers/docker/docker_client.h"
#include "tests/docker/fixtures.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/scripted_http_client.h"

namespace ironward::docker {
namespace {

using fixtures::PingReply;
using ironward::testing::Reply;
using ironward::testing::ScriptedHttpClient;
using ::testing::ElementsAre;
using ::testing::HasSubstr;


std::string EventLine(const std::string& action, const std::string& id, std::int64_t ns) {
  return R"({"Type":"container","Action":")" + action + R"(","Actor":{"ID":")" + id +
         R"(","Attributes":{"name":"n"}},"time":)" + std::to_string(ns / 1000000000) + R"(,"timeNano":)" +
         std::to_string(ns) + "}\n";
}

std::string QueryValue(const std::string& path, const std::string& key) {
  const auto at = path.find(key + "=");
  if (at == std::string::npos) return "";
  const auto start = at + key.size() + 1;
  return path.substr(start, path.find('&', start) - start);
}

class DockerEventsTest : public ::testing::Test {
 protected:
  /// Answers /_ping; every events request goes to `windows_` in order (the last one repeats).
  ScriptedHttpClient::Handler Handler() {
    return [this](const HttpRequest& r) -> Result<HttpResponse> {
      if (ScriptedHttpClient::PathOf(r) == "/_ping") return PingReply("1.41");
      const std::size_t i = std::min(window_calls_++, windows_.size() - 1);
      clock_.Advance(std::chrono::seconds(1));  // the engine held the stream open until `until`
      return windows_[i](r);
    };
  }

  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1795410950))};
  std::vector<ScriptedHttpClient::Handler> windows_;
  std::size_t window_calls_ = 0;
};

TEST_F(DockerEventsTest, DeliversEventsSplitAcrossChunksUntilTheCallbackSaysStop) {
  const std::int64_t t0 = 1795410950'000000000;
  windows_.push_back([&](const HttpRequest&) -> Result<HttpResponse> {
    return Reply(200, std::string(fixtures::kDieEvent) + "\n" + EventLine("destroy", "abc", t0 + 5));
  });
  ScriptedHttpClient http(Handler());
  http.chunk_size = 3;
  DockerClient client(http, fixtures::kEndpoint, clock_);
  std::vector<Event> got;
  EventsQuery q;
  q.filters = {{"type", {"container"}}, {"label", {"sbx.test=1"}}};
  Status s = client.Events(
      q,
      [&got](const Event& e) {
        got.push_back(e);
        return got.size() < 2;
      },
      std::stop_token());
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].action, "die");
  EXPECT_EQ(got[0].attributes.at("exitCode"), "137");
  EXPECT_EQ(got[1].action, "destroy");
  const std::string path = http.paths().back();
  EXPECT_THAT(path, HasSubstr("/v1.41/events?since=1795410950.000000000&until=1795410951.000000000"));
  EXPECT_THAT(path,
              HasSubstr("&filters=%7B%22label%22%3A%5B%22sbx.test%3D1%22%5D%2C%22type%22%3A%5B%22container%22%5D%7D"));
}

TEST_F(DockerEventsTest, NextWindowOverlapsAndDropsDuplicates) {
  const std::int64_t t = 1795410950'500000000;
  windows_.push_back(
      [&](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, EventLine("start", "a", t)); });
  // The overlap replays `start` (buffered by the engine); only `die` is new.
  windows_.push_back([&](const HttpRequest&) -> Result<HttpResponse> {
    return Reply(200, EventLine("start", "a", t) + EventLine("die", "a", t + 700000000));
  });
  ScriptedHttpClient http(Handler());
  DockerClient client(http, fixtures::kEndpoint, clock_);
  std::vector<std::string> actions;
  Status s = client.Events(
      EventsQuery{},
      [&actions](const Event& e) {
        actions.push_back(e.action);
        return e.action != "die";
      },
      std::stop_token());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_THAT(actions, ElementsAre("start", "die"));
  const auto paths = http.paths();
  ASSERT_EQ(paths.size(), 3U);  // ping + two windows
  EXPECT_EQ(QueryValue(paths[1], "until"), "1795410951.000000000");
  EXPECT_EQ(QueryValue(paths[2], "since"), "1795410950.000000000");  // until - 1 s, not later than the old since
  EXPECT_EQ(QueryValue(paths[2], "until"), "1795410952.000000000");
}

TEST_F(DockerEventsTest, StopTokenEndsTheStreamBetweenWindows) {
  std::stop_source stop;
  windows_.push_back([&](const HttpRequest&) -> Result<HttpResponse> {
    if (window_calls_ >= 3) stop.request_stop();
    return Reply(200, "");  // a quiet engine
  });
  ScriptedHttpClient http(Handler());
  DockerClient client(http, fixtures::kEndpoint, clock_);
  int delivered = 0;
  Status s = client.Events(
      EventsQuery{}, [&delivered](const Event&) { return ++delivered > 0; }, stop.get_token());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(window_calls_, 3U);
  EXPECT_EQ(client.stats().Count("GET /events"), 3U);
}

TEST_F(DockerEventsTest, ReplayStartsAtTheRequestedTime) {
  windows_.push_back(
      [&](const HttpRequest&) -> Result<HttpResponse> { return Reply(200, std::string(fixtures::kDieEvent) + "\n"); });
  ScriptedHttpClient http(Handler());
  DockerClient client(http, fixtures::kEndpoint, clock_);
  EventsQuery q;
  q.since = std::chrono::system_clock::time_point(std::chrono::seconds(1795410000));
  bool seen = false;
  ASSERT_TRUE(client
                  .Events(
                      q, [&seen](const Event&) { return !(seen = true); }, std::stop_token())
                  .ok());
  EXPECT_TRUE(seen);
  EXPECT_EQ(QueryValue(http.paths().back(), "since"), "1795410000.000000000");
}

TEST_F(DockerEventsTest, EngineErrorBodyIsReportedWithStatus) {
  windows_.push_back([&](const HttpRequest&) -> Result<HttpResponse> {
    return Reply(400, R"({"message":"Invalid filter 'lable'"})"
                      "\n");
  });
  ScriptedHttpClient http(Handler());
  DockerClient client(http, fixtures::kEndpoint, clock_);
  bool called = false;
  EventsQuery q;
  q.filters = {{"lable", {"x"}}};
  Status s = client.Events(
      q, [&called](const Event&) { return called = true; }, std::stop_token());
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(called);
  EXPECT_THAT(s.error().message, HasSubstr("Invalid filter 'lable'"));
  EXPECT_EQ(HttpStatusOf(s.error()), 400);
}

TEST_F(DockerEventsTest, EngineGoingAwayEndsWithATransientError) {
  windows_.push_back([&](const HttpRequest&) -> Result<HttpResponse> {
    if (window_calls_ == 1) return Reply(200, "");  // shutdown closed the stream early
    return Error::Transient("GET http://localhost/v1.41/events: Couldn't connect to server");
  });
  ScriptedHttpClient http(Handler());
  DockerClient client(http, fixtures::kEndpoint, clock_);
  Status s = client.Events(
      EventsQuery{}, [](const Event&) { return true; }, std::stop_token());
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().terminal());
  EXPECT_EQ(s.error().message,
            "cannot reach the Docker engine at unix:///run/test/docker.sock: Couldn't connect to server");
}

}  // namespace
}  // namespace ironward::docker
