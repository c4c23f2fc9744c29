#include "controller/audit/sandbox_names.h"

#include "reconcilers/docker/docker_client.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/io/http_client.h"

namespace ironward::audit {

SandboxNames NamesFromContainers(const std::vector<docker::ContainerSummary>& containers) {
  SandboxNames names;
  for (const auto& c : containers) {
    const std::string name = c.name.empty() ? c.id.substr(0, 12) : c.name;
    for (const auto& [network, endpoint] : c.networks) {
      std::string ip = endpoint.ip_address.substr(0, endpoint.ip_address.find('/'));
      if (!ip.empty()) names.emplace(std::move(ip), name);
    }
  }
  return names;
}

SandboxNames LookUpSandboxNames(docker::DockerApi& engine, std::string* why) {
  auto containers = engine.ListContainers({}, false);
  if (!containers) {
    *why = containers.error().message;
    return {};
  }
  return NamesFromContainers(*containers);
}

SandboxNames LookUpSandboxNamesFromEnvironment(std::string* why) {
  RealClock clock;
  CurlHttpClient http;
  docker::DockerClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.request_timeout = std::chrono::milliseconds(3000);
  auto engine = docker::DockerClient::FromEnvironment(http, clock, options);
  if (!engine) {
    *why = engine.error().message;
    return {};
  }
  return LookUpSandboxNames(**engine, why);
}

}  // namespace ironward::audit
