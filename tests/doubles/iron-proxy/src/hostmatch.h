// Host, CIDR, method and path matching shared by the allowlist and secrets transforms.
#pragma once

#include "cidr.h"
#include "yaml_decode.h"

#include <set>
#include <string>
#include <vector>

namespace irondouble {

// Go's path.Match (false for malformed patterns).
bool GoPathMatch(const std::string& pattern, const std::string& name);
// hostmatch.MatchGlob: "*", "*.suffix" (also the apex), else path.Match.
bool MatchGlob(const std::string& pattern, const std::string& name);
bool MatchPath(const std::string& pattern, const std::string& path);
// net.SplitHostPort's host, or the input when it has no port.
std::string StripPort(const std::string& host);

struct RuleConfig {
  std::string host, cidr;
  std::vector<std::string> methods, paths;
};

// Decodes a hostmatch.RuleConfig list from a raw node (non-strict).
void DecodeRules(YamlDecoder& d, const YAML::Node& node, std::vector<RuleConfig>* out);

struct Rule {
  std::vector<std::string> domains;
  std::vector<Prefix> cidrs;
  bool any_method = true;
  std::set<std::string> methods;
  std::vector<std::string> paths;  // empty = any

  bool MatchesHost(const std::string& host) const;
  bool Matches(const std::string& host, const std::string& method, const std::string& path) const;
};

// hostmatch.CompileRules; prefix like "allowlist" or "secrets[0]". *err on failure.
bool CompileRules(const std::vector<RuleConfig>& configs, const std::string& prefix,
                  std::vector<Rule>* out, std::string* err);

// Matches host (port stripped), method and decoded path against any rule.
bool MatchAnyRule(const std::vector<Rule>& rules, const std::string& host_with_port,
                  const std::string& method, const std::string& decoded_path);

}  // namespace irondouble
