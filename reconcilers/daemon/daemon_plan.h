// The daemon's pure decision: given what the proxy should be started with and what is running,
// what to do (start / wait / stalled / restart / reload / bookkeeping / nothing) and why.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/daemon/crash_state.h"
#include "reconcilers/daemon/exit_ledger.h"
#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/daemon/process_identity.h"
#include "reconcilers/daemon/readiness.h"
#include "reconcilers/reconciler.h"

namespace ironward::daemon {

inline constexpr const char* kAddress = "daemon.iron-proxy";
inline constexpr const char* kType = "ironward_proxy_daemon";

/// What the proxy would be started with now, from the facts. `pending` names the inputs that
/// are only known after apply (dry run before the CA/config/binary/secrets exist).
struct DesiredInputs {
  Inputs inputs;
  std::vector<std::string> pending;
  bool PendingAny() const { return !pending.empty(); }
  bool Pending(const std::string& what) const;
};

/// What Observe saw (read-only).
struct ObservedDaemon {
  std::string root;
  std::optional<PidRecord> record;
  std::optional<ProxyExit> exit;        ///< how the recorded process ended, when its parent saw it
  std::string record_problem;           ///< unreadable pidfile (treated as "no record")
  Liveness liveness = Liveness::kGone;  ///< of record (kGone when no record / pid 0)
  std::vector<ProcessIdentity> strays;  ///< our HOME + a nonce, not the recorded process
  std::string unhealthy;                ///< "" = healthy (only checked when alive)
  CrashState crash;
  std::vector<std::string> log_tail;
  std::optional<Endpoints> endpoints;   ///< from proxy.yaml as it is on disk
  std::string management_key_digest;    ///< "" = no key file yet
  std::string upstream_ca_digest;       ///< of spec.proxy.upstream_ca_file content
  bool log_rotation_due = false;        ///< iron-proxy.log is over the size limit
  std::string fingerprint;

  bool Running() const { return record && record->pid > 0 && liveness == Liveness::kAlive; }
};

enum class Step {
  kNone,
  kStart,       ///< not running, allowed to start now
  kWait,        ///< not running, inside the crash back-off window
  kStalled,     ///< crash loop, inside its (maximum) back-off: Stalled, retried when it ends
  kRestart,     ///< running, but started with different restart-class inputs (or unhealthy)
  kReload,      ///< running, only the ruleset/config changed: POST /v1/reload
  kBookkeeping, ///< running and in sync: stop strays / reset the crash count / rotate the log
};

struct Decision {
  Step step = Step::kNone;
  std::string reason;
  bool new_crash = false;  ///< a crash Observe found that daemon.json has not counted yet
  CrashState crash;        ///< bookkeeping after this decision (new crash / reset applied)
  std::chrono::seconds wait{0};
  bool crash_loop = false; ///< kStalled, or the kStart that retries a crash loop
  std::vector<FieldChange> fields;  ///< kRestart / kReload: what changes, field by field
};

/// "crash loop: 7 consecutive crashes, retried every 5m (a change of ... retries at once)".
std::string CrashLoopWords(int consecutive, const CrashPolicy& policy);

/// Pure. `policy`: when crashes are a crash loop and its retry interval.
Decision Decide(const DesiredInputs& desired, const ObservedDaemon& observed, SystemTime now,
                const CrashPolicy& policy = {});

/// The plan's change for a decision (none for kNone).
std::optional<Change> ToChange(const Decision& d, const DesiredInputs& desired, const ObservedDaemon& observed);

}  // namespace ironward::daemon
