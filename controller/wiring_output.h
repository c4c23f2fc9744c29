// The four output formats of `ironward wiring`: what a container another launcher starts needs to
// sit behind the gateway (the same env, CA mount, hosts, network and hardening an owned sandbox
// gets; reconcilers/sandboxes/container_spec.h BuildExternalSpec). The outputs hold the proxy
// tokens (never a real key): `--out` writes them 0600.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reconcilers/docker/docker_types.h"

namespace ironward {

struct WiringDoc {
  std::string gateway;  ///< metadata.name
  std::string posture;  ///< the posture digest the labels carry
  /// env, binds (the CA), extra hosts, network_mode, cap_drop, security_opt, init, labels.
  docker::ContainerCreateSpec spec;
  /// The sandbox network to join; "" = the launcher's default (enforcement.network: none).
  std::string network;
  std::vector<std::string> services;  ///< compose services to wire
};

/// NAME=value lines for `docker run --env-file` (comments say what else is needed).
std::string RenderEnvFile(const WiringDoc& doc);
/// Every `docker run` option, one shell-quoted argument per line.
std::string RenderDockerArgs(const WiringDoc& doc);
/// A compose override (Compose Specification, read by `docker compose` and docker-compose 1.29)
/// wiring each of doc.services; the sandbox network is declared external.
std::string RenderComposeOverride(const WiringDoc& doc);
/// Everything, structured, for launchers that build their own calls.
nlohmann::json RenderWiringJson(const WiringDoc& doc);

}  // namespace ironward
