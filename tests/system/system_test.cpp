// The whole stack at once, through the real `ironward` binary (reconcile / run / verify): convergence,
// rotations, healing under `run`, verify and an engine restart. The setup (one sandbox confined to an
// internal network, a local TLS upstream, the proxy double) is in system_fixture.h.
#include "tests/system/system_fixture.h"

namespace ironward::system_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::WriteFile;


// 1. From nothing, one reconcile converges; the sandbox cannot open a raw connection to the
//    upstream but reaches it through the proxy with the token swapped; verify passes.
TEST_F(SystemTest, OneReconcileFromNothingConfinesTheSandboxToTheProxy) {
  EXPECT_THAT(first_.out, HasSubstr("Recap: ok="));
  EXPECT_THAT(first_.out, HasSubstr("failed=0"));
  const CmdResult again = DryRun();
  EXPECT_EQ(again.code, 0) << "one reconcile converged everything:\n" << again.out;
  EXPECT_THAT(again.out, HasSubstr("No changes."));

  ASSERT_FALSE(SandboxId().empty()) << "the sandbox runs";
  const auto sandbox = engine_->Inspect(sandbox_);
  const auto networks = sandbox["NetworkSettings"]["Networks"];
  EXPECT_EQ(networks.size(), 1U) << networks.dump();
  EXPECT_TRUE(networks.contains(network_)) << "attached to the sandbox network only: " << networks.dump();
  const auto net = engine_->Call("GET", "/networks/" + network_);
  ASSERT_EQ(net.first, 200);
  EXPECT_TRUE(nlohmann::json::parse(net.second)["Internal"].get<bool>());
  EXPECT_EQ(Sh("nft list table inet ironward").code, 0) << "the host firewall table exists";

  // The upstream is reachable from an unconfined container, so CLOSED below is the confinement.
  EXPECT_EQ(RawTcpFromDefaultBridge(Docker0Address(), upstream_->port()), "OPEN");
  EXPECT_EQ(RawTcpFromSandbox(gateway_, upstream_->port()), "CLOSED");
  EXPECT_EQ(RawTcpFromSandbox(Docker0Address(), upstream_->port()), "CLOSED");
  ExpectRequestViaProxyWorks("after the first reconcile");

  const std::size_t before = upstream_->Requests().size();
  const CmdResult verify = Verify();
  std::cout << verify.out;  // the table, for the test log
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("Verify: PASS"));
  const auto requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 1) << "verify's allowlisted request reached the upstream";
  EXPECT_NE(requests.back().find(std::string("Bearer ") + kSecret), std::string::npos);
  EXPECT_EQ(requests.back().find(Token()), std::string::npos);
  const auto recorded = Json(state_ / "status.json");
  ASSERT_TRUE(recorded.is_object() && recorded.contains("verify"));
  EXPECT_EQ(recorded["verify"]["passed"], true);
  EXPECT_EQ(recorded["verify"]["network"], network_);

  // `status` is live for the sandboxes too: one removed behind ironward's back is named at once.
  EXPECT_EQ(Ironward("status").code, 0);
  ASSERT_EQ(Sh("env " + docker_host_ + " docker rm -f " + sandbox_ + " >/dev/null 2>&1").code, 0);
  const CmdResult status = Ironward("status");
  EXPECT_EQ(status.code, 1) << status.out;
  EXPECT_THAT(status.out, HasSubstr("LIVE NOW: NOT READY: 0 of 1 sandbox(es) running now"));
  const CmdResult json = Ironward("status -o json");
  EXPECT_FALSE(nlohmann::json::parse(json.out)["live"]["sandboxes"]["ready"].get<bool>()) << json.out;
}

// 2. A tokens.rotation bump mints new tokens and recycles the sandbox, whose new token works.
TEST_F(SystemTest, TokenRotationRecyclesTheSandboxAndTheNewTokenWorks) {
  const std::string old_id = SandboxId();
  const std::string old_token = Token();
  ASSERT_FALSE(old_id.empty());
  ASSERT_FALSE(old_token.empty());
  EXPECT_EQ(SandboxLabel("ironward.dev/token-rotation"), "1");

  WriteSpec(2, 1);
  const CmdResult rotated = Reconcile();
  ASSERT_EQ(rotated.code, 0) << rotated.out;
  const std::string new_token = Token();
  tokens_seen_.insert(new_token);
  EXPECT_FALSE(new_token.empty());
  EXPECT_NE(new_token, old_token) << "new tokens were minted";
  const std::string new_id = SandboxId();
  ASSERT_FALSE(new_id.empty());
  EXPECT_NE(new_id, old_id) << "the sandbox was recycled";
  EXPECT_EQ(SandboxLabel("ironward.dev/token-rotation"), "2");
  EXPECT_EQ(Trim(Exec("[ \"$" + std::string(kTokenVar) + "\" = \"" + new_token + "\" ] && echo current")),
            "current")
      << "the recycled sandbox holds the new token";
  ExpectRequestViaProxyWorks("after the token rotation");
  EXPECT_EQ(DryRun().code, 0) << "the rotation converged in one pass";
}

// 3. A ca.rotation bump completes over three reconciles (stage, switch, drop); the sandbox is
//    recycled whenever the trust bundle it mounts changes, and the proxy works after every run.
TEST_F(SystemTest, CaRotationCompletesInThreeReconcilesRecyclingTheSandboxOnBundleChanges) {
  ExpectRequestViaProxyWorks("before the rotation");
  WriteSpec(1, 2);
  const auto bundle = state_ / "ca-trust.pem";
  std::string id = SandboxId();
  std::string bundle_text = ReadFile(bundle);
  ASSERT_FALSE(bundle_text.empty());
  for (const char* phase_name : {"staged", "switched", "stable"}) {
    const std::string phase = phase_name;
    SCOPED_TRACE("phase " + phase);
    const CmdResult pass = Reconcile();
    ASSERT_EQ(pass.code, 0) << pass.out << Tail(ProxyLog());
    EXPECT_EQ(CaPhase(), phase);
    const std::string now_bundle = ReadFile(bundle);
    const std::string now_id = SandboxId();
    ASSERT_FALSE(now_id.empty());
    if (now_bundle != bundle_text) {
      EXPECT_NE(now_id, id) << "the bundle changed: the sandbox must be recycled";
    } else {
      EXPECT_EQ(now_id, id) << "the bundle did not change: the sandbox is kept";
    }
    EXPECT_EQ(SandboxLabel("ironward.dev/egress-ca"), Trim(Sh("sha256sum < " + Quote(bundle.string()) + " | cut -d' ' -f1").out));
    EXPECT_EQ(Exec("cat /etc/ssl/certs/ironward-egress-ca.crt"), now_bundle) << "the sandbox trusts the current bundle";
    ExpectRequestViaProxyWorks("after the " + phase + " pass");
    id = now_id;
    bundle_text = now_bundle;
  }
  EXPECT_EQ(ReadFile(bundle), ReadFile(state_ / "ca.crt")) << "after the drop only the new CA is trusted";
  EXPECT_EQ(DryRun().code, 0);
}

// `ironward down` on the real engine and firewall: the sandbox, the proxy, the sandbox network and
// the table go; status says the gateway is down; a reconcile brings the same gateway back.
TEST_F(SystemTest, DownRemovesWhatThisStateDirCreatedAndReconcileBringsItBack) {
  ASSERT_FALSE(SandboxId().empty());
  const std::string token = Token();
  const pid_t proxy = ProxyPid();
  const CmdResult plan = Ironward("down -f " + Quote(spec_.string()) + " --dry-run");
  EXPECT_EQ(plan.code, 2) << plan.out;
  EXPECT_THAT(plan.out, HasSubstr("- sandboxes.container[\"" + sandbox_ + "\"]"));
  EXPECT_THAT(plan.out, HasSubstr("- network.docker[\"" + network_ + "\"]"));
  EXPECT_THAT(plan.out, HasSubstr("- network.firewall[\"inet ironward\"]"));

  const CmdResult down = Ironward("down -f " + Quote(spec_.string()));
  ASSERT_EQ(down.code, 0) << down.out;
  EXPECT_TRUE(SandboxId().empty()) << "the sandbox is gone";
  EXPECT_EQ(engine_->Call("GET", "/networks/" + network_).first, 404) << "the sandbox network is gone";
  EXPECT_NE(Sh("nft list table inet ironward").code, 0) << "the firewall table is gone";
  EXPECT_TRUE(Eventually([&] { return testing::ProcessGone(proxy); }, seconds(5)))
      << "the proxy is stopped";
  EXPECT_FALSE(std::filesystem::exists(state_ / "iron-proxy.pid"));
  const CmdResult status = Ironward("status");
  EXPECT_EQ(status.code, 1);
  EXPECT_THAT(status.out, HasSubstr("GATEWAY DOWN since"));

  const CmdResult back = Reconcile();
  ASSERT_EQ(back.code, 0) << back.out;
  EXPECT_FALSE(SandboxId().empty());
  EXPECT_EQ(Token(), token) << "the same tokens";
  EXPECT_EQ(Sh("nft list table inet ironward").code, 0);
  ExpectRequestViaProxyWorks("after down and reconcile");
}

// 4. Under `ironward run`, what is changed out of band is put back by the event it causes (the
//    periodic check is 10 min away): a sandbox removed (a container event), put on the default
//    bridge or taken off its network (network events), the nftables table deleted (a kernel
//    notification); SIGTERM then stops the daemon with exit 0.
TEST_F(SystemTest, RunBringsBackASandboxRemovedOutOfBandAndStopsOnSigterm) {
  StartDaemon();
  ASSERT_TRUE(Eventually([&] { return Readyz() == 200; }, seconds(40))) << Tail(DaemonLog(), 4000);
  const std::string old_id = SandboxId();
  ASSERT_FALSE(old_id.empty());

  ASSERT_EQ(engine_->RemoveContainer(sandbox_), 204) << "docker rm -f through the Engine API";
  std::string new_id;
  ASSERT_TRUE(Eventually(
      [&] {
        new_id = SandboxId();
        return !new_id.empty() && new_id != old_id;
      },
      seconds(30)))
      << "the sandbox did not come back\n"
      << Tail(DaemonLog(), 4000);
  ExpectRequestViaProxyWorks("after the daemon healed the sandbox");
  EXPECT_EQ(Readyz(), 200);

  // Put on the default bridge (a way around the proxy), then taken off its own network, behind
  // ironward's back: network events, which carry no container label. Each is undone at once, long
  // before the drift check (reconcile.interval, 10 min here).
  const std::set<std::string> confined{network_};
  ASSERT_EQ(Sh("env " + docker_host_ + " docker network connect bridge " + sandbox_).code, 0);
  EXPECT_TRUE(Eventually([&] { return SandboxNetworks() == confined; }, seconds(30))) << Tail(DaemonLog(), 3000);
  const auto logged = [&](const std::string& line) {
    return Eventually([&] { return DaemonLog().find(line) != std::string::npos; }, seconds(10));
  };
  EXPECT_TRUE(logged("docker event: network connect " + sandbox_ + " (bridge)")) << Tail(DaemonLog(), 3000);
  ASSERT_EQ(Sh("env " + docker_host_ + " docker network disconnect -f " + network_ + " " + sandbox_).code, 0);
  EXPECT_TRUE(Eventually([&] { return SandboxNetworks() == confined; }, seconds(30))) << Tail(DaemonLog(), 3000);
  EXPECT_TRUE(logged("docker event: network disconnect " + sandbox_ + " (" + network_ + ")")) << Tail(DaemonLog(), 3000);

  // The confinement table removed behind ironward's back (`nft delete table`, or the `flush
  // ruleset` a `systemctl restart nftables` runs): loaded again at once, not at the drift check.
  ASSERT_EQ(Sh("nft delete table inet ironward").code, 0);
  EXPECT_TRUE(Eventually([&] { return Sh("nft list table inet ironward >/dev/null 2>&1").code == 0; }, seconds(30)))
      << Tail(DaemonLog(), 3000);
  EXPECT_TRUE(logged("nftables: table inet ironward changed by another process")) << Tail(DaemonLog(), 3000);
  EXPECT_EQ(RawTcpFromSandbox(gateway_, upstream_->port()), "CLOSED") << "confined again";
  ExpectRequestViaProxyWorks("after the daemon put the sandbox back on its network alone and reloaded the table");

  ASSERT_EQ(::kill(daemon_.pid(), SIGTERM), 0);
  EXPECT_EQ(WaitDaemonExit(seconds(20)), 0) << Tail(DaemonLog(), 4000);
  EXPECT_GT(ProxyPid(), 0) << "the proxy outlives the daemon";
}

// 5. verify fails, naming the failing check, on a broken setup: the firewall table deleted out of
//    band (direct egress works again), then the proxy stopped (nothing reaches the upstream).
TEST_F(SystemTest, VerifyFailsNamingTheBrokenCheck) {
  ASSERT_EQ(Sh("nft delete table inet ironward").code, 0);
  EXPECT_EQ(RawTcpFromSandbox(gateway_, upstream_->port()), "OPEN") << "without the rules the sandbox gets out";
  const CmdResult no_firewall = Verify();
  EXPECT_EQ(no_firewall.code, 1) << no_firewall.out;
  EXPECT_THAT(no_firewall.out,
              HasSubstr("Verify: FAIL (direct-egress " + gateway_ + ":" + std::to_string(upstream_->port()) + ")"));
  EXPECT_EQ(Json(state_ / "status.json")["verify"]["passed"], false);

  // The next reconcile heals the table (drift), and verify passes again.
  const CmdResult healed = Reconcile();
  ASSERT_EQ(healed.code, 0) << healed.out;
  EXPECT_EQ(RawTcpFromSandbox(gateway_, upstream_->port()), "CLOSED");
  const CmdResult good = Verify();
  EXPECT_EQ(good.code, 0) << good.out;

  // Proxy gone: the allowlisted request fails (direct egress is still blocked).
  const pid_t proxy = ProxyPid();
  ASSERT_GT(proxy, 0);
  StopProxy();
  ASSERT_NE(::kill(proxy, 0), 0) << "proxy stopped";
  const CmdResult no_proxy = Verify();
  EXPECT_EQ(no_proxy.code, 1) << no_proxy.out;
  EXPECT_THAT(no_proxy.out, HasSubstr("Verify: FAIL (allowlisted localhost:" + std::to_string(upstream_->port())));
  EXPECT_EQ(RowResult(no_proxy.out, "direct-egress"), "pass") << no_proxy.out;
  EXPECT_EQ(Json(state_ / "status.json")["verify"]["passed"], false);
}

// 6. The Docker engine stopped under `ironward run` (SIGTERM to dockerd, which stops the sandbox;
//    data kept) for 10 s, then started again on the same data-root (scripts/dockerd-test.sh pause /
//    resume). While it is down `run` stays up without a hot loop and retries with back-off, the proxy
//    keeps running (same pid), status and /readyz report the Docker-dependent resources not Ready
//    naming the engine's socket; once it is back the exited sandbox is replaced, the proxy path works,
//    raw egress stays blocked and /readyz is 200 again. Its own ctest entry, RUN_SERIAL: every docker
//    test of a ctest run shares this engine.
TEST_F(SystemTest, DockerdStoppedAndRestartedUnderRunIsHealed) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const std::string socket = docker_host_.substr(std::string("DOCKER_HOST=unix://").size());
  const std::string network_errors = "ironward_reconcile_errors_total{resource=\"network\"}";
  StartDaemon();
  ASSERT_TRUE(Eventually([&] { return Readyz() == 200; }, seconds(40))) << Tail(DaemonLog(), 4000);
  const std::string old_id = SandboxId();
  ASSERT_FALSE(old_id.empty());
  const pid_t proxy = ProxyPid();
  ASSERT_GT(proxy, 0);
  ExpectRequestViaProxyWorks("before the engine stops");

  const std::size_t log_at_down = DaemonLog().size();
  const double errors_at_down = Metric(network_errors);
  const CmdResult paused = EngineScript("pause");
  ASSERT_EQ(paused.code, 0) << paused.out;
  engine_paused_ = true;
  const auto down = Clock::now();
  const double cpu_at_down = CpuSeconds(daemon_.pid());
  ASSERT_GE(cpu_at_down, 0);
  std::cout << Trim(paused.out) << "\n";

  // Down for 10 s: `run` alive and live, the proxy untouched; /readyz fails once a pass saw it.
  double readyz_failed_after = -1;
  while (since(down) < 10.0) {
    ASSERT_TRUE(DaemonAlive()) << "ironward run died with the engine down\n" << Tail(DaemonLog(), 4000);
    EXPECT_EQ(Livez(), 200);
    ASSERT_EQ(::kill(proxy, 0), 0) << "the proxy stopped with the engine\n" << Tail(DaemonLog(), 4000);
    if (readyz_failed_after < 0 && Readyz() != 200) readyz_failed_after = since(down);
    std::this_thread::sleep_for(milliseconds(250));  // the sampling period of the 10 s outage (not synchronisation)
  }
  const double down_seconds = since(down);
  const double cpu_down = CpuSeconds(daemon_.pid()) - cpu_at_down;
  const double network_failures = Metric(network_errors) - errors_at_down;
  const std::string down_log = DaemonLog().substr(log_at_down);
  EXPECT_LE(cpu_down, 1.0) << "a hot loop while the engine is down\n" << Tail(down_log, 4000);
  EXPECT_EQ(ProxyPid(), proxy) << "the proxy was not restarted";
  EXPECT_GE(readyz_failed_after, 0) << "/readyz stayed 200 with the engine down: " << ReadyzVerbose();
  EXPECT_THAT(ReadyzVerbose(), HasSubstr("[-]resources failed: 1 failed: network (skipped behind it, failing too: sandboxes)"));
  EXPECT_EQ(Metric("ironward_ready"), 0);

  // The retries back off (1 s doubling, docs/run.md): the "retry after failure" passes are spaced
  // 1, 2, 4 s (a fixed-interval retry would stay at 1 s), and 10 s hold at most 5 failed attempts
  // of the network resource.
  std::vector<double> retries;  // seconds of the day, from the log's timestamps
  std::istringstream lines(down_log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" pass: ") == std::string::npos) continue;
    std::cout << "  " << line << "\n";
    if (line.find("retry after failure") == std::string::npos || line.size() < 23) continue;
    double t = std::atoi(line.substr(11, 2).c_str()) * 3600 + std::atoi(line.substr(14, 2).c_str()) * 60 +
               std::atof(line.substr(17, 6).c_str());
    if (!retries.empty() && t < retries.back()) t += 24 * 3600;  // past midnight
    retries.push_back(t);
  }
  EXPECT_GE(network_failures, 2) << down_log;
  EXPECT_LE(network_failures, 5) << down_log;
  ASSERT_GE(retries.size(), 2U) << down_log;
  EXPECT_GE(retries.back() - retries[retries.size() - 2], 3.5) << "no back-off:\n" << down_log;
  for (std::size_t i = 2; i < retries.size(); ++i) {
    EXPECT_GE(retries[i] - retries[i - 1], 1.5 * (retries[i - 1] - retries[i - 2])) << "no back-off:\n" << down_log;
  }
  std::cout << "engine down " << down_seconds << " s: run used " << cpu_down << " s CPU, " << network_failures
            << " failed network attempts, /readyz failing after " << readyz_failed_after << " s\n";

  // status: the network names the engine and its socket; the resources behind it wait for it; the
  // proxy is still reported running. enforcement sees no socket, i.e. no engine and so no running
  // container to police (docs/sandboxes.md "Without Docker").
  const CmdResult status_json = Ironward("status -o json");
  EXPECT_EQ(status_json.code, 1) << status_json.out;
  nlohmann::json doc = nlohmann::json::parse(status_json.out, nullptr, false);  // not const: missing keys read as null
  ASSERT_TRUE(doc.is_object()) << status_json.out;
  SCOPED_TRACE("ironward status -o json: " + status_json.out);
  EXPECT_EQ(doc["ready"], false);
  auto ready = [&](const std::string& resource) {
    for (const auto& c : doc["resources"][resource]["conditions"]) {
      if (c.value("type", "") == "Ready") return c;
    }
    return nlohmann::json{{"status", ""}, {"reason", ""}, {"message", ""}};
  };
  EXPECT_EQ(ready("network")["status"], "False");
  EXPECT_THAT(ready("network")["message"].get<std::string>(),
              HasSubstr("cannot reach the Docker engine at unix://" + socket));
  for (const std::string resource : {"sandboxes", "daemon"}) {
    EXPECT_EQ(ready(resource)["status"], "False") << resource;
    EXPECT_EQ(ready(resource)["reason"], "DependencyNotReady") << resource;
    EXPECT_THAT(ready(resource)["message"].get<std::string>(), HasSubstr("network")) << resource;
  }
  EXPECT_EQ(doc["resources"]["daemon"]["details"]["running"], true);
  EXPECT_EQ(doc["resources"]["daemon"]["details"]["pid"], proxy);
  EXPECT_EQ(doc["resources"]["enforcement"]["details"]["engine"], "absent");
  const CmdResult status = Ironward("status");
  EXPECT_EQ(status.code, 1) << status.out;
  EXPECT_THAT(status.out, HasSubstr("cannot reach the Docker engine at unix://" + socket));

  const CmdResult resumed = EngineScript("resume");
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  engine_paused_ = false;
  const auto up = Clock::now();
  std::cout << Trim(resumed.out) << "\n";

  // Back: the watcher's next ping (≤ 5 s) or the next retry (≤ one back-off step, 8 s here) replaces
  // the exited sandbox, whichever comes first.
  std::string new_id;
  ASSERT_TRUE(Eventually(
      [&] {
        new_id = SandboxId();
        return !new_id.empty();
      },
      seconds(30)))
      << "the sandbox did not come back\n"
      << Tail(DaemonLog(), 4000);
  const double sandbox_after = since(up);
  ASSERT_TRUE(Eventually([&] { return Readyz() == 200; }, seconds(30))) << ReadyzVerbose() << Tail(DaemonLog(), 4000);
  const double ready_after = since(up);
  std::cout << "engine back: sandbox running after " << sandbox_after << " s, /readyz 200 after " << ready_after
            << " s; proxy pid " << proxy << " -> " << ProxyPid() << "\n";
  // The engine answering again (the event watcher's ping, at most one watcher back-off step, 5 s,
  // after the resume) ends the network's back-off window and queues a pass at once (docs/run.md).
  // Waited for, not read at once: when the resume falls just after a ping, the pass retried on its
  // own back-off can replace the sandbox first (seen under ASan, where the status calls before the
  // resume are slower).
  EXPECT_TRUE(Eventually(
      [&] {
        return DaemonLog().substr(log_at_down).find("the Docker engine answers again: retrying the Docker resources now") !=
               std::string::npos;
      },
      seconds(10)))
      << Tail(DaemonLog(), 4000);
  EXPECT_NE(new_id, old_id) << "the exited sandbox is replaced (docs/sandboxes.md)";
  EXPECT_TRUE(engine_->Inspect(old_id).is_null()) << "the exited container was removed";
  EXPECT_EQ(ProxyPid(), proxy) << "the proxy was never restarted";
  ExpectRequestViaProxyWorks("after the engine came back");
  EXPECT_EQ(RawTcpFromSandbox(gateway_, upstream_->port()), "CLOSED");
  EXPECT_EQ(RawTcpFromSandbox(Docker0Address(), upstream_->port()), "CLOSED");
  const CmdResult healthy = Ironward("status");
  EXPECT_EQ(healthy.code, 0) << healthy.out;
  EXPECT_EQ(Metric("ironward_ready"), 1);

  ASSERT_EQ(::kill(daemon_.pid(), SIGTERM), 0);
  EXPECT_EQ(WaitDaemonExit(seconds(20)), 0) << Tail(DaemonLog(), 4000);
}

}  // namespace
}  // namespace ironward::system_test
