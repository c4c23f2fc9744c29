// What the secrets reconciler hands on (SecretFacts) and shows (digest summaries), built from
// resolved values or recorded digests. The providers' keys go to the proxy (`values`, `digests`,
// `combined_digest`); the sandboxes' secretEnv secrets only to the sandboxes (`sandbox_*`).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/spec/spec.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/secrets/bitwarden_source.h"
#include "reconcilers/secrets/secret_record.h"

namespace ironward::secrets {

bool IsIn(const std::vector<std::string>& names, const std::string& name);

/// Every non-optional provider's key is there (a missing secretEnv secret holds back only its
/// sandboxes, a missing optional provider's key only that provider).
bool Covers(const std::map<std::string, std::string>& values, const spec::Spec& spec);

/// Facts from digests alone (name -> sha256); names that are neither a provider's nor a
/// secretEnv secret are dropped. An optional provider without a digest is in skipped_providers.
SecretFacts DigestFacts(const std::map<std::string, std::string>& digests, bool file_delivery,
                        const spec::Spec& spec);

/// Facts from values (`missing`: secretEnv names without one, and why; optional providers' names
/// there are ignored, DigestFacts finds them).
SecretFacts FactsOf(const std::map<std::string, std::string>& values, bool file_delivery, const spec::Spec& spec,
                    const std::map<std::string, std::string>& missing);

/// Only the providers' values: the proxy's secret files never hold a sandbox's secret.
std::map<std::string, std::string> ProviderValues(const std::map<std::string, std::string>& values,
                                                  const spec::Spec& spec);

/// Plan warnings for secretEnv secrets without a value: those sandboxes are not (re)created.
void WarnSandboxMissing(ResourcePlan& plan, const SecretFacts& facts);

/// One "Degraded: optional provider 'P' is left out …" warning per skipped provider, in declared
/// order: its key has no value `where` ("in Bitwarden project X"); "set it there and `then`".
std::vector<std::string> SkippedProviderWarnings(const SecretFacts& facts, const spec::Spec& spec,
                                                 const std::string& where, const std::string& then);

/// Marks a done outcome Degraded with `warnings` (from SkippedProviderWarnings) in its message
/// and details (`skipped_providers`, `degraded`); nothing when no provider is skipped.
void AddSkippedProviders(Outcome& done, const std::vector<std::string>& warnings, const SecretFacts& facts);

/// name -> "sha256:<12 hex>" of each value / of each recorded digest.
nlohmann::json DigestSummary(const std::map<std::string, std::string>& values);
nlohmann::json RecordSummary(const std::optional<SecretRecord>& record);

/// Facts for a process with no values in memory (a one-shot command or a restarted `run`) when
/// secrets.json records every provider's secret of this project: the digests the proxy may be
/// running with, marked `values_unavailable`.
std::optional<SecretFacts> RecordedFacts(const BitwardenObservation& b, const spec::Spec& spec);

}  // namespace ironward::secrets
