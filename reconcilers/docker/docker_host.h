// Where the Docker engine is: DOCKER_HOST (unix:///path only for now) or /var/run/docker.sock.
#pragma once

#include <string>
#include <string_view>

#include "state/result.h"

namespace ironward::docker {

inline constexpr const char* kDefaultDockerSocket = "/var/run/docker.sock";

struct DockerEndpoint {
  std::string socket_path;  ///< AF_UNIX socket of the engine
  std::string uri() const { return "unix://" + socket_path; }
};

/// Parses a DOCKER_HOST value; empty means the default socket. tcp://, ssh:// etc. are rejected.
Result<DockerEndpoint> ParseDockerHost(std::string_view value);
/// ParseDockerHost(getenv("DOCKER_HOST")).
Result<DockerEndpoint> DockerEndpointFromEnvironment();

}  // namespace ironward::docker
