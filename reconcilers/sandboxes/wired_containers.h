// Containers another launcher (docker compose, docker run, hermes-agent) started with the output
// of `ironward wiring`. ironward never recreates them; after a token or CA rotation their proxy
// tokens or trusted CA are out of date, so plans and status name them with the exact command
// that re-creates them.
#pragma once

#include <string>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/sandboxes/wiring.h"

namespace ironward::sandboxes {

/// Why `c` (wired by this gateway) no longer matches `current`; "" when it is current.
/// While `current` is pending (a rotation this apply makes) every wired container is stale.
std::string StaleReason(const docker::ContainerInfo& c, const EgressWiring& current);

/// The command that re-creates `c` with fresh wiring: for a compose service, regenerate the
/// override (`ironward wiring ... --out FILE`) and `up -d --force-recreate SERVICE` with the
/// project's own files; for anything else, `docker rm -f` and start it again with fresh
/// `ironward wiring` arguments. `spec_paths`: the desired-state file(s), a base and its
/// overlays in order ({} = unknown).
std::string RecreateCommand(const docker::ContainerInfo& c, const std::vector<std::string>& spec_paths);

}  // namespace ironward::sandboxes
