// The four `ironward wiring` formats, rendered from one wiring: each parses back (YAML, JSON, sh
// words) to exactly what an owned sandbox gets, values with YAML or shell metacharacters included.
#include "controller/wiring_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/support/shell.h"

namespace ironward {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

WiringDoc Doc(const std::string& network) {
  WiringDoc d;
  d.gateway = "prod-agents";
  d.posture = std::string(64, 'a');
  d.network = network;
  d.services = {"web", "worker"};
  auto& s = d.spec;
  s.env = {"HTTPS_PROXY=http://172.30.99.1:9090", "NO_PROXY=localhost,127.0.0.1,::1,web,worker",
           "ODD=a: b # not a comment 'q' \"dq\"", "IRONWARD_PROXY_TOKEN_OR_KEY=ironward-openrouter-0123"};
  s.host.binds = {"/var/lib/ironward/ca-trust.pem:/etc/ssl/certs/ironward-egress-ca.crt:ro"};
  s.host.extra_hosts = {"host.docker.internal:172.30.99.1"};
  s.host.cap_drop = {"ALL"};
  s.host.security_opt = {"no-new-privileges:true"};
  s.host.init = true;
  s.labels = {{"ironward.dev/wired-by", "prod-agents"}, {"ironward.dev/policed", "true"}};
  return d;
}

TEST(WiringOutputTest, ComposeOverrideParsesBackToTheWiringForEveryService) {
  const YAML::Node y = YAML::Load(RenderComposeOverride(Doc("ironward-sandboxes")));
  for (const char* service : {"web", "worker"}) {
    SCOPED_TRACE(service);
    const YAML::Node s = y["services"][service];
    ASSERT_TRUE(s.IsMap());
    EXPECT_EQ(s["environment"]["HTTPS_PROXY"].as<std::string>(), "http://172.30.99.1:9090");
    EXPECT_EQ(s["environment"]["ODD"].as<std::string>(), "a: b # not a comment 'q' \"dq\"");
    EXPECT_EQ(s["environment"]["IRONWARD_PROXY_TOKEN_OR_KEY"].as<std::string>(), "ironward-openrouter-0123");
    EXPECT_EQ(s["volumes"][0].as<std::string>(),
              "/var/lib/ironward/ca-trust.pem:/etc/ssl/certs/ironward-egress-ca.crt:ro");
    EXPECT_EQ(s["extra_hosts"][0].as<std::string>(), "host.docker.internal:172.30.99.1");
    EXPECT_EQ(s["networks"][0].as<std::string>(), "ironward-sandboxes");
    EXPECT_EQ(s["cap_drop"][0].as<std::string>(), "ALL");
    EXPECT_EQ(s["security_opt"][0].as<std::string>(), "no-new-privileges:true");
    EXPECT_TRUE(s["init"].as<bool>());
    EXPECT_EQ(s["labels"]["ironward.dev/policed"].as<std::string>(), "true") << "a string, not a YAML boolean";
  }
  EXPECT_TRUE(y["networks"]["ironward-sandboxes"]["external"].as<bool>());
  EXPECT_EQ(y["networks"]["ironward-sandboxes"]["name"].as<std::string>(), "ironward-sandboxes");
  EXPECT_FALSE(y["version"]) << "Compose Specification: no version key";
}

TEST(WiringOutputTest, WithoutASandboxNetworkNothingIsJoinedOrDeclared) {
  const std::string compose = RenderComposeOverride(Doc(""));
  const YAML::Node y = YAML::Load(compose);
  EXPECT_FALSE(y["networks"]);
  EXPECT_FALSE(y["services"]["web"]["networks"]);
  EXPECT_THAT(RenderDockerArgs(Doc("")), Not(HasSubstr("--network")));
  EXPECT_TRUE(RenderWiringJson(Doc(""))["network"].is_null());
}

TEST(WiringOutputTest, DockerArgsAreOneShellWordPerLineThatShReadsBack) {
  const std::string args = RenderDockerArgs(Doc("ironward-sandboxes"));
  EXPECT_EQ(args.rfind("--network=ironward-sandboxes\n", 0), 0U) << args;
  EXPECT_THAT(args, HasSubstr("--env=HTTPS_PROXY=http://172.30.99.1:9090\n")) << "plain words are not quoted";
  EXPECT_THAT(args, HasSubstr("\n--init\n"));
  // sh reads every line back as exactly one argument, metacharacters included.
  const auto r = testing::Sh("eval \"set -- $(printf '%s' " + testing::Quote(args) +
                                 " | tr '\\n' ' ')\"; for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[--env=ODD=a: b # not a comment 'q' \"dq\"]\n"));
  EXPECT_THAT(r.out, HasSubstr("[--label=ironward.dev/wired-by=prod-agents]\n"));
  std::size_t lines = 0;
  for (char c : args) lines += c == '\n' ? 1 : 0;
  std::size_t words = 0;
  for (auto at = r.out.find('['); at != std::string::npos; at = r.out.find("\n[", at + 1)) ++words;
  EXPECT_EQ(words, lines);
}

TEST(WiringOutputTest, EnvFileHasTheVariablesAndNamesTheOtherOptionsInAComment) {
  const std::string env = RenderEnvFile(Doc("ironward-sandboxes"));
  EXPECT_THAT(env, HasSubstr("\nHTTPS_PROXY=http://172.30.99.1:9090\n"));
  EXPECT_THAT(env, HasSubstr("\nIRONWARD_PROXY_TOKEN_OR_KEY=ironward-openrouter-0123\n"));
  EXPECT_THAT(env, HasSubstr("# docker run --env-file FILE also needs: --network=ironward-sandboxes"));
  EXPECT_THAT(env, HasSubstr("--volume=/var/lib/ironward/ca-trust.pem:/etc/ssl/certs/ironward-egress-ca.crt:ro"));
  for (std::size_t at = 0; at < env.size();) {
    const auto nl = env.find('\n', at);
    const std::string line = env.substr(at, nl - at);
    EXPECT_TRUE(line.empty() || line[0] == '#' || line.find('=') != std::string::npos) << line;
    at = nl + 1;
  }
}

TEST(WiringOutputTest, DnsRoutingPutsTheProxysResolverInEveryFormat) {
  WiringDoc d = Doc("ironward-sandboxes");
  EXPECT_THAT(RenderDockerArgs(d), Not(HasSubstr("--dns")));
  EXPECT_FALSE(YAML::Load(RenderComposeOverride(d))["services"]["web"]["dns"]);
  d.spec.host.dns = {"172.30.99.1"};
  EXPECT_THAT(RenderDockerArgs(d), HasSubstr("\n--dns=172.30.99.1\n"));
  EXPECT_THAT(RenderEnvFile(d), HasSubstr(" --dns=172.30.99.1"));
  const YAML::Node y = YAML::Load(RenderComposeOverride(d));
  for (const char* service : {"web", "worker"}) {
    EXPECT_EQ(y["services"][service]["dns"][0].as<std::string>(), "172.30.99.1") << service;
  }
  const auto j = RenderWiringJson(d);
  EXPECT_EQ(j["dns"], nlohmann::json::array({"172.30.99.1"}));
}

TEST(WiringOutputTest, JsonSplitsTheCaMount) {
  const auto j = RenderWiringJson(Doc("ironward-sandboxes"));
  EXPECT_EQ(j["mounts"][0]["source"], "/var/lib/ironward/ca-trust.pem");
  EXPECT_EQ(j["mounts"][0]["target"], "/etc/ssl/certs/ironward-egress-ca.crt");
  EXPECT_EQ(j["mounts"][0]["read_only"], true);
  EXPECT_EQ(j["env"]["NO_PROXY"], "localhost,127.0.0.1,::1,web,worker");
  EXPECT_EQ(j["docker_args"][0], "--network=ironward-sandboxes");
}

}  // namespace
}  // namespace ironward
