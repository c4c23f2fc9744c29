// Shared setup for tests against the real private engine started by the ctest fixture
// (scripts/dockerd-test.sh start <build>/dockerd writes docker-host.env there).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "reconcilers/docker/docker_client.h"

namespace ironward::docker::test_support {

/// Image built by scripts/build-test-image.sh (IRONWARD_TEST_IMAGE overrides).
std::string TestImage();

/// DockerClient on the fixture's engine; every object a test creates carries RunLabels() and is
/// removed in TearDown (force), so a failed test leaves nothing behind.
class DockerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// {"ironward.test.run": "<unique per test>"}.
  Labels RunLabels() const;
  /// A name unique to this test: "iwt-<run>-<suffix>".
  std::string Name(const std::string& suffix) const;
  /// A container spec on the test image with Init, the run labels and `cmd`.
  ContainerCreateSpec Spec(std::vector<std::string> cmd) const;
  /// Creates and starts; fails the test on error. Returns the id.
  std::string Run(const std::string& name, const ContainerCreateSpec& spec);

  CurlHttpClient http_;
  RealClock clock_;
  std::unique_ptr<DockerClient> docker_;
  std::string run_;
};

}  // namespace ironward::docker::test_support
