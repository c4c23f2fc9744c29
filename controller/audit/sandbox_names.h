// Which sandbox a request came from: the client address iron-proxy logged, mapped to the name of
// the running container that has that address on one of its networks. Docker is optional here:
// without an engine (or with one that does not answer) every address is shown as itself.
#pragma once

#include <string>
#include <vector>

#include "controller/audit/summary.h"
#include "reconcilers/docker/docker_api.h"

namespace ironward::audit {

/// Address → container name for every network endpoint of `containers` (the first name wins
/// when two claim one address).
SandboxNames NamesFromContainers(const std::vector<docker::ContainerSummary>& containers);

/// The running containers of `engine`; empty with `why` set when it cannot be asked.
SandboxNames LookUpSandboxNames(docker::DockerApi& engine, std::string* why);

/// The same against the engine of DOCKER_HOST (default /var/run/docker.sock), with short
/// timeouts (1 s connect, 3 s per call) so an absent or hung engine only costs that.
SandboxNames LookUpSandboxNamesFromEnvironment(std::string* why);

}  // namespace ironward::audit
