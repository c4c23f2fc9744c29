// Staged CA rotation end to end: the real `ironward` binary installs the iron-proxy double from
// a file:// release and runs it; a ca.rotation bump then takes three `ironward reconcile` runs
// (stage, switch, drop), the gate read from the status.json the previous run wrote. In every
// phase a client trusting only ca-trust.pem gets through the proxy's MITM tunnel to a local TLS
// upstream; leaves minted before the switch chain to the old CA, after it to the new one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "double_harness.h"
#include "reconcilers/daemon/daemon_control.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/packaged_release.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kSecretValue = "sk-or-v1-ROTATION-E2E-SECRET-51c0ffee";

int FreePortBase() { return testing::FreeLoopbackPorts(6, 22000); }

struct CmdResult {
  int code = -1;
  std::string out;
};

class CaRotationE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = tmp_.path() / "state";
    const std::string sha = testing::PackageRelease039(PACKAGE_SCRIPT, IRON_PROXY_DOUBLE, tmp_.path() / "releases");
    ASSERT_EQ(sha.size(), 64U);
    doubletest::MakeUpstreamPki(pki_);
    upstream_ = std::make_unique<doubletest::Upstream>(pki_.str() + "/up.crt", pki_.str() + "/up.key");
    const int base = FreePortBase();
    ASSERT_GT(base, 0);
    tunnel_port_ = base;
    testing::GatewayYaml g;
    g.name = "rotation-e2e";
    g.Release(tmp_.path() / "releases", sha);
    g.tunnel_port = base;
    g.proxy_extra = "    upstreamDenyCidrs: []\n    upstreamCaFile: " + pki_.str() + "/upca.crt\n";
    g.providers = {{"openrouter", "OPENROUTER_API_KEY", R"(["localhost"])"}};
    g.allowlist = "";
    g.ca_extra = "    rotation: @ROTATION@\n";
    yaml_ = g.Render();
    SetRotation(1);
  }

  void TearDown() override {
    if (std::filesystem::exists(state_ / "iron-proxy.pid")) {
      (void)daemon::StopProxy(state_, std::chrono::milliseconds(3000));
    }
  }

  void SetRotation(int n) { WriteFile(spec_, testing::With(yaml_, "@ROTATION@", std::to_string(n))); }

  CmdResult Ironward(const std::string& args) {
    const auto out = tmp_.path() / "out";
    const std::string cmd = "OPENROUTER_API_KEY='" + std::string(kSecretValue) + "' " IRONWARD_BIN " --state-dir '" +
                            state_.string() + "' " + args + " >'" + out.string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    CmdResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out)};
    transcript_ += r.out;
    return r;
  }
  CmdResult Reconcile() { return Ironward("reconcile -f " + spec_.string()); }

  nlohmann::json CaDetails() {
    return nlohmann::json::parse(ReadFile(state_ / "status.json"))["resources"]["ca"]["details"];
  }
  int ProxyPid() { return nlohmann::json::parse(ReadFile(state_ / "iron-proxy.pid"))["pid"].get<int>(); }

  /// HTTPS through the proxy's CONNECT tunnel, trusting only `cafile` for the MITM leaf.
  doubletest::HttpResult Through(const std::filesystem::path& cafile) {
    return doubletest::Http("https://localhost:" + std::to_string(upstream_->port()) + "/v1/models",
                            {.proxy = "http://127.0.0.1:" + std::to_string(tunnel_port_),
                             .cainfo = cafile.string()});
  }
  /// A file holding one certificate (to trust exactly one CA).
  std::filesystem::path Only(const std::string& pem, const std::string& name) {
    const auto p = tmp_.path() / name;
    WriteFile(p, pem);
    return p;
  }

  TempDir tmp_;
  doubletest::TempDir pki_;
  std::unique_ptr<doubletest::Upstream> upstream_;
  std::filesystem::path state_;
  std::filesystem::path spec_ = tmp_.path() / "gateway.yaml";
  std::string yaml_;
  int tunnel_port_ = 0;
  std::string transcript_;
};

TEST_F(CaRotationE2eTest, ThreeReconcilesRotateTheCaWhileClientsTrustingTheBundleKeepWorking) {
  CmdResult first = Reconcile();
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_EQ(CaDetails()["rotation_phase"], "stable");
  const std::string a = ReadFile(state_ / "ca.crt");
  const auto bundle = state_ / "ca-trust.pem";
  EXPECT_EQ(ReadFile(bundle), a);
  EXPECT_EQ(testing::ModeOf(bundle), 0644U);
  auto r = Through(bundle);
  ASSERT_EQ(r.status, 200) << r.error << "\n" << ReadFile(state_ / "iron-proxy.log");

  // Pass 1: stage. The proxy keeps its pid and still signs with A; clients of the bundle work.
  SetRotation(2);
  const int pid_a = ProxyPid();
  CmdResult plan1 = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(plan1.code, 2);
  EXPECT_NE(plan1.out.find("~ ca.local"), std::string::npos) << plan1.out;
  EXPECT_NE(plan1.out.find("ca.rotation 1 -> 2: stage the next CA"), std::string::npos) << plan1.out;
  CmdResult stage = Reconcile();
  ASSERT_EQ(stage.code, 0) << stage.out;
  EXPECT_EQ(CaDetails()["rotation_phase"], "staged");
  EXPECT_EQ(ProxyPid(), pid_a);
  const std::string b = ReadFile(state_ / "ca-next.crt");
  EXPECT_EQ(ReadFile(bundle), a + b);
  EXPECT_EQ(Through(bundle).status, 200);
  EXPECT_EQ(Through(Only(a, "a.pem")).status, 200);
  EXPECT_EQ(Through(Only(b, "b.pem")).status, 0) << "before the switch the leaf chains to A only";

  // Pass 2: switch. The proxy restarts with B; A stays trusted in the bundle.
  CmdResult plan2 = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(plan2.code, 2);
  EXPECT_NE(plan2.out.find("switch the proxy to the next CA"), std::string::npos) << plan2.out;
  EXPECT_NE(plan2.out.find("daemon.iron-proxy"), std::string::npos) << "the plan shows the restart: " << plan2.out;
  CmdResult sw = Reconcile();
  ASSERT_EQ(sw.code, 0) << sw.out;
  EXPECT_EQ(CaDetails()["rotation_phase"], "switched");
  EXPECT_NE(ProxyPid(), pid_a);
  EXPECT_EQ(ReadFile(state_ / "ca.crt"), b);
  EXPECT_EQ(ReadFile(state_ / "ca-prev.crt"), a);
  EXPECT_EQ(ReadFile(bundle), a + b);
  r = Through(bundle);
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(Through(Only(b, "b.pem")).status, 200) << "after the switch the leaf chains to B";
  EXPECT_EQ(Through(Only(a, "a.pem")).status, 0);

  // Pass 3: drop. Bundle = B only; nothing left to do afterwards.
  const int pid_b = ProxyPid();
  CmdResult drop = Reconcile();
  ASSERT_EQ(drop.code, 0) << drop.out;
  EXPECT_EQ(CaDetails()["rotation_phase"], "stable");
  EXPECT_EQ(ReadFile(bundle), b);
  EXPECT_FALSE(std::filesystem::exists(state_ / "ca-prev.key"));
  EXPECT_EQ(ProxyPid(), pid_b) << "dropping the old CA does not restart the proxy";
  EXPECT_EQ(Through(bundle).status, 200);
  CmdResult done = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(done.code, 0) << done.out;
  EXPECT_NE(done.out.find("No changes."), std::string::npos) << done.out;

  // Neither key material nor the secret ever showed up.
  const std::string status = ReadFile(state_ / "status.json");
  for (const std::string& key : {ReadFile(state_ / "ca.key")}) {
    const std::string body = key.substr(key.find('\n') + 1, 40);
    EXPECT_EQ(transcript_.find(body), std::string::npos);
    EXPECT_EQ(status.find(body), std::string::npos);
  }
  EXPECT_EQ(transcript_.find(kSecretValue), std::string::npos);
  EXPECT_EQ(status.find(kSecretValue), std::string::npos);
}

}  // namespace
}  // namespace ironward
