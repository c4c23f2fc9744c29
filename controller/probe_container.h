// A short-lived probe container on a sandbox's network: created, started, waited for, its
// output read, and removed on every path out. `ironward verify` and `ironward doctor` run theirs
// through it.
#pragma once

#include <string>

#include "reconcilers/docker/docker_api.h"

namespace ironward {

/// Runs `spec` (its network_mode names the network) as a container named `name_prefix-<pid>`;
/// its stdout. A network other than "bridge" must exist (else a transient error saying to run
/// `ironward reconcile`). A non-zero exit is logged, not an error: the output is what is judged.
Result<std::string> RunProbeContainer(docker::DockerApi& docker, const docker::ContainerCreateSpec& spec,
                                      const std::string& name_prefix, int timeout_seconds);

}  // namespace ironward
