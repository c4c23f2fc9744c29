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
  /// secrets: which optional providers have no key. It does not wait for secrets to be Ready: while
  /// they are unknown (a failed fetch, a missing value) each optional provider stays as the file has
  /// it, and every other change to proxy.yaml still goes out.
  std::vector<std::string_view> AlsoReads() const override { return {"secrets"}; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedProxyConfig> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedProxyConfig& observed, const Clock& clock) const override;
};

}  // namespace ironward
