// The container a declared sandbox becomes: its own spec, the egress wiring and the hardening
// ironward applies to every sandbox. One place, so the spec digest, the create call and the
// drift check agree.
#pragma once

#include <string>
#include <vector>

#include "state/spec/spec.h"
#include "reconcilers/docker/docker_types.h"
#include "reconcilers/sandboxes/wiring.h"

namespace ironward::sandboxes {

/// Bumped when the hardening or wiring ironward applies changes, so existing sandboxes are
/// recycled onto the new defaults (it is part of every spec digest).
inline constexpr int kWiringVersion = 1;
inline constexpr const char* kNoNewPrivileges = "no-new-privileges:true";

/// The egress variables (without tokens) in create order: proxies, CA paths, NODE_OPTIONS, marker.
/// `no_proxy` names follow the loopback entries in NO_PROXY/no_proxy.
std::vector<std::pair<std::string, std::string>> EgressEnv(const EgressWiring& wiring,
                                                           const std::vector<std::string>& no_proxy = {});

/// Digest of the sandbox's spec and the wiring inputs that are not secret (proxy address, CA
/// path, network, token variable names, wiring version). Known even while tokens are pending;
/// "" while the sandbox network (and so the proxy address) is pending.
std::string SpecDigest(const spec::Sandbox& sandbox, const EgressWiring& wiring);

/// The full create body: env (sandbox env, secretEnv values this process has, egress env,
/// tokens; the secret-env label when every secretEnv digest is known), CA bind (read-only), the
/// sandbox's mounts, limits, cap-drop ALL, no-new-privileges, init, network, extra hosts, labels.
docker::ContainerCreateSpec BuildCreateSpec(const spec::Sandbox& sandbox, const EgressWiring& wiring);
/// The same with SpecDigest() and SecretEnvOf() already worked out (DesiredContainers).
docker::ContainerCreateSpec BuildCreateSpec(const spec::Sandbox& sandbox, const EgressWiring& wiring,
                                            const std::string& spec_digest, const SecretEnvState& secret_env);

/// The wiring alone, for a container another launcher starts (`ironward wiring`): env with the
/// tokens, the CA bind, extra hosts, network, hardening and `labels`; no image, command or limits.
/// `no_proxy`: names reached directly (e.g. the other services of a compose stack).
docker::ContainerCreateSpec BuildExternalSpec(const EgressWiring& wiring, const docker::Labels& labels,
                                              const std::vector<std::string>& no_proxy = {});

/// How a running container differs from what BuildCreateSpec asks for, in words naming only
/// settings and variable names (never values). Empty = matches.
std::vector<std::string> DriftOf(const docker::ContainerInfo& actual, const docker::ContainerCreateSpec& want);

}  // namespace ironward::sandboxes
