// What a proxy.yaml means to a reviewer, without a token: iron-proxy's settings by key path
// ("proxy.tunnel_listen", "log.level", "proxy.upstream_deny_cidrs"), the allowlist, and one entry
// per secrets entry (keyed by the secret's name) with its provider, hosts, headers, where the
// token goes and a digest of the token. Plans diff two summaries field by field: the proxy_config
// reconciler the file on disk against the rendered one, the daemon what the running proxy was
// started with (recorded in iron-proxy.pid) against what is desired.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "reconcilers/reconciler.h"

namespace ironward::proxy_config {

/// `provider_names`: secret name -> provider name (from the desired state), for the labels.
nlohmann::json SummarizeConfig(const YAML::Node& config, const std::map<std::string, std::string>& provider_names);
/// Secret name -> provider name of a spec.
std::map<std::string, std::string> ProviderNames(const spec::Spec& spec);

struct ConfigDiff {
  std::vector<FieldChange> restart;  ///< settings: only a restart applies them
  std::vector<FieldChange> reload;   ///< allowlist and providers: POST /v1/reload applies them
  bool empty() const { return restart.empty() && reload.empty(); }
  std::vector<FieldChange> All() const;
};

/// Field by field; an unusable (non-object) summary on either side gives an empty diff.
ConfigDiff DiffConfigSummaries(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace ironward::proxy_config
