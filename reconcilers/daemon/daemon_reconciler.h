// The supervised iron-proxy process: exactly one, correctly configured, running detached
// from ironward. Observe reads the pidfile, /proc (starttime + nonce identity), the listeners
// and /healthz, daemon.json and the log tail; Diff decides start / wait (back-off) / Stalled
// (crash loop) / restart / reload / nothing; Apply re-observes, then acts.
//
// State files (all 0600): iron-proxy.pid, daemon.json, management.key, iron-proxy.log(.1-.3);
// proxy-home/ (0700) is the proxy's HOME.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "reconcilers/daemon/daemon_plan.h"
#include "reconcilers/io/process.h"
#include "reconcilers/reconciler.h"

namespace ironward::daemon {

struct DaemonOptions {
  ReadinessOptions readiness;  ///< 10 s timeout, 50 ms poll, listeners must be the proxy's own
  std::chrono::milliseconds stop_grace{15000};
  std::uint64_t log_rotate_bytes = 10U * 1024U * 1024U;
  int crash_loop_threshold = kCrashLoopThreshold;
  std::size_t tail_lines = 20;
  /// A running proxy is restarted as unhealthy only after this many failed checks in a row
  /// (1 s each, health_check_pause apart): one slow answer on a loaded host is not a crash.
  int health_checks = 3;
  std::chrono::milliseconds health_check_pause{250};
  /// How proxies this process reaped ended (`ironward run` only; null elsewhere): crashes are
  /// counted as killed by a signal or exited (status details.crash_causes).
  std::shared_ptr<ExitLedger> exits;
  /// Spawning, /proc identity, signals and reaping; null means RealProcesses.
  std::shared_ptr<Processes> processes;
};

class DaemonReconciler final : public ResourceReconciler<ObservedDaemon> {
 public:
  explicit DaemonReconciler(DaemonOptions options = {});
  std::string_view Name() const override { return "daemon"; }
  std::vector<std::string_view> DependsOn() const override {
    // network: with bind: sandbox-network the listeners bind the bridge gateway (no-op when none).
    return {"binary", "ca", "mappings", "network", "proxy_config", "secrets"};
  }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedDaemon> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedDaemon& observed, const Clock& clock) const override;

 private:
  /// The crash-loop threshold (options) and spec.proxy.maxRestartBackoff.
  CrashPolicy Policy(const ReconcileContext& ctx) const {
    return CrashPolicy{options_.crash_loop_threshold, ctx.desired.spec.proxy.max_restart_backoff};
  }

  DaemonOptions options_;
};

/// What the proxy would be started with, from the facts (pending/absent facts listed).
DesiredInputs CollectDesired(const ReconcileContext& ctx, const ObservedDaemon& observed);

}  // namespace ironward::daemon
