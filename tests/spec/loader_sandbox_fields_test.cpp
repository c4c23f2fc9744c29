// spec.sandboxes[] ports, user, capAdd, restart, oneshot, healthcheck, noProxy, image pinning, secretEnv:
// accepted forms, defaults, and every refusal at FILE:LINE:COL with its reason.
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::HasError;
using testing::HasWarning;
using testing::Load;
using testing::OnlyError;

/// One sandbox whose fields start at line 12.
std::string Sb(const std::string& body, const std::string& image = "img:1") {
  return Doc("  sandboxes:\n"            // 9
             "    - name: sb\n"          // 10
             "      image: " + image + "\n"  // 11
             + body);                    // 12...
}

const Sandbox& First(const LoadResult& r) { return r.state->spec.sandboxes.at(0); }

TEST(LoaderSandboxFieldsTest, PortsShortAndLongFormsDefaultToLoopback) {
  const auto r = Load(Sb("      ports:\n"
                         "        - \"8080:80\"\n"
                         "        - \"127.0.0.2:9000:9000/udp\"\n"
                         "        - {containerPort: 3000}\n"
                         "        - {containerPort: 443, hostPort: 8443, hostAddress: 0.0.0.0, public: true}\n"
                         "        - \"[::1]:7000:7000\"\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const auto& p = First(r).ports;
  ASSERT_EQ(p.size(), 5U);
  EXPECT_EQ(p[0].ToString(), "127.0.0.1:8080:80/tcp");
  EXPECT_EQ(p[1].ToString(), "127.0.0.2:9000:9000/udp");
  EXPECT_EQ(p[2].ToString(), "127.0.0.1:3000:3000/tcp");
  EXPECT_EQ(p[3].ToString(), "0.0.0.0:8443:443/tcp");
  EXPECT_TRUE(p[3].is_public);
  EXPECT_EQ(p[4].ToString(), "[::1]:7000:7000/tcp");
  EXPECT_TRUE(r.warnings.empty()) << testing::Dump(r);
}

TEST(LoaderSandboxFieldsTest, PortRefusalsAndWarnings) {
  EXPECT_TRUE(OnlyError(Load(Sb("      ports: [\"0.0.0.0:80:80\"]\n")), 12, 15,
                        "0.0.0.0 publishes the port on every interface of the host; write it as {containerPort: N, "
                        "hostAddress: 0.0.0.0, public: true}"));
  EXPECT_TRUE(OnlyError(Load(Sb("      ports:\n        - {containerPort: 80, hostAddress: \"::\"}\n")), 13, 11,
                        "add public: true if that is intended"));
  EXPECT_TRUE(OnlyError(Load(Sb("      ports: [\"80\"]\n")), 12, 15, "give the host port too"));
  EXPECT_TRUE(OnlyError(Load(Sb("      ports: [\"8080:99999\"]\n")), 12, 15, "between 1 and 65535"));
  EXPECT_TRUE(OnlyError(Load(Sb("      ports: [\"8080:80/sctp\"]\n")), 12, 15, "protocol 'sctp' is not tcp or udp"));
  EXPECT_TRUE(OnlyError(Load(Sb("      ports: [\"localhost:8080:80\"]\n")), 12, 15, "'localhost' is not an IP address"));
  EXPECT_TRUE(OnlyError(Load(Sb("      ports: [\"8080:80\", \"8080:81\"]\n")), 12, 26,
                        "host port 127.0.0.1:8080:81/tcp is already published"));
  const auto lan = Load(Sb("      ports: [\"192.168.1.5:8080:80\"]\n"));
  ASSERT_TRUE(lan.ok()) << testing::Dump(lan);
  EXPECT_TRUE(HasWarning(lan, 12, 15, "published on 192.168.1.5, not loopback: reachable from outside this host"));
  const auto internal = Load(Doc("  enforcement: {network: internal}\n"
                                 "  sandboxes:\n"
                                 "    - {name: sb, image: \"img:1\", ports: [\"8080:80\"]}\n"));
  EXPECT_TRUE(OnlyError(internal, 11, 41, "Docker publishes no port of a container on an internal network"));
}

TEST(LoaderSandboxFieldsTest, UserAndSafeCapabilities) {
  const auto r = Load(Sb("      user: \"1000:1000\"\n      capAdd: [setuid, CAP_SETGID, CHOWN, chown]\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(First(r).user, "1000:1000");
  EXPECT_EQ(First(r).cap_add, (std::vector<std::string>{"SETUID", "SETGID", "CHOWN"}));
  EXPECT_TRUE(OnlyError(Load(Sb("      user: \"root user\"\n")), 12, 13, "is not USER or USER:GROUP"));
  EXPECT_TRUE(OnlyError(Load(Sb("      capAdd: [NET_RAW]\n")), 12, 16, "cannot add NET_RAW: NET_RAW opens raw sockets"));
  EXPECT_TRUE(OnlyError(Load(Sb("      capAdd: [NET_ADMIN]\n")), 12, 16, "a way around the proxy"));
  EXPECT_TRUE(OnlyError(Load(Sb("      capAdd: [SYS_ADMIN]\n")), 12, 16, "SYS_ADMIN is a kernel-level power"));
  EXPECT_TRUE(OnlyError(Load(Sb("      capAdd: [ALL]\n")), 12, 16, "ALL would undo cap-drop ALL"));
  EXPECT_TRUE(OnlyError(Load(Sb("      capAdd: [MKNOD]\n")), 12, 16, "MKNOD is not in the safe list (CHOWN, "));
}

TEST(LoaderSandboxFieldsTest, RestartOneshotAndHealthcheck) {
  auto r = Load(Sb("      restart: on-failure\n"
                   "      healthcheck: {command: [curl, -f, \"http://localhost/\"], interval: 5s, retries: 2}\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(First(r).restart, RestartPolicy::kOnFailure);
  ASSERT_TRUE(First(r).healthcheck);
  EXPECT_EQ(First(r).healthcheck->command, (std::vector<std::string>{"curl", "-f", "http://localhost/"}));
  EXPECT_EQ(First(r).healthcheck->interval, std::chrono::seconds(5));
  EXPECT_EQ(First(r).healthcheck->timeout, std::chrono::seconds(10));
  EXPECT_EQ(First(r).healthcheck->retries, 2);
  r = Load(Sb("      oneshot: true\n"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(First(r).oneshot);
  EXPECT_EQ(First(r).restart, RestartPolicy::kUnset);
  EXPECT_TRUE(OnlyError(Load(Sb("      oneshot: true\n      restart: always\n")), 13, 16,
                        "a oneshot sandbox runs once and is re-run only when its spec changes; restart: always"));
  EXPECT_TRUE(OnlyError(Load(Sb("      restart: sometimes\n")), 12, 16, "unknown value 'sometimes'"));
  EXPECT_TRUE(OnlyError(Load(Sb("      healthcheck: {interval: 5s}\n")), 12, 20, "missing required key 'command'"));
  EXPECT_TRUE(OnlyError(Load(Sb("      healthcheck: {command: []}\n")), 12, 30, "must name a program"));
  EXPECT_TRUE(OnlyError(Load(Sb("      healthcheck: {command: [\"true\"], retries: 0}\n")), 12, 49, "between 1 and 100"));
}

TEST(LoaderSandboxFieldsTest, NoProxyNamesMayNotExemptEverythingOrAProvider) {
  const std::string provider = "  providers:\n    - {name: openrouter, secret: OR_KEY, hosts: [\"*.openrouter.ai\"]}\n";
  const auto ok = Load(Sb("      noProxy: [dashboard, 172.30.99.0/24]\n"));
  ASSERT_TRUE(ok.ok()) << testing::Dump(ok);
  EXPECT_EQ(First(ok).no_proxy, (std::vector<std::string>{"dashboard", "172.30.99.0/24"}));
  EXPECT_TRUE(OnlyError(Load(Sb("      noProxy: [\"*\"]\n")), 12, 17, "would exempt every host from the proxy"));
  EXPECT_TRUE(OnlyError(Load(Sb("      noProxy: [\"a,b\"]\n")), 12, 17, "would exempt every host"));
  const auto r = Load(Sb("      noProxy: [api.openrouter.ai]\n") + provider);
  EXPECT_TRUE(HasError(r, 12, 17, "'api.openrouter.ai' is a host of provider 'openrouter'")) << testing::Dump(r);
  // iron-proxy's "*.openrouter.ai" matches openrouter.ai itself too: exempting it is the same mistake.
  const auto apex = Load(Sb("      noProxy: [openrouter.ai]\n") + provider);
  EXPECT_TRUE(HasError(apex, 12, 17, "'openrouter.ai' is a host of provider 'openrouter'")) << testing::Dump(apex);
}

TEST(LoaderSandboxFieldsTest, ImagePinning) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_TRUE(HasWarning(Load(Sb("", "img")), 11, 14, "'img' is untagged"));
  EXPECT_TRUE(HasWarning(Load(Sb("", "img:latest")), 11, 14, "'img:latest' is tagged :latest"));
  EXPECT_TRUE(HasWarning(Load(Sb("", "registry:5000/img")), 11, 14, "is untagged")) << "a registry port is no tag";
  EXPECT_TRUE(Load(Sb("", "img:1.2")).warnings.empty());
  EXPECT_TRUE(OnlyError(Load(Sb("      requireDigest: true\n", "img:1.2")), 11, 14,
                        "'img:1.2' is not pinned by digest (requireDigest is true): write it as NAME@sha256:<64 hex>"));
  EXPECT_TRUE(Load(Sb("      requireDigest: true\n", "img@" + digest)).ok());
  const auto global = Load(Doc("  enforcement: {requireDigest: true}\n  sandboxes:\n    - {name: sb, image: \"img:1\"}\n"));
  EXPECT_TRUE(OnlyError(global, 11, 25, "(enforcement.requireDigest is true)"));
}

TEST(LoaderSandboxFieldsTest, UnsetFieldsLeaveTheDigestAsItWas) {
  const auto plain = Load(Sb(""));
  const auto explicit_defaults = Load(Sb("      ports: []\n      capAdd: []\n      oneshot: false\n"));
  const auto with_port = Load(Sb("      ports: [\"8080:80\"]\n"));
  ASSERT_TRUE(plain.ok() && explicit_defaults.ok() && with_port.ok());
  EXPECT_EQ(plain.state->digest, explicit_defaults.state->digest);
  EXPECT_NE(plain.state->digest, with_port.state->digest);
  EXPECT_TRUE(SandboxOptionsJson(First(plain)).empty());
  EXPECT_EQ(SandboxOptionsJson(First(with_port))["ports"][0]["hostAddress"], "127.0.0.1");
}

TEST(LoaderSandboxFieldsTest, SecretEnvNamesASecretNeverAProvidersKey) {
  const std::string provider = "  providers:\n    - {name: openrouter, secret: OR_KEY, hosts: [\"openrouter.ai\"]}\n";
  const auto ok = Load(Sb("      secretEnv: {BOT_TOKEN: TELEGRAM_BOT_TOKEN, DASH_PASSWORD: DASHBOARD_PASSWORD}\n"));
  ASSERT_TRUE(ok.ok()) << testing::Dump(ok);
  EXPECT_EQ(First(ok).secret_env.at("BOT_TOKEN"), "TELEGRAM_BOT_TOKEN");
  EXPECT_EQ(SandboxOptionsJson(First(ok))["secretEnv"]["DASH_PASSWORD"], "DASHBOARD_PASSWORD");
  EXPECT_EQ(SandboxSecretNames(ok.state->spec), (std::vector<std::string>{"DASHBOARD_PASSWORD", "TELEGRAM_BOT_TOKEN"}));
  EXPECT_NE(ok.state->digest, Load(Sb("")).state->digest) << "the mapping (names only) is part of the spec";

  // The secret: a provider's key never enters a sandbox, nor does Bitwarden's access token.
  const auto key = Load(Sb("      secretEnv: {OR: OR_KEY}\n") + provider);
  EXPECT_TRUE(HasError(key, 12, 19, "'OR_KEY' is the key of provider 'openrouter': a provider's key never enters a "
                                    "sandbox (it gets the proxy token IRONWARD_PROXY_TOKEN_OR_KEY instead)"))
      << testing::Dump(key);
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: {T: BWS_ACCESS_TOKEN}\n")), 12, 19,
                        "'BWS_ACCESS_TOKEN' is ironward's Bitwarden access token"));
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: {T: \"not-a-name\"}\n")), 12, 22, "'not-a-name' is not a secret name"));
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: {T: IRONWARD_X}\n")), 12, 22, "names starting with IRONWARD_ are reserved"));
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: [A]\n")), 12, 18, "a mapping of variable names to secret names"));

  // The variable: env's rules, and not in env as well.
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: {HTTPS_PROXY: S}\n")), 12, 19,
                        "'HTTPS_PROXY' is set by ironward in every sandbox (egress proxy/CA)"));
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: {IRONWARD_PROXY_TOKEN_X: S}\n")), 12, 19,
                        "IRONWARD_* variables are reserved"));
  EXPECT_TRUE(HasError(Load(Sb("      secretEnv: {OR_KEY: S}\n") + provider), 12, 19,
                       "'OR_KEY' is the real secret of provider 'openrouter'"));
  EXPECT_TRUE(OnlyError(Load(Sb("      env: {A: x}\n      secretEnv: {A: S}\n")), 13, 19,
                        "'A' is also set in env; a variable comes from one of the two"));
  EXPECT_TRUE(OnlyError(Load(Sb("      secretEnv: {\"1A\": S}\n")), 12, 19, "'1A' is not a valid environment variable name"));
}

}  // namespace
}  // namespace ironward::spec
