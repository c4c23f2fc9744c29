// Secrets: resolves every provider's real key from the configured credential source and hands
// the values (memory only) to the daemon through SecretFacts. It writes nothing itself: status
// gets only digests. A missing or empty value is an error naming the variable: the proxy is
// never started without a key it should swap in (fail closed).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reconcilers/reconciler.h"
#include "reconcilers/secrets/env_source.h"
#include "reconcilers/secrets/uncovered.h"

namespace ironward::secrets {

struct ObservedSecrets {
  std::map<std::string, std::string> values;  ///< secret name -> value (sensitive)
  std::vector<std::string> missing;           ///< "NAME (provider p)"
  std::optional<Error> source_error;
  std::vector<UncoveredFinding> uncovered;
  std::string fingerprint;
};

class SecretsReconciler final : public ResourceReconciler<ObservedSecrets> {
 public:
  /// `env` defaults to the real process environment.
  explicit SecretsReconciler(const Environment* env = nullptr);
  std::string_view Name() const override { return "secrets"; }
  Outcome Apply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;

 protected:
  Result<ObservedSecrets> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedSecrets& observed, const Clock& clock) const override;

 private:
  const Environment* env_;
};

}  // namespace ironward::secrets
