// A machine-checked model of the config keys each supported iron-proxy version accepts.
//
// iron-proxy decodes its YAML strictly (unknown key -> exit 1) in the typed blocks, and
// silently ignores unknown keys inside transforms[].config (a typo there is a silent
// misconfiguration). The renderer checks every config against this model before anything is
// written, so a key the binary would reject or ignore can never reach disk.
// Source: shared/reference/iron-proxy-v0.39.md §2, §3, §9.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ironward::proxy_config {

struct ProxyVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;

  static bool Parse(const std::string& text, ProxyVersion* out);
  bool AtLeast(int maj, int min) const { return major > maj || (major == maj && minor >= min); }
  std::string ToString() const;
};

/// Oldest and newest minor versions ironward can render for (inclusive).
inline constexpr int kOldestSupportedMinor = 39;
inline constexpr int kNewestSupportedMinor = 45;
bool Supported(const ProxyVersion& v);

/// Accepted key paths for a version. Paths are dotted; sequence items add "[]"; transform
/// configs are typed by transform name: "transforms[secrets].config.secrets[].replace.proxy_value".
const std::set<std::string>& AcceptedKeys(const ProxyVersion& v);

/// Every problem in `config` for version `v`: unknown keys (with their path) and policy
/// violations (e.g. `require: true` on a secrets entry, which rejects the CONNECT itself).
std::vector<std::string> CheckConfig(const YAML::Node& config, const ProxyVersion& v);

}  // namespace ironward::proxy_config
