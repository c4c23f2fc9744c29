#include "reconcilers/docker/read_only_docker.h"

#include <string>

namespace ironward::docker {
namespace {

Error Refused(const std::string& what) {
  return Error::Terminal("docker: refusing to " + what + " during a dry run (read-only engine access)");
}

}  // namespace

Result<CreateResult> ReadOnlyDocker::CreateContainer(const std::string& name, const ContainerCreateSpec&) {
  return Refused("create container " + name);
}
Result<Outcome> ReadOnlyDocker::StartContainer(const std::string& id) { return Refused("start container " + id); }
Result<Outcome> ReadOnlyDocker::StopContainer(const std::string& id, std::chrono::seconds) {
  return Refused("stop container " + id);
}
Result<Outcome> ReadOnlyDocker::RemoveContainer(const std::string& id, bool) {
  return Refused("remove container " + id);
}
// Waiting changes nothing, but a dry run has no business blocking on a container either.
Result<WaitResult> ReadOnlyDocker::WaitContainer(const std::string& id, std::chrono::milliseconds) {
  return Refused("wait for container " + id);
}
Result<std::string> ReadOnlyDocker::CreateNetwork(const NetworkCreateSpec& spec) {
  return Refused("create network " + spec.name);
}
Result<Outcome> ReadOnlyDocker::ConnectNetwork(const std::string& network, const std::string& container) {
  return Refused("connect " + container + " to network " + network);
}
Result<Outcome> ReadOnlyDocker::DisconnectNetwork(const std::string& network, const std::string& container, bool) {
  return Refused("disconnect " + container + " from network " + network);
}
Result<Outcome> ReadOnlyDocker::RemoveNetwork(const std::string& id) { return Refused("remove network " + id); }

}  // namespace ironward::docker
