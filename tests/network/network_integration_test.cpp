// NetworkReconciler against the real private dockerd and real nftables.
//
// "The internet" is a listener in a network namespace behind a veth pair (a non-local address, so
// the forward path); "the host" is a listener on the gateway at a port that is not the proxy's and
// one on another host address (the input path). Each test uses its own network name, subnet,
// bridge and nft table (iwtest_<pid>), and removes them in TearDown even when it failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/io/process.h"
#include "reconcilers/io/host_info.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/network/nft_firewall.h"
#include "tests/docker/integration_env.h"
#include "tests/support/udp_server.h"
#include "tests/support/temp_dir.h"

namespace ironward::network {
namespace {

using docker::test_support::DockerIntegrationTest;
using ::testing::HasSubstr;

constexpr std::uint16_t kTunnelPort = 19190;
constexpr std::uint16_t kHttpPort = 19191;
constexpr std::uint16_t kOtherPort = 19199;

/// Accepts and immediately closes connections on addr:port until destroyed. Optionally inside a
/// network namespace (setns affects only the listener's own thread).
class Listener {
 public:
  Listener(std::string addr, std::uint16_t port, std::string netns = "") {
    std::promise<bool> listening;  // set by the thread once it listens, or failed to
    std::future<bool> listened = listening.get_future();
    thread_ = std::thread([this, addr, port, netns, listening = std::move(listening)]() mutable {
      if (!netns.empty()) {
        const int nsfd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) {
          listening.set_value(false);
          return;
        }
        ::close(nsfd);
      }
      fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int one = 1;
      ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      ::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd_, 16) != 0) {
        listening.set_value(false);
        return;
      }
      listening.set_value(true);
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
          const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c >= 0) ::close(c);
        }
      }
    });
    ok_ = listened.get();
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int fd_ = -1;
  bool ok_ = false;
};

/// Echoes every datagram on addr:port until destroyed (a stand-in for the proxy's DNS listener).
testing::UdpServer::Handler Echo() {
  return [](const std::string& d) { return std::optional<std::string>(d); };
}

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }

class NetworkIntegrationTest : public DockerIntegrationTest {
 protected:
  void SetUp() override {
    DockerIntegrationTest::SetUp();
    if (HasFatalFailure()) return;
    const int n = static_cast<int>(::getpid() % 40);
    subnet_ = "172.30." + std::to_string(150 + n) + ".0/24";
    gateway_ = "172.30." + std::to_string(150 + n) + ".1";
    table_ = "iwtest_" + std::to_string(::getpid());
    firewall_ = std::make_unique<netfilter::NftFirewall>(runner_, table_);
    desired_.name = Name("gw");
    desired_.spec.enforcement.network = spec::NetworkMode::kInternal;
    desired_.spec.enforcement.network_name = Name("sbx");
    desired_.spec.enforcement.network_subnet = subnet_;
    desired_.spec.proxy.bind = spec::BindKind::kSandboxNetwork;
    desired_.spec.proxy.tunnel_port = kTunnelPort;
    desired_.spec.proxy.http_port = kHttpPort;
  }
  void TearDown() override {
    if (firewall_) {
      EXPECT_TRUE(firewall_->DeleteTable());
    }
    DockerIntegrationTest::TearDown();  // containers (and run-labelled networks)
    if (docker_) (void)docker_->RemoveNetwork(desired_.spec.enforcement.network_name);
    if (!netns_.empty()) {
      Sh("ip netns del " + netns_ + " 2>/dev/null; ip link del " + veth_ + " 2>/dev/null");
    }
  }

  Outcome Apply() {
    Facts facts;
    ReconcileContext ctx{desired_, facts, false};
    WriteDeps deps{clock_, writer_, nullptr, nullptr, docker_.get(), firewall_.get()};
    ResourcePlan plan = reconciler_.Plan(ctx, deps.Read());
    EXPECT_FALSE(plan.error) << plan.error->message;
    return reconciler_.Apply(ctx, plan, deps);
  }
  ResourcePlan Plan() {
    Facts facts;
    ReconcileContext ctx{desired_, facts, true};
    return reconciler_.Plan(ctx, ReadDeps{clock_, writer_, nullptr, nullptr, docker_.get(), firewall_.get()});
  }

  /// What a fresh container on `network` running `bash -c script` printed (trailing newlines
  /// dropped), or why it could not run.
  std::string RunOnce(const std::string& network, const std::string& script) {
    auto spec = Spec({"bash", "-c", script});
    spec.host.network_mode = network;
    const std::string id = Run(Name("probe" + std::to_string(++probes_)), spec);
    if (id.empty()) return "probe failed to start";
    auto waited = docker_->WaitContainer(id, std::chrono::seconds(20));
    if (!waited) return "probe wait failed: " + waited.error().message;
    auto logs = docker_->Logs(id, {});
    (void)docker_->RemoveContainer(id, true);
    if (!logs) return "no logs";
    std::string out = logs->out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  /// "OPEN" / "CLOSED": a raw TCP connect from a fresh container on `network` (2 s timeout).
  std::string Probe(const std::string& network, const std::string& ip, std::uint16_t port) {
    return RunOnce(network, "timeout 2 bash -c 'exec 3<>/dev/tcp/" + ip + "/" + std::to_string(port) +
                                "' 2>/dev/null && echo OPEN || echo CLOSED");
  }

  /// "REPLY" / "NOREPLY": one UDP datagram from a fresh container to ip:port, and its echo.
  std::string UdpProbe(const std::string& network, const std::string& ip, std::uint16_t port) {
    return RunOnce(network, "timeout 3 bash -c 'exec 3<>/dev/udp/" + ip + "/" + std::to_string(port) +
                                "; printf x >&3; head -c 1 <&3' >/dev/null 2>&1 && echo REPLY || echo NOREPLY");
  }

  /// A namespace holding 10.251.N.2 behind veth iwv<pid>, routed from the host: "the internet".
  std::string MakeInternet() {
    const std::string n = std::to_string(::getpid() % 200);
    netns_ = "iwt-inet-" + std::to_string(::getpid());
    veth_ = "iwv" + std::to_string(::getpid() % 100000);
    const std::string host_ip = "10.251." + n + ".1", ns_ip = "10.251." + n + ".2";
    const int rc = Sh("ip netns add " + netns_ + " && ip link add " + veth_ + " type veth peer name eth0 netns " +
                      netns_ + " && ip addr add " + host_ip + "/30 dev " + veth_ + " && ip link set " + veth_ +
                      " up && ip -n " + netns_ + " addr add " + ns_ip + "/30 dev eth0 && ip -n " + netns_ +
                      " link set eth0 up && ip -n " + netns_ + " link set lo up && ip -n " + netns_ +
                      " route add default via " + host_ip);
    EXPECT_EQ(rc, 0);
    return ns_ip;
  }

  RealProcesses runner_;
  std::unique_ptr<netfilter::NftFirewall> firewall_;
  testing::TempDir dir_;
  state::StateWriter writer_{dir_.path()};
  spec::DesiredState desired_;
  NetworkReconciler reconciler_;
  std::string subnet_, gateway_, table_, netns_, veth_;
  int probes_ = 0;
};

TEST_F(NetworkIntegrationTest, InternalNetworkConfinesSandboxesToTheProxyPorts) {
  auto out = Apply();
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  const std::string net = desired_.spec.enforcement.network_name;
  const std::string bridge = BridgeNameFor(net);
  EXPECT_EQ(out.details["bridge"], bridge);
  EXPECT_EQ(out.details["rules"], 6);

  // Docker put the gateway on the bridge: the proxy can bind it.
  EXPECT_NE(::if_nametoindex(bridge.c_str()), 0U);
  RealHostInfo host;
  EXPECT_EQ(host.InterfaceIPv4(bridge).value_or("none"), gateway_);
  auto inspected = docker_->InspectNetwork(net);
  ASSERT_TRUE(inspected.ok() && inspected->has_value());
  EXPECT_TRUE((*inspected)->internal);

  Listener proxy(gateway_, kTunnelPort);
  Listener other(gateway_, kOtherPort);
  Listener elsewhere("127.0.0.1", kOtherPort);  // not reachable from a container anyway; sanity
  ASSERT_TRUE(proxy.ok() && other.ok());
  const std::string internet = MakeInternet();
  Listener upstream(internet, 443, netns_);
  ASSERT_TRUE(upstream.ok());

  // The host itself reaches "the internet" (so a CLOSED below is the sandbox's confinement).
  EXPECT_EQ(Sh("timeout 2 bash -c 'exec 3<>/dev/tcp/" + internet + "/443'"), 0);

  EXPECT_EQ(Probe(net, gateway_, kTunnelPort), "OPEN");
  EXPECT_EQ(Probe(net, gateway_, kOtherPort), "CLOSED");
  EXPECT_EQ(Probe(net, internet, 443), "CLOSED");
  // Every rule is in the kernel under our table, with our comments.
  auto table = firewall_->ReadTable();
  ASSERT_TRUE(table.ok()) << table.error().message;
  ASSERT_TRUE(table->has_value());
  EXPECT_EQ((*table)->rules.size(), 6U);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(NetworkIntegrationTest, DnsRoutingSteersDnsHttpAndHttpsToTheProxyAndNothingElse) {
  constexpr std::uint16_t kDnsPort = 19194, kHttpsPort = 19195;
  desired_.spec.enforcement.routing = spec::RoutingMode::kDns;
  desired_.spec.proxy.dns_port = kDnsPort;
  desired_.spec.proxy.https_port = kHttpsPort;
  auto out = Apply();
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  const std::string net = desired_.spec.enforcement.network_name;
  const std::string internet = MakeInternet();
  Listener up443(internet, 443, netns_), up8443(internet, 8443, netns_);
  ASSERT_TRUE(up443.ok() && up8443.ok());
  EXPECT_EQ(Sh("timeout 2 bash -c 'exec 3<>/dev/tcp/" + internet + "/8443'"), 0) << "the host reaches it";
  {
    // Stand-ins for the proxy's listeners on the gateway: what arrives there was steered.
    Listener https(gateway_, kHttpsPort), http(gateway_, kHttpPort);
    testing::UdpServer dns(gateway_, kDnsPort, Echo());
    ASSERT_TRUE(https.ok() && http.ok() && dns.ok());
    EXPECT_EQ(Probe(net, internet, 443), "OPEN") << "443 anywhere lands on the proxy's https port";
    EXPECT_EQ(Probe(net, "1.1.1.1", 80), "OPEN") << "80 anywhere lands on the proxy's http port";
    EXPECT_EQ(UdpProbe(net, "8.8.8.8", 53), "REPLY") << "DNS to any resolver is answered by the proxy's DNS";
    EXPECT_EQ(UdpProbe(net, gateway_, 53), "REPLY") << "the sandbox's resolver (the gateway) too";
  }
  // Without the stand-ins nothing answers: the connection went to the gateway, not to the internet
  // listener still on 443 (a DNAT-less path would have reached it).
  EXPECT_EQ(Probe(net, internet, 443), "CLOSED");
  EXPECT_EQ(UdpProbe(net, "8.8.8.8", 53), "NOREPLY");
  // Other ports and TCP 53 are not steered: dropped as before.
  EXPECT_EQ(Probe(net, internet, 8443), "CLOSED");
  EXPECT_EQ(Probe(net, gateway_, 53), "CLOSED");
  EXPECT_TRUE(Plan().InSync());

  // Back to proxy-variables: the nat chain goes, 443 is dropped again.
  desired_.spec.enforcement.routing = spec::RoutingMode::kProxyVariables;
  EXPECT_FALSE(Plan().InSync());
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  Listener https(gateway_, kHttpsPort);
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(Probe(net, internet, 443), "CLOSED");
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(NetworkIntegrationTest, OutOfBandDeletionsAreHealedByTheNextReconcile) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  const std::string net = desired_.spec.enforcement.network_name;
  Listener other(gateway_, kOtherPort);
  ASSERT_TRUE(other.ok());

  // Someone deletes our table: the host port is open to sandboxes again -- and that is drift.
  ASSERT_EQ(Sh("nft delete table inet " + table_), 0);
  EXPECT_EQ(Probe(net, gateway_, kOtherPort), "OPEN");
  auto plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_EQ(Probe(net, gateway_, kOtherPort), "CLOSED");

  // Someone deletes the drop rule by handle.
  ASSERT_EQ(Sh("h=$(nft -a list chain inet " + table_ +
               " input | grep 'input-drop' | grep -o 'handle [0-9]*' | cut -d' ' -f2) && nft delete rule inet " +
               table_ + " input handle $h"),
            0);
  plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_THAT(plan.changes[0].reason, HasSubstr("input-drop"));
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  EXPECT_TRUE(Plan().InSync());

  // Someone deletes the network (no containers on it): recreated, same bridge, same gateway.
  ASSERT_EQ(docker_->RemoveNetwork(net).value(), docker::Outcome::kChanged);
  plan = Plan();
  ASSERT_FALSE(plan.InSync());
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  RealHostInfo host;
  EXPECT_EQ(host.InterfaceIPv4(BridgeNameFor(net)).value_or("none"), gateway_);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(NetworkIntegrationTest, DetachedSandboxIsReattached) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  const std::string net = desired_.spec.enforcement.network_name;
  auto spec = Spec({"sleep", "300"});
  spec.labels[kOwnerLabel] = desired_.name;
  spec.host.network_mode = net;
  const std::string id = Run(Name("sandbox"), spec);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(docker_->DisconnectNetwork(net, id, true).value(), docker::Outcome::kChanged);
  ASSERT_EQ(docker_->ConnectNetwork("bridge", id).value(), docker::Outcome::kChanged);
  auto plan = Plan();
  EXPECT_EQ(plan.changes.size(), 2U);
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  auto info = docker_->InspectContainer(id);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->networks.size(), 1U);
  EXPECT_EQ((*info)->networks.count(net), 1U);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(NetworkIntegrationTest, NoneRemovesTableAndNetwork) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  desired_.spec.enforcement.network = spec::NetworkMode::kNone;
  auto out = Apply();
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_EQ(out.changed, 2);
  EXPECT_NE(Sh("nft list table inet " + table_ + " >/dev/null 2>&1"), 0);
  auto n = docker_->InspectNetwork(desired_.spec.enforcement.network_name);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->has_value());
  EXPECT_EQ(::if_nametoindex(BridgeNameFor(desired_.spec.enforcement.network_name).c_str()), 0U);
}

}  // namespace
}  // namespace ironward::network
