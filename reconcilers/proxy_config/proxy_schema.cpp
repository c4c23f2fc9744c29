#include "reconcilers/proxy_config/proxy_schema.h"

#include <cstdio>
#include <map>
#include <mutex>

namespace ironward::proxy_config {
namespace {

// Keys of v0.39.0 (internal/config/config.go and the transforms we emit).
const char* const kBase[] = {
    "dns", "dns.listen", "dns.proxy_ip", "dns.upstream_resolver", "dns.passthrough", "dns.passthrough[]",
    "dns.records", "dns.records[]", "dns.records[].name", "dns.records[].type", "dns.records[].value",
    "proxy", "proxy.http_listen", "proxy.https_listen", "proxy.tunnel_listen", "proxy.max_request_body_bytes",
    "proxy.max_response_body_bytes", "proxy.upstream_response_header_timeout", "proxy.upstream_deny_cidrs",
    "proxy.upstream_deny_cidrs[]",
    "tls", "tls.mode", "tls.ca_cert", "tls.ca_key", "tls.cert_cache_size", "tls.leaf_cert_expiry_hours",
    "metrics", "metrics.listen",
    "management", "management.listen", "management.api_key_env",
    "log", "log.level",
    "transforms", "transforms[]", "transforms[].name", "transforms[].config",
    // allowlist transform (internal/transform/allowlist)
    "transforms[allowlist].config.domains", "transforms[allowlist].config.domains[]",
    "transforms[allowlist].config.cidrs", "transforms[allowlist].config.cidrs[]",
    "transforms[allowlist].config.rules", "transforms[allowlist].config.rules[]",
    "transforms[allowlist].config.rules[].host", "transforms[allowlist].config.rules[].cidr",
    "transforms[allowlist].config.rules[].methods", "transforms[allowlist].config.rules[].methods[]",
    "transforms[allowlist].config.rules[].paths", "transforms[allowlist].config.rules[].paths[]",
    "transforms[allowlist].config.warn",
    // secrets transform, replace mode, env source (internal/transform/secrets)
    "transforms[secrets].config.secrets", "transforms[secrets].config.secrets[]",
    "transforms[secrets].config.secrets[].source", "transforms[secrets].config.secrets[].source.type",
    "transforms[secrets].config.secrets[].source.var", "transforms[secrets].config.secrets[].source.json_key",
    "transforms[secrets].config.secrets[].replace", "transforms[secrets].config.secrets[].replace.proxy_value",
    "transforms[secrets].config.secrets[].replace.match_headers",
    "transforms[secrets].config.secrets[].replace.match_headers[]",
    "transforms[secrets].config.secrets[].replace.match_body", "transforms[secrets].config.secrets[].replace.match_query",
    "transforms[secrets].config.secrets[].replace.match_path", "transforms[secrets].config.secrets[].replace.require",
    "transforms[secrets].config.secrets[].rules", "transforms[secrets].config.secrets[].rules[]",
    "transforms[secrets].config.secrets[].rules[].host", "transforms[secrets].config.secrets[].rules[].cidr",
    "transforms[secrets].config.secrets[].rules[].methods", "transforms[secrets].config.secrets[].rules[].methods[]",
    "transforms[secrets].config.secrets[].rules[].paths", "transforms[secrets].config.secrets[].rules[].paths[]",
};

// v0.42.0: proxy.upstream_proxy; the `file` secret source (path, ttl, failure_ttl).
const char* const kSince42[] = {
    "proxy.upstream_proxy", "proxy.upstream_proxy.http_proxy", "proxy.upstream_proxy.https_proxy",
    "proxy.upstream_proxy.no_proxy",
    "transforms[secrets].config.secrets[].source.path", "transforms[secrets].config.secrets[].source.ttl",
    "transforms[secrets].config.secrets[].source.failure_ttl",
};

// v0.43.0: dns.enabled.
const char* const kSince43[] = {"dns.enabled"};

std::set<std::string> Build(const ProxyVersion& v) {
  std::set<std::string> keys(std::begin(kBase), std::end(kBase));
  if (v.AtLeast(0, 42)) keys.insert(std::begin(kSince42), std::end(kSince42));
  if (v.AtLeast(0, 43)) keys.insert(std::begin(kSince43), std::end(kSince43));
  return keys;
}

void Walk(const YAML::Node& node, const std::string& path, const std::set<std::string>& accepted,
          std::vector<std::string>* problems) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      const std::string child = path.empty() ? key : path + "." + key;
      if (accepted.count(child) == 0) {
        problems->push_back("key '" + child + "' is not accepted by this iron-proxy version");
        continue;
      }
      Walk(kv.second, child, accepted, problems);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      std::string child = path + "[]";
      // transforms[] items are typed by their name for their config subtree
      if (path == "transforms" && item.IsMap() && item["name"]) {
        for (const auto& kv : item) {
          const std::string key = kv.first.as<std::string>();
          if (accepted.count("transforms[]." + key) == 0) {
            problems->push_back("key 'transforms[]." + key + "' is not accepted by this iron-proxy version");
          }
        }
        if (item["config"]) Walk(item["config"], "transforms[" + item["name"].as<std::string>() + "].config", accepted, problems);
        continue;
      }
      if (accepted.count(child) == 0) {
        problems->push_back("sequence '" + path + "' is not accepted by this iron-proxy version");
        return;
      }
      Walk(item, child, accepted, problems);
    }
  }
}

}  // namespace

bool ProxyVersion::Parse(const std::string& text, ProxyVersion* out) {
  int consumed = 0;
  ProxyVersion v;
  if (std::sscanf(text.c_str(), "%d.%d.%d%n", &v.major, &v.minor, &v.patch, &consumed) != 3) return false;
  if (static_cast<std::size_t>(consumed) != text.size() || v.major < 0 || v.minor < 0 || v.patch < 0) return false;
  *out = v;
  return true;
}

std::string ProxyVersion::ToString() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

bool Supported(const ProxyVersion& v) {
  return v.major == 0 && v.minor >= kOldestSupportedMinor && v.minor <= kNewestSupportedMinor;
}

const std::set<std::string>& AcceptedKeys(const ProxyVersion& v) {
  static std::mutex mu;
  static std::map<int, std::set<std::string>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, inserted] = cache.try_emplace(v.major * 1000 + v.minor);
  if (inserted) it->second = Build(v);
  return it->second;
}

std::vector<std::string> CheckConfig(const YAML::Node& config, const ProxyVersion& v) {
  std::vector<std::string> problems;
  if (!Supported(v)) {
    problems.push_back("iron-proxy " + v.ToString() + " is not supported (0." + std::to_string(kOldestSupportedMinor) +
                       "–0." + std::to_string(kNewestSupportedMinor) + ")");
    return problems;
  }
  Walk(config, "", AcceptedKeys(v), &problems);
  // Policy: `require: true` on a secrets entry makes the tunnel's synthetic CONNECT (which
  // carries no token) fail, so every HTTPS request through tunnel_listen would be refused.
  if (const auto transforms = config["transforms"]) {
    for (const auto& t : transforms) {
      if (!t["name"] || t["name"].as<std::string>() != "secrets" || !t["config"] || !t["config"]["secrets"]) continue;
      for (const auto& entry : t["config"]["secrets"]) {
        if (entry["replace"] && entry["replace"]["require"] && entry["replace"]["require"].as<bool>(false)) {
          problems.push_back("secrets entry sets replace.require: true, which rejects the CONNECT itself");
        }
        if (!entry["rules"] || entry["rules"].size() == 0) {
          problems.push_back("secrets entry without rules never fires");
        }
      }
    }
  }
  return problems;
}

}  // namespace ironward::proxy_config
