// DockerApi: the narrow Docker Engine API surface the reconcilers use, in two halves:
// DockerReader (lists, inspects, logs, events) is all Observe/Plan get; DockerApi adds the calls
// that change the engine. DockerClient (docker_client.h) is the real one; tests use
// tests/fakes/fake_docker.h.
//
// Errors: a missing object is never an Error where it can be expected (Inspect* return nullopt,
// state changes return Outcome::kNotFound). Engine-down and 5xx are transient; other 4xx
// (409 name in use, 400 invalid name, 404 image) are terminal and carry "(HTTP nnn)" so callers can
// tell them apart with HttpStatusOf / IsConflict / IsNotFound.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "state/result.h"

namespace ironward::docker {

/// Called per event; return false to end the stream.
using EventCallback = std::function<bool(const Event&)>;

/// The read half: what Observe/Plan get (ReadDeps::docker). Nothing here changes the engine's
/// state, waits on a container, or creates anything.
class DockerReader {
 public:
  virtual ~DockerReader() = default;

  /// GET /_ping and version negotiation (done implicitly before the first call, too).
  virtual Result<PingInfo> Ping() = 0;
  /// GET /info (SecurityOptions for the seccomp check, cgroup driver, versions).
  virtual Result<EngineInfo> Info() = 0;

  // Containers. `id` is an id, an id prefix or a name.
  virtual Result<std::vector<ContainerSummary>> ListContainers(const Filters& filters, bool all) = 0;
  virtual Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) = 0;
  /// Logs so far (no follow), demultiplexed into stdout/stderr when the container has no TTY.
  virtual Result<LogOutput> Logs(const std::string& id, const LogsOptions& options) = 0;

  // Networks. `id` is an id or a name.
  virtual Result<std::vector<NetworkInfo>> ListNetworks(const Filters& filters) = 0;
  virtual Result<std::optional<NetworkInfo>> InspectNetwork(const std::string& id) = 0;

  /// Streams events matching `query` to `on_event` until `stop` is requested or `on_event`
  /// returns false (then Ok), or the engine becomes unreachable (transient Error).
  virtual Status Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) = 0;
};

/// The reads plus every call that changes something (or blocks on a container): what Apply gets
/// (WriteDeps::docker).
class DockerApi : public DockerReader {
 public:
  virtual Result<CreateResult> CreateContainer(const std::string& name, const ContainerCreateSpec& spec) = 0;
  virtual Result<Outcome> StartContainer(const std::string& id) = 0;
  /// SIGTERM, then SIGKILL after `timeout`.
  virtual Result<Outcome> StopContainer(const std::string& id, std::chrono::seconds timeout) = 0;
  /// DELETE with v=true (anonymous volumes); `force` kills a running container first.
  virtual Result<Outcome> RemoveContainer(const std::string& id, bool force) = 0;
  /// Blocks until the container is not running (or `timeout`, a transient error). A missing
  /// container is a terminal "(HTTP 404)" error.
  virtual Result<WaitResult> WaitContainer(const std::string& id, std::chrono::milliseconds timeout) = 0;

  /// A taken name is a terminal "(HTTP 409)" error (CheckDuplicate is always sent).
  virtual Result<std::string> CreateNetwork(const NetworkCreateSpec& spec) = 0;
  /// kUnchanged when the container is already attached; kNotFound when either is missing.
  virtual Result<Outcome> ConnectNetwork(const std::string& network, const std::string& container) = 0;
  virtual Result<Outcome> DisconnectNetwork(const std::string& network, const std::string& container, bool force) = 0;
  virtual Result<Outcome> RemoveNetwork(const std::string& id) = 0;
};

/// Label filters in Engine API form: {"label": ["k=v", ...]} (ANDed by the engine).
Filters LabelFilter(const Labels& labels);
/// Whether `labels` carry every filter ("key" or "key=value"), as the engine's label filter does.
bool MatchesLabelFilters(const Labels& labels, const std::vector<std::string>& filters);

/// "docker: <operation>: <engine message> (HTTP <status>)"; 5xx transient, the rest terminal.
Error ApiError(std::string_view operation, long status, std::string_view message);
/// The HTTP status carried by an ApiError, 0 for any other error.
long HttpStatusOf(const Error& error);
inline bool IsConflict(const Error& error) { return HttpStatusOf(error) == 409; }
inline bool IsNotFound(const Error& error) { return HttpStatusOf(error) == 404; }

}  // namespace ironward::docker
