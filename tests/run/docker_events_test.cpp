#include "controller/run/docker_events.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/fakes/fake_docker.h"
#include "tests/support/eventually.h"

namespace ironward::run {
namespace {

using std::chrono::milliseconds;
using testing::Eventually;

struct Seen {
  std::mutex mu;
  std::vector<std::string> events;
  void Add(const docker::Event& e) {
    std::lock_guard lock(mu);
    events.push_back(DescribeEvent(e));
  }
  std::vector<std::string> Get() {
    std::lock_guard lock(mu);
    return events;
  }
  bool Has(const std::string& s) {
    for (const auto& e : Get()) {
      if (e == s) return true;
    }
    return false;
  }
};

/// 10 ms first back-off, capped at `max_ms`, 100 ms event windows.
DockerEventsOptions Fast(int max_ms) {
  DockerEventsOptions o;
  o.base_backoff = milliseconds(10);
  o.max_backoff = milliseconds(max_ms);
  o.window = milliseconds(100);
  return o;
}

docker::ContainerCreateSpec Labelled(const std::string& owner) {
  docker::ContainerCreateSpec spec;
  spec.image = "local/agent:latest";
  spec.labels = {{kOwnerLabel, owner}, {"ironward.dev/sandbox", "agent-1"}};
  return spec;
}

TEST(DockerEventWatcherTest, ReportsLifecycleEventsOfOurLabelledContainersOnly) {
  docker::FakeDocker fake;
  Seen seen;
  DockerEventWatcher watcher(fake, "prod", [&seen](const docker::Event& e) { seen.Add(e); }, {},
                             Fast(50));
  ASSERT_TRUE(Eventually([&] { return fake.OpenEventStreams() == 1; }));  // the stream is open

  const std::string ours = fake.AddContainer("agent-1", Labelled("prod"), true);
  (void)fake.AddContainer("other-owner", Labelled("staging"), true);
  (void)fake.AddContainer("unlabelled", docker::ContainerCreateSpec{}, true);
  ASSERT_TRUE(fake.RemoveContainer(ours, true).ok());  // someone removes our sandbox out of band

  ASSERT_TRUE(Eventually([&] { return seen.Has("container destroy agent-1"); })) << ::testing::PrintToString(seen.Get());
  for (const auto& e : seen.Get()) {
    EXPECT_NE(e.find("agent-1"), std::string::npos) << "only our owner label is watched: " << e;
  }
  watcher.Stop();
}

// Network (dis)connects are network events: they carry the network's attributes, never the
// container's labels, so the labelled stream alone misses a sandbox put on the default bridge.
TEST(DockerEventWatcherTest, NetworkConnectsAndDisconnectsOfOurContainersAreReported) {
  docker::FakeDocker fake;
  ASSERT_TRUE(fake.CreateNetwork({"sandbox-net", true, "", "", "", {}}).ok());
  ASSERT_TRUE(fake.CreateNetwork({"side", false, "", "", "", {}}).ok());
  const std::string ours = fake.AddContainer("agent-1", Labelled("prod"), true);
  const std::string theirs = fake.AddContainer("other-owner", Labelled("staging"), true);
  Seen seen;
  DockerEventWatcher watcher(fake, "prod", [&seen](const docker::Event& e) { seen.Add(e); }, {}, Fast(50));
  ASSERT_TRUE(Eventually([&] { return fake.OpenEventStreams() == 1; }));

  ASSERT_TRUE(fake.ConnectNetwork("side", theirs).ok());
  ASSERT_TRUE(fake.ConnectNetwork("side", ours).ok());
  ASSERT_TRUE(fake.ConnectNetwork("sandbox-net", ours).ok());
  ASSERT_TRUE(fake.DisconnectNetwork("sandbox-net", ours, true).ok());
  ASSERT_TRUE(Eventually([&] { return seen.Has("network disconnect agent-1 (sandbox-net)"); }))
      << ::testing::PrintToString(seen.Get());
  EXPECT_TRUE(seen.Has("network connect agent-1 (side)")) << ::testing::PrintToString(seen.Get());
  for (const auto& e : seen.Get()) EXPECT_EQ(e.find("other-owner"), std::string::npos) << e;
  EXPECT_EQ(fake.CallCount("InspectContainer"), 4U) << "one inspect per (dis)connect, ours or not";
}

TEST(DockerEventWatcherTest, ASelectorWatcherSeesPolicedUnmanagedContainers) {
  docker::FakeDocker fake;
  Seen seen;
  auto watcher = DockerEventWatcher::ForLabel(fake, "ironward.dev/policed=true",
                                              [&seen](const docker::Event& e) { seen.Add(e); }, {},
                                              Fast(50));
  EXPECT_EQ(watcher->label(), "ironward.dev/policed=true");
  ASSERT_TRUE(Eventually([&] { return watcher->attempts() >= 1 && fake.OpenEventStreams() == 1; }));
  docker::ContainerCreateSpec policed;
  policed.image = "someone/else:latest";
  policed.labels = {{"ironward.dev/policed", "true"}};
  (void)fake.AddContainer("unmanaged-agent", policed, true);
  (void)fake.AddContainer("not-policed", docker::ContainerCreateSpec{}, true);
  ASSERT_TRUE(Eventually([&] { return seen.Has("container start unmanaged-agent"); })) << ::testing::PrintToString(seen.Get());
  for (const auto& e : seen.Get()) EXPECT_EQ(e.find("not-policed"), std::string::npos) << e;
}

TEST(DockerEventWatcherTest, EngineDownIsRetriedWithBackOffNeverFatal) {
  docker::FakeDocker fake;
  fake.SetEngineDown(true);
  Seen seen;
  std::atomic<int> errors{0};
  DockerEventWatcher watcher(
      fake, "prod", [&seen](const docker::Event& e) { seen.Add(e); },
      [&errors](const std::string& why, milliseconds) {
        EXPECT_NE(why.find("cannot reach the Docker engine"), std::string::npos) << why;
        ++errors;
      },
      Fast(40));
  ASSERT_TRUE(Eventually([&] { return errors.load() >= 3; }));
  // The engine comes back: the watcher reconnects and events flow.
  EXPECT_EQ(fake.OpenEventStreams(), 0) << "no stream while the engine is down";
  fake.SetEngineDown(false);
  ASSERT_TRUE(Eventually([&] { return fake.OpenEventStreams() == 1; })) << "the watcher reconnected";
  (void)fake.AddContainer("agent-back", Labelled("prod"), true);
  ASSERT_TRUE(Eventually([&] { return !seen.Get().empty(); }));
}

TEST(DockerEventWatcherTest, AnEngineBackAfterFailuresIsReportedOnceWithoutWaitingForAnEvent) {
  docker::FakeDocker fake;
  fake.SetEngineDown(true);
  std::atomic<int> errors{0};
  std::atomic<int> reconnected{0};
  DockerEventsOptions options = Fast(40);
  options.on_reconnected = [&reconnected] { ++reconnected; };
  DockerEventWatcher watcher(
      fake, "prod", [](const docker::Event&) {}, [&errors](const std::string&, milliseconds) { ++errors; }, options);
  ASSERT_TRUE(Eventually([&] { return errors.load() >= 2; }));
  EXPECT_EQ(reconnected.load(), 0) << "still down";
  fake.SetEngineDown(false);  // a quiet engine: no event will ever arrive
  ASSERT_TRUE(Eventually([&] { return reconnected.load() == 1; }));
  // Reported before the stream opens; once it is open (blocked on a quiet engine), a report per
  // attempt would have come, and nothing more can come until the next outage.
  ASSERT_TRUE(Eventually([&] { return fake.OpenEventStreams() == 1; }));
  EXPECT_EQ(reconnected.load(), 1) << "once per outage, not per window";

  // A second outage is a second report.
  fake.SetEngineDown(true);
  const int before = errors.load();
  ASSERT_TRUE(Eventually([&] { return errors.load() > before; }));
  fake.SetEngineDown(false);
  ASSERT_TRUE(Eventually([&] { return reconnected.load() == 2; }));
}

TEST(DockerEventWatcherTest, AStreamThatWorkedAndBrokeIsReportedLostOncePerOutage) {
  docker::FakeDocker fake;
  std::atomic<int> errors{0};
  std::atomic<int> lost{0};
  DockerEventsOptions options = Fast(40);
  options.on_lost = [&lost](const std::string& why) {
    EXPECT_NE(why.find("cannot reach the Docker engine"), std::string::npos) << why;
    ++lost;
  };
  DockerEventWatcher watcher(
      fake, "prod", [](const docker::Event&) {}, [&errors](const std::string&, milliseconds) { ++errors; }, options);
  ASSERT_TRUE(Eventually([&] { return fake.OpenEventStreams() == 1; }));
  EXPECT_EQ(lost.load(), 0);
  fake.SetEngineDown(true);  // the open stream breaks
  ASSERT_TRUE(Eventually([&] { return errors.load() >= 3; }));
  EXPECT_EQ(lost.load(), 1) << "one report for the outage, not one per failed retry";
  fake.SetEngineDown(false);
  ASSERT_TRUE(Eventually([&] { return fake.OpenEventStreams() == 1; }));
  fake.SetEngineDown(true);
  ASSERT_TRUE(Eventually([&] { return lost.load() == 2; })) << "the second outage is reported too";
}

TEST(DockerEventWatcherTest, AnEngineDownFromTheStartIsNotReportedLost) {
  docker::FakeDocker fake;
  fake.SetEngineDown(true);
  std::atomic<int> errors{0};
  std::atomic<int> lost{0};
  DockerEventsOptions options = Fast(40);
  options.on_lost = [&lost](const std::string&) { ++lost; };
  DockerEventWatcher watcher(
      fake, "prod", [](const docker::Event&) {}, [&errors](const std::string&, milliseconds) { ++errors; }, options);
  ASSERT_TRUE(Eventually([&] { return errors.load() >= 3; }));
  EXPECT_EQ(lost.load(), 0) << "nothing was lost: it never worked";
}

TEST(DockerEventWatcherTest, FiltersChatterAndDescribesEventsWithoutValues) {
  docker::Event e;
  e.type = "container";
  e.action = "exec_create: sh -c echo";
  EXPECT_FALSE(IsRelevantEvent(e));
  e.action = "health_status: healthy";
  EXPECT_FALSE(IsRelevantEvent(e));
  e.action = "die";
  e.actor_id = "0123456789abcdef0123";
  EXPECT_TRUE(IsRelevantEvent(e));
  EXPECT_EQ(DescribeEvent(e), "container die 0123456789ab");
  e.attributes["name"] = "agent-1";
  EXPECT_EQ(DescribeEvent(e), "container die agent-1");
  e.type = "image";
  e.action = "pull";
  EXPECT_FALSE(IsRelevantEvent(e));
  e.type = "network";
  e.action = "destroy";
  EXPECT_TRUE(IsRelevantEvent(e));
  e.action = "connect";
  EXPECT_TRUE(IsRelevantEvent(e));
}

}  // namespace
}  // namespace ironward::run
