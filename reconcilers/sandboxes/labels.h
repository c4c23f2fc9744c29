// The labels ironward puts on the containers it owns, and how they are read back.
//
//   ironward.dev/owner=<metadata.name>        which desired state owns it (selects "ours")
//   ironward.dev/sandbox=<name>               which declared sandbox it is
//   ironward.dev/spec-digest=<sha256>         the sandbox's own spec + the non-secret wiring
//   ironward.dev/egress-ca=<sha256>           digest of the CA bundle mounted into it
//   ironward.dev/token-rotation=<n>           tokens.rotation its proxy tokens were minted at
//   ironward.dev/posture=<sha256>             CA + token-rotation + digest of the token values
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

/// What a container's labels say about it.
struct ContainerLabels {
  std::string owner;
  std::string sandbox;
  std::string spec_digest;
  std::string egress_ca;
  std::optional<std::int64_t> token_rotation;
  std::string posture;
};

ContainerLabels ReadLabels(const docker::Labels& labels);
/// Labels for a sandbox created with `spec_digest` under `wiring` (which must not be pending).
docker::Labels MakeLabels(const std::string& sandbox, const std::string& spec_digest, const EgressWiring& wiring);
/// {"ironward.dev/owner": owner} as an Engine API filter.
docker::Filters OwnerFilter(const std::string& owner);

/// First 12 hex chars, for reasons and summaries.
std::string ShortDigest(const std::string& digest);

}  // namespace ironward::sandboxes
