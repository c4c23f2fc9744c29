// What `ironward status` checks at the moment it runs, on top of what the last pass recorded:
// the supervised iron-proxy (the recorded process's identity, /healthz, its listeners) and
// whether a recorded refusal of the desired-state file still holds. Cheap: no Docker call, no
// reconcile, a few loopback requests.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

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
  /// The desired_refused alarm still holds: the `run` that recorded it is alive and the file
  /// still has the refused content.
  bool refusal_holds = false;
  bool Ready() const { return !daemon || daemon->ready; }
  nlohmann::json ToJson() const;
};

LiveStatus CheckLive(const state::StateReader& state, const state::StatusDoc& doc);

}  // namespace ironward
