#include "controller/probe_container.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace ironward {
namespace {

/// Closes over the probe container: removed on every path out.
class ProbeContainer {
 public:
  ProbeContainer(docker::DockerApi& docker, std::string what) : docker_(docker), what_(std::move(what)) {}
  ProbeContainer(const ProbeContainer&) = delete;
  ProbeContainer& operator=(const ProbeContainer&) = delete;
  ~ProbeContainer() {
    if (id_.empty()) return;
    auto removed = docker_.RemoveContainer(id_, true);
    if (!removed) spdlog::warn("{}: could not remove probe container {}: {}", what_, id_, removed.error().message);
  }
  void set_id(std::string id) { id_ = std::move(id); }
  const std::string& id() const { return id_; }

 private:
  docker::DockerApi& docker_;
  std::string what_;
  std::string id_;
};

}  // namespace

Result<std::string> RunProbeContainer(docker::DockerApi& docker, const docker::ContainerCreateSpec& spec,
                                      const std::string& name_prefix, int timeout_seconds) {
  const std::string& network = spec.host.network_mode;
  if (!network.empty() && network != "bridge") {
    auto net = docker.InspectNetwork(network);
    if (!net) return net.error();
    if (!net->has_value()) {
      return Error::Transient("sandbox network " + network + " does not exist: run `ironward reconcile` first");
    }
  }
  ProbeContainer probe(docker, name_prefix);
  auto created = docker.CreateContainer(name_prefix + "-" + std::to_string(::getpid()), spec);
  if (!created) return created.error().Wrap("creating the probe container");
  probe.set_id(created->id);
  auto started = docker.StartContainer(probe.id());
  if (!started) return started.error().Wrap("starting the probe container");
  auto waited = docker.WaitContainer(probe.id(), std::chrono::seconds(timeout_seconds));
  if (!waited) return waited.error().Wrap("waiting for the probe");
  auto logs = docker.Logs(probe.id(), {});
  if (!logs) return logs.error().Wrap("reading the probe's output");
  if (waited->status_code != 0) {
    spdlog::warn("{}: probe exited {} ({})", name_prefix, waited->status_code, logs->err.substr(0, 200));
  }
  return logs->out;
}

}  // namespace ironward
