// proxy.yaml (0600): iron-proxy's config, rendered from the desired state, the CA paths and
// the token mappings, leaving out the optional providers the secrets resource found no key for
// (SecretFacts::skipped_providers; it runs earlier in the engine's order). Drift (an edited,
// deleted or loosened file) is planned as an update.
#pragma once

#include <sys/types.h>

#include <string>

#include "reconcilers/reconciler.h"

namespace ironward {

inline constexpr const char* kProxyConfigFile = "proxy.yaml";

struct ObservedProxyConfig {
  bool exists = false;
  std::string text;
  mode_t mode = 0;
  std::string bind_ip;  ///< resolved bind address
  std::filesystem::path state_root;  ///< where ca.*, secrets/ and proxy.yaml live
  std::string fingerprint;
};

class ProxyConfigReconciler final : public ResourceReconciler<ObservedProxyConfig> {
 public:
  std::string_view Name() const override { return "proxy_config"; }
  std::vector<std::string_view> DependsOn() const override { return {"ca", "mappings"}; }
  Outcome Apply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;

 protected:
  Result<ObservedProxyConfig> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedProxyConfig& observed, const Clock& clock) const override;
};

}  // namespace ironward
