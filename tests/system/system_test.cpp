// The whole stack at once, through the real `ironward` binary (reconcile / run / verify), against
// the private dockerd of the `docker_engine` fixture, real nftables (table inet ironward) and the
// iron-proxy double installed from a file:// release.
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
#include "tests/core/test_util.h"
#include "tests/system/system_support.h"

namespace ironward::system_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::WriteFile;

constexpr const char* kSecret = "sk-or-v1-SYSTEM-E2E-SECRET-7e57c0de";
constexpr const char* kTokenVar = "IRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY";

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}
std::string IronwardBin() { return Env("IRONWARD_BIN", IRONWARD_BIN); }
std::string TestImage() { return Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE); }

class SystemTest : public ::testing::Test {
 protected:
  // Shared by every test of the process: the packaged proxy release and the TLS upstream.
  static void SetUpTestSuite() {
    releases_ = new testing::TempDir();
    const std::string cmd = std::string(PACKAGE_SCRIPT) + " " + Env("IRON_PROXY_DOUBLE", IRON_PROXY_DOUBLE) +
                            " 0.39.0 " + Quote(releases_->path().string());
    const CmdResult packaged = Sh(cmd + " 2>/dev/null");
    sha_ = Trim(packaged.out);
    pki_ = new doubletest::TempDir();
    doubletest::MakeUpstreamPki(*pki_);
    upstream_ = new doubletest::Upstream(pki_->path() + "/up.crt", pki_->path() + "/up.key", "0.0.0.0");
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
    if (daemon_pid_ > 0) {
      ::kill(daemon_pid_, SIGKILL);
      ::waitpid(daemon_pid_, nullptr, 0);
      daemon_pid_ = 0;
    }
    StopProxy();
    if (engine_paused_) {  // a failed engine-restart test: bring the shared engine back for the cleanup below
      const CmdResult resumed = EngineScript("resume");
      EXPECT_EQ(resumed.code, 0) << resumed.out;
      engine_paused_ = false;
    }
    if (engine_ && !name_.empty()) {
      for (const std::string& label : {"ironward.dev/owner=" + name_, "ironward.dev/verify-probe=" + name_,
                                      "ironward.test.run=" + name_}) {
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
    const std::string yaml = R"(apiVersion: ironward.dev/v1
kind: EgressGateway
metadata:
  name: )" + name_ + R"(
spec:
  proxy:
    version: "0.39.0"
    source:
      url: "file://)" + releases_->path().string() +
                             R"(/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz"
      sha256: ")" + sha_ + R"("
    bind: sandbox-network
    tunnelPort: )" + std::to_string(tunnel_port_) + R"(
    upstreamDenyCidrs: []
    upstreamCaFile: )" + pki_->path() + R"(/upca.crt
  ca:
    algorithm: ecdsa-p256
    rotation: )" + std::to_string(ca_rotation) + R"(
  tokens:
    rotation: )" + std::to_string(token_rotation) + R"(
  providers:
    - name: openrouter
      secret: OPENROUTER_API_KEY
      hosts: ["localhost"]
  enforcement:
    network: internal
    networkName: )" + network_ + R"(
    networkSubnet: ")" + subnet_ + R"("
  sandboxes:
    - name: )" + sandbox_ + R"(
      image: ")" + TestImage() + R"("
      command: ["sleep", "infinity"]
      resources: {memory: 64m, cpus: 0.5, pids: 64}
)";
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
  pid_t ProxyPid() const {
    const auto j = Json(state_ / "iron-proxy.pid");
    return j.is_object() ? j.value("pid", 0) : 0;
  }

  /// Stops the proxy this test's state dir started (only a process running its bin/iron-proxy).
  void StopProxy() {
    const pid_t pid = ProxyPid();
    if (pid <= 0) return;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    if (ec || exe.string().rfind(state_.string(), 0) != 0) return;
    ::kill(pid, SIGTERM);
    if (!Eventually([&] { return ::kill(pid, 0) != 0; }, seconds(3))) ::kill(pid, SIGKILL);
    Eventually([&] { return ::kill(pid, 0) != 0; }, seconds(3));
  }

  // --- the sandbox --------------------------------------------------------------------------
  /// Id of the running sandbox container ("" if none or not running).
  std::string SandboxId() const {
    const auto j = engine_->Inspect(sandbox_);
    if (!j.is_object() || !j["State"].value("Running", false)) return "";
    return j.value("Id", "");
  }
  std::string SandboxLabel(const std::string& key) const {
    const auto j = engine_->Inspect(sandbox_);
    if (!j.is_object() || !j["Config"]["Labels"].contains(key)) return "";
    return j["Config"]["Labels"][key].get<std::string>();
  }
  /// `sh -c script` inside the sandbox (docker exec), stdout + stderr.
  std::string Exec(const std::string& script) const {
    return Sh("env " + docker_host_ + " docker exec " + sandbox_ + " sh -c " + Quote(script)).out;
  }
  /// A raw TCP connection from the sandbox, bypassing every proxy variable: "OPEN" or "CLOSED".
  std::string RawTcpFromSandbox(const std::string& ip, int port) const {
    return Trim(Exec("timeout 3 bash -c 'exec 3<>/dev/tcp/" + ip + "/" + std::to_string(port) +
                     "' 2>/dev/null && echo OPEN || echo CLOSED"));
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
  void ExpectRequestViaProxyWorks(const std::string& when) {
    SCOPED_TRACE(when);
    const std::size_t before = upstream_->Requests().size();
    const std::string out = Exec("curl -sS --max-time 10 --noproxy '' -H \"Authorization: Bearer $" +
                                 std::string(kTokenVar) + "\" https://localhost:" + std::to_string(upstream_->port()) +
                                 "/v1/chat; echo \" curl-exit=$?\"");
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
    std::vector<std::string> args = {IronwardBin(), "--state-dir", state_.string(), "--log-level", "info", "run",
                                     "-f", spec_.string(), "--metrics-addr",
                                     "127.0.0.1:" + std::to_string(metrics_port_), "--harden-interval", "0"};
    const std::string log = (tmp_.path() / "daemon.log").string();
    const std::string docker_host = docker_host_.substr(std::string("DOCKER_HOST=").size());
    daemon_pid_ = ::fork();
    ASSERT_GE(daemon_pid_, 0);
    if (daemon_pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::setenv("OPENROUTER_API_KEY", kSecret, 1);
      ::setenv("DOCKER_HOST", docker_host.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
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
  bool DaemonAlive() const { return daemon_pid_ > 0 && ::waitpid(daemon_pid_, nullptr, WNOHANG) == 0; }
  /// utime + stime of `pid` in seconds (/proc/<pid>/stat fields 14 and 15), -1 if unreadable.
  static double CpuSeconds(pid_t pid) {
    const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) return -1;
    std::istringstream in(stat.substr(paren + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::atol(field.c_str());
      if (i == 15) stime = std::atol(field.c_str());
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  /// The daemon's exit code once it exited within `timeout`, else -1.
  int WaitDaemonExit(milliseconds timeout) {
    int status = 0;
    const bool exited = Eventually([&] { return ::waitpid(daemon_pid_, &status, WNOHANG) == daemon_pid_; }, timeout);
    if (!exited) return -1;
    daemon_pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

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
  pid_t daemon_pid_ = 0;
  bool engine_paused_ = false;
  CmdResult first_;
  std::string transcript_;
  std::set<std::string> tokens_seen_;
};

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

// 4. Under `ironward run`, a sandbox removed out of band comes back (a Docker event triggers the
//    pass: the periodic check is 10 min away); SIGTERM then stops the daemon with exit 0.
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

  ASSERT_EQ(::kill(daemon_pid_, SIGTERM), 0);
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
  const double cpu_at_down = CpuSeconds(daemon_pid_);
  ASSERT_GE(cpu_at_down, 0);
  std::cout << Trim(paused.out) << "\n";

  // Down for 10 s: `run` alive and live, the proxy untouched; /readyz fails once a pass saw it.
  double readyz_failed_after = -1;
  while (since(down) < 10.0) {
    ASSERT_TRUE(DaemonAlive()) << "ironward run died with the engine down\n" << Tail(DaemonLog(), 4000);
    EXPECT_EQ(Livez(), 200);
    ASSERT_EQ(::kill(proxy, 0), 0) << "the proxy stopped with the engine\n" << Tail(DaemonLog(), 4000);
    if (readyz_failed_after < 0 && Readyz() != 200) readyz_failed_after = since(down);
    std::this_thread::sleep_for(milliseconds(250));
  }
  const double down_seconds = since(down);
  const double cpu_down = CpuSeconds(daemon_pid_) - cpu_at_down;
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
  // The pass that healed it need not wait out the network's back-off: the engine answering again
  // (the event watcher's ping) ends the window and queues a pass at once (docs/run.md).
  EXPECT_THAT(DaemonLog().substr(log_at_down), HasSubstr("the Docker engine answers again: retrying the Docker resources now"))
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

  ASSERT_EQ(::kill(daemon_pid_, SIGTERM), 0);
  EXPECT_EQ(WaitDaemonExit(seconds(20)), 0) << Tail(DaemonLog(), 4000);
}

}  // namespace
}  // namespace ironward::system_test
