// FakeDocker: an in-memory DockerApi for reconciler unit tests.
//
// Records every call (calls(), CallCount()), simulates containers (created → running → exited,
// name conflicts as 409, removing a running container without force as 409, unknown image as 404
// when images are registered), label/status/name/id filters, networks (default bridge/host/none,
// internal user networks, attach on create and connect/disconnect), an events log with the real
// engine's sequences (create, start, kill/die/stop, destroy...) delivered live to Events() callers,
// and an engine-down mode in which every call fails the way DockerClient does.
//
// Link: target_link_libraries(<tests> PRIVATE ironward_fake_docker)  (defined in tests/docker/).
// Thread-safe: Events() may run on one thread while the test drives the fake from another.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_api.h"

namespace ironward::docker {

namespace fake_docker_detail {
bool AnyOf(const std::vector<std::string>& values, const std::function<bool(const std::string&)>& pred);
Status CheckFilterKeys(const Filters& filters, std::initializer_list<const char*> allowed, const char* op);
}  // namespace fake_docker_detail

struct FakeDockerCall {
  std::string method;  ///< DockerApi method name: "CreateContainer", "StartContainer", ...
  std::string target;  ///< id/name/network it was called with ("" when none)
};

class FakeDocker final : public DockerApi {
 public:
  FakeDocker();

  // --- DockerApi
  Result<PingInfo> Ping() override;
  Result<EngineInfo> Info() override;
  Result<std::vector<ContainerSummary>> ListContainers(const Filters& filters, bool all) override;
  Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) override;
  Result<CreateResult> CreateContainer(const std::string& name, const ContainerCreateSpec& spec) override;
  Result<Outcome> StartContainer(const std::string& id) override;
  Result<Outcome> StopContainer(const std::string& id, std::chrono::seconds timeout) override;
  Result<Outcome> RemoveContainer(const std::string& id, bool force) override;
  Result<WaitResult> WaitContainer(const std::string& id, std::chrono::milliseconds timeout) override;
  Result<LogOutput> Logs(const std::string& id, const LogsOptions& options) override;
  Result<std::vector<NetworkInfo>> ListNetworks(const Filters& filters) override;
  Result<std::optional<NetworkInfo>> InspectNetwork(const std::string& id) override;
  Result<std::string> CreateNetwork(const NetworkCreateSpec& spec) override;
  Result<Outcome> ConnectNetwork(const std::string& network, const std::string& container) override;
  Result<Outcome> DisconnectNetwork(const std::string& network, const std::string& container, bool force) override;
  Result<Outcome> RemoveNetwork(const std::string& id) override;
  Status Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) override;

  // --- controls
  /// Every call fails with "cannot reach the Docker engine at unix:///var/run/docker.sock: ..."
  /// (transient); running Events() streams end with that error.
  void SetEngineDown(bool down);
  /// The next `times` calls of `method` fail with `error` (after being recorded).
  void InjectError(const std::string& method, Error error, int times = 1);
  /// Once any image is registered, creating from an unknown one is a 404 "No such image".
  void AddImage(const std::string& ref, std::vector<std::string> image_env = {"PATH=/bin:/usr/bin"});
  void SetServerApiVersion(std::string version);
  void SetSecurityOptions(std::vector<std::string> options);
  void SetLogs(const std::string& id, LogOutput logs);
  /// The workload exits by itself (or is killed from outside): state exited, a `die` event.
  void ExitContainer(const std::string& id, std::int64_t exit_code);
  /// Adds a container as if created by someone else (e.g. an unmanaged one to police).
  std::string AddContainer(const std::string& name, const ContainerCreateSpec& spec, bool running);

  // --- observation
  std::vector<FakeDockerCall> calls() const;
  std::size_t CallCount(const std::string& method) const;
  void ClearCalls();
  std::vector<Event> events() const;
  /// Events() calls subscribed right now: every event emitted from here on reaches each of them.
  int OpenEventStreams() const;
  /// The spec a container was created with (by id or name).
  std::optional<ContainerCreateSpec> CreateSpecOf(const std::string& id) const;
  std::size_t ContainerCount() const;

 private:
  struct Container {
    std::string id;
    std::string name;
    ContainerCreateSpec spec;
    std::string status = "created";
    std::int64_t exit_code = 0;
    std::int64_t pid = 0;
    std::string started_at = "0001-01-01T00:00:00Z";
    std::string finished_at = "0001-01-01T00:00:00Z";
    std::int64_t created = 0;
    std::vector<std::string> networks;  ///< network names
    std::string health = "healthy";     ///< State.Health.Status when the spec has a healthcheck
  };
  struct Network {
    NetworkInfo info;
    int next_host = 2;
    std::map<std::string, std::string> ips;  ///< container id → IPv4
  };

  Status Enter(const std::string& method, const std::string& target);  ///< records; engine-down/injected errors
  Status EnterLocked(const std::string& method, const std::string& target);
  static Error EngineDownError();
  Container* Find(const std::string& id_or_name);
  const Container* Find(const std::string& id_or_name) const;
  Network* FindNetwork(const std::string& id_or_name);
  std::string NewId();
  void Emit(const std::string& type, const std::string& action, const std::string& actor_id,
            std::map<std::string, std::string> attributes);
  void EmitContainer(const Container& c, const std::string& action, std::map<std::string, std::string> extra = {});
  std::string CreateLocked(const std::string& name, const ContainerCreateSpec& spec);
  void Attach(Container& c, Network& n);
  void StartLocked(Container& c);
  void StopLocked(Container& c, int signal);
  ContainerInfo InfoOf(const Container& c) const;
  ContainerSummary SummaryOf(const Container& c) const;
  static std::string Now();

  mutable std::mutex mu_;
  std::condition_variable_any events_cv_;
  bool engine_down_ = false;
  std::string server_api_version_ = "1.41";
  std::vector<std::string> security_options_{"name=seccomp,profile=default"};
  std::map<std::string, std::vector<std::string>> images_;  ///< ref → image ENV
  std::map<std::string, LogOutput> logs_;                   ///< container id → logs
  std::map<std::string, std::pair<Error, int>> injected_;
  std::vector<FakeDockerCall> calls_;
  std::vector<Container> containers_;
  std::vector<Network> networks_;
  std::vector<Event> events_;
  std::uint64_t next_id_ = 1;
  std::int64_t last_event_ns_ = 0;
  std::int64_t next_pid_ = 4000;
  int open_event_streams_ = 0;
};

}  // namespace ironward::docker
