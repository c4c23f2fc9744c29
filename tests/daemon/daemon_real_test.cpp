// The daemon reconciler against the iron-proxy double (0.39.0) in a prepared state dir.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "daemon_harness.h"
#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/readiness.h"

namespace ironward::daemon {
namespace {

using namespace std::chrono_literals;
using test::DaemonHarness;

/// What the tests look at the proxies with (the reconciler has its own RealProcesses).
const RealProcesses real_processes;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

ProcessIdentity IdOf(const PidRecord& r) { return {r.pid, r.nonce, r.starttime}; }

std::string Changes(const ResourcePlan& p) {
  std::string out;
  for (const auto& c : p.changes) out += std::string(ActionSymbol(c.action)) + " " + c.reason + "\n";
  return out;
}

TEST(DaemonReconcilerTest, StartsReadyWithPrivateFilesThenInSync) {
  DaemonHarness h;
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_EQ(plan.changes[0].reason, "not running (never started)");
  const Outcome out = h.Apply(plan);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.reason << ": " << out.message;
  EXPECT_EQ(out.changed, 1);
  auto rec = h.Record();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, RecordState::kRunning);
  EXPECT_EQ(real_processes.CheckIdentity(IdOf(*rec)), Liveness::kAlive);
  EXPECT_EQ(rec->inputs.config_digest, h.facts().config->digest);
  EXPECT_EQ(rec->inputs.ca_cert_digest, h.facts().ca->cert_digest);
  EXPECT_EQ(rec->inputs.binary_sha256, h.facts().binary->sha256);
  for (const char* f : {"iron-proxy.pid", "iron-proxy.log", "management.key", "daemon.json"}) {
    EXPECT_EQ(ModeOf(h.root() + "/" + f), 0600u) << f;
  }
  EXPECT_EQ(ModeOf(h.root() + "/proxy-home"), 0700u);

  ResourcePlan again = h.Plan();
  EXPECT_TRUE(again.InSync()) << Changes(again);
  EXPECT_EQ(again.details["pid"], rec->pid);
}

TEST(DaemonReconcilerTest, ProxyEnvironmentHoldsOnlyAllowedVariables) {
  // ironward's own proxy variables (which its release download and Bitwarden requests honour)
  // never reach the proxy's environment.
  const char* const kStray[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy",
                                "ALL_PROXY", "IRON_ENROLLMENT_TOKEN", "IRON_LOG_LEVEL"};
  for (const char* name : kStray) ::setenv(name, "http://127.0.0.1:1", 1);
  DaemonHarness h;
  h.AddProvider({"api.example.com"});
  h.desired().spec.proxy.upstream_ca_file = "/etc/ssl/certs/ca-certificates.crt";
  const Outcome out = h.Pass();
  for (const char* name : kStray) ::unsetenv(name);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_EQ(out.message.find(test::kRealSecret), std::string::npos);
  auto rec = h.Record();
  ASSERT_TRUE(rec);
  std::set<std::string> names;
  std::map<std::string, std::string> env;
  for (const auto& e : real_processes.ReadEnviron(rec->pid)) {
    const auto eq = e.find('=');
    names.insert(e.substr(0, eq));
    env[e.substr(0, eq)] = e.substr(eq + 1);
  }
  EXPECT_EQ(names, (std::set<std::string>{"PATH", "HOME", "LANG", "IRONWARD_MANAGEMENT_KEY", "IRONWARD_PROXY_NONCE",
                                          test::kSecretName, "SSL_CERT_FILE"}));
  EXPECT_EQ(env["HOME"], h.root() + "/proxy-home");
  EXPECT_EQ(env["PATH"], "/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(env[test::kSecretName], test::kRealSecret);
  EXPECT_EQ(env["IRONWARD_PROXY_NONCE"], rec->nonce);
  EXPECT_EQ(env["SSL_CERT_FILE"], "/etc/ssl/certs/ca-certificates.crt");
  // Nothing secret in the state files ironward writes besides management.key.
  for (const char* f : {"iron-proxy.pid", "daemon.json", "iron-proxy.log"}) {
    auto text = h.state().Read(f);
    ASSERT_TRUE(text.ok() && text->has_value()) << f;
    EXPECT_EQ((*text)->find(test::kRealSecret), std::string::npos) << f;
    EXPECT_EQ((*text)->find(env["IRONWARD_MANAGEMENT_KEY"]), std::string::npos) << f;
  }
}

// Readiness trusts a listener only when the socket is the proxy's own: another process holding
// the port (the real iron-proxy then exits 0 after its fatal bind error) must not count as ready.
TEST(ReadinessTest, ListenersOwnedByTellsThisProcessFromAnother) {
  DaemonHarness h;
  const int port = h.Port("tunnel");
  EXPECT_NE(ListenersOwnedBy(::getpid(), {{port}, {}}).find("has no listener"), std::string::npos);
  test::PortBlocker mine(port);
  EXPECT_EQ(ListenersOwnedBy(::getpid(), {{port}, {}}), "");
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kRetry) << "the proxy cannot bind the blocked port";
  testing::ChildProcess sleeper({"/bin/sleep", "5"});
  const pid_t child = sleeper.pid();
  ASSERT_GT(child, 0);
  // Once it has exec'd, the child holds no copy of our CLOEXEC socket: the port is someone else's.
  ASSERT_TRUE(testing::Eventually([&] {
    std::error_code ec;
    return std::filesystem::read_symlink("/proc/" + std::to_string(child) + "/exe", ec).string().find("sleep") !=
           std::string::npos;
  }, 3s));
  const std::string other = ListenersOwnedBy(child, {{port}, {}});
  EXPECT_EQ(other, "port " + std::to_string(port) + " is held by another process");
}

// Every listener the rendered config opens counts, by protocol: iron-proxy binds them all at
// once and exits when any one fails, so https, management and the UDP DNS server matter too.
TEST(ReadinessTest, EveryListenerOfTheRenderedConfigIsChecked) {
  DaemonHarness h;
  auto text = h.state().Read("proxy.yaml");
  ASSERT_TRUE(text.ok() && text->has_value());
  auto eps = EndpointsFromConfig(**text);
  ASSERT_TRUE(eps.ok());
  const ListenPorts ports = PortsOf(*eps);
  std::set<int> tcp(ports.tcp.begin(), ports.tcp.end());
  EXPECT_EQ(tcp, (std::set<int>{h.Port("tunnel"), h.Port("http"), h.Port("https"), h.Port("metrics"),
                               h.Port("management")}));
  EXPECT_EQ(ports.udp, std::vector<int>{h.Port("dns")}) << "0.39 always runs its DNS server";

  auto off = EndpointsFromConfig("dns:\n  enabled: false\n  listen: 127.0.0.1:5353\n");
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(PortsOf(*off).udp.empty()) << "dns.enabled: false (>= 0.43) binds no DNS socket";
}

TEST(ReadinessTest, UdpSocketsCountByOwnerToo) {
  DaemonHarness h;
  const int port = h.Port("dns");
  EXPECT_EQ(ListenersOwnedBy(::getpid(), {{}, {port}}), "UDP port " + std::to_string(port) + " has no listener");
  test::PortBlocker mine(port, /*udp=*/true);
  EXPECT_EQ(ListenersOwnedBy(::getpid(), {{}, {port}}), "");
}

// Another process on the https or DNS port: the proxy never counts as ready, however quickly its
// other listeners come up.
TEST(DaemonReconcilerTest, AnHttpsOrDnsPortInUseIsNeverReady) {
  for (const bool dns : {false, true}) {
    DaemonHarness h;
    test::PortBlocker taken(h.Port(dns ? "dns" : "https"), /*udp=*/dns);
    const Outcome out = h.Pass();
    EXPECT_EQ(out.kind, Outcome::Kind::kRetry) << (dns ? "dns" : "https") << ": " << out.message;
    EXPECT_EQ(out.reason, "NotReady") << out.message;
    auto rec = h.Record();
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->state, RecordState::kCrashed);
  }
}

TEST(DaemonReconcilerTest, ReadinessFailureKillsAndReportsLogTail) {
  DaemonHarness h;
  test::PortBlocker taken(h.Port("tunnel"));
  const Outcome out = h.Pass();
  EXPECT_EQ(out.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(out.reason, "NotReady");
  EXPECT_EQ(out.after, 0s) << "a first crash is retried without a wait";
  EXPECT_NE(out.message.find("fatal error"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("log lines:"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("crash 1"), std::string::npos) << out.message;
  auto rec = h.Record();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, RecordState::kCrashed);
  EXPECT_NE(real_processes.CheckIdentity(IdOf(*rec)), Liveness::kAlive);
  EXPECT_TRUE(FindStrays(real_processes, h.root(), 0).empty());
  // Counted once: the next plan starts again without counting it a second time.
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_NE(plan.changes[0].reason.find("crash 1, back-off 0s)"), std::string::npos) << Changes(plan);
}

TEST(DaemonReconcilerTest, KillNineIsRestartedAtOnceASecondKillWaitsOutTheBackoff) {
  DaemonHarness h;
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kDone);
  const PidRecord first = *h.Record();
  ASSERT_EQ(::kill(first.pid, SIGKILL), 0);
  ASSERT_TRUE(testing::Eventually([&] { return real_processes.CheckIdentity(IdOf(first)) != Liveness::kAlive; }, 3s));

  // First crash of a series: restarted in the same pass, no wait.
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_EQ(plan.changes[0].reason, "not running (crashed: pid " + std::to_string(first.pid) +
                                        " gone, crash 1, back-off 0s)");
  Outcome out = h.Apply(plan);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  const PidRecord second = *h.Record();
  EXPECT_NE(second.pid, first.pid);
  EXPECT_EQ(real_processes.CheckIdentity(IdOf(second)), Liveness::kAlive);

  // Killed again within the series: crash 2 waits 1 s.
  ASSERT_EQ(::kill(second.pid, SIGKILL), 0);
  ASSERT_TRUE(testing::Eventually([&] { return real_processes.CheckIdentity(IdOf(second)) != Liveness::kAlive; }, 3s));
  plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].reason, "not running (crashed: pid " + std::to_string(second.pid) +
                                        " gone, crash 2, back-off 1s); restart in 1s");
  EXPECT_EQ(plan.details.value("consecutive_crashes", -1), 1) << "observed before Apply counts the crash";
  Outcome waiting = h.Apply(plan);
  EXPECT_EQ(waiting.kind, Outcome::Kind::kRequeueAfter);
  EXPECT_EQ(waiting.after, 1s);
  EXPECT_EQ(waiting.details.value("consecutive_crashes", -1), 2) << "status counts it for the whole wait";
  EXPECT_EQ(waiting.details.value("running", true), false);
  EXPECT_EQ(h.Record()->state, RecordState::kCrashed);

  h.clock().Advance(1s);
  ResourcePlan restart = h.Plan();
  ASSERT_EQ(restart.changes.size(), 1u);
  EXPECT_EQ(restart.changes[0].reason, "not running (crashed: pid " + std::to_string(second.pid) +
                                           " gone, crash 2, back-off 1s)");
  out = h.Apply(restart);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  const PidRecord third = *h.Record();
  EXPECT_NE(third.pid, second.pid);
  EXPECT_EQ(real_processes.CheckIdentity(IdOf(third)), Liveness::kAlive);
  EXPECT_TRUE(h.Plan().InSync());
}

TEST(DaemonReconcilerTest, OneSlowHealthCheckIsNotARestartButAHungProxyIs) {
  DaemonHarness h;
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kDone);
  const PidRecord rec = *h.Record();

  // Frozen for ~1.3 s: the first check times out, a later one answers; nothing to do.
  ASSERT_EQ(::kill(rec.pid, SIGSTOP), 0);
  std::thread thaw([pid = rec.pid] {
    std::this_thread::sleep_for(1300ms);  // the fault's length (not synchronisation): frozen this long
    ::kill(pid, SIGCONT);
  });
  ResourcePlan plan = h.Plan();
  thaw.join();
  EXPECT_TRUE(plan.InSync()) << Changes(plan);

  // Frozen for good: every check fails, and the plan restarts it saying how often it looked.
  ASSERT_EQ(::kill(rec.pid, SIGSTOP), 0);
  plan = h.Plan();
  ::kill(rec.pid, SIGCONT);
  ASSERT_EQ(plan.changes.size(), 1u) << Changes(plan);
  EXPECT_NE(plan.changes[0].reason.find("pid " + std::to_string(rec.pid) + " is unhealthy"), std::string::npos)
      << Changes(plan);
  EXPECT_NE(plan.changes[0].reason.find("(3 checks in a row)"), std::string::npos) << Changes(plan);
}

TEST(DaemonReconcilerTest, CrashLoopIsStalledWithTheLogTailAndStillRetriedAtTheMaximumBackoff) {
  DaemonHarness h;
  h.options().crash_loop_threshold = 3;
  auto taken = std::make_unique<test::PortBlocker>(h.Port("http"));
  Outcome out;
  for (int i = 1; i <= 3; ++i) {
    out = h.Pass();
    // Status (and the consecutive-crashes metric) count the crash this start just had.
    EXPECT_EQ(out.details.value("consecutive_crashes", -1), i) << out.details.dump();
    EXPECT_EQ(out.details.value("running", true), false);
    if (i < 3) {
      ASSERT_EQ(out.reason, "NotReady") << i << ": " << out.message;
      h.clock().Advance(out.after);
    }
  }
  EXPECT_EQ(out.kind, Outcome::Kind::kRetry) << "never terminal: a crash loop is retried";
  EXPECT_TRUE(out.stalled);
  EXPECT_EQ(out.reason, "CrashLoop");
  EXPECT_EQ(out.after, 5min);
  EXPECT_NE(out.message.find("fatal error"), std::string::npos) << out.message;

  // Inside the back-off: Stalled with the log tail, nothing started.
  ResourcePlan plan;
  out = h.Pass(&plan);
  EXPECT_EQ(out.kind, Outcome::Kind::kRequeueAfter);
  EXPECT_TRUE(out.stalled);
  EXPECT_EQ(out.reason, "CrashLoop");
  EXPECT_NE(out.message.find("crash loop: 3 consecutive crashes, retried every 5m"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("log lines:"), std::string::npos);
  EXPECT_TRUE(FindStrays(real_processes, h.root(), 0).empty());

  // When it ends: another attempt (the port is still taken: crash 4, still a crash loop).
  h.clock().Advance(out.after);
  out = h.Pass();
  EXPECT_EQ(out.reason, "CrashLoop") << out.message;
  EXPECT_NE(out.message.find("crash 4"), std::string::npos) << out.message;
  EXPECT_EQ(out.details.value("consecutive_crashes", -1), 4) << out.details.dump();

  // The cause goes away: the next retry comes up.
  taken.reset();
  h.clock().Advance(out.after);
  out = h.Pass();
  EXPECT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_FALSE(out.stalled);
}

TEST(DaemonReconcilerTest, TransformsOnlyChangeReloadsSamePid) {
  DaemonHarness h;
  doubletest::Upstream up;
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kDone);
  const PidRecord before = *h.Record();
  const std::string url = "http://localhost:" + std::to_string(up.port()) + "/ping";
  const doubletest::HttpOptions via{.proxy = "http://127.0.0.1:" + std::to_string(h.Port("http"))};
  EXPECT_EQ(doubletest::Http(url, via).status, 403) << "localhost not allowlisted yet";

  h.desired().spec.allowlist.push_back("localhost");
  h.Render();
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u) << Changes(plan);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_EQ(plan.changes[0].reason.rfind("reload: transforms changed (ruleset digest ", 0), 0u) << Changes(plan);
  const Outcome out = h.Apply(plan);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  const PidRecord after = *h.Record();
  EXPECT_EQ(after.pid, before.pid);
  EXPECT_EQ(after.inputs.ruleset_digest, h.facts().config->ruleset_digest);
  EXPECT_EQ(doubletest::Http(url, via).status, 200) << "new policy effective";
  EXPECT_TRUE(h.Plan().InSync());
}

TEST(DaemonReconcilerTest, ListenerChangeRestartsWithNewPid) {
  DaemonHarness h;
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kDone);
  const PidRecord before = *h.Record();
  h.desired().spec.proxy.http_port = static_cast<std::uint16_t>(doubletest::FreePort());
  h.Render();
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_TRUE(plan.changes[0].disruptive);
  EXPECT_EQ(plan.changes[0].reason.rfind("restart: listeners changed", 0), 0u) << Changes(plan);
  const Outcome out = h.Apply(plan);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  const PidRecord after = *h.Record();
  EXPECT_NE(after.pid, before.pid);
  EXPECT_NE(real_processes.CheckIdentity(IdOf(before)), Liveness::kAlive);
  EXPECT_EQ(h.Plan().changes.size(), 0u) << "a requested stop is not a crash";
  auto crash = ReadCrashState(h.state());
  EXPECT_EQ(crash->consecutive, 0);
}

// A fresh ironward process that could not reach Bitwarden knows the secrets' digests (secrets.json)
// but not the values: an in-sync proxy is left alone, a restart that would need the values is
// refused before the running proxy is stopped, and nothing is started without them.
TEST(DaemonReconcilerTest, SecretValuesUnavailableNeverStopsTheRunningProxy) {
  DaemonHarness h;
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kDone);
  const PidRecord before = *h.Record();
  ASSERT_TRUE(h.facts().secrets);
  h.facts().secrets->values.clear();
  h.facts().secrets->values_unavailable = true;
  EXPECT_EQ(h.Plan().changes.size(), 0u) << "same digests: in sync";

  h.desired().spec.proxy.http_port = static_cast<std::uint16_t>(doubletest::FreePort());
  h.Render();
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  const Outcome out = h.Apply(plan);
  EXPECT_NE(out.kind, Outcome::Kind::kDone);
  EXPECT_EQ(out.reason, "SecretValuesUnavailable") << out.message;
  EXPECT_NE(out.message.find("keeps its last good values"), std::string::npos) << out.message;
  EXPECT_EQ(real_processes.CheckIdentity(IdOf(before)), Liveness::kAlive) << "the running proxy was not stopped";
  EXPECT_EQ(h.Record()->pid, before.pid);

  ASSERT_TRUE(StopProxy(h.root(), 5s).ok());
  const Outcome start = h.Pass();
  EXPECT_EQ(start.reason, "SecretValuesUnavailable") << start.message;
  EXPECT_NE(start.message.find("fail closed"), std::string::npos) << start.message;
  EXPECT_FALSE(h.Record()) << "nothing started without the values";
}

TEST(DaemonReconcilerTest, StopProxySendsSigtermAndRemovesPidfile) {
  DaemonHarness h;
  ASSERT_EQ(h.Pass().kind, Outcome::Kind::kDone);
  const PidRecord rec = *h.Record();
  auto stopped = StopProxy(h.root(), 5s);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_TRUE(stopped->was_running);
  EXPECT_FALSE(stopped->killed) << "the double handles SIGTERM";
  EXPECT_NE(real_processes.CheckIdentity(IdOf(rec)), Liveness::kAlive);
  EXPECT_FALSE(h.Record());
  const auto tail = h.state().Read("iron-proxy.log");
  EXPECT_NE((*tail)->find("received signal, shutting down"), std::string::npos);
  ResourcePlan plan = h.Plan();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].reason, "not running (never started)");
}

// (A dry run never reaches Apply: the engine's Plan has no WriteDeps to give it.)
TEST(DaemonReconcilerTest, DryRunPlansWithPendingFactsAndWritesNothing) {
  DaemonHarness h;
  h.facts().ca->pending = true;
  h.facts().config->pending = true;
  DaemonReconciler rec(h.options());
  ReconcileContext ctx{h.desired(), h.facts(), true};
  ReadDeps rd{h.clock(), h.state(), nullptr, nullptr};
  ResourcePlan plan = rec.Plan(ctx, rd);
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_NE(plan.changes[0].reason.find("known after apply: config, CA"), std::string::npos) << Changes(plan);
  EXPECT_EQ(plan.desired_digest, kKnownAfterApply);
  EXPECT_FALSE(h.Record());
}

}  // namespace
}  // namespace ironward::daemon
