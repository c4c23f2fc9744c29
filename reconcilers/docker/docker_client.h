// DockerClient: DockerApi over the Engine API on a unix socket (HttpClient with `unix_socket`).
//
// Version negotiation: GET /_ping, read `Api-Version`, use min(kMaxApiVersion, server's); a server
// older than kMinApiVersion is a terminal error. All paths are prefixed /v1.XX/. Negotiation runs
// before the first call and again after a transport failure (the engine may have been replaced).
// Thread-safe: calls may run concurrently (e.g. Events on one thread, the rest on another).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reconcilers/docker/call_stats.h"
#include "reconcilers/docker/docker_api.h"
#include "reconcilers/docker/docker_host.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/io/http_client.h"

namespace ironward::docker {

inline constexpr int kMaxApiMinor = 43;  ///< newest API we speak: 1.43
inline constexpr int kMinApiMinor = 41;  ///< oldest we accept: 1.41 (Docker 20.10, Debian 12)

/// "1.41" → 41 (major must be 1); nullopt when unparseable.
std::optional<int> ParseApiMinor(std::string_view version);
/// min(ours, server's) as "1.XX", or a terminal error when the server is too old.
Result<std::string> NegotiateApiVersion(std::string_view server_version);

struct DockerClientOptions {
  std::chrono::milliseconds request_timeout{30000};  ///< ordinary calls
  std::chrono::milliseconds connect_timeout{5000};
};

class DockerClient final : public DockerApi {
 public:
  /// `http` and `clock` must outlive the client.
  DockerClient(HttpClient& http, DockerEndpoint endpoint, const Clock& clock, DockerClientOptions options = {});
  /// Endpoint from DOCKER_HOST (Invalid error for tcp:// and other unsupported schemes).
  static Result<std::unique_ptr<DockerClient>> FromEnvironment(HttpClient& http, const Clock& clock,
                                                               DockerClientOptions options = {});

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

  const DockerEndpoint& endpoint() const { return endpoint_; }
  /// Calls per endpoint ("GET /_ping", "POST /containers/{id}/start", ...), including failed ones.
  CallStats& stats() { return stats_; }
  /// The negotiated "1.XX", or "" before the first successful ping.
  std::string api_version() const;

 private:
  struct Call {
    Call(std::string m, std::string k, std::string p, std::string b = {})
        : method(std::move(m)), key(std::move(k)), path(std::move(p)), body(std::move(b)) {}
    Call&& WithTimeout(std::chrono::milliseconds t) && {
      timeout = t;
      return std::move(*this);
    }
    Call&& WithOnData(std::function<bool(std::string_view)> f) && {
      on_data = std::move(f);
      return std::move(*this);
    }

    std::string method;
    std::string key;                       ///< CallStats endpoint, also used in error messages
    std::string path;                      ///< after the version prefix, with query string
    std::string body;                      ///< JSON (Content-Type: application/json when non-empty)
    std::chrono::milliseconds timeout{0};  ///< 0 = options_.request_timeout
    std::function<bool(std::string_view)> on_data;
  };

  Result<HttpResponse> Send(const Call& call);
  Result<HttpResponse> SendUnversioned(const std::string& key, const std::string& path);
  Result<std::string> EnsureVersion();
  Error Unreachable(const Error& transport) const;
  Result<Outcome> Transition(const Call& call);

  HttpClient& http_;
  DockerEndpoint endpoint_;
  const Clock& clock_;
  DockerClientOptions options_;
  CallStats stats_;
  mutable std::mutex mu_;
  std::string version_;  ///< negotiated "1.XX"; guarded by mu_
};

}  // namespace ironward::docker
