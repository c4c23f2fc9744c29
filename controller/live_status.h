// What `ironward status` checks at the moment it runs, on top of what the last pass recorded:
// the supervised iron-proxy (the recorded process's identity, /healthz, its listeners), the
// sandbox containers it owns (one container list from the engine), and whether a recorded
// refusal of the desired-state file still holds. Cheap: no reconcile, a few loopback requests
// and at most one Docker call.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/io/process.h"
#include "state/state_dir.h"
#include "state/status.h"

namespace ironward {

struct LiveCheck {
  bool ready = true;
  std::string message;  ///< why not (or "pid 123 serving")
};

struct LiveStatus {
  /// The proxy, when the last pass recorded a daemon resource (nullopt: nothing to check).
  std::optional<LiveCheck> daemon;
  /// The owned sandboxes, when the last pass recorded running ones (nullopt: nothing to check).
  std::optional<LiveCheck> sandboxes;
  /// The desired_refused alarm still holds: the `run` that recorded it is alive and the file
  /// still has the refused content.
  bool refusal_holds = false;
  bool Ready() const { return (!daemon || daemon->ready) && (!sandboxes || sandboxes->ready); }
  nlohmann::json ToJson() const;
};

/// The recorded iron-proxy process (pid record + identity), its /healthz and listeners: the
/// daemon part of CheckLive, also `ironward doctor`'s proxy check.
LiveCheck CheckProxyLive(const state::StateReader& state, const Processes& processes);

/// `docker` may be null (no engine client: the sandboxes check then says so when it is needed).
/// The `ironward run` that last wrote status (extra.run.pid) is still alive (and an ironward).
bool RunProcessAlive(const state::StatusDoc& doc, const Processes& processes);

LiveStatus CheckLive(const state::StateReader& state, const state::StatusDoc& doc, docker::DockerApi* docker,
                     const Processes& processes);

}  // namespace ironward
