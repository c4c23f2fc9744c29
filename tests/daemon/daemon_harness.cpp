#include "daemon_harness.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/proxy_config/render.h"
#include "state/encoding.h"

namespace ironward::daemon::test {
namespace fs = std::filesystem;

DaemonHarness::DaemonHarness() {
  state_ = std::make_unique<state::StateWriter>(dir_.path());
  if (!state_->EnsureRoot().ok()) throw std::runtime_error("EnsureRoot failed");
  fs::create_directories(dir_.str() + "/bin");
  const std::string bin = dir_.str() + "/bin/iron-proxy";
  fs::copy_file(doubletest::Double039(), bin);
  fs::permissions(bin, fs::perms(0755));
  doubletest::MakeDoubleCa(dir_);  // ca.crt + ca.key (ed25519)

  auto& p = desired_.spec.proxy;
  p.bind = spec::BindKind::kLoopback;
  p.version = "0.39.0";
  p.tunnel_port = static_cast<std::uint16_t>(doubletest::FreePort());
  p.http_port = static_cast<std::uint16_t>(doubletest::FreePort());
  p.metrics_port = static_cast<std::uint16_t>(doubletest::FreePort());
  p.management_port = static_cast<std::uint16_t>(doubletest::FreePort());
  p.dns_port = static_cast<std::uint16_t>(doubletest::FreePort());
  p.https_port = static_cast<std::uint16_t>(doubletest::FreePort());
  p.upstream_deny_default = false;
  p.upstream_deny_cidrs = {};  // renders `upstream_deny_cidrs: []`: local upstreams allowed
  desired_.name = "daemon-test";
  desired_.spec.allowlist = {"api.example.com"};

  facts_.binary = BinaryFacts{bin, Sha256Hex(testing::ReadFile(bin)), "0.39.0", false};
  CaFacts ca;
  ca.cert_path = dir_.str() + "/ca.crt";
  ca.key_path = dir_.str() + "/ca.key";
  ca.cert_digest = Sha256Hex(testing::ReadFile(ca.cert_path));
  facts_.ca = ca;
  facts_.mappings = MappingFacts{};
  facts_.secrets = SecretFacts{};

  options_.readiness.timeout = std::chrono::seconds(5);
  options_.stop_grace = std::chrono::seconds(3);
  Render();
}

DaemonHarness::~DaemonHarness() { (void)StopProxy(dir_.path(), std::chrono::seconds(1)); }

void DaemonHarness::AddProvider(const std::vector<std::string>& hosts) {
  spec::Provider prov;
  prov.name = "openrouter";
  prov.secret = kSecretName;
  prov.hosts = hosts;
  desired_.spec.providers = {prov};
  token_ = "ironward-openrouter-" + RandomHex(16);
  facts_.mappings->tokens["openrouter"] = token_;
  SecretFacts s;
  s.values[kSecretName] = kRealSecret;
  s.digests[kSecretName] = Sha256Hex(kRealSecret);
  s.combined_digest = Sha256Hex(std::string(kSecretName) + "=" + s.digests[kSecretName]);
  facts_.secrets = s;
  Render();
}

void DaemonHarness::Render() {
  proxy_config::RenderInputs in;
  in.desired = &desired_;
  in.bind_ip = "127.0.0.1";
  in.ca_cert_path = facts_.ca->cert_path;
  in.ca_key_path = facts_.ca->key_path;
  in.tokens = facts_.mappings->tokens;
  in.secrets_dir = dir_.str() + "/secrets";
  auto r = proxy_config::RenderProxyConfig(in);
  if (!r.ok()) throw std::runtime_error("render: " + r.error().message);
  if (!state_->WriteAtomic("proxy.yaml", r->text, 0600).ok()) throw std::runtime_error("write proxy.yaml");
  facts_.config = ConfigFacts{dir_.str() + "/proxy.yaml", r->digest, r->listeners_digest, r->ruleset_digest};
}

ResourcePlan DaemonHarness::Plan() {
  DaemonReconciler rec(options_);
  ReconcileContext ctx{desired_, facts_, false};
  ReadDeps deps{.clock = clock_, .state = *state_, .files = files_};
  return rec.Plan(ctx, deps);
}

Outcome DaemonHarness::Apply(const ResourcePlan& plan) {
  DaemonReconciler rec(options_);
  ReconcileContext ctx{desired_, facts_, false};
  WriteDeps deps{.clock = clock_, .state = *state_, .files = files_};
  return rec.Apply(ctx, plan, deps);
}

Outcome DaemonHarness::Pass(ResourcePlan* plan_out) {
  ResourcePlan plan = Plan();
  if (plan_out != nullptr) *plan_out = plan;
  if (plan.changes.empty()) return Outcome::Done(0);
  return Apply(plan);
}

std::optional<PidRecord> DaemonHarness::Record() {
  auto text = state_->Read(kPidFile);
  if (!text.ok() || !text->has_value()) return std::nullopt;
  auto r = ParsePidRecord(**text);
  if (!r.ok()) return std::nullopt;
  return *r;
}

int DaemonHarness::Port(const std::string& which) const {
  const auto& p = desired_.spec.proxy;
  if (which == "tunnel") return p.tunnel_port;
  if (which == "http") return p.http_port;
  if (which == "metrics") return p.metrics_port;
  if (which == "https") return p.https_port;
  if (which == "dns") return p.dns_port;
  return p.management_port;
}

PortBlocker::PortBlocker(int port, bool udp) {
  fd_ = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || (!udp && ::listen(fd_, 4) != 0)) {
    throw std::runtime_error("cannot block port " + std::to_string(port));
  }
}

PortBlocker::~PortBlocker() { ::close(fd_); }

}  // namespace ironward::daemon::test
