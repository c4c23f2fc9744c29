// The compliance check enforcement runs on every container ironward does not own that matches
// enforcement.selector. Problems name variables, mounts and secrets by name only: a value is
// never part of a problem text (secret values and tokens are compared, not printed).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/sandboxes/mount_policy.h"

namespace ironward::sandboxes {

struct PolicyInputs {
  std::uint16_t tunnel_port = 0;
  std::uint16_t http_port = 0;
  /// Hosts a compliant proxy URL may name (host.docker.internal, the bind address, the sandbox
  /// network's gateway); empty = only the port is checked.
  std::set<std::string> proxy_hosts;
  std::string ca_host_path;  ///< the CA a compliant container mounts ("" = any source)
  std::string ca_path;       ///< where it is mounted inside (spec.wiring.caPath)
  std::string token_env_prefix;  ///< spec.wiring.tokenEnvPrefix
  /// false with enforcement.routing: dns (the firewall and the proxy's DNS route the container;
  /// wiring sets no proxy variables, so their absence is no violation).
  bool proxy_variables = true;
  /// With enforcement.network: internal, the sandbox network: a policed container attached to
  /// any other network has a way out that bypasses the proxy. "" = not checked.
  std::string sandbox_network;
  std::map<std::string, std::string> secret_names;  ///< real secret env name -> provider
  std::map<std::string, std::string> secret_digests;  ///< secret name -> sha256(value)
  /// secret name -> value. SENSITIVE: only compared (substring), never printed.
  std::map<std::string, std::string> secret_values;
  /// <token_env_prefix><SECRET> -> current token. SENSITIVE.
  std::map<std::string, std::string> current_tokens;
  bool tokens_known = true;  ///< false while tokens are re-minted (no stale-token check)
};

/// Every problem of `c`; empty = compliant.
std::vector<std::string> Violations(const docker::ContainerInfo& c, const PolicyInputs& in, const MountPolicy& mounts);

}  // namespace ironward::sandboxes
