#include "state/spec/spec.h"

#include <set>

namespace ironward::spec {

const std::vector<std::string>& DefaultUpstreamDenyCidrs() {
  static const std::vector<std::string> kList = {
      "0.0.0.0/8",        // "this network": connecting to 0.0.0.0 reaches the host itself
      "127.0.0.0/8",      // loopback
      "::1/128",          // loopback v6
      "169.254.0.0/16",   // link-local, incl. IMDS 169.254.169.254
      "fe80::/10",        // link-local v6
      "fd00:ec2::254/128",  // AWS IMDS v6 (also inside fc00::/7; listed for clarity)
      "10.0.0.0/8",       // RFC1918
      "172.16.0.0/12",    // RFC1918
      "192.168.0.0/16",   // RFC1918
      "fc00::/7",         // ULA
      "::ffff:0:0/96",    // IPv4-mapped v6
      "100.64.0.0/10",    // CGNAT
      "198.18.0.0/15",    // benchmarking
  };
  return kList;
}

std::vector<std::string> EgressEnvironmentNames(const WiringSpec& wiring) {
  std::vector<std::string> names = {
      "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "NO_PROXY", "no_proxy",
      "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
      "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "NODE_OPTIONS",
  };
  names.push_back(wiring.marker_env);
  return names;
}

std::vector<std::string> ProviderSecretNames(const Spec& spec) {
  std::vector<std::string> names;
  for (const auto& p : spec.providers) names.push_back(p.secret);
  return names;
}

std::vector<std::string> RequiredProviderSecretNames(const Spec& spec) {
  std::vector<std::string> names;
  for (const auto& p : spec.providers) {
    if (!p.optional) names.push_back(p.secret);
  }
  return names;
}

std::vector<std::string> SandboxSecretNames(const Spec& spec) {
  std::set<std::string> names;
  for (const auto& s : spec.sandboxes) {
    for (const auto& [var, secret] : s.secret_env) names.insert(secret);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> AllSecretNames(const Spec& spec) {
  std::vector<std::string> names = ProviderSecretNames(spec);
  for (auto& n : SandboxSecretNames(spec)) names.push_back(std::move(n));
  return names;
}

std::string PortSpec::ToString() const {
  const std::string address = host_address.find(':') != std::string::npos ? "[" + host_address + "]" : host_address;
  return address + ":" + std::to_string(host_port) + ":" + std::to_string(container_port) + "/" + protocol;
}

std::string ToString(const TokenPlaces& in) {
  std::string out;
  for (const auto& [on, name] : {std::pair{in.header, "header"}, std::pair{in.path, "path"}, std::pair{in.query, "query"}}) {
    if (on) out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

std::string ToString(RestartPolicy v) {
  switch (v) {
    case RestartPolicy::kUnset: return "";
    case RestartPolicy::kNo: return "no";
    case RestartPolicy::kAlways: return "always";
    case RestartPolicy::kOnFailure: return "on-failure";
  }
  return "";
}

bool WiringSpec::IsDefault() const {
  const WiringSpec d;
  return profile.empty() && token_env_prefix == d.token_env_prefix && marker_env == d.marker_env &&
         ca_path == d.ca_path;
}

std::optional<WiringSpec> WiringProfile(const std::string& name) {
  if (name.empty()) return WiringSpec{};
  if (name == "hermes") {
    // hermes-agent's Docker terminal backend (its `hermes egress` wiring) reads these names.
    WiringSpec w;
    w.profile = "hermes";
    w.token_env_prefix = "HERMES_PROXY_TOKEN_";
    w.marker_env = "HERMES_EGRESS_PROXY";
    w.ca_path = "/etc/ssl/certs/hermes-egress-ca.crt";
    return w;
  }
  return std::nullopt;
}

std::string ToString(BindKind v) {
  switch (v) {
    case BindKind::kLoopback: return "loopback";
    case BindKind::kDockerBridge: return "docker-bridge";
    case BindKind::kSandboxNetwork: return "sandbox-network";
    case BindKind::kAddress: return "address";
  }
  return "?";
}

std::string ToString(CaAlgorithm v) {
  switch (v) {
    case CaAlgorithm::kRsa4096: return "rsa-4096";
    case CaAlgorithm::kEcdsaP256: return "ecdsa-p256";
    case CaAlgorithm::kEd25519: return "ed25519";
  }
  return "?";
}

std::string ToString(CredentialSource v) {
  return v == CredentialSource::kEnv ? "env" : "bitwarden";
}

std::string ToString(EnforcementMode v) {
  switch (v) {
    case EnforcementMode::kOff: return "off";
    case EnforcementMode::kWarn: return "warn";
    case EnforcementMode::kEnforce: return "enforce";
  }
  return "?";
}

std::string ToString(NetworkMode v) { return v == NetworkMode::kNone ? "none" : "internal"; }
std::string ToString(UncoveredPolicy v) { return v == UncoveredPolicy::kWarn ? "warn" : "fail"; }
std::string ToString(RoutingMode v) {
  switch (v) {
    case RoutingMode::kProxyVariables:
      return "proxy-variables";
    case RoutingMode::kDns:
      return "dns";
    case RoutingMode::kBoth:
      return "both";
  }
  return "proxy-variables";
}

}  // namespace ironward::spec
