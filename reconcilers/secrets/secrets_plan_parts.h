// Plan pieces both credential sources of the secrets reconciler use (secrets_reconciler.cpp for
// the environment, secrets_bitwarden.cpp for Bitwarden Secrets Manager).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/facts.h"
#include "reconcilers/reconciler.h"
#include "state/spec/spec.h"

namespace ironward::secrets::detail {

/// Appended to an error when no value could be had: the proxy is not started without them.
inline constexpr const char* kFailClosed = "; no secret values yet, so iron-proxy is not started (fail closed)";

/// "42s" (rounded up), or "never (stopped)".
std::string Seconds(std::optional<std::chrono::nanoseconds> d);
/// A `secrets.files` change when <state>/secrets/ differs from `want` (name -> sha256).
void AddFileChange(ResourcePlan& plan, const std::map<std::string, std::string>& want,
                   const std::map<std::string, std::string>& files);
/// The Degraded warnings of the optional providers left out for want of a key, with where to set
/// it for this credential source and when that takes effect.
std::vector<std::string> SkippedWarnings(const spec::Spec& spec, const SecretFacts& facts);

}  // namespace ironward::secrets::detail
