// The declared sandbox containers: each one created, started, wired through the egress proxy
// and hardened (see docs/sandboxes.md). Observe lists the engine's containers (running owned
// ones are inspected for out-of-band drift, in parallel; under DriftCheck::kListed only those
// whose list entry does not prove them in sync), Diff plans create / replace / delete with a
// reason each, Apply re-observes and converges, up to spec.reconcile.parallelism steps at once. Token values never leave memory except into the
// container's env; plans show them only as SensitiveLabel().
#pragma once

#include <chrono>
#include <optional>

#include "reconcilers/io/progress.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/sandboxes/mount_policy.h"
#include "reconcilers/sandboxes/sandbox_plan.h"

namespace ironward::sandboxes {

struct SandboxesOptions {
  /// $HOME for the mount policy; nullopt = the controller's environment.
  std::optional<std::string> home;
  std::chrono::seconds stop_timeout{10};
  /// Progress of a pass with many steps; null = a rewritten line on a terminal (stderr), else
  /// plain log lines each tenth of the way.
  ProgressSink progress{};
  bool progress_every_step = false;  ///< with `progress`: report every step, not each tenth
};

class SandboxesReconciler final : public ResourceReconciler<ObservedSandboxes> {
 public:
  explicit SandboxesReconciler(SandboxesOptions options = {}) : options_(std::move(options)) {}
  std::string_view Name() const override { return "sandboxes"; }
  /// "network" only exists with the network reconciler; with enforcement.network: none it is a no-op.
  /// ca, mappings, proxy_config, secrets: the wiring's facts (the daemon waits for them too).
  std::vector<std::string_view> DependsOn() const override {
    return {"ca", "daemon", "mappings", "network", "proxy_config", "secrets"};
  }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedSandboxes> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedSandboxes& observed, const Clock& clock) const override;

 private:
  MountPolicy Policy(const ReadDeps& deps, const std::string& env_file) const;
  SandboxesOptions options_;
};

inline constexpr const char* kPasswdFile = "/etc/passwd";
/// Plan identity of a sandbox container (reconcile and down share it).
inline constexpr const char* kSandboxType = "ironward_sandbox";
std::string ContainerAddress(const std::string& container);
inline constexpr const char* kConfigDir = "/etc/ironward";

/// The mount policy inputs of this host: $HOME (or `home`), the homes of the people in /etc/passwd,
/// the state dir, DOCKER_HOST's socket, /etc/ironward and the credentials env file.
MountPolicyInputs HostMountPolicyInputs(const std::string& state_dir, const std::optional<std::string>& home,
                                        const std::string& env_file);

}  // namespace ironward::sandboxes
