// Enforcement over containers ironward does not own: every running container matching
// enforcement.selector (and not owned by this desired state) is checked for egress compliance
// (enforcement_check.h). mode warn reports each violation as a plan warning and in status
// details; enforce also stops the non-compliant ones; off looks at nothing.
//
// Containers started with `ironward wiring` output (label ironward.dev/wired-by=<this gateway>)
// are also checked for staleness: after a token or CA rotation they are named, with the command
// that re-creates them, and never stopped for it (wired_containers.h).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/reconciler.h"

namespace ironward::sandboxes {

struct PolicedContainer {
  docker::ContainerInfo info;
  bool policed = false;               ///< matches enforcement.selector
  std::vector<std::string> problems;  ///< compliance problems (policed containers only)
  std::string stale;                  ///< wired by this gateway at an older token/CA generation
  std::string recreate;               ///< the command that re-creates a stale one
};

struct ObservedEnforcement {
  bool off = false;
  std::string engine_absent;  ///< why nothing was policed: no engine on this host (socket missing)
  std::vector<PolicedContainer> containers;
  std::string fingerprint;

  std::size_t NonCompliant() const;
  std::size_t Policed() const;
};

struct EnforcementOptions {
  std::optional<std::string> home;  ///< $HOME for the mount policy; nullopt = environment
  std::chrono::seconds stop_timeout{10};
  /// Whether an engine could be running here at all (default: DOCKER_HOST's socket file exists).
  /// An unreachable engine whose socket is missing runs no container, so there is nothing to
  /// police (Ready, with a warning); one whose socket exists but does not answer is an error.
  std::function<bool()> engine_present;
};

class EnforcementReconciler final : public ResourceReconciler<ObservedEnforcement> {
 public:
  explicit EnforcementReconciler(EnforcementOptions options = {}) : options_(std::move(options)) {}
  std::string_view Name() const override { return "enforcement"; }
  /// It waits for the tokens and secret values its verdicts compare against.
  std::vector<std::string_view> DependsOn() const override { return {"mappings", "secrets"}; }
  /// The proxy address, CA and sandbox network are read without waiting: policing must not stop
  /// while one of them fails (a Docker outage fails `network`, and a rogue container started
  /// meanwhile must still be stopped); it judges with what they last published.
  std::vector<std::string_view> AlsoReads() const override { return {"ca", "network", "proxy_config"}; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedEnforcement> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedEnforcement& observed, const Clock& clock) const override;

 private:
  EnforcementOptions options_;
};

}  // namespace ironward::sandboxes
