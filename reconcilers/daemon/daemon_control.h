// Starting and stopping the supervised iron-proxy process (the imperative half of the daemon
// reconciler; also used by a future `ironward stop`/uninstall through StopProxy).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "reconcilers/daemon/crash_state.h"
#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/daemon/process_identity.h"
#include "reconcilers/daemon/readiness.h"
#include "reconcilers/io/clock.h"
#include "state/result.h"
#include "state/state_dir.h"

namespace ironward {
class HttpClient;
}

namespace ironward::daemon {

inline constexpr std::chrono::milliseconds kDefaultStopGrace{15000};

/// management.key (0600, 32 hex chars): created once, then reused. Returns the key (SENSITIVE).
Result<std::string> EnsureManagementKey(state::StateWriter& state);
/// <state>/proxy-home (0700): the proxy's HOME, so 0.39's state-store lookup stays private.
Status EnsureProxyHome(const std::filesystem::path& root);

struct StartRequest {
  std::string binary;
  std::string config_path;
  Inputs inputs;
  std::string management_key_env;
  std::string management_key;                  ///< SENSITIVE
  std::map<std::string, std::string> secrets;  ///< SENSITIVE env name -> value
  std::string upstream_ca_file;
  Endpoints endpoints;
  ReadinessOptions readiness;
  HttpClient* http = nullptr;
};

struct StartResult {
  bool ready = false;
  PidRecord record;
  std::string detail;  ///< why not ready (no secrets)
  bool exited = false; ///< not ready because it exited by itself (not killed by ironward for hanging)
};

/// Writes the start intent, spawns detached, records pid + starttime, waits for readiness.
/// On failure the process is SIGKILLed (identity-checked) and the record marked crashed.
Result<StartResult> StartProxy(Processes& processes, state::StateWriter& state, const Clock& clock,
                               const StartRequest& request);

struct StopResult {
  bool was_running = false;
  bool killed = false;  ///< needed SIGKILL after the grace period
  pid_t pid = 0;
  int strays_stopped = 0;
  std::string message;
};

/// SIGTERM, then SIGKILL after `grace` only if it is still the very same process; then removes
/// the pidfile. Never signals a pid whose starttime/nonce do not match. Also stops strays of
/// this state dir (processes with our HOME + a nonce that no pidfile names).
Result<StopResult> StopProxy(Processes& processes, state::StateWriter& state,
                             std::chrono::milliseconds grace = kDefaultStopGrace);
/// The same with the real processes, for a state directory by path (tests' clean-up, tools).
Result<StopResult> StopProxy(const std::filesystem::path& state_dir,
                             std::chrono::milliseconds grace = kDefaultStopGrace);

/// Terminates one identified process the same way (SIGTERM, grace, SIGKILL if still it).
/// Returns true when it had to SIGKILL.
bool TerminateIdentified(Processes& processes, const ProcessIdentity& id, std::chrono::milliseconds grace);

/// Reads and parses daemon.json (defaults when missing).
Result<CrashState> ReadCrashState(const state::StateReader& state);
Status WriteCrashState(state::StateWriter& state, const CrashState& s);
Status WritePidRecord(state::StateWriter& state, const PidRecord& r);

}  // namespace ironward::daemon
