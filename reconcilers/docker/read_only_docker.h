// ReadOnlyDocker: the DockerApi a dry run is given. Reads pass through to the real engine;
// every call that would change something is refused with a terminal error, so a reconciler
// that forgot to stay read-only in Plan fails loudly instead of touching containers.
#pragma once

#include "reconcilers/docker/docker_api.h"

namespace ironward::docker {

class ReadOnlyDocker final : public DockerApi {
 public:
  explicit ReadOnlyDocker(DockerApi& inner) : inner_(inner) {}

  Result<PingInfo> Ping() override { return inner_.Ping(); }
  Result<EngineInfo> Info() override { return inner_.Info(); }
  Result<std::vector<ContainerSummary>> ListContainers(const Filters& filters, bool all) override {
    return inner_.ListContainers(filters, all);
  }
  Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) override {
    return inner_.InspectContainer(id);
  }
  Result<CreateResult> CreateContainer(const std::string& name, const ContainerCreateSpec& spec) override;
  Result<Outcome> StartContainer(const std::string& id) override;
  Result<Outcome> StopContainer(const std::string& id, std::chrono::seconds timeout) override;
  Result<Outcome> RemoveContainer(const std::string& id, bool force) override;
  Result<WaitResult> WaitContainer(const std::string& id, std::chrono::milliseconds timeout) override;
  Result<LogOutput> Logs(const std::string& id, const LogsOptions& options) override {
    return inner_.Logs(id, options);
  }
  Result<std::vector<NetworkInfo>> ListNetworks(const Filters& filters) override {
    return inner_.ListNetworks(filters);
  }
  Result<std::optional<NetworkInfo>> InspectNetwork(const std::string& id) override {
    return inner_.InspectNetwork(id);
  }
  Result<std::string> CreateNetwork(const NetworkCreateSpec& spec) override;
  Result<Outcome> ConnectNetwork(const std::string& network, const std::string& container) override;
  Result<Outcome> DisconnectNetwork(const std::string& network, const std::string& container, bool force) override;
  Result<Outcome> RemoveNetwork(const std::string& id) override;
  Status Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) override {
    return inner_.Events(query, on_event, stop);
  }

 private:
  DockerApi& inner_;
};

}  // namespace ironward::docker
