#include "tests/docker/integration_env.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

namespace ironward::docker::test_support {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

}  // namespace

std::string TestImage() { return Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE); }

void DockerIntegrationTest::SetUp() {
  const std::string file = Env("IRONWARD_DOCKER_HOST_FILE", IRONWARD_DOCKER_HOST_FILE);
  std::ifstream in(file);
  std::string line;
  ASSERT_TRUE(in && std::getline(in, line) && line.rfind("DOCKER_HOST=", 0) == 0)
      << "no test engine: " << file << " is missing. Run these through ctest (the docker_engine fixture starts "
      << "one) or `scripts/dockerd-test.sh start <dir>` and set IRONWARD_DOCKER_HOST_FILE=<dir>/docker-host.env";
  auto endpoint = ParseDockerHost(line.substr(std::string("DOCKER_HOST=").size()));
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  docker_ = std::make_unique<DockerClient>(http_, endpoint.value(), clock_);
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  run_ = std::to_string(::getpid()) + "-" + std::to_string(now % 1000000);
}

void DockerIntegrationTest::TearDown() {
  if (!docker_) return;
  auto containers = docker_->ListContainers(LabelFilter(RunLabels()), true);
  EXPECT_TRUE(containers.ok()) << containers.error().message;
  if (containers.ok()) {
    for (const auto& c : containers.value()) {
      auto removed = docker_->RemoveContainer(c.id, true);
      EXPECT_TRUE(removed.ok()) << removed.error().message;
    }
  }
  auto networks = docker_->ListNetworks(LabelFilter(RunLabels()));
  if (networks.ok()) {
    for (const auto& n : networks.value()) {
      auto removed = docker_->RemoveNetwork(n.id);
      EXPECT_TRUE(removed.ok()) << removed.error().message;
    }
  }
}

Labels DockerIntegrationTest::RunLabels() const { return {{"ironward.test.run", run_}}; }

std::string DockerIntegrationTest::Name(const std::string& suffix) const { return "iwt-" + run_ + "-" + suffix; }

ContainerCreateSpec DockerIntegrationTest::Spec(std::vector<std::string> cmd) const {
  ContainerCreateSpec s;
  s.image = TestImage();
  s.cmd = std::move(cmd);
  s.labels = RunLabels();
  s.stop_timeout = 2;
  s.host.init = true;  // SIGTERM reaches the workload: stop takes ~0.2 s, not the timeout
  return s;
}

std::string DockerIntegrationTest::Run(const std::string& name, const ContainerCreateSpec& spec) {
  auto created = docker_->CreateContainer(name, spec);
  EXPECT_TRUE(created.ok()) << created.error().message;
  if (!created.ok()) return "";
  auto started = docker_->StartContainer(created->id);
  EXPECT_TRUE(started.ok()) << started.error().message;
  return created->id;
}

}  // namespace ironward::docker::test_support
