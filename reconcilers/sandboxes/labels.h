// The labels ironward puts on the containers it owns, and how they are read back.
//
//   ironward.dev/owner=<metadata.name>        which desired state owns it (selects "ours")
//   ironward.dev/sandbox=<name>               which declared sandbox it is
//   ironward.dev/spec-digest=<sha256>         the sandbox's own spec + the non-secret wiring
//   ironward.dev/egress-ca=<sha256>           digest of the CA bundle mounted into it
//   ironward.dev/token-rotation=<n>           tokens.rotation its proxy tokens were minted at
//   ironward.dev/posture=<sha256>             CA + token-rotation + digest of the token values
//   ironward.dev/secret-env=<sha256>          secretEnv: variables, secret names, sha256 of each value
//
// Containers another launcher starts with `ironward wiring` output carry, instead of owner/sandbox:
//   ironward.dev/wired-by=<metadata.name>     which gateway's wiring they were started with
//   ironward.dev/wiring-file=<path>           the override/args file `wiring --out` wrote (if any)
//   ironward.dev/wiring-services=<a,b>        the compose services that override wires
// plus egress-ca, token-rotation and posture (so a rotation shows them stale) and the label of
// enforcement.selector (so enforcement polices them). ironward never recreates or prunes them.
//
// Labels are visible to anyone who can talk to the engine, so none of them carries a token:
// the posture digest hashes sha256(token) values, never the tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/sandboxes/wiring.h"

namespace ironward::sandboxes {

inline constexpr const char* kOwnerLabel = "ironward.dev/owner";
inline constexpr const char* kSandboxLabel = "ironward.dev/sandbox";
inline constexpr const char* kSpecDigestLabel = "ironward.dev/spec-digest";
inline constexpr const char* kEgressCaLabel = "ironward.dev/egress-ca";
inline constexpr const char* kTokenRotationLabel = "ironward.dev/token-rotation";
inline constexpr const char* kPostureLabel = "ironward.dev/posture";
inline constexpr const char* kSecretEnvLabel = "ironward.dev/secret-env";
inline constexpr const char* kWiredByLabel = "ironward.dev/wired-by";
inline constexpr const char* kWiringFileLabel = "ironward.dev/wiring-file";
inline constexpr const char* kWiringServicesLabel = "ironward.dev/wiring-services";

/// What a container's labels say about it.
struct ContainerLabels {
  std::string owner;
  std::string sandbox;
  std::string spec_digest;
  std::string egress_ca;
  std::optional<std::int64_t> token_rotation;
  std::string posture;
  std::string secret_env;
  std::string wired_by;
  std::string wiring_file;
  std::string wiring_services;  ///< comma-separated
};

ContainerLabels ReadLabels(const docker::Labels& labels);
/// The value of `key`, or "" when the label is not set.
std::string LabelValue(const docker::Labels& labels, const char* key);
/// Labels for a sandbox created with `spec_digest` under `wiring` (which must not be pending).
docker::Labels MakeLabels(const std::string& sandbox, const std::string& spec_digest, const EgressWiring& wiring);
/// Labels for a container started by another launcher with `wiring` (not pending): wired-by,
/// the generation labels, the label enforcement.selector matches ("key" alone gets "true"), and
/// wiring-file when `wiring_file` is not empty.
docker::Labels MakeWiredLabels(const EgressWiring& wiring, const std::string& selector, const std::string& wiring_file);
/// {"ironward.dev/owner": owner} as an Engine API filter.
docker::Filters OwnerFilter(const std::string& owner);

}  // namespace ironward::sandboxes
