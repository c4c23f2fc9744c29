// Internal networks against the real engine: create, inspect, attach, connect/disconnect, remove.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include "tests/docker/integration_env.h"

namespace ironward::docker::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using DockerNetworkTest = DockerIntegrationTest;

TEST_F(DockerNetworkTest, InternalNetworkCreateInspectAttachRemove) {
  // A bridge name unique to this run (<= 15 chars) and a subnet outside the engine's default bridge.
  const std::string bridge = "iwt" + std::to_string(::getpid() % 100000);
  const std::string net_name = Name("net");
  NetworkCreateSpec spec{net_name, true, "172.28.77.0/24", "172.28.77.1", bridge, RunLabels()};
  auto created = docker_->CreateNetwork(spec);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_NE(::if_nametoindex(bridge.c_str()), 0U) << "bridge " << bridge << " should exist";

  auto dup = docker_->CreateNetwork(spec);
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(IsConflict(dup.error())) << dup.error().message;

  auto inspected = docker_->InspectNetwork(net_name);
  ASSERT_TRUE(inspected.ok() && inspected->has_value());
  const NetworkInfo& n = **inspected;
  EXPECT_EQ(n.id, created.value());
  EXPECT_TRUE(n.internal);
  EXPECT_EQ(n.driver, "bridge");
  EXPECT_EQ(n.subnet, "172.28.77.0/24");
  EXPECT_EQ(n.gateway, "172.28.77.1");
  EXPECT_EQ(n.options.at("com.docker.network.bridge.name"), bridge);
  EXPECT_EQ(n.labels, RunLabels());
  auto listed = docker_->ListNetworks(LabelFilter(RunLabels()));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->at(0).name, net_name);

  // A sandbox created on the network gets an address there, with the gateway the proxy binds to.
  ContainerCreateSpec on_net = Spec({"sleep", "300"});
  on_net.host.network_mode = net_name;
  on_net.host.extra_hosts = {"host.docker.internal:172.28.77.1"};
  const std::string a = Run(Name("a"), on_net);
  ASSERT_FALSE(a.empty());
  auto ca = docker_->InspectContainer(a);
  ASSERT_TRUE(ca.ok() && ca->has_value());
  ASSERT_EQ((*ca)->networks.count(net_name), 1U);
  EXPECT_THAT((*ca)->networks.at(net_name).ip_address, StartsWith("172.28.77."));
  EXPECT_EQ((*ca)->networks.at(net_name).gateway, "172.28.77.1");
  EXPECT_EQ((*ca)->networks.count("bridge"), 0U);
  auto with_container = docker_->InspectNetwork(net_name);
  ASSERT_TRUE(with_container.ok() && with_container->has_value());
  ASSERT_EQ((*with_container)->containers.count(a), 1U);
  EXPECT_EQ((*with_container)->containers.at(a).name, Name("a"));
  EXPECT_EQ(docker_->ConnectNetwork(net_name, a).value(), Outcome::kUnchanged);

  // Connect / disconnect a container from the default bridge.
  const std::string b = Run(Name("b"), Spec({"sleep", "300"}));
  ASSERT_FALSE(b.empty());
  auto connected = docker_->ConnectNetwork(net_name, b);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  EXPECT_EQ(connected.value(), Outcome::kChanged);
  auto cb = docker_->InspectContainer(b);
  ASSERT_TRUE(cb.ok() && cb->has_value());
  EXPECT_EQ((*cb)->networks.count(net_name), 1U);
  EXPECT_EQ((*cb)->networks.count("bridge"), 1U);
  EXPECT_EQ(docker_->DisconnectNetwork(net_name, b, false).value(), Outcome::kChanged);
  auto again = docker_->DisconnectNetwork(net_name, b, false);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value(), Outcome::kUnchanged);
  EXPECT_EQ(docker_->ConnectNetwork(Name("nonet"), b).value(), Outcome::kNotFound);

  // In use: removal refused (terminal); after the sandbox is gone it works and the bridge goes away.
  auto busy = docker_->RemoveNetwork(net_name);
  ASSERT_FALSE(busy.ok());
  EXPECT_TRUE(busy.error().terminal());
  EXPECT_THAT(busy.error().message, HasSubstr("active endpoints"));
  EXPECT_EQ(docker_->RemoveContainer(a, true).value(), Outcome::kChanged);
  EXPECT_EQ(docker_->RemoveNetwork(net_name).value(), Outcome::kChanged);
  EXPECT_EQ(docker_->RemoveNetwork(net_name).value(), Outcome::kNotFound);
  EXPECT_FALSE(docker_->InspectNetwork(net_name).value().has_value());
  EXPECT_EQ(::if_nametoindex(bridge.c_str()), 0U) << "bridge " << bridge << " should be gone";
}

TEST_F(DockerNetworkTest, DefaultBridgeReportsTheFixedGateway) {
  auto bridge = docker_->InspectNetwork("bridge");
  ASSERT_TRUE(bridge.ok() && bridge->has_value());
  EXPECT_EQ((*bridge)->driver, "bridge");
  EXPECT_FALSE((*bridge)->gateway.empty()) << "the test engine runs with --bip, so IPAM.Config has a Gateway";
  EXPECT_EQ((*bridge)->options.at("com.docker.network.bridge.name"), "docker0");
}

}  // namespace
}  // namespace ironward::docker::test_support
