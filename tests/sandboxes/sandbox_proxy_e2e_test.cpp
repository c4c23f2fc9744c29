// End to end with the real private dockerd and the iron-proxy double: the daemon reconciler starts
// the double bound on the test engine's bridge gateway, the sandboxes reconciler creates a sandbox
// wired to it, and the sandbox's curl (using only the injected env: HTTPS_PROXY, CURL_CA_BUNDLE and
// its proxy token) reaches a local TLS upstream, which sees the real secret instead of the token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "daemon_harness.h"
#include "reconcilers/docker/docker_client.h"
#include "reconcilers/docker/docker_host.h"
#include "reconcilers/proxy_config/render.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "tests/docker/integration_env.h"
#include "tests/support/eventually.h"

namespace ironward::sandboxes {
namespace {

using ::testing::HasSubstr;

/// The test engine's docker0 address (scripts/dockerd-test.sh, IRONWARD_DOCKERD_BIP).
std::string BridgeGateway() {
  const char* bip = std::getenv("IRONWARD_DOCKERD_BIP");
  std::string v = bip != nullptr && *bip != '\0' ? bip : "172.29.0.1/24";
  return v.substr(0, v.find('/'));
}

class SandboxProxyE2eTest : public docker::test_support::DockerIntegrationTest {};

TEST_F(SandboxProxyE2eTest, SandboxReachesTheUpstreamThroughTheProxyWithTheTokenSwapped) {
  daemon::test::DaemonHarness h;
  doubletest::TempDir pki;
  doubletest::MakeUpstreamPki(pki);
  doubletest::Upstream up(pki.str() + "/up.crt", pki.str() + "/up.key");
  h.desired().spec.proxy.upstream_ca_file = pki.str() + "/upca.crt";
  h.AddProvider({"localhost"});
  // Listen on the bridge gateway, where sandboxes reach the host (host.docker.internal).
  h.desired().spec.proxy.bind = spec::BindKind::kAddress;
  h.desired().spec.proxy.bind_address = BridgeGateway();
  proxy_config::RenderInputs in;
  in.desired = &h.desired();
  in.bind_ip = BridgeGateway();
  in.ca_cert_path = h.facts().ca->cert_path;
  in.ca_key_path = h.facts().ca->key_path;
  in.tokens = h.facts().mappings->tokens;
  in.secrets_dir = h.root() + "/secrets";
  auto rendered = proxy_config::RenderProxyConfig(in);
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  ASSERT_TRUE(h.state().WriteAtomic("proxy.yaml", rendered->text, 0600).ok());
  h.facts().config = ConfigFacts{h.root() + "/proxy.yaml", rendered->digest, rendered->listeners_digest,
                                 rendered->ruleset_digest, BridgeGateway(),
                                 h.desired().spec.proxy.tunnel_port, h.desired().spec.proxy.http_port, false};
  const Outcome started = h.Pass();
  ASSERT_EQ(started.kind, Outcome::Kind::kDone) << started.reason << ": " << started.message;

  spec::Sandbox s;
  s.name = Name("e2e");
  s.image = docker::test_support::TestImage();
  // Only the injected env: HTTPS_PROXY, CURL_CA_BUNDLE, the token. `--noproxy ''` lifts the
  // NO_PROXY=localhost exemption, since the test upstream happens to be called localhost.
  s.command = {"sh", "-c",
               "curl -sS --max-time 10 --noproxy '' -H \"Authorization: Bearer "
               "$IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY\" https://localhost:" +
                   std::to_string(up.port()) + "/v1/chat; echo; echo curl-exit=$?; exec sleep 300"};
  s.resources.memory_bytes = 64LL * 1024 * 1024;
  h.desired().name = "iwt-" + run_;
  h.desired().spec.sandboxes = {s};
  SandboxesReconciler sandboxes{SandboxesOptions{std::string("/nonexistent-home"), std::chrono::seconds(2)}};
  ReconcileContext ctx{h.desired(), h.facts(), false};
  WriteDeps deps{h.clock(), h.state(), nullptr, nullptr, docker_.get(), nullptr};
  ResourcePlan plan = sandboxes.Plan(ctx, deps.Read());
  ASSERT_FALSE(plan.error) << plan.error->message;
  const Outcome created = sandboxes.Apply(ctx, plan, deps);
  ASSERT_EQ(created.kind, Outcome::Kind::kDone) << created.message;

  std::string out;
  (void)testing::Eventually([&] {  // the workload's curl has finished
    auto logs = docker_->Logs(s.name, docker::LogsOptions{});
    if (logs.ok()) out = logs->out + logs->err;
    return out.find("curl-exit=") != std::string::npos;
  }, std::chrono::seconds(15), std::chrono::milliseconds(100));
  (void)docker_->RemoveContainer(s.name, true);
  auto log = h.state().Read("iron-proxy.log");
  ASSERT_THAT(out, HasSubstr("upstream-ok")) << out << "\nproxy log:\n" << (log.ok() && log->has_value() ? **log : "");
  ASSERT_EQ(up.Requests().size(), 1U);
  const std::string seen = up.Requests()[0];
  EXPECT_THAT(seen, HasSubstr(std::string("Authorization: Bearer ") + daemon::test::kRealSecret));
  EXPECT_EQ(seen.find(h.token()), std::string::npos) << "the token never reaches the upstream";
  EXPECT_EQ(created.message.find(h.token()), std::string::npos);
}

}  // namespace
}  // namespace ironward::sandboxes
