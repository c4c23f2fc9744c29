// The whole-stack fixture shared by the system tests (system_test.cpp, adoption_test.cpp): the real
// `ironward` binary (reconcile / run / verify / wiring), against the private dockerd of the
// `docker_engine` fixture, real nftables (table inet ironward) and the iron-proxy double installed
// from a file:// release.
//
// Desired state: enforcement.network: internal, proxy.bind: sandbox-network, one provider whose
// host is a local TLS upstream ("localhost", reached by the proxy on 127.0.0.1; upstreamDenyCidrs
// is [] so the proxy may, upstreamCaFile trusts its test CA), one sandbox. The upstream listens on
// 0.0.0.0, so from a container it is also a host address away (the sandbox network's gateway, the
// docker0 address): only the firewall keeps the sandbox from it.
//
// Each test starts from nothing (fresh state dir, network, subnet) with one `ironward reconcile`
// in SetUp; TearDown removes every container, the network, the nft table and the proxy even when
// the test failed, and checks that no output, log or status ever contained the secret or a token.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "double_harness.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/packaged_release.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/system/system_support.h"

namespace ironward::system_test {
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::WriteFile;

inline constexpr const char* kSecret = "sk-or-v1-SYSTEM-E2E-SECRET-7e57c0de";
inline constexpr const char* kTokenVar = "IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY";

inline std::string IronwardBin() { return Env("IRONWARD_BIN", IRONWARD_BIN); }
inline std::string TestImage() { return Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE); }

class SystemTest : public ::testing::Test {
 protected:
  // Shared by every test of the process: the packaged proxy release and the TLS upstream.
  static void SetUpTestSuite() {
    releases_ = new testing::TempDir();
    sha_ = testing::PackageRelease039(PACKAGE_SCRIPT, Env("IRON_PROXY_DOUBLE", IRON_PROXY_DOUBLE), releases_->path());
    pki_ = new doubletest::TempDir();
    doubletest::MakeUpstreamPki(*pki_);
    upstream_ = new doubletest::Upstream(pki_->str() + "/up.crt", pki_->str() + "/up.key", "0.0.0.0");
  }
  static void TearDownTestSuite() {
    delete upstream_;
    delete pki_;
    delete releases_;
    upstream_ = nullptr;
    pki_ = nullptr;
    releases_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(sha_.size(), 64U) << "packaging the proxy double failed";
    docker_host_ = DockerHostLine(Env("IRONWARD_DOCKER_HOST_FILE", IRONWARD_DOCKER_HOST_FILE));
    ASSERT_FALSE(docker_host_.empty())
        << "no test engine: run through ctest (the docker_engine fixture) or set IRONWARD_DOCKER_HOST_FILE";
    engine_ = std::make_unique<EngineApi>(docker_host_.substr(std::string("DOCKER_HOST=unix://").size()));
    ASSERT_EQ(engine_->Call("GET", "/_ping").first, 200) << "the test engine does not answer";
    if (Sh("nft list table inet ironward").code == 0) {
      GTEST_SKIP() << "table inet ironward already exists on this host (a real ironward, or a leftover: "
                      "`nft delete table inet ironward`); not touching it";
    }
    owns_table_ = true;

    static int seq = 0;
    const int n = static_cast<int>(::getpid() % 40);
    name_ = "iwsys-" + std::to_string(::getpid()) + "-" + std::to_string(++seq);
    network_ = name_ + "-net";
    sandbox_ = name_ + "-agent";
    gateway_ = "172.30." + std::to_string(100 + n) + ".1";
    subnet_ = "172.30." + std::to_string(100 + n) + ".0/24";
    const int base = FreePortBase(6);
    ASSERT_GT(base, 0);
    tunnel_port_ = base;
    metrics_port_ = FreePortBase(1);
    ASSERT_GT(metrics_port_, 0);
    std::filesystem::create_directories(tmp_.path() / "desired");
    state_ = tmp_.path() / "state";
    WriteSpec(1, 1);

    first_ = Reconcile();
    ASSERT_EQ(first_.code, 0) << first_.out << ProxyLog();
    tokens_seen_.insert(Token());
  }

  void TearDown() override {
    daemon_.Kill();
    StopProxy();
    if (engine_paused_) {  // a failed engine-restart test: bring the shared engine back for the cleanup below
      const CmdResult resumed = EngineScript("resume");
      EXPECT_EQ(resumed.code, 0) << resumed.out;
      engine_paused_ = false;
    }
    if (engine_ && !name_.empty()) {
      for (const std::string& label : {"ironward.dev/owner=" + name_, "ironward.dev/verify-probe=" + name_,
                                      "ironward.test.run=" + name_, "ironward.dev/wired-by=" + name_}) {
        for (const auto& id : engine_->ContainersWithLabel(label)) {
          EXPECT_THAT(engine_->RemoveContainer(id), ::testing::AnyOf(204, 404)) << id;
        }
      }
      const int removed = engine_->RemoveNetwork(network_);
      EXPECT_TRUE(removed == 204 || removed == 404 || removed == 0) << "network " << network_ << ": " << removed;
    }
    if (owns_table_) (void)Sh("nft delete table inet ironward 2>/dev/null");

    // Nothing a human could see ever held the secret or a proxy token.
    const std::string seen = transcript_ + DaemonLog() + ReadFile(state_ / "status.json");
    EXPECT_EQ(seen.find(kSecret), std::string::npos) << "the secret leaked into an output, log or status.json";
    EXPECT_EQ(ProxyLog().find(kSecret), std::string::npos) << "the secret leaked into iron-proxy.log";
    for (const auto& token : tokens_seen_) {
      if (!token.empty()) {
        EXPECT_EQ(seen.find(token), std::string::npos) << "a proxy token leaked";
      }
    }
  }

  // --- the desired state --------------------------------------------------------------------
  void WriteSpec(int token_rotation, int ca_rotation) {
    testing::GatewayYaml g;
    g.name = name_;
    g.Release(releases_->path(), sha_);
    g.bind = "sandbox-network";
    g.tunnel_port = tunnel_port_;
    g.proxy_extra = "    upstreamDenyCidrs: []\n    upstreamCaFile: " + pki_->str() + "/upca.crt\n";
    g.providers = {{"openrouter", "OPENROUTER_API_KEY", R"(["localhost"])"}};
    g.allowlist = "";
    g.ca_extra = "    rotation: " + std::to_string(ca_rotation) + "\n";
    g.extra = "  tokens:\n    rotation: " + std::to_string(token_rotation) + "\n  enforcement:\n    mode: " +
              enforcement_mode_ + "\n    network: internal\n    networkName: " + network_ + "\n    networkSubnet: \"" +
              subnet_ + "\"\n  sandboxes:\n    - name: " + sandbox_ + "\n      image: \"" + TestImage() +
              "\"\n      command: [\"sleep\", \"infinity\"]\n      resources: {memory: 64m, cpus: 0.5, pids: 64}\n" +
              spec_extra_;
    const std::string yaml = g.Render();
    // Atomic replace, the way editors and git write files (the daemon watches the directory).
    const auto tmp = spec_.parent_path() / ".gateway.yaml.tmp";
    WriteFile(tmp, yaml);
    std::filesystem::rename(tmp, spec_);
  }

  // --- ironward -----------------------------------------------------------------------------
  std::string IronwardEnv() const {
    return "env " + docker_host_ + " OPENROUTER_API_KEY=" + Quote(kSecret) + " " + Quote(IronwardBin()) +
           " --state-dir " + Quote(state_.string()) + " ";
  }
  CmdResult Ironward(const std::string& args) {
    CmdResult r = Sh(IronwardEnv() + args);
    transcript_ += r.out;
    return r;
  }
  CmdResult Reconcile() { return Ironward("reconcile -f " + Quote(spec_.string())); }
  CmdResult DryRun() { return Ironward("reconcile --dry-run -f " + Quote(spec_.string())); }
  /// verify with the local upstream as the allowlisted URL and as the direct target (over the
  /// sandbox network's gateway, a host address the firewall must keep the probe from).
  CmdResult Verify() {
    return Ironward("verify -f " + Quote(spec_.string()) + " --image " + Quote(TestImage()) + " --direct-target " +
                    gateway_ + ":" + std::to_string(upstream_->port()) + " --allowed-url https://localhost:" +
                    std::to_string(upstream_->port()) + "/v1/verify --timeout 60");
  }

  // --- state --------------------------------------------------------------------------------
  nlohmann::json Json(const std::filesystem::path& p) const {
    return nlohmann::json::parse(ReadFile(p), nullptr, false);
  }
  /// The current proxy token (from its 0600 home; only ever compared, never printed).
  std::string Token() const {
    const auto j = Json(state_ / "mappings.json");
    if (!j.is_object() || !j.contains("providers") || !j["providers"].contains("openrouter")) return "";
    return j["providers"]["openrouter"].value("token", "");
  }
  std::string CaPhase() const {
    const auto j = Json(state_ / "status.json");
    if (!j.is_object()) return "no status";
    return j["resources"]["ca"]["details"].value("rotation_phase", "unknown");
  }
  std::string ProxyLog() const { return ReadFile(state_ / "iron-proxy.log"); }
  std::string DaemonLog() const { return ReadFile(tmp_.path() / "daemon.log"); }
  pid_t ProxyPid() const { return ProxyPidOf(state_); }
  /// Stops the proxy this test's state dir started (only a process running its bin/iron-proxy).
  void StopProxy() { StopProxyOf(state_); }

  // --- the sandbox --------------------------------------------------------------------------
  /// Id of the running sandbox container ("" if none or not running).
  std::string SandboxId() const {
    const auto j = engine_->Inspect(sandbox_);
    if (!j.is_object() || !j["State"].value("Running", false)) return "";
    return j.value("Id", "");
  }
  /// The networks the sandbox is attached to now.
  std::set<std::string> SandboxNetworks() const {
    std::set<std::string> out;
    const auto j = engine_->Inspect(sandbox_);
    if (!j.is_object() || !j["NetworkSettings"]["Networks"].is_object()) return out;
    for (const auto& [name, endpoint] : j["NetworkSettings"]["Networks"].items()) out.insert(name);
    return out;
  }
  std::string SandboxLabel(const std::string& key) const {
    const auto j = engine_->Inspect(sandbox_);
    if (!j.is_object() || !j["Config"]["Labels"].contains(key)) return "";
    return j["Config"]["Labels"][key].get<std::string>();
  }
  /// `sh -c script` inside `container` (docker exec; default: the sandbox), stdout + stderr.
  std::string Exec(const std::string& script, const std::string& container = "") const {
    return Sh("env " + docker_host_ + " docker exec " + (container.empty() ? sandbox_ : container) + " sh -c " +
              Quote(script))
        .out;
  }
  /// A raw TCP connection from `container` (default: the sandbox), bypassing every proxy variable:
  /// "OPEN" or "CLOSED".
  std::string RawTcpFromSandbox(const std::string& ip, int port, const std::string& container = "") const {
    return Trim(Exec("timeout 3 bash -c 'exec 3<>/dev/tcp/" + ip + "/" + std::to_string(port) +
                     "' 2>/dev/null && echo OPEN || echo CLOSED",
                     container));
  }
  /// The same, from a throwaway container on the default bridge (not confined by ironward).
  std::string RawTcpFromDefaultBridge(const std::string& ip, int port) const {
    return Trim(Sh("env " + docker_host_ + " docker run --rm --network bridge --label ironward.test.run=" + name_ +
                   " " + TestImage() + " bash -c " +
                   Quote("timeout 3 bash -c 'exec 3<>/dev/tcp/" + ip + "/" + std::to_string(port) +
                         "' 2>/dev/null && echo OPEN || echo CLOSED"))
                    .out);
  }

  /// The HTTPS request a workload makes, with only the sandbox's own env: HTTPS_PROXY, its CA
  /// bundle (CURL_CA_BUNDLE) and its proxy token. `--noproxy ''` lifts the NO_PROXY=localhost
  /// exemption only because the test upstream happens to be called localhost. Asserts that it
  /// got through and that the upstream saw the real secret and never a token.
  /// `container` defaults to the sandbox, `token_var` to ironward's name for the token.
  void ExpectRequestViaProxyWorks(const std::string& when, const std::string& container = "",
                                  const std::string& token_var = kTokenVar) {
    SCOPED_TRACE(when);
    const std::size_t before = upstream_->Requests().size();
    const std::string out = Exec("curl -sS --max-time 10 --noproxy '' -H \"Authorization: Bearer $" + token_var +
                                     "\" https://localhost:" + std::to_string(upstream_->port()) +
                                     "/v1/chat; echo \" curl-exit=$?\"",
                                 container);
    EXPECT_THAT(out, HasSubstr("upstream-ok curl-exit=0")) << out << "\nproxy log tail:\n" << Tail(ProxyLog());
    const auto requests = upstream_->Requests();
    ASSERT_EQ(requests.size(), before + 1) << "exactly one request reached the upstream";
    const std::string& seen = requests.back();
    EXPECT_NE(seen.find(std::string("Authorization: Bearer ") + kSecret), std::string::npos)
        << "the upstream got the real secret";
    for (const auto& token : tokens_seen_) {
      EXPECT_EQ(seen.find(token), std::string::npos) << "a proxy token reached the upstream";
    }
    EXPECT_EQ(out.find(kSecret), std::string::npos);
  }

  /// The RESULT column of the verify table row whose check starts with `check`.
  static std::string RowResult(const std::string& table, const std::string& check) {
    std::size_t at = 0;
    while ((at = table.find(check, at)) != std::string::npos) {
      if (at == 0 || table[at - 1] == '\n') {
        const std::string line = table.substr(at, table.find('\n', at) - at);
        return Trim(line.substr(line.rfind('|') + 1).erase(0, 1));
      }
      ++at;
    }
    return "no row";
  }

  static std::string Tail(const std::string& s, std::size_t n = 1500) {
    return s.size() <= n ? s : s.substr(s.size() - n);
  }

  // --- the engine ---------------------------------------------------------------------------
  /// scripts/dockerd-test.sh `cmd` on the docker_engine fixture's engine (the env file's directory).
  CmdResult EngineScript(const std::string& cmd) const {
    const std::filesystem::path dir =
        std::filesystem::path(Env("IRONWARD_DOCKER_HOST_FILE", IRONWARD_DOCKER_HOST_FILE)).parent_path();
    return Sh(Quote(DOCKERD_TEST_SCRIPT) + " " + cmd + " " + Quote(dir.string()));
  }

  // --- the daemon ---------------------------------------------------------------------------
  void StartDaemon() {
    testing::SpawnOptions options;
    options.log = (tmp_.path() / "daemon.log").string();
    options.env = {{"OPENROUTER_API_KEY", kSecret},
                   {"DOCKER_HOST", docker_host_.substr(std::string("DOCKER_HOST=").size())}};
    ASSERT_TRUE(daemon_.Start({IronwardBin(), "--state-dir", state_.string(), "--log-level", "info", "run", "-f",
                               spec_.string(), "--metrics-addr", "127.0.0.1:" + std::to_string(metrics_port_),
                               "--harden-interval", "0"},
                              options));
  }
  int Readyz() const {
    return static_cast<int>(doubletest::Http("http://127.0.0.1:" + std::to_string(metrics_port_) + "/readyz").status);
  }
  int Livez() const {
    return static_cast<int>(doubletest::Http("http://127.0.0.1:" + std::to_string(metrics_port_) + "/livez").status);
  }
  std::string ReadyzVerbose() const {
    return doubletest::Http("http://127.0.0.1:" + std::to_string(metrics_port_) + "/readyz?verbose").body;
  }
  /// The value of one /metrics sample ("name{labels}" exactly as rendered); 0 when absent.
  double Metric(const std::string& sample) const {
    const std::string text = doubletest::Http("http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics").body;
    const std::string key = "\n" + sample + " ";
    const auto at = ("\n" + text).find(key);
    return at == std::string::npos ? 0.0 : std::atof(text.c_str() + at + key.size() - 1);
  }
  /// Healthy as the sandbox sees it, not only as the last pass reported: /readyz 200, the sandbox
  /// running on its network alone, and the proxy's tunnel port open from inside it. Right after a
  /// fault /readyz still tells the last pass, which may predate the fault.
  bool HealthyNow() {
    return Readyz() == 200 && !SandboxId().empty() && SandboxNetworks() == std::set<std::string>{network_} &&
           RawTcpFromSandbox(gateway_, tunnel_port_) == "OPEN";
  }
  bool DaemonAlive() { return daemon_.Alive(); }
  /// utime + stime of `pid` in seconds, -1 if unreadable.
  static double CpuSeconds(pid_t pid) {
    const long ticks = testing::CpuTicks(pid);
    return ticks < 0 ? -1 : static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  /// The daemon's exit code once it exited within `timeout`, else -1.
  int WaitDaemonExit(milliseconds timeout) { return daemon_.WaitExit(timeout); }

  static inline testing::TempDir* releases_ = nullptr;
  static inline doubletest::TempDir* pki_ = nullptr;
  static inline doubletest::Upstream* upstream_ = nullptr;
  static inline std::string sha_;

  testing::TempDir tmp_;
  std::filesystem::path state_;
  std::filesystem::path spec_ = tmp_.path() / "desired" / "gateway.yaml";
  std::string docker_host_;
  std::unique_ptr<EngineApi> engine_;
  bool owns_table_ = false;
  std::string name_, network_, sandbox_, gateway_, subnet_;
  int tunnel_port_ = 0, metrics_port_ = 0;
  std::string enforcement_mode_ = "warn";
  std::string spec_extra_;  ///< appended to the desired state under `spec:` (two-space indent)
  testing::ChildProcess daemon_;  ///< `ironward run`, once StartDaemon() started it
  bool engine_paused_ = false;
  CmdResult first_;
  std::string transcript_;
  std::set<std::string> tokens_seen_;
};

}  // namespace ironward::system_test
