#include "reconcilers/docker/docker_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reconcilers/docker/docker_api.h"
#include "tests/docker/fixtures.h"

namespace ironward::docker {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ContainerCreateSpec SandboxSpec() {
  ContainerCreateSpec s;
  s.image = "ironward/test-sandbox:1";
  s.cmd = {"sleep", "3600"};
  s.env = {"HTTPS_PROXY=http://host.docker.internal:13128", "SSL_CERT_FILE=/run/ca/ca.crt"};
  s.labels = {{"sbx.test", "1"}, {"sbx.owner", "suite-42"}};
  s.stop_timeout = 2;
  s.host.binds = {"/tmp/ce/ca.crt:/run/ca/ca.crt:ro"};
  s.host.extra_hosts = {"host.docker.internal:host-gateway"};
  s.host.init = true;
  s.host.memory = 134217728;
  s.host.nano_cpus = 500000000;
  s.host.pids_limit = 64;
  s.host.cap_drop = {"ALL"};
  s.host.security_opt = {"no-new-privileges:true"};
  s.host.network_mode = "sbxnet";
  return s;
}

TEST(DockerJsonTest, EncodesCreateSpecLikeTheEngineExpects) {
  const json body = json::parse(EncodeCreateSpec(SandboxSpec()));
  EXPECT_EQ(body["Image"], "ironward/test-sandbox:1");
  EXPECT_EQ(body["Cmd"], json({"sleep", "3600"}));
  EXPECT_EQ(body["Env"], json({"HTTPS_PROXY=http://host.docker.internal:13128", "SSL_CERT_FILE=/run/ca/ca.crt"}));
  EXPECT_EQ(body["Labels"], json({{"sbx.owner", "suite-42"}, {"sbx.test", "1"}}));
  EXPECT_EQ(body["StopTimeout"], 2);
  EXPECT_EQ(body["Tty"], false);
  const json& h = body["HostConfig"];
  EXPECT_EQ(h["Binds"], json({"/tmp/ce/ca.crt:/run/ca/ca.crt:ro"}));
  EXPECT_EQ(h["ExtraHosts"], json({"host.docker.internal:host-gateway"}));
  EXPECT_EQ(h["Init"], true);
  EXPECT_EQ(h["Memory"], 134217728);
  EXPECT_EQ(h["NanoCpus"], 500000000);
  EXPECT_EQ(h["PidsLimit"], 64);
  EXPECT_EQ(h["CapDrop"], json({"ALL"}));
  EXPECT_EQ(h["SecurityOpt"], json({"no-new-privileges:true"}));
  EXPECT_EQ(h["Privileged"], false);
  EXPECT_EQ(h["NetworkMode"], "sbxnet");
  EXPECT_EQ(h["ReadonlyRootfs"], false);
  EXPECT_FALSE(h.contains("CapAdd"));
}

TEST(DockerJsonTest, CreateSpecOmitsUnsetOptionalsButAlwaysSendsPrivilegedFalse) {
  ContainerCreateSpec s;
  s.image = "x:1";
  const json body = json::parse(EncodeCreateSpec(s));
  EXPECT_FALSE(body.contains("Cmd"));  // the image's CMD
  EXPECT_FALSE(body.contains("StopTimeout"));
  EXPECT_FALSE(body.contains("User"));
  EXPECT_EQ(body["Env"], json::array());
  EXPECT_EQ(body["Labels"], json::object());
  EXPECT_EQ(body["HostConfig"]["Privileged"], false);
  EXPECT_FALSE(body["HostConfig"].contains("PidsLimit"));
  EXPECT_FALSE(body["HostConfig"].contains("NetworkMode"));
}

TEST(DockerJsonTest, EncodesInternalNetworkWithIpamAndBridgeName) {
  NetworkCreateSpec n{"sbxnet", true, "172.28.0.0/24", "172.28.0.1", "sbxbr0", {{"ironward.dev/managed", "true"}}};
  const json body = json::parse(EncodeNetworkCreate(n));
  EXPECT_EQ(body["Name"], "sbxnet");
  EXPECT_EQ(body["Driver"], "bridge");
  EXPECT_EQ(body["Internal"], true);
  EXPECT_EQ(body["CheckDuplicate"], true);  // else 1.41 silently creates a second network of that name
  EXPECT_EQ(body["IPAM"]["Config"], json::parse(R"([{"Subnet":"172.28.0.0/24","Gateway":"172.28.0.1"}])"));
  EXPECT_EQ(body["Options"]["com.docker.network.bridge.name"], "sbxbr0");
  EXPECT_EQ(body["Labels"]["ironward.dev/managed"], "true");

  const json plain = json::parse(EncodeNetworkCreate({"n2", false, "", "", "", {}}));
  EXPECT_FALSE(plain.contains("IPAM"));
  EXPECT_FALSE(plain.contains("Options"));
}

TEST(DockerJsonTest, FilterValuesAreAlwaysArrays) {
  EXPECT_EQ(EncodeFilters(LabelFilter({{"sbx.test", "1"}, {"ironward.dev/managed", ""}})),
            R"({"label":["ironward.dev/managed","sbx.test=1"]})");
  EXPECT_EQ(EncodeFilters({{"status", {"exited"}}, {"label", {"a=b"}}}), R"({"label":["a=b"],"status":["exited"]})");
}

TEST(DockerJsonTest, DecodesInspectOfARunningSandbox) {
  auto r = DecodeContainerInfo(fixtures::kInspectRunning);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ContainerInfo& c = r.value();
  EXPECT_EQ(c.name, "sbx-a1");
  EXPECT_EQ(c.id, "bc8553acfd0d37d2f2f949c4c9bd51ba3cea9f463df6d1528512f2abab5f66ad");
  EXPECT_EQ(c.config.image, "ironward/test-sandbox:1");
  EXPECT_THAT(c.config.cmd, ElementsAre("sleep", "3600"));
  EXPECT_EQ(c.EnvValue("SSL_CERT_FILE"), "/run/ca/ca.crt");
  EXPECT_EQ(c.EnvValue("PATH"), "/bin:/usr/bin");  // image ENV appended by the engine
  EXPECT_EQ(c.EnvValue("SSL_CERT"), std::nullopt);
  EXPECT_EQ(c.config.labels.at("sbx.owner"), "suite-42");
  EXPECT_EQ(c.state.status, "running");
  EXPECT_TRUE(c.state.running);
  EXPECT_EQ(c.state.pid, 18232);
  EXPECT_EQ(c.state.started_at, "2026-11-23T05:05:47.517379582Z");
  const HostConfig& h = c.host_config;
  EXPECT_THAT(h.binds, ElementsAre("/tmp/ce/ca.crt:/run/ca/ca.crt:ro", "/tmp/ce/ro:/data:ro"));
  EXPECT_EQ(h.memory, 134217728);
  EXPECT_EQ(h.nano_cpus, 500000000);
  EXPECT_EQ(h.pids_limit, 64);
  EXPECT_THAT(h.cap_drop, ElementsAre("ALL"));
  EXPECT_TRUE(h.cap_add.empty());  // null
  EXPECT_THAT(h.security_opt, ElementsAre("no-new-privileges:true"));
  EXPECT_TRUE(h.init);
  EXPECT_FALSE(h.privileged);
  EXPECT_EQ(h.network_mode, "bridge");
  EXPECT_THAT(h.extra_hosts, ElementsAre("host.docker.internal:host-gateway"));
  ASSERT_EQ(c.mounts.size(), 2U);
  EXPECT_EQ(c.mounts[0].type, "bind");
  EXPECT_EQ(c.mounts[0].destination, "/run/ca/ca.crt");
  EXPECT_FALSE(c.mounts[0].rw);
  EXPECT_EQ(c.mounts[0].mode, "ro");
  ASSERT_EQ(c.networks.count("bridge"), 1U);
  EXPECT_EQ(c.networks.at("bridge").ip_address, "172.29.0.2");
  EXPECT_EQ(c.networks.at("bridge").gateway, "172.29.0.1");
}

// A float where an integer belongs: in range it is truncated, out of range it is treated as absent
// (converting 1e300 to int64 would be undefined behaviour).
TEST(DockerJsonTest, FloatIntegersAreTruncatedOrDroppedWhenOutOfRange) {
  auto j = nlohmann::json::parse(fixtures::kInspectRunning);
  j["State"]["ExitCode"] = 1e300;
  j["State"]["Pid"] = 42.9;
  j["HostConfig"]["Memory"] = -1e300;
  auto r = DecodeContainerInfo(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state.exit_code, 0);
  EXPECT_EQ(r->state.pid, 42);
  EXPECT_EQ(r->host_config.memory, 0);
}

TEST(DockerJsonTest, DecodesNullsAsEmpty) {
  auto r = DecodeContainerInfo(fixtures::kInspectExitedNulls);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state.status, "exited");
  EXPECT_EQ(r->state.exit_code, 137);
  EXPECT_TRUE(r->state.oom_killed);
  EXPECT_TRUE(r->config.env.empty());
  EXPECT_TRUE(r->config.labels.empty());
  EXPECT_TRUE(r->config.cmd.empty());
  EXPECT_TRUE(r->config.tty);
  EXPECT_TRUE(r->host_config.binds.empty());
  EXPECT_TRUE(r->networks.empty());
}

TEST(DockerJsonTest, DecodesContainerList) {
  auto r = DecodeContainerList(fixtures::kList);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2U);
  const ContainerSummary& a = r->at(0);
  EXPECT_EQ(a.name, "sbx-a1");
  EXPECT_EQ(a.state, "running");
  EXPECT_EQ(a.command, "sleep 3600");
  EXPECT_EQ(a.created, 1795410346);
  EXPECT_EQ(a.labels.at("sbx.test"), "1");
  EXPECT_EQ(a.network_mode, "bridge");
  EXPECT_EQ(a.networks.at("bridge").ip_address, "172.29.0.2");
  EXPECT_EQ(r->at(1).state, "exited");
  EXPECT_EQ(r->at(1).status, "Exited (137) 1 second ago");
  EXPECT_EQ(r->at(1).networks.at("sbxnet").network_id, "bb22");
}

TEST(DockerJsonTest, DecodesNetworks) {
  auto bridge = DecodeNetwork(fixtures::kBridgeNetwork);
  ASSERT_TRUE(bridge.ok()) << bridge.error().message;
  EXPECT_EQ(bridge->name, "bridge");
  EXPECT_EQ(bridge->subnet, "172.29.0.0/24");
  EXPECT_EQ(bridge->gateway, "172.29.0.1");
  EXPECT_FALSE(bridge->internal);
  EXPECT_EQ(bridge->options.at("com.docker.network.bridge.name"), "docker0");
  ASSERT_EQ(bridge->containers.size(), 1U);
  EXPECT_EQ(bridge->containers.begin()->second.name, "sbx-a1");
  EXPECT_EQ(bridge->containers.begin()->second.ipv4_address, "172.29.0.2/24");

  auto list = DecodeNetworkList(fixtures::kInternalNetworkList);
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 2U);
  EXPECT_TRUE(list->at(0).internal);
  EXPECT_EQ(list->at(0).labels.at("a"), "b");
  EXPECT_EQ(list->at(0).gateway, "172.28.5.1");
  EXPECT_EQ(list->at(1).driver, "null");
  EXPECT_EQ(list->at(1).subnet, "");  // empty IPAM.Config
}

TEST(DockerJsonTest, DecodesInfoAndSeccomp) {
  auto r = DecodeInfo(fixtures::kInfo);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server_version, "20.10.24+dfsg1");
  EXPECT_EQ(r->cgroup_driver, "cgroupfs");
  EXPECT_EQ(r->containers_running, 1);
  EXPECT_TRUE(r->SeccompEnabled());
  EngineInfo none;
  none.security_options = {"name=apparmor", "name=userns"};
  EXPECT_FALSE(none.SeccompEnabled());
}

TEST(DockerJsonTest, DecodesEvents) {
  auto die = DecodeEvent(fixtures::kDieEvent);
  ASSERT_TRUE(die.ok()) << die.error().message;
  EXPECT_EQ(die->type, "container");
  EXPECT_EQ(die->action, "die");
  EXPECT_EQ(die->actor_id, "85886a44b8ed");
  EXPECT_EQ(die->attributes.at("exitCode"), "137");  // a string, as the engine sends it
  EXPECT_EQ(die->attributes.at("sbx.test"), "1");    // labels ride along as attributes
  EXPECT_EQ(die->from, "ironward/test-sandbox:1");
  EXPECT_EQ(die->time_nano, 1795410950123456789);

  auto exec = DecodeEvent(fixtures::kExecEvent);
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->action.rfind("exec_create", 0), 0U);

  auto net = DecodeEvent(fixtures::kNetworkEvent);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(net->type, "network");
  EXPECT_EQ(net->attributes.at("container"), "85886a44b8ed");
}

TEST(DockerJsonTest, MalformedBodiesAreErrorsNotExceptions) {
  auto r = DecodeContainerInfo("{not json");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cannot decode container"));
  EXPECT_FALSE(DecodeEvent("").ok());
  // Wrong types in fields are ignored, not fatal.
  auto odd = DecodeContainerInfo(R"({"Id": 5, "State": "x", "HostConfig": {"Memory": "lots"}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->host_config.memory, 0);
}

TEST(DockerJsonTest, ErrorMessagesComeFromTheMessageField) {
  EXPECT_EQ(DecodeErrorMessage(R"({"message":"No such container: nosuch"})"), "No such container: nosuch");
  EXPECT_EQ(DecodeErrorMessage("page not found\n"), "page not found");
  EXPECT_EQ(DecodeErrorMessage(""), "(empty response)");
}

TEST(DockerJsonTest, ApiErrorsCarryTheirStatus) {
  const Error conflict = ApiError("create container sbx-a1", 409, "Conflict. The container name \"/sbx-a1\" is in use");
  EXPECT_EQ(conflict.message,
            "docker: create container sbx-a1: Conflict. The container name \"/sbx-a1\" is in use (HTTP 409)");
  EXPECT_TRUE(conflict.terminal());
  EXPECT_TRUE(IsConflict(conflict));
  EXPECT_FALSE(IsNotFound(conflict));
  const Error server = ApiError("GET /info", 500, "boom");
  EXPECT_FALSE(server.terminal());
  EXPECT_EQ(HttpStatusOf(server), 500);
  EXPECT_EQ(HttpStatusOf(Error::Transient("cannot reach the Docker engine at unix:///x (HTTP 404)")), 0);
  EXPECT_EQ(HttpStatusOf(Error::Terminal("docker: x (HTTP 40)")), 0);
}

}  // namespace
}  // namespace ironward::docker
