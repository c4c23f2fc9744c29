// The fake must behave like the engine where reconcilers depend on it.
#include "tests/fakes/fake_docker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace ironward::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ContainerCreateSpec Spec(Labels labels = {{"ironward.dev/managed", "true"}}) {
  ContainerCreateSpec s;
  s.image = "ironward/test-sandbox:1";
  s.cmd = {"sleep", "3600"};
  s.env = {"TASK=demo"};
  s.labels = std::move(labels);
  s.host.binds = {"/srv/a:/work:ro"};
  s.host.init = true;
  return s;
}

std::vector<std::string> Actions(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.type == "container") out.push_back(e.action);
  }
  return out;
}

TEST(FakeDockerTest, ContainerLifecycleLooksLikeTheEngine) {
  FakeDocker docker;
  auto created = docker.CreateContainer("agent-1", Spec());
  ASSERT_TRUE(created.ok());
  auto info = docker.InspectContainer("agent-1");
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->state.status, "created");
  EXPECT_EQ((*info)->EnvValue("PATH"), "/bin:/usr/bin");  // image ENV appended
  EXPECT_FALSE((*info)->mounts.at(0).rw);

  EXPECT_EQ(docker.StartContainer("agent-1").value(), Outcome::kChanged);
  EXPECT_EQ(docker.StartContainer(created->id).value(), Outcome::kUnchanged);
  info = docker.InspectContainer(created->id.substr(0, 12));
  EXPECT_TRUE((*info)->state.running);
  EXPECT_GT((*info)->state.pid, 0);
  EXPECT_FALSE((*info)->networks.at("bridge").ip_address.empty());

  EXPECT_EQ(docker.StopContainer("agent-1", std::chrono::seconds(2)).value(), Outcome::kChanged);
  EXPECT_EQ(docker.StopContainer("agent-1", std::chrono::seconds(2)).value(), Outcome::kUnchanged);
  info = docker.InspectContainer("agent-1");
  EXPECT_EQ((*info)->state.status, "exited");
  EXPECT_EQ((*info)->state.exit_code, 143);
  EXPECT_EQ(docker.WaitContainer("agent-1", std::chrono::seconds(1)).value().status_code, 143);

  EXPECT_EQ(docker.RemoveContainer("agent-1", false).value(), Outcome::kChanged);
  EXPECT_EQ(docker.RemoveContainer("agent-1", false).value(), Outcome::kNotFound);
  EXPECT_FALSE(docker.InspectContainer("agent-1").value().has_value());
  EXPECT_THAT(Actions(docker.events()), ElementsAre("create", "start", "kill", "die", "stop", "destroy"));
  EXPECT_EQ(docker.CallCount("StartContainer"), 2U);
}

TEST(FakeDockerTest, NameConflictsAndRunningRemovalAre409) {
  FakeDocker docker;
  ASSERT_TRUE(docker.CreateContainer("agent-1", Spec()).ok());
  auto again = docker.CreateContainer("agent-1", Spec());
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(IsConflict(again.error()));
  EXPECT_THAT(again.error().message, HasSubstr("is already in use"));
  auto bad = docker.CreateContainer("q", Spec());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(HttpStatusOf(bad.error()), 400);

  ASSERT_TRUE(docker.StartContainer("agent-1").ok());
  auto removed = docker.RemoveContainer("agent-1", false);
  ASSERT_FALSE(removed.ok());
  EXPECT_TRUE(IsConflict(removed.error()));
  EXPECT_EQ(docker.RemoveContainer("agent-1", true).value(), Outcome::kChanged);
  EXPECT_THAT(Actions(docker.events()), ElementsAre("create", "start", "kill", "die", "destroy"));
  EXPECT_EQ(docker.events()[2].attributes.at("signal"), "9");
}

TEST(FakeDockerTest, UnknownImagesAre404OnceImagesAreRegistered) {
  FakeDocker docker;
  docker.AddImage("ironward/test-sandbox:1");
  auto missing = docker.CreateContainer("x1", [] {
    auto s = Spec();
    s.image = "nosuch/img:1";
    return s;
  }());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(IsNotFound(missing.error()));
  EXPECT_TRUE(docker.CreateContainer("x2", Spec()).ok());
}

TEST(FakeDockerTest, ListFiltersByLabelStatusAndAll) {
  FakeDocker docker;
  docker.AddContainer("a", Spec({{"ironward.dev/managed", "true"}, {"ironward.dev/sandbox", "a"}}), true);
  docker.AddContainer("b", Spec({{"ironward.dev/managed", "true"}, {"ironward.dev/sandbox", "b"}}), false);
  docker.AddContainer("other", Spec({{"team", "x"}}), true);
  EXPECT_EQ(docker.ListContainers({}, false).value().size(), 2U);  // running only
  EXPECT_EQ(docker.ListContainers(LabelFilter({{"ironward.dev/managed", "true"}}), true).value().size(), 2U);
  EXPECT_EQ(docker.ListContainers(LabelFilter({{"ironward.dev/managed", "true"}}), false).value().size(), 1U);
  auto b = docker.ListContainers({{"label", {"ironward.dev/sandbox=b"}}, {"status", {"created"}}}, true);
  ASSERT_EQ(b.value().size(), 1U);
  EXPECT_EQ(b.value()[0].name, "b");
  EXPECT_EQ(docker.ListContainers(LabelFilter({{"ironward.dev/sandbox", ""}}), true).value().size(), 2U);
  auto bad = docker.ListContainers({{"lable", {"x"}}}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(HttpStatusOf(bad.error()), 400);
}

TEST(FakeDockerTest, InternalNetworksAttachAndBlockRemovalWhileUsed) {
  FakeDocker docker;
  auto id = docker.CreateNetwork(
      {"sbxnet", true, "172.28.0.0/24", "172.28.0.1", "sbxbr0", {{"ironward.dev/managed", "true"}}});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(IsConflict(docker.CreateNetwork({"sbxnet", true, "", "", "", {}}).error()));
  auto spec = Spec();
  spec.host.network_mode = "sbxnet";
  docker.AddContainer("a", spec, true);
  auto net = docker.InspectNetwork("sbxnet");
  ASSERT_TRUE(net.ok() && net->has_value());
  EXPECT_TRUE((*net)->internal);
  ASSERT_EQ((*net)->containers.size(), 1U);
  EXPECT_EQ((*net)->containers.begin()->second.ipv4_address, "172.28.0.2/24");
  auto info = docker.InspectContainer("a").value();
  EXPECT_EQ(info->networks.at("sbxnet").gateway, "172.28.0.1");
  EXPECT_EQ(docker.ListNetworks(LabelFilter({{"ironward.dev/managed", "true"}})).value().size(), 1U);
  EXPECT_EQ(docker.RemoveNetwork("sbxnet").error().message.find("active endpoints") != std::string::npos, true);
  EXPECT_EQ(docker.ConnectNetwork("sbxnet", "a").value(), Outcome::kUnchanged);
  EXPECT_EQ(docker.DisconnectNetwork("sbxnet", "a", false).value(), Outcome::kChanged);
  EXPECT_EQ(docker.DisconnectNetwork("sbxnet", "a", false).value(), Outcome::kUnchanged);
  EXPECT_EQ(docker.RemoveNetwork("sbxnet").value(), Outcome::kChanged);
  EXPECT_EQ(docker.RemoveNetwork("sbxnet").value(), Outcome::kNotFound);
  EXPECT_FALSE(docker.RemoveNetwork("bridge").ok());
  auto nowhere = Spec();
  nowhere.host.network_mode = "nonet";
  EXPECT_TRUE(IsNotFound(docker.CreateContainer("bb", nowhere).error()));
}

TEST(FakeDockerTest, EngineDownAndInjectedErrors) {
  FakeDocker docker;
  docker.SetEngineDown(true);
  auto r = docker.ListContainers({}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().terminal());
  EXPECT_THAT(r.error().message, HasSubstr("cannot reach the Docker engine"));
  docker.SetEngineDown(false);
  docker.InjectError("StartContainer", Error::Transient("boom"), 1);
  ASSERT_TRUE(docker.CreateContainer("aa", Spec()).ok());
  EXPECT_EQ(docker.StartContainer("aa").error().message, "boom");
  EXPECT_TRUE(docker.StartContainer("aa").ok());
  EXPECT_EQ(docker.calls().front().method, "ListContainers");
  docker.SetServerApiVersion("1.40");
  EXPECT_FALSE(docker.Ping().ok());
  docker.SetSecurityOptions({});
  EXPECT_FALSE(docker.Info().value().SeccompEnabled());
}

TEST(FakeDockerTest, EventsAreStreamedLiveToAnotherThread) {
  FakeDocker docker;
  std::vector<Event> got;
  std::stop_source stop;
  Status result;
  std::thread watcher([&] {
    EventsQuery q;
    q.filters = {{"type", {"container"}}, {"label", {"ironward.dev/managed=true"}}};
    result = docker.Events(
        q,
        [&](const Event& e) {
          got.push_back(e);
          return e.action != "die";
        },
        stop.get_token());
  });
  // Wait until the watcher is subscribed, so the events below are live ones.
  while (docker.CallCount("Events") == 0) std::this_thread::yield();
  docker.AddContainer("unrelated", Spec({{"team", "x"}}), true);
  const std::string id = docker.AddContainer("a", Spec(), true);
  docker.ExitContainer(id, 137);
  watcher.join();
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(Actions(got), ElementsAre("create", "start", "die"));
  EXPECT_EQ(got.back().attributes.at("exitCode"), "137");
  EXPECT_EQ(got.back().attributes.at("name"), "a");

  // Replay with `since`, and engine-down ends a stream with an error.
  EventsQuery replay;
  replay.since = std::chrono::system_clock::time_point();
  std::size_t n = 0;
  docker.SetEngineDown(false);
  std::thread down([&docker] {
    while (docker.CallCount("Events") < 2) std::this_thread::yield();
    docker.SetEngineDown(true);
  });
  Status s = docker.Events(
      replay, [&n](const Event&) { return ++n > 0; }, std::stop_token());
  down.join();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(n, docker.events().size());
}

}  // namespace
}  // namespace ironward::docker
