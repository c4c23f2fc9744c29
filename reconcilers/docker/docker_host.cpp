#include "reconcilers/docker/docker_host.h"

#include <cstdlib>

namespace ironward::docker {

Result<DockerEndpoint> ParseDockerHost(std::string_view value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\n')) value.remove_suffix(1);
  if (value.empty()) return DockerEndpoint{kDefaultDockerSocket};
  constexpr std::string_view kUnix = "unix://";
  if (value.substr(0, kUnix.size()) == kUnix) {
    std::string path(value.substr(kUnix.size()));
    if (path.empty()) return Error::Invalid("DOCKER_HOST=" + std::string(value) + ": missing socket path");
    if (path.size() >= 108) {
      return Error::Invalid("DOCKER_HOST=" + std::string(value) + ": socket path longer than AF_UNIX allows");
    }
    return DockerEndpoint{std::move(path)};
  }
  const auto scheme_end = value.find("://");
  const std::string scheme = scheme_end == std::string_view::npos ? "" : std::string(value.substr(0, scheme_end));
  if (scheme == "tcp" || scheme == "http" || scheme == "https" || scheme == "ssh" || scheme == "npipe" ||
      scheme == "fd") {
    return Error::Invalid("DOCKER_HOST=" + std::string(value) + ": " + scheme +
                          ":// engines are not supported yet; ironward talks to the Docker engine over a "
                          "local unix socket only (DOCKER_HOST=unix:///path/to/docker.sock)");
  }
  return Error::Invalid("DOCKER_HOST=" + std::string(value) + ": not understood; expected unix:///path/to/docker.sock");
}

Result<DockerEndpoint> DockerEndpointFromEnvironment() {
  const char* v = std::getenv("DOCKER_HOST");  // NOLINT(concurrency-mt-unsafe): read once at startup
  return ParseDockerHost(v == nullptr ? "" : v);
}

}  // namespace ironward::docker
