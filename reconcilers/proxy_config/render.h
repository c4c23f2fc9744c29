// Renders proxy.yaml for the pinned iron-proxy version from the desired state and the facts
// of the CA and token-mapping reconcilers. Pure: no I/O.
#pragma once

#include <map>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

#include "state/spec/spec.h"
#include "state/result.h"

namespace ironward {
class HostInfo;
}

namespace ironward::proxy_config {

/// Name of the environment variable the daemon puts the management key in.
inline constexpr const char* kManagementKeyEnv = "IRONWARD_MANAGEMENT_KEY";

struct RenderInputs {
  const spec::DesiredState* desired = nullptr;
  std::string bind_ip;  ///< resolved `proxy.bind`
  std::string ca_cert_path;
  std::string ca_key_path;
  std::map<std::string, std::string> tokens;  ///< provider -> proxy token (sensitive)
  /// Optional providers without a key (SecretFacts::skipped_providers): not rendered at all, so
  /// neither their secrets entry nor their hosts (unless spec.allowlist has them).
  std::set<std::string> skipped_providers;
  std::string secrets_dir;  ///< where secret files live (file source, >= 0.42 with Bitwarden)
};

struct Rendered {
  YAML::Node node;
  std::string text;
  std::string digest;            ///< sha256 of text
  std::string listeners_digest;  ///< everything a restart is needed for (all but transforms)
  std::string ruleset_digest;    ///< transforms: applied by POST /v1/reload
};

/// Renders and checks against the version's accepted-key model; any problem is an error and
/// nothing should be written.
Result<Rendered> RenderProxyConfig(const RenderInputs& in);

/// Resolves `proxy.bind` to an IPv4 address (never 0.0.0.0).
Result<std::string> ResolveBindAddress(const spec::Spec& spec, const HostInfo* host);

/// First usable address of an IPv4 CIDR ("172.30.99.0/24" -> "172.30.99.1").
Result<std::string> GatewayOf(const std::string& cidr);

}  // namespace ironward::proxy_config
