// Secrets: resolves every provider's real key from the configured credential source and hands
// the values (memory only) to the daemon through SecretFacts. Status and secrets.json get only
// digests and fetch times. A missing or empty value is an error naming the variable: the proxy
// is never started without a key it should swap in (fail closed). The exception is a provider
// with `optional: true`: it is left out (SecretFacts::skipped_providers, which the proxy config
// renderer skips) and the plan and outcome say Degraded, naming it and where to set its key.
//
// Sources: `env` (ironward's environment + optional 0600 env file) and `bitwarden`
// (bitwarden_source.h: fetched at apply on the refresh schedule, never in a dry run). With
// Bitwarden and iron-proxy >= 0.42 the values are also delivered as 0600 files under
// <state>/secrets/ (secret_delivery.h), which Apply writes.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/reconciler.h"
#include "reconcilers/secrets/bitwarden_source.h"
#include "reconcilers/secrets/env_source.h"
#include "reconcilers/secrets/secret_delivery.h"
#include "reconcilers/secrets/uncovered.h"

namespace ironward::secrets {

inline constexpr const char* kBitwardenAddress = "secrets.bitwarden";
inline constexpr const char* kSecretFilesAddress = "secrets.files";
inline constexpr const char* kSecretsType = "ironward_secrets";

struct ObservedSecrets {
  std::map<std::string, std::string> values;  ///< env source: secret name -> value (sensitive)
  std::vector<std::string> missing;           ///< env source: "NAME (provider p)" (never an optional one)
  std::vector<std::string> invalid;           ///< env source: provider keys refused (secret_value.h)
  /// Provider keys whose trailing CR/LF was trimmed (both sources; names only, never values).
  std::vector<std::string> value_warnings;
  std::map<std::string, std::string> sandbox_missing;  ///< env source: secretEnv name -> why it has no value
  std::optional<Error> source_error;
  std::vector<UncoveredFinding> uncovered;
  std::optional<BitwardenObservation> bitwarden;  ///< source: bitwarden
  std::string fingerprint;
};

class SecretsReconciler final : public ResourceReconciler<ObservedSecrets> {
 public:
  /// `env` defaults to the real process environment.
  explicit SecretsReconciler(const Environment* env = nullptr, BitwardenOptions bitwarden = {});
  std::string_view Name() const override { return "secrets"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedSecrets> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedSecrets& observed, const Clock& clock) const override;

 private:
  ResourcePlan DiffBitwarden(ReconcileContext& ctx, const ObservedSecrets& observed, const Clock& clock) const;
  Outcome ApplyBitwarden(ReconcileContext& ctx, WriteDeps& deps);

  const Environment* env_;
  std::unique_ptr<BitwardenSource> bitwarden_;
};

}  // namespace ironward::secrets
