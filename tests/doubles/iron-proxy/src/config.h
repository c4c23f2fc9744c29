// iron-proxy's YAML configuration: strict decoding per pretended version, IRON_* overrides,
// defaults and Validate, with the real binary's error texts.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace irondouble {

struct TransformConfig {
  std::string name;
  YAML::Node config;  // raw node; decoded non-strictly by the transform
};

struct Config {
  struct Dns {
    std::optional<bool> enabled;  // >= 0.43
    std::string listen, proxy_ip, upstream_resolver;
    std::vector<std::string> passthrough;
    struct Record { std::string name, type, value; };
    std::vector<Record> records;
    bool IsEnabled() const { return !enabled.has_value() || *enabled; }
  } dns;
  struct Proxy {
    std::string http_listen, https_listen, tunnel_listen;
    long long max_request_body_bytes = 0, max_response_body_bytes = 0;
    long long upstream_response_header_timeout_ns = 0;
    bool deny_set = false;
    std::vector<std::string> upstream_deny_cidrs;
    struct UpstreamProxy { std::string http_proxy, https_proxy, no_proxy; } upstream_proxy;  // >= 0.42
  } proxy;
  struct Tls {
    std::string mode, ca_cert, ca_key;
    long long cert_cache_size = 0, leaf_cert_expiry_hours = 0;
  } tls;
  std::vector<TransformConfig> transforms;
  struct Metrics { std::string listen; } metrics;
  struct Management { std::string listen, api_key_env; } management;
  struct Log { std::string level; } log;
};

// LoadConfig: parse the file (if path non-empty), apply IRON_* env overrides, fill defaults.
// On failure returns false; *err is the text after "error: ".
/// The environment variable's value, "" when unset.
std::string Env(const char* name);

bool LoadConfig(const std::string& path, Config* cfg, std::string* err);

// config.Validate; returns "" when valid.
std::string Validate(const Config& cfg);

// Go's time.ParseDuration; false on syntax error.
bool ParseGoDuration(const std::string& s, long long* ns);

}  // namespace irondouble
