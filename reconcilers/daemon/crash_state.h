// daemon.json (0600): crash bookkeeping of the supervised proxy. Pure logic on wall-clock
// times (the state outlives the ironward process, so a monotonic clock cannot be stored).
//
//  * Every exit ironward did not ask for is a crash, whatever the exit code (iron-proxy exits
//    0 after a fatal listener error). A failed readiness check counts as one too.
//  * Back-off before restart n: none after the first crash of a series, then 1 s doubling, capped
//    at spec.proxy.maxRestartBackoff (default 5 min: 0, 1, 2, 4, ..., 256, 300, 300...).
//  * After 10 min observed healthy, the count resets.
//  * kCrashLoopThreshold consecutive crashes with the same inputs -> a crash loop: Stalled
//    (CrashLoop) in status, and every further restart waits the maximum back-off. It is retried
//    for ever, like Kubernetes' CrashLoopBackOff (systemd's StartLimitBurst gives up instead: a
//    gateway that gives up is an outage until someone edits something). Changed inputs (binary,
//    config, CA, secrets) start a new series at once.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "reconcilers/io/clock.h"
#include "state/result.h"

namespace ironward::daemon {

inline constexpr const char* kCrashStateFile = "daemon.json";
inline constexpr int kCrashLoopThreshold = 5;
inline constexpr std::chrono::seconds kMaxBackoff{300};
inline constexpr std::chrono::seconds kHealthyReset{600};

struct CrashState {
  int consecutive = 0;
  std::optional<SystemTime> last_crash;
  std::chrono::seconds backoff{0};        ///< wait after last_crash before the next start
  std::optional<SystemTime> healthy_since;  ///< last successful start (ready)
  std::string last_reason;                ///< "pid 123 gone", "NotReady: ..." (no secrets)
  std::string inputs_digest;              ///< what the crashing process was started with
  /// How the crashes of this series ended, where the parent saw it (exit_ledger.h): killed by a
  /// signal, exited by itself; the rest are unknown (started by a one-shot command, or NotReady).
  int killed_by_signal = 0;
  int exited = 0;

  bool operator==(const CrashState&) const = default;
};

/// When a series of crashes is a crash loop, and how long the restarts then wait.
struct CrashPolicy {
  int threshold = kCrashLoopThreshold;
  std::chrono::seconds max_backoff = kMaxBackoff;
};

/// Back-off after the n-th consecutive crash (n >= 1): 0, 1, 2, 4, ... capped at `max`.
std::chrono::seconds BackoffAfter(int consecutive, std::chrono::seconds max = kMaxBackoff);

enum class CrashCause { kUnknown, kSignal, kExit };

/// Records a crash at `now`; from the policy's threshold on, the back-off is its maximum.
CrashState RecordCrash(CrashState s, SystemTime now, std::string reason, std::string inputs_digest,
                       const CrashPolicy& policy = {}, CrashCause cause = CrashCause::kUnknown);
/// Records a successful start at `now` (keeps the count: only 10 min of health resets it).
CrashState RecordStarted(CrashState s, SystemTime now);
/// True when the count should be reset: crashes recorded, and healthy for >= 10 min.
bool ResetDue(const CrashState& s, SystemTime now, bool healthy_now);
CrashState Reset(CrashState s);

/// Time left before a restart is allowed (0 = may restart now).
std::chrono::seconds RemainingBackoff(const CrashState& s, SystemTime now);
/// A crash loop: too many crashes in a row with the same inputs (Stalled, retried at the maximum
/// back-off).
bool InCrashLoop(const CrashState& s, const std::string& current_inputs_digest,
                 int threshold = kCrashLoopThreshold);

std::string SerializeCrashState(const CrashState& s);
Result<CrashState> ParseCrashState(const std::string& text);

/// "4s", "2m8s", "5m".
std::string FormatDuration(std::chrono::seconds d);

}  // namespace ironward::daemon
