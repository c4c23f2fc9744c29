// `ironward verify` end to end against the real engine: the real binary, a probe container on a
// real internal sandbox network with the real nft rules, and a stand-in proxy on the gateway
// (CONNECT always 403; absolute-form GET to allowed.test answered with the request echoed back,
// the proxy token replaced, like iron-proxy's secrets transform would).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/io/process.h"
#include "reconcilers/io/host_info.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/network/nft_firewall.h"
#include "tests/docker/integration_env.h"
#include "tests/support/desired_state.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace ironward::network {
namespace {

using docker::test_support::DockerIntegrationTest;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint16_t kTunnel = 19290;
constexpr std::uint16_t kHttp = 19291;
constexpr const char* kToken = "ironward-openrouter-0123456789abcdef0123456789abcdef";

/// A stand-in proxy: tunnel port refuses every CONNECT; http port echoes GETs for allowed.test.
class StandInProxy {
 public:
  explicit StandInProxy(const std::string& ip) {
    tunnel_ = Listen(ip, kTunnel);
    http_ = Listen(ip, kHttp);
    thread_ = std::thread([this] { Loop(); });
  }
  ~StandInProxy() {
    stop_ = true;
    thread_.join();
    ::close(tunnel_);
    ::close(http_);
  }
  bool ok() const { return tunnel_ >= 0 && http_ >= 0; }

 private:
  static int Listen(const std::string& ip, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 16) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  static std::string ReadHead(int c) {
    std::string head;
    char buf[2048];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 3000) <= 0) break;
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    return head;
  }
  static void Reply(int c, const std::string& status, const std::string& body) {
    const std::string r = "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body;
    (void)!::write(c, r.data(), r.size());
  }
  void Loop() {
    while (!stop_) {
      pollfd p[2] = {{tunnel_, POLLIN, 0}, {http_, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (p[i].revents == 0) continue;
        const int c = ::accept4(p[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        std::string head = ReadHead(c);
        if (i == 1 && head.find("Host: allowed.test") != std::string::npos) {
          for (auto at = head.find(kToken); at != std::string::npos; at = head.find(kToken)) {
            head.replace(at, std::string(kToken).size(), "sk-real");
          }
          Reply(c, "200 OK", head);
        } else {
          Reply(c, "403 Forbidden", "");
        }
        ::close(c);
      }
    }
  }
  int tunnel_ = -1, http_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class VerifyIntegrationTest : public DockerIntegrationTest {
 protected:
  void SetUp() override {
    DockerIntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    const int n = static_cast<int>(::getpid() % 40);
    subnet_ = "172.30." + std::to_string(200 + n) + ".0/24";
    gateway_ = "172.30." + std::to_string(200 + n) + ".1";
    firewall_ = std::make_unique<netfilter::NftFirewall>(runner_, "iwtest_v" + std::to_string(::getpid()));
    net_ = Name("vnet");
    const std::string yaml = Yaml(true);
    testing::WriteFile(dir_.path() / "gw.yaml", yaml);
    desired_ = testing::Desired(yaml);
    std::filesystem::create_directories(state_);
    ::chmod(state_.c_str(), 0700);
    MappingsFile m;
    m.rotation = 1;
    m.providers["openrouter"] = TokenMapping{"OPENROUTER_API_KEY", kToken, "2026-01-01T00:00:00Z"};
    testing::WriteFile(state_ / "mappings.json", SerializeMappings(m));
    ::chmod((state_ / "mappings.json").c_str(), 0600);
    testing::WriteFile(state_ / "ca.crt", "-----BEGIN CERTIFICATE-----\nnot used by this probe\n-----END CERTIFICATE-----\n");

    // The sandbox network + rules, by the reconciler (as `ironward reconcile` would).
    state::StateWriter writer(state_);
    Facts facts;
    ReconcileContext ctx{desired_, facts, false};
    WriteDeps deps{clock_, writer, nullptr, nullptr, docker_.get(), firewall_.get()};
    ResourcePlan plan = reconciler_.Plan(ctx, deps.Read());
    ASSERT_FALSE(plan.error) << plan.error->message;
    ASSERT_EQ(reconciler_.Apply(ctx, plan, deps).kind, Outcome::Kind::kDone);
  }
  void TearDown() override {
    if (firewall_) {
      EXPECT_TRUE(firewall_->DeleteTable());
    }
    DockerIntegrationTest::TearDown();
    if (docker_) (void)docker_->RemoveNetwork(net_);
  }

  /// The desired state: sandbox network (internal) or the default bridge (none).
  std::string Yaml(bool internal) {
    return "apiVersion: ironward.dev/v1\nkind: EgressGateway\nmetadata:\n  name: " + Name("gw") +
           "\nspec:\n  proxy:\n    bind: " + std::string(internal ? "sandbox-network" : "docker-bridge") +
           "\n    tunnelPort: " + std::to_string(kTunnel) +
           "\n    source:\n      url: \"file:///nonexistent/x_{version}_{os}_{arch}.tar.gz\"\n      sha256: \"" +
           std::string(64, '0') +
           "\"\n  providers:\n    - name: openrouter\n      secret: OPENROUTER_API_KEY\n      hosts: [\"allowed.test\"]\n"
           "  enforcement:\n    network: " + std::string(internal ? "internal" : "none") + "\n    networkName: " + net_ +
           "\n    networkSubnet: \"" + subnet_ + "\"\n" +
           // The stand-in proxy serves no DNS and the table is loaded without the nat chain.
           std::string(internal ? "    routing: proxy-variables\n" : "");
  }
  testing::CmdResult Verify(const std::string& extra = "") {
    const char* host_file = std::getenv("IRONWARD_DOCKER_HOST_FILE");
    std::ifstream in(host_file != nullptr ? host_file : IRONWARD_DOCKER_HOST_FILE);
    std::string docker_host;
    std::getline(in, docker_host);
    return testing::Sh("env " + docker_host + " " IRONWARD_BIN " --state-dir " + state_.string() + " verify -f " +
                      (dir_.path() / "gw.yaml").string() + " --image " + docker::test_support::TestImage() +
                      " --allowed-url http://allowed.test/v1/echo --echo-upstream" +
                      (extra.empty() ? " --direct-target 10.252.0.9:443" : extra));
  }
  nlohmann::json RecordedVerify() {
    const std::string text = testing::ReadFile(state_ / "status.json");
    if (text.empty()) return nullptr;
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() && j.contains("verify") ? j["verify"] : nlohmann::json(nullptr);
  }
  std::size_t ProbeContainers() {
    auto list = docker_->ListContainers(docker::LabelFilter({{"ironward.dev/verify-probe", Name("gw")}}), true);
    return list.ok() ? list->size() : 999;
  }

  RealProcesses runner_;
  std::unique_ptr<netfilter::NftFirewall> firewall_;
  RealClock clock_;
  testing::TempDir dir_;
  std::filesystem::path state_ = dir_.path() / "state";
  spec::DesiredState desired_;
  NetworkReconciler reconciler_;
  std::string subnet_, gateway_, net_;
};

TEST_F(VerifyIntegrationTest, PassesOnAGoodSetupAndRecordsIt) {
  StandInProxy proxy(gateway_);
  ASSERT_TRUE(proxy.ok());
  const auto r = Verify();
  std::cout << r.out;  // the table, for the test log
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("CHECK"));
  EXPECT_THAT(r.out, HasSubstr("Verify: PASS"));
  EXPECT_THAT(r.out, HasSubstr("token replaced"));
  EXPECT_THAT(r.out, Not(HasSubstr(kToken)));
  EXPECT_EQ(ProbeContainers(), 0U);
  const auto v = RecordedVerify();
  ASSERT_TRUE(v.is_object()) << testing::ReadFile(state_ / "status.json");
  EXPECT_EQ(v["passed"], true);
  EXPECT_EQ(v["network"], net_);
  EXPECT_EQ(v["checks"].size(), 6U);
  EXPECT_THAT(testing::ReadFile(state_ / "status.json"), Not(HasSubstr(kToken)));
}

TEST_F(VerifyIntegrationTest, FailsNamingTheBrokenChecksWhenTheProxyIsDown) {
  const auto r = Verify();
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Verify: FAIL (allowlisted allowed.test, token-swap, not-allowlisted"));
  EXPECT_THAT(r.out, Not(HasSubstr(kToken)));
  EXPECT_EQ(ProbeContainers(), 0U);
  const auto v = RecordedVerify();
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v["passed"], false);
}

TEST_F(VerifyIntegrationTest, FailsWhenTheSandboxNetworkIsGone) {
  ASSERT_EQ(docker_->RemoveNetwork(net_).value(), docker::Outcome::kChanged);
  const auto r = Verify();
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("does not exist: run `ironward reconcile` first"));
  EXPECT_EQ(ProbeContainers(), 0U);
}

TEST_F(VerifyIntegrationTest, FailsOnTheDefaultBridgeWhereDirectEgressWorks) {
  // network: none: the probe sits on the default bridge, where nothing stops a direct connection
  // (here to a port on the host's docker0 address, which the stand-in proxy listens on).
  testing::WriteFile(dir_.path() / "gw.yaml", Yaml(false));
  RealHostInfo host;
  const std::string docker0 = host.InterfaceIPv4("docker0").value_or("");
  ASSERT_FALSE(docker0.empty());
  StandInProxy proxy(docker0);
  ASSERT_TRUE(proxy.ok());
  const auto r = Verify(" --direct-target " + docker0 + ":" + std::to_string(kHttp));
  std::cout << r.out;
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Verify: FAIL (direct-egress " + docker0 + ":" + std::to_string(kHttp) + ")"));
  EXPECT_THAT(r.out, HasSubstr("connected"));
  EXPECT_EQ(RecordedVerify()["network"], "bridge");
  EXPECT_EQ(ProbeContainers(), 0U);
}

}  // namespace
}  // namespace ironward::network
