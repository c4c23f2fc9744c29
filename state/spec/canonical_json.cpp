// ToJson / ComputeDigest: the canonical, fully defaulted form of a desired state.
#include "state/spec/loader.h"
#include "state/spec/units.h"
#include "state/encoding.h"

namespace ironward::spec {
namespace {

using nlohmann::json;

void PutIfSet(json& obj, const char* key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

json ProxyJson(const ProxySpec& p) {
  json source = {{"url", p.source.url}, {"sha256", p.source.sha256}};
  if (p.source.checksums_url) source["checksumsUrl"] = *p.source.checksums_url;
  json out = {
      {"version", p.version},
      {"source", source},
      {"bind", p.bind == BindKind::kAddress ? p.bind_address : ToString(p.bind)},
      {"tunnelPort", p.tunnel_port},
      {"httpPort", p.http_port},
      {"metricsPort", p.metrics_port},
      {"managementPort", p.management_port},
      {"dnsPort", p.dns_port},
      {"httpsPort", p.https_port},
      {"upstreamDenyCidrs", p.upstream_deny_cidrs},
      {"logLevel", p.log_level},
  };
  PutIfSet(out, "upstreamCaFile", p.upstream_ca_file);
  if (p.upstream_response_header_timeout) {
    out["upstreamResponseHeaderTimeout"] = FormatDuration(*p.upstream_response_header_timeout);
  }
  if (p.max_restart_backoff != ProxySpec{}.max_restart_backoff) {
    out["maxRestartBackoff"] = FormatDuration(p.max_restart_backoff);  // joins only when set
  }
  return out;
}

json CredentialsJson(const CredentialsSpec& c) {
  const BitwardenSpec& b = c.bitwarden;
  json bw = {
      {"accessTokenEnv", b.access_token_env},
      {"serverUrl", b.server_url},
      {"refreshInterval", FormatDuration(b.refresh_interval)},
      {"retryInterval", FormatDuration(b.retry_interval)},
  };
  PutIfSet(bw, "projectId", b.project_id);
  PutIfSet(bw, "apiUrl", b.api_url);
  PutIfSet(bw, "identityUrl", b.identity_url);
  json out = {
      {"source", ToString(c.source)},
      {"bitwarden", bw},
      {"allowEnvFallback", c.allow_env_fallback},
  };
  PutIfSet(out, "envFile", c.env_file);
  return out;
}

json SandboxJson(const Sandbox& s) {
  json out = {
      {"name", s.name},
      {"image", s.image},
      {"command", s.command},
      {"env", s.env},
      {"mounts", s.mounts},
      {"resources",
       {{"memory", s.resources.memory_bytes},
        {"cpus", s.resources.cpus},
        {"pids", s.resources.pids}}},
  };
  out.update(SandboxOptionsJson(s));
  return out;
}

}  // namespace

nlohmann::json SandboxOptionsJson(const Sandbox& s) {
  json out = json::object();
  if (!s.ports.empty()) {
    json ports = json::array();
    for (const auto& p : s.ports) {
      ports.push_back({{"containerPort", p.container_port}, {"hostPort", p.host_port},
                       {"hostAddress", p.host_address}, {"protocol", p.protocol}, {"public", p.is_public}});
    }
    out["ports"] = ports;
  }
  if (!s.user.empty()) out["user"] = s.user;
  if (!s.cap_add.empty()) out["capAdd"] = s.cap_add;
  if (s.restart != RestartPolicy::kUnset) out["restart"] = ToString(s.restart);
  if (s.oneshot) out["oneshot"] = true;
  if (s.healthcheck) {
    out["healthcheck"] = {{"command", s.healthcheck->command},
                          {"interval", FormatDuration(s.healthcheck->interval)},
                          {"timeout", FormatDuration(s.healthcheck->timeout)},
                          {"retries", s.healthcheck->retries}};
  }
  if (!s.no_proxy.empty()) out["noProxy"] = s.no_proxy;
  if (s.require_digest) out["requireDigest"] = true;
  if (!s.secret_env.empty()) out["secretEnv"] = s.secret_env;  // names only; values never reach the spec
  return out;
}

nlohmann::json ToJson(const DesiredState& state) {
  const Spec& s = state.spec;
  json ca = {
      {"algorithm", ToString(s.ca.algorithm)},
      {"validity", FormatDuration(s.ca.validity)},
      {"rotation", s.ca.rotation},
  };
  if (s.ca.renew_before) ca["renewBefore"] = FormatDuration(*s.ca.renew_before);
  json providers = json::array();
  for (const Provider& p : s.providers) {
    json provider{{"name", p.name}, {"secret", p.secret}, {"hosts", p.hosts}, {"headers", p.headers}};
    // Only when not the default, so that existing desired-state digests stay as they were.
    if (!(p.in == TokenPlaces{})) {
      json in = json::array();
      if (p.in.header) in.push_back("header");
      if (p.in.path) in.push_back("path");
      if (p.in.query) in.push_back("query");
      provider["in"] = in;
    }
    if (p.optional) provider["optional"] = true;  // likewise
    providers.push_back(std::move(provider));
  }
  json sandboxes = json::array();
  for (const Sandbox& sb : s.sandboxes) sandboxes.push_back(SandboxJson(sb));
  json spec = {
      {"proxy", ProxyJson(s.proxy)},
      {"ca", ca},
      {"providers", providers},
      {"allowlist", s.allowlist},
      {"credentials", CredentialsJson(s.credentials)},
      {"tokens", {{"rotation", s.tokens.rotation}}},
      {"enforcement",
       {{"mode", ToString(s.enforcement.mode)},
        {"network", ToString(s.enforcement.network)},
        {"uncoveredProviders", ToString(s.enforcement.uncovered_providers)},
        {"selector", s.enforcement.selector},
        {"networkName", s.enforcement.network_name},
        {"networkSubnet", s.enforcement.network_subnet}}},
      {"sandboxes", sandboxes},
      {"reconcile",
       {{"interval", FormatDuration(s.reconcile.interval)},
        {"prune", s.reconcile.prune},
        {"suspend", s.reconcile.suspend}}},
  };
  if (s.enforcement.require_digest) spec["enforcement"]["requireDigest"] = true;
  if (s.reconcile.parallelism != kDefaultParallelism) spec["reconcile"]["parallelism"] = s.reconcile.parallelism;
  if (s.enforcement.host_firewall == HostFirewallMode::kOff) spec["enforcement"]["hostFirewall"] = "off";
  // Likewise only when DNS routing is on (its default with network internal + bind sandbox-network).
  if (s.enforcement.RoutesDns()) spec["enforcement"]["routing"] = ToString(s.enforcement.routing);
  if (!s.dns.IsDefault()) {
    json records = json::array();
    for (const DnsRecord& r : s.dns.records) records.push_back({{"name", r.name}, {"type", r.type}, {"value", r.value}});
    spec["dns"] = {{"passthrough", s.dns.passthrough}, {"records", records}};
  }
  // Only when set: existing desired states keep their digests (a digest change reads as an edit).
  if (!s.wiring.IsDefault()) {
    spec["wiring"] = {{"profile", s.wiring.profile.empty() ? "ironward" : s.wiring.profile},
                      {"tokenEnvPrefix", s.wiring.token_env_prefix},
                      {"markerEnv", s.wiring.marker_env},
                      {"caPath", s.wiring.ca_path}};
  }
  return {
      {"apiVersion", state.api_version},
      {"kind", state.kind},
      {"metadata", {{"name", state.name}}},
      {"spec", spec},
  };
}

std::string ComputeDigest(const DesiredState& state) {
  return Sha256Hex(state.name + "\n" + ToJson(state).dump());
}

}  // namespace ironward::spec
