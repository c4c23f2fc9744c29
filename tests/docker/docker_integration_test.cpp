// DockerClient against a real private dockerd (see tests/docker/CMakeLists.txt for the fixture).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <stop_token>
#include <thread>

#include "tests/docker/integration_env.h"
#include "tests/support/temp_dir.h"

namespace ironward::docker::test_support {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

using ironward::testing::TempDir;

using DockerEngineTest = DockerIntegrationTest;

TEST_F(DockerEngineTest, PingNegotiatesAndInfoReportsSeccomp) {
  auto ping = docker_->Ping();
  ASSERT_TRUE(ping.ok()) << ping.error().message;
  EXPECT_FALSE(ping->server_api_version.empty());
  const auto server = ParseApiMinor(ping->server_api_version);
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(ping->api_version, "1." + std::to_string(std::min(*server, kMaxApiMinor)));
  EXPECT_EQ(ping->os_type, "linux");
  auto info = docker_->Info();
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_FALSE(info->server_version.empty());
  EXPECT_TRUE(info->SeccompEnabled()) << "SecurityOptions: " << ::testing::PrintToString(info->security_options);
  EXPECT_EQ(docker_->stats().Count("GET /_ping"), 1U);
  EXPECT_EQ(docker_->stats().Count("GET /info"), 1U);
}

TEST_F(DockerEngineTest, CreateStartInspectRoundTrip) {
  TempDir dir;
  const std::string ca = dir.Write("ca.crt", "test-ca\n");
  ContainerCreateSpec spec = Spec({"sleep", "300"});
  spec.env = {"HTTPS_PROXY=http://host.docker.internal:13128", "SSL_CERT_FILE=/run/ca/ca.crt"};
  spec.labels["ironward.dev/sandbox"] = "agent-1";
  spec.host.binds = {ca + ":/run/ca/ca.crt:ro", dir.str() + ":/data:ro"};
  spec.host.extra_hosts = {"host.docker.internal:host-gateway"};
  spec.host.memory = 128LL * 1024 * 1024;
  spec.host.nano_cpus = 500000000;
  spec.host.pids_limit = 64;
  spec.host.cap_drop = {"ALL"};
  spec.host.security_opt = {"no-new-privileges:true"};
  spec.host.network_mode = "bridge";
  const std::string id = Run(Name("a1"), spec);
  ASSERT_FALSE(id.empty());

  auto inspected = docker_->InspectContainer(Name("a1"));
  ASSERT_TRUE(inspected.ok()) << inspected.error().message;
  ASSERT_TRUE(inspected->has_value());
  const ContainerInfo& c = **inspected;
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.name, Name("a1"));
  EXPECT_EQ(c.config.image, TestImage());
  EXPECT_THAT(c.config.cmd, ElementsAre("sleep", "300"));
  EXPECT_EQ(c.EnvValue("HTTPS_PROXY"), "http://host.docker.internal:13128");
  EXPECT_EQ(c.EnvValue("SSL_CERT_FILE"), "/run/ca/ca.crt");
  EXPECT_EQ(c.EnvValue("PATH"), "/bin:/usr/bin");  // the image's ENV, appended by the engine
  EXPECT_EQ(c.config.labels.at("ironward.dev/sandbox"), "agent-1");
  EXPECT_EQ(c.state.status, "running");
  EXPECT_TRUE(c.state.running);
  EXPECT_GT(c.state.pid, 0);
  EXPECT_FALSE(c.state.started_at.empty());
  const HostConfig& h = c.host_config;
  EXPECT_THAT(h.binds, ElementsAre(ca + ":/run/ca/ca.crt:ro", dir.str() + ":/data:ro"));
  EXPECT_TRUE(h.init);
  EXPECT_EQ(h.memory, 128LL * 1024 * 1024);
  EXPECT_EQ(h.nano_cpus, 500000000);
  EXPECT_EQ(h.pids_limit, 64);
  EXPECT_THAT(h.cap_drop, ElementsAre("ALL"));
  EXPECT_THAT(h.security_opt, ElementsAre("no-new-privileges:true"));
  EXPECT_FALSE(h.privileged);
  EXPECT_FALSE(h.readonly_rootfs);
  EXPECT_EQ(h.network_mode, "bridge");
  EXPECT_THAT(h.extra_hosts, ElementsAre("host.docker.internal:host-gateway"));  // read back unresolved
  ASSERT_EQ(c.mounts.size(), 2U);
  for (const auto& m : c.mounts) {
    EXPECT_EQ(m.type, "bind");
    EXPECT_FALSE(m.rw) << m.destination;
    EXPECT_EQ(m.mode, "ro");
  }
  ASSERT_EQ(c.networks.count("bridge"), 1U);
  EXPECT_FALSE(c.networks.at("bridge").ip_address.empty());
  EXPECT_FALSE(c.networks.at("bridge").gateway.empty());
}

TEST_F(DockerEngineTest, ListByLabelThenStopAndRemove) {
  ContainerCreateSpec a = Spec({"sleep", "300"});
  a.labels["role"] = "a";
  ContainerCreateSpec b = Spec({"sleep", "300"});
  b.labels["role"] = "b";
  const std::string ida = Run(Name("a"), a);
  auto created_b = docker_->CreateContainer(Name("b"), b);  // created, never started
  ASSERT_FALSE(ida.empty());
  ASSERT_TRUE(created_b.ok()) << created_b.error().message;

  Labels only_a = RunLabels();
  only_a["role"] = "a";
  auto listed = docker_->ListContainers(LabelFilter(only_a), true);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->at(0).id, ida);
  EXPECT_EQ(listed->at(0).name, Name("a"));
  EXPECT_EQ(listed->at(0).state, "running");
  auto all = docker_->ListContainers(LabelFilter(RunLabels()), true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2U);
  auto running = docker_->ListContainers(LabelFilter(RunLabels()), false);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->size(), 1U);

  EXPECT_EQ(docker_->StopContainer(ida, std::chrono::seconds(2)).value(), Outcome::kChanged);
  EXPECT_EQ(docker_->StopContainer(ida, std::chrono::seconds(2)).value(), Outcome::kUnchanged);  // 304
  auto stopped = docker_->InspectContainer(ida);
  ASSERT_TRUE(stopped.ok() && stopped->has_value());
  EXPECT_EQ((*stopped)->state.status, "exited");
  EXPECT_EQ((*stopped)->state.exit_code, 143);  // SIGTERM through docker-init
  auto exited = docker_->ListContainers({{"label", {"ironward.test.run=" + run_}}, {"status", {"exited"}}}, true);
  ASSERT_TRUE(exited.ok());
  ASSERT_EQ(exited->size(), 1U);
  EXPECT_EQ(exited->at(0).id, ida);

  EXPECT_EQ(docker_->RemoveContainer(ida, false).value(), Outcome::kChanged);
  EXPECT_EQ(docker_->RemoveContainer(ida, false).value(), Outcome::kNotFound);
  EXPECT_FALSE(docker_->InspectContainer(ida).value().has_value());
}

TEST_F(DockerEngineTest, NotFoundAndConflictsAreDistinguishable) {
  auto missing = docker_->InspectContainer(Name("nosuch"));
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(docker_->StartContainer(Name("nosuch")).value(), Outcome::kNotFound);
  EXPECT_EQ(docker_->RemoveContainer(Name("nosuch"), true).value(), Outcome::kNotFound);

  const std::string id = Run(Name("dup"), Spec({"sleep", "300"}));
  ASSERT_FALSE(id.empty());
  auto dup = docker_->CreateContainer(Name("dup"), Spec({"sleep", "300"}));
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(IsConflict(dup.error())) << dup.error().message;
  EXPECT_THAT(dup.error().message, HasSubstr("is already in use"));
  EXPECT_EQ(docker_->StartContainer(id).value(), Outcome::kUnchanged);  // 304
  auto running = docker_->RemoveContainer(id, false);
  ASSERT_FALSE(running.ok());
  EXPECT_TRUE(IsConflict(running.error())) << running.error().message;

  ContainerCreateSpec no_image = Spec({"true"});
  no_image.image = "nosuch/img:1";
  auto img = docker_->CreateContainer(Name("noimg"), no_image);
  ASSERT_FALSE(img.ok());
  EXPECT_TRUE(IsNotFound(img.error())) << img.error().message;
  EXPECT_THAT(img.error().message, HasSubstr("No such image"));
  auto bad = docker_->CreateContainer("q", Spec({"true"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(HttpStatusOf(bad.error()), 400) << bad.error().message;
  auto bad_filter = docker_->ListContainers({{"lable", {"x"}}}, true);
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(HttpStatusOf(bad_filter.error()), 400) << bad_filter.error().message;
}

TEST_F(DockerEngineTest, WaitAndLogsOfAShortLivedContainer) {
  TempDir dir;
  dir.Write("f", "from-host\n");
  ContainerCreateSpec spec = Spec({"sh", "-c", "echo out; echo err >&2; cat /data/f; echo x > /data/g; exit 3"});
  spec.host.binds = {dir.str() + ":/data:ro"};
  const std::string id = Run(Name("short"), spec);
  ASSERT_FALSE(id.empty());
  auto waited = docker_->WaitContainer(id, std::chrono::seconds(30));
  ASSERT_TRUE(waited.ok()) << waited.error().message;
  EXPECT_EQ(waited->status_code, 3);
  auto logs = docker_->Logs(id, LogsOptions{});
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->out, "out\nfrom-host\n");
  EXPECT_THAT(logs->err, HasSubstr("err\n"));
  EXPECT_THAT(logs->err, HasSubstr("Read-only file system"));
  EXPECT_FALSE(std::filesystem::exists(dir.str() + "/g"));
  auto only_out =
      docker_->Logs(id, LogsOptions{.stdout_stream = true, .stderr_stream = false, .timestamps = false, .tail = {}});
  ASSERT_TRUE(only_out.ok());
  EXPECT_EQ(only_out->out, "out\nfrom-host\n");
  EXPECT_TRUE(only_out->err.empty());
  // tail counts lines of both streams together (stdout/stderr order is up to the log driver).
  auto last =
      docker_->Logs(id, LogsOptions{.stdout_stream = true, .stderr_stream = true, .timestamps = false, .tail = 1});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(std::count(last->out.begin(), last->out.end(), '\n') + std::count(last->err.begin(), last->err.end(), '\n'),
            1);
  auto missing = docker_->WaitContainer(Name("nosuch"), std::chrono::seconds(5));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(IsNotFound(missing.error()));
}

TEST_F(DockerEngineTest, EventsStreamReportsStartAndDieOfALabelledContainer) {
  std::vector<Event> got;
  std::stop_source stop;
  Status result;
  EventsQuery q;
  q.filters = {{"type", {"container"}}, {"label", {"ironward.test.run=" + run_}}};
  q.window = std::chrono::milliseconds(500);
  // From now on: the engine replays what happened since, however late the stream's first request.
  q.since = std::chrono::system_clock::now();
  std::thread watcher([&] {
    result = docker_->Events(
        q,
        [&](const Event& e) {
          got.push_back(e);
          return e.action != "die";
        },
        stop.get_token());
  });
  // An unlabelled container must not show up; ours starts, exits 7, and dies.
  ContainerCreateSpec other = Spec({"true"});
  other.labels = {{"ironward.test.other", run_}};
  auto noise = docker_->CreateContainer(Name("noise"), other);
  EXPECT_TRUE(noise.ok()) << noise.error().message;
  const std::string id = Run(Name("ev"), Spec({"sh", "-c", "sleep 0.3; exit 7"}));
  std::thread watchdog([&stop] {  // ends the stream after 30 s if `die` never comes
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    (void)cv.wait_for(lock, stop.get_token(), std::chrono::seconds(30), [] { return false; });
    stop.request_stop();
  });
  watcher.join();
  stop.request_stop();
  watchdog.join();
  if (noise.ok()) {
    EXPECT_EQ(docker_->RemoveContainer(noise->id, true).value(), Outcome::kChanged);
  }
  ASSERT_TRUE(result.ok()) << result.error().message;
  std::vector<std::string> actions;
  for (const auto& e : got) {
    EXPECT_EQ(e.actor_id, id);
    actions.push_back(e.action);
  }
  EXPECT_THAT(actions, Contains("start"));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().action, "die");
  EXPECT_EQ(got.back().attributes.at("exitCode"), "7");
  EXPECT_EQ(got.back().attributes.at("name"), Name("ev"));
  EXPECT_GE(docker_->stats().Count("GET /events"), 1U);
}

}  // namespace
}  // namespace ironward::docker::test_support
