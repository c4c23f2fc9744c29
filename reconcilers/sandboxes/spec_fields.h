// A sandbox whose spec changed is re-created; the plan says which fields change, Terraform
// style, by comparing the running container (inspect) with the container that would be created.
// Environment values are shown only as digests: they carry proxy tokens and secretEnv values.
#pragma once

#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/reconciler.h"

namespace ironward::sandboxes {

/// image, command, user, working dir is not inspected; env (keys the new spec sets), ports,
/// mounts, resource limits, capabilities, restart policy, network, extra hosts, healthcheck.
/// Keys only the old container has in its environment are not reported: the image's own ENV is
/// indistinguishable from them.
std::vector<FieldChange> SpecFieldChanges(const docker::ContainerInfo& have, const docker::ContainerCreateSpec& want);

}  // namespace ironward::sandboxes
