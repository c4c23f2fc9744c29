// One Docker snapshot per pass: the network, sandboxes and enforcement reconcilers all read the
// engine's containers, each with its own filter. PassSnapshot lists every container once and
// answers their label/running filters from that list, and remembers each inspect, until
// Invalidate(). PassSnapshotApi is the same for the apply half: every call that changes the
// engine goes through to it and invalidates the snapshot, so a later read in the same pass (a
// reconciler's re-observe, the next reconciler) sees what was created or removed.
//
// The engine (controller/engine.cpp) wraps its Docker client in one of these per pass; nothing
// else needs to know. A list with a filter other than "label" (status, name, id, ...) is passed
// through, as are logs, networks and events (not shared, or not cacheable).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_api.h"

namespace ironward::docker {

/// Whether a list entry passes the engine's label filter ("k=v" and "k" terms, all must hold) and,
/// unless `all`, counts as running for GET /containers/json (running, paused or restarting).
bool MatchesListFilter(const ContainerSummary& c, const Filters& filters, bool all);

class PassSnapshot final : public DockerReader {
 public:
  /// `inner` must outlive the snapshot and be safe to call from several threads (DockerClient is).
  explicit PassSnapshot(DockerReader& inner) : inner_(inner) {}

  Result<PingInfo> Ping() override { return inner_.Ping(); }
  Result<EngineInfo> Info() override { return inner_.Info(); }
  /// From the shared list (one GET /containers/json?all=1 per snapshot) when `filters` has only
  /// "label" terms; a failed list is not remembered (the next reader asks again).
  Result<std::vector<ContainerSummary>> ListContainers(const Filters& filters, bool all) override;
  /// Remembered per id or name until Invalidate(); errors are not.
  Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) override;
  Result<LogOutput> Logs(const std::string& id, const LogsOptions& options) override { return inner_.Logs(id, options); }
  Result<std::vector<NetworkInfo>> ListNetworks(const Filters& filters) override { return inner_.ListNetworks(filters); }
  Result<std::optional<NetworkInfo>> InspectNetwork(const std::string& id) override { return inner_.InspectNetwork(id); }
  Status Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) override {
    return inner_.Events(query, on_event, stop);
  }

  /// Forget the list and every inspect: the next read asks the engine again.
  void Invalidate();
  /// Lists this snapshot asked the engine for (tests and the debug log).
  std::uint64_t lists() const;

 private:
  DockerReader& inner_;
  std::mutex fetch_mu_;  ///< held while the one list call of a snapshot is in flight
  mutable std::mutex mu_;
  std::optional<std::vector<ContainerSummary>> list_;  ///< every container (all=true, no filter)
  std::map<std::string, std::optional<ContainerInfo>> inspected_;
  std::uint64_t generation_ = 0;  ///< bumped by Invalidate: a read that started before is not stored
  std::uint64_t lists_ = 0;
};

/// The apply half: reads from a PassSnapshot of `inner`, writes to `inner`, each write
/// invalidating the snapshot (also when it failed: the engine may have changed anyway).
class PassSnapshotApi final : public DockerApi {
 public:
  explicit PassSnapshotApi(DockerApi& inner) : inner_(inner), snapshot_(inner) {}

  Result<PingInfo> Ping() override { return snapshot_.Ping(); }
  Result<EngineInfo> Info() override { return snapshot_.Info(); }
  Result<std::vector<ContainerSummary>> ListContainers(const Filters& filters, bool all) override {
    return snapshot_.ListContainers(filters, all);
  }
  Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) override {
    return snapshot_.InspectContainer(id);
  }
  Result<LogOutput> Logs(const std::string& id, const LogsOptions& options) override {
    return snapshot_.Logs(id, options);
  }
  Result<std::vector<NetworkInfo>> ListNetworks(const Filters& filters) override {
    return snapshot_.ListNetworks(filters);
  }
  Result<std::optional<NetworkInfo>> InspectNetwork(const std::string& id) override {
    return snapshot_.InspectNetwork(id);
  }
  Status Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) override {
    return snapshot_.Events(query, on_event, stop);
  }

  Result<CreateResult> CreateContainer(const std::string& name, const ContainerCreateSpec& spec) override;
  Result<Outcome> StartContainer(const std::string& id) override;
  Result<Outcome> StopContainer(const std::string& id, std::chrono::seconds timeout) override;
  Result<Outcome> RemoveContainer(const std::string& id, bool force) override;
  Result<WaitResult> WaitContainer(const std::string& id, std::chrono::milliseconds timeout) override;
  Result<std::string> CreateNetwork(const NetworkCreateSpec& spec) override;
  Result<Outcome> ConnectNetwork(const std::string& network, const std::string& container) override;
  Result<Outcome> DisconnectNetwork(const std::string& network, const std::string& container, bool force) override;
  Result<Outcome> RemoveNetwork(const std::string& id) override;

  PassSnapshot& snapshot() { return snapshot_; }

 private:
  /// `result` of a write, after invalidating the snapshot.
  template <class R>
  R Wrote(R result) {
    snapshot_.Invalidate();
    return result;
  }

  DockerApi& inner_;
  PassSnapshot snapshot_;
};

/// Inspects `ids` with up to `parallel` calls in flight (each call is its own connection), in
/// the order given: result i is the inspect of ids[i].
std::vector<Result<std::optional<ContainerInfo>>> InspectContainers(DockerReader& reader,
                                                                    const std::vector<std::string>& ids,
                                                                    std::size_t parallel);

}  // namespace ironward::docker
