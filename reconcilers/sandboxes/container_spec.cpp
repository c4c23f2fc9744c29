#include "reconcilers/sandboxes/container_spec.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "state/spec/loader.h"
#include "reconcilers/sandboxes/labels.h"
#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {

constexpr int kStopTimeoutSeconds = 10;

std::string CaBind(const EgressWiring& w) { return w.ca_host_path + ":" + w.ca_path + ":ro"; }

std::int64_t NanoCpus(double cpus) { return static_cast<std::int64_t>(std::llround(cpus * 1e9)); }

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> EgressEnv(const EgressWiring& w,
                                                           const std::vector<std::string>& no_proxy) {
  std::vector<std::pair<std::string, std::string>> env;
  if (w.proxy_variables) {  // routing dns: none of them (the resolver and the firewall route instead)
    const std::string https = w.HttpsProxyUrl();
    const std::string http = w.HttpProxyUrl();
    std::string bypass = kNoProxy;
    for (const auto& name : no_proxy) bypass += "," + name;
    env = {{"HTTPS_PROXY", https}, {"https_proxy", https}, {"HTTP_PROXY", http},
           {"http_proxy", http},   {"NO_PROXY", bypass},   {"no_proxy", bypass}};
  }
  const std::vector<std::pair<std::string, std::string>> trust = {
      {"SSL_CERT_FILE", w.ca_path},
      {"REQUESTS_CA_BUNDLE", w.ca_path},
      {"CURL_CA_BUNDLE", w.ca_path},
      {"NODE_EXTRA_CA_CERTS", w.ca_path},
      // The loader refuses NODE_OPTIONS in a sandbox's env, so "appended" starts from empty.
      {"NODE_OPTIONS", "--use-openssl-ca"},
      {w.marker_env, "1"},
  };
  env.insert(env.end(), trust.begin(), trust.end());
  return env;
}

std::string SpecDigest(const spec::Sandbox& s, const EgressWiring& w) {
  if (w.NetworkPending()) return "";
  // The optional fields join only when set: a sandbox that uses none keeps the digest it had.
  const nlohmann::json options = spec::SandboxOptionsJson(s);
  nlohmann::json j = {
      {"wiring_version", kWiringVersion},
      {"owner", w.owner},
      {"name", s.name},
      {"image", s.image},
      {"command", s.command},
      {"env", s.env},  // std::map: sorted keys
      {"mounts", s.mounts},
      {"memory", s.resources.memory_bytes},
      {"nano_cpus", NanoCpus(s.resources.cpus)},
      {"pids", s.resources.pids},
      {"egress_env", EgressEnv(w)},
      {"token_env", w.token_names},
      {"ca_host_path", w.ca_host_path},
      {"network", w.network_mode},
      {"extra_hosts", w.extra_hosts},
  };
  if (!options.empty()) j["options"] = options;
  // Only with DNS routing, so that sandboxes without it keep their digest.
  if (!w.dns_servers.empty()) j["dns"] = w.dns_servers;
  return Sha256Hex(j.dump());
}

/// What every wired container gets, owned or not: egress env and tokens, the CA bind (read-only),
/// extra hosts, the network, cap-drop ALL, no-new-privileges and an init process.
void Wire(docker::ContainerCreateSpec& c, const EgressWiring& w, const std::vector<std::string>& no_proxy) {
  for (const auto& [k, v] : EgressEnv(w, no_proxy)) c.env.push_back(k + "=" + v);
  for (const auto& [k, v] : w.tokens) c.env.push_back(k + "=" + v);
  c.host.binds.push_back(CaBind(w));
  c.host.extra_hosts = w.extra_hosts;
  c.host.dns = w.dns_servers;
  c.host.init = true;
  c.host.cap_drop = {"ALL"};
  c.host.security_opt = {kNoNewPrivileges};
  c.host.network_mode = w.network_mode;
}

docker::ContainerCreateSpec BuildCreateSpec(const spec::Sandbox& s, const EgressWiring& w) {
  return BuildCreateSpec(s, w, SpecDigest(s, w), SecretEnvOf(s, w));
}

docker::ContainerCreateSpec BuildCreateSpec(const spec::Sandbox& s, const EgressWiring& w,
                                            const std::string& spec_digest, const SecretEnvState& secret_env) {
  docker::ContainerCreateSpec c;
  c.image = s.image;
  c.cmd = s.command;
  for (const auto& [k, v] : s.env) {
    if (k != "NODE_OPTIONS") c.env.push_back(k + "=" + v);  // merged into the egress one below
  }
  for (const auto& [var, secret] : s.secret_env) {
    if (auto v = w.secret_values.find(secret); v != w.secret_values.end()) c.env.push_back(var + "=" + v->second);
  }
  Wire(c, w, s.no_proxy);
  for (auto& e : c.env) {
    if (auto node = s.env.find("NODE_OPTIONS"); node != s.env.end() && e.rfind("NODE_OPTIONS=", 0) == 0) {
      e = "NODE_OPTIONS=" + node->second + " " + e.substr(std::string("NODE_OPTIONS=").size());
    }
  }
  c.user = s.user;
  c.host.cap_add = s.cap_add;
  for (const auto& p : s.ports) c.ports.push_back({p.container_port, p.protocol, p.host_address, p.host_port});
  c.restart_policy = spec::ToString(s.restart);
  if (s.healthcheck) {
    docker::HealthConfig h;
    h.test = {"CMD"};
    h.test.insert(h.test.end(), s.healthcheck->command.begin(), s.healthcheck->command.end());
    h.interval_ns = std::chrono::nanoseconds(s.healthcheck->interval).count();
    h.timeout_ns = std::chrono::nanoseconds(s.healthcheck->timeout).count();
    h.retries = s.healthcheck->retries;
    c.healthcheck = h;
  }
  c.labels = MakeLabels(s.name, spec_digest, w);
  if (!secret_env.digest.empty()) c.labels[kSecretEnvLabel] = secret_env.digest;
  c.stop_timeout = kStopTimeoutSeconds;
  for (const auto& m : s.mounts) c.host.binds.push_back(m);
  c.host.memory = s.resources.memory_bytes;
  c.host.nano_cpus = NanoCpus(s.resources.cpus);
  c.host.pids_limit = s.resources.pids;
  return c;
}

docker::ContainerCreateSpec BuildExternalSpec(const EgressWiring& w, const docker::Labels& labels,
                                              const std::vector<std::string>& no_proxy) {
  docker::ContainerCreateSpec c;
  Wire(c, w, no_proxy);
  c.labels = labels;
  return c;
}

std::vector<std::string> DriftOf(const docker::ContainerInfo& a, const docker::ContainerCreateSpec& want) {
  std::vector<std::string> d;
  const docker::HostConfig& h = a.host_config;
  if (h.privileged) d.push_back("privileged");
  if (h.network_mode != want.host.network_mode) d.push_back("network mode " + h.network_mode);
  for (const auto& [net, endpoint] : a.networks) {
    if (net != want.host.network_mode) d.push_back("attached to network " + net);
  }
  if (h.memory != want.host.memory) d.push_back("memory limit");
  if (h.nano_cpus != want.host.nano_cpus) d.push_back("cpu limit");
  if (h.pids_limit != want.host.pids_limit) d.push_back("pids limit");
  if (!Contains(h.cap_drop, "ALL")) d.push_back("capabilities not dropped");
  if (std::set<std::string>(h.cap_add.begin(), h.cap_add.end()) !=
      std::set<std::string>(want.host.cap_add.begin(), want.host.cap_add.end())) {
    d.push_back("capabilities added");
  }
  // An unset user or healthcheck is the image's own (Config reports it): compared only when set.
  if (!want.user.empty() && a.config.user != want.user) d.push_back("user");
  auto ports = want.ports;
  std::sort(ports.begin(), ports.end());
  if (h.port_bindings != ports) d.push_back("published ports");
  // The engine reports no policy as "" or "no".
  const auto policy = [](const std::string& p) { return p.empty() ? std::string("no") : p; };
  if (policy(h.restart_policy) != policy(want.restart_policy)) d.push_back("restart policy");
  if (want.healthcheck && a.config.healthcheck != want.healthcheck) d.push_back("healthcheck");
  if (!Contains(h.security_opt, kNoNewPrivileges)) d.push_back("no-new-privileges missing");
  if (!h.init) d.push_back("init disabled");
  if (std::set<std::string>(h.binds.begin(), h.binds.end()) !=
      std::set<std::string>(want.host.binds.begin(), want.host.binds.end())) {
    d.push_back("mounts");
  }
  if (std::set<std::string>(h.extra_hosts.begin(), h.extra_hosts.end()) !=
      std::set<std::string>(want.host.extra_hosts.begin(), want.host.extra_hosts.end())) {
    d.push_back("extra hosts");
  }
  if (h.dns != want.host.dns) d.push_back("dns servers");
  for (const auto& kv : want.env) {
    const std::string key = kv.substr(0, kv.find('='));
    auto have = a.EnvValue(key);
    if (!have || *have != kv.substr(key.size() + 1)) d.push_back("env " + key);
  }
  return d;
}

}  // namespace ironward::sandboxes
