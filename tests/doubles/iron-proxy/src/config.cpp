#include "config.h"

#include "ca.h"
#include "cidr.h"
#include "log.h"
#include "version.h"
#include "yaml_decode.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace irondouble {
namespace {

constexpr long long kSecond = 1000000000LL;

void DecodeConfig(YamlDecoder& d, const YAML::Node& root, Config* cfg) {
  d.Struct(root, "config.Config", [&](const std::string& k, const YAML::Node& v) {
    if (k == "dns") {
      d.Struct(v, "config.DNS", [&](const std::string& f, const YAML::Node& x) {
        auto& c = cfg->dns;
        if (f == "enabled" && AtLeast(43)) {
          if (!YamlDecoder::IsNull(x)) { bool b = true; d.Bool(x, &b); c.enabled = b; }
        } else if (f == "listen") d.String(x, &c.listen);
        else if (f == "proxy_ip") d.String(x, &c.proxy_ip);
        else if (f == "upstream_resolver") d.String(x, &c.upstream_resolver);
        else if (f == "passthrough") d.StringList(x, &c.passthrough);
        else if (f == "records") {
          c.records.clear();
          d.List(x, "[]config.DNSRecord", [&](const YAML::Node& item) {
            Config::Dns::Record r;
            d.Struct(item, "config.DNSRecord", [&](const std::string& rf, const YAML::Node& rv) {
              if (rf == "name") d.String(rv, &r.name);
              else if (rf == "type") d.String(rv, &r.type);
              else if (rf == "value") d.String(rv, &r.value);
              else return false;
              return true;
            });
            c.records.push_back(r);
          });
        } else return false;
        return true;
      });
    } else if (k == "proxy") {
      d.Struct(v, "config.Proxy", [&](const std::string& f, const YAML::Node& x) {
        auto& c = cfg->proxy;
        if (f == "http_listen") d.String(x, &c.http_listen);
        else if (f == "https_listen") d.String(x, &c.https_listen);
        else if (f == "tunnel_listen") d.String(x, &c.tunnel_listen);
        else if (f == "max_request_body_bytes") d.Int(x, &c.max_request_body_bytes, "int64");
        else if (f == "max_response_body_bytes") d.Int(x, &c.max_response_body_bytes, "int64");
        else if (f == "upstream_response_header_timeout") {
          std::string s;
          d.String(x, &s);
          c.upstream_response_header_timeout_ns = 0;
          if (!s.empty() && !ParseGoDuration(s, &c.upstream_response_header_timeout_ns)) {
            throw std::runtime_error("time: invalid duration " + Json(s).dump());
          }
        } else if (f == "upstream_deny_cidrs") {
          if (!YamlDecoder::IsNull(x)) {  // null never reaches the custom unmarshaler
            c.deny_set = true;
            c.upstream_deny_cidrs.clear();
            d.StringList(x, &c.upstream_deny_cidrs);
          }
        } else if (f == "upstream_proxy" && AtLeast(42)) {
          d.Struct(x, "config.UpstreamProxy", [&](const std::string& uf, const YAML::Node& uv) {
            if (uf == "http_proxy") d.String(uv, &c.upstream_proxy.http_proxy);
            else if (uf == "https_proxy") d.String(uv, &c.upstream_proxy.https_proxy);
            else if (uf == "no_proxy") d.String(uv, &c.upstream_proxy.no_proxy);
            else return false;
            return true;
          });
        } else return false;
        return true;
      });
    } else if (k == "tls") {
      d.Struct(v, "config.TLS", [&](const std::string& f, const YAML::Node& x) {
        auto& c = cfg->tls;
        if (f == "mode") d.String(x, &c.mode);
        else if (f == "ca_cert") d.String(x, &c.ca_cert);
        else if (f == "ca_key") d.String(x, &c.ca_key);
        else if (f == "cert_cache_size") d.Int(x, &c.cert_cache_size, "int");
        else if (f == "leaf_cert_expiry_hours") d.Int(x, &c.leaf_cert_expiry_hours, "int");
        else return false;
        return true;
      });
    } else if (k == "transforms") {
      cfg->transforms.clear();
      d.List(v, "[]config.Transform", [&](const YAML::Node& item) {
        TransformConfig t;
        d.Struct(item, "config.Transform", [&](const std::string& f, const YAML::Node& x) {
          if (f == "name") d.String(x, &t.name);
          else if (f == "config") t.config = x;
          else return false;
          return true;
        });
        cfg->transforms.push_back(t);
      });
    } else if (k == "mcp" || k == "postgres") {
      // raw nodes, decoded later without strictness; the double ignores them
    } else if (k == "metrics") {
      d.Struct(v, "config.Metrics", [&](const std::string& f, const YAML::Node& x) {
        if (f != "listen") return false;
        d.String(x, &cfg->metrics.listen);
        return true;
      });
    } else if (k == "management") {
      d.Struct(v, "config.Management", [&](const std::string& f, const YAML::Node& x) {
        if (f == "listen") d.String(x, &cfg->management.listen);
        else if (f == "api_key_env") d.String(x, &cfg->management.api_key_env);
        else return false;
        return true;
      });
    } else if (k == "log") {
      d.Struct(v, "config.Log", [&](const std::string& f, const YAML::Node& x) {
        if (f != "level") return false;
        d.String(x, &cfg->log.level);
        return true;
      });
    } else {
      return false;
    }
    return true;
  });
}

bool ParseFile(const std::string& path, Config* cfg, std::string* err) {
  if (path.rfind("s3://", 0) == 0) {
    *err = "fetching config from S3: the ironward test double cannot reach S3";
    return false;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = "opening config file: open " + path + ": " + GoErrno(errno != 0 ? errno : ENOENT);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(ss.str());
  } catch (const YAML::Exception& e) {
    *err = "parsing config: yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
  if (docs.empty()) {
    *err = "parsing config: EOF";
    return false;
  }
  YamlDecoder d(/*known_fields=*/true);
  try {
    DecodeConfig(d, docs[0], cfg);
  } catch (const std::exception& e) {
    *err = std::string("parsing config: ") + e.what();
    return false;
  }
  if (!d.ok()) {
    *err = "parsing config: " + d.Message();
    return false;
  }
  return true;
}

bool EnvInt(const char* name, const char* fn, long long* out, std::string* err) {
  std::string v = Env(name);
  if (v.empty()) return true;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v.find_first_of(" \t") != std::string::npos) {
    *err = std::string(name) + ": strconv." + fn + ": parsing " + Json(v).dump() + ": invalid syntax";
    return false;
  }
  *out = n;
  return true;
}

bool ApplyEnv(Config* cfg, std::string* err) {
  if (AtLeast(43)) {
    std::string v = Env("IRON_DNS_ENABLED");
    if (!v.empty()) {
      if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") cfg->dns.enabled = true;
      else if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") cfg->dns.enabled = false;
      else {
        *err = "IRON_DNS_ENABLED: strconv.ParseBool: parsing " + Json(v).dump() + ": invalid syntax";
        return false;
      }
    }
  }
  auto str = [](const char* name, std::string* field) {
    std::string v = Env(name);
    if (!v.empty()) *field = v;
  };
  str("IRON_DNS_LISTEN", &cfg->dns.listen);
  str("IRON_DNS_PROXY_IP", &cfg->dns.proxy_ip);
  str("IRON_DNS_UPSTREAM_RESOLVER", &cfg->dns.upstream_resolver);
  str("IRON_PROXY_HTTP_LISTEN", &cfg->proxy.http_listen);
  str("IRON_PROXY_HTTPS_LISTEN", &cfg->proxy.https_listen);
  str("IRON_PROXY_TUNNEL_LISTEN", &cfg->proxy.tunnel_listen);
  str("IRON_TLS_MODE", &cfg->tls.mode);
  str("IRON_TLS_CA_CERT", &cfg->tls.ca_cert);
  str("IRON_TLS_CA_KEY", &cfg->tls.ca_key);
  str("IRON_METRICS_LISTEN", &cfg->metrics.listen);
  if (AtLeast(45)) str("IRON_MANAGEMENT_LISTEN", &cfg->management.listen);
  str("IRON_LOG_LEVEL", &cfg->log.level);
  if (!EnvInt("IRON_PROXY_MAX_REQUEST_BODY_BYTES", "ParseInt", &cfg->proxy.max_request_body_bytes, err) ||
      !EnvInt("IRON_PROXY_MAX_RESPONSE_BODY_BYTES", "ParseInt", &cfg->proxy.max_response_body_bytes, err) ||
      !EnvInt("IRON_TLS_CERT_CACHE_SIZE", "Atoi", &cfg->tls.cert_cache_size, err) ||
      !EnvInt("IRON_TLS_LEAF_CERT_EXPIRY_HOURS", "Atoi", &cfg->tls.leaf_cert_expiry_hours, err)) {
    return false;
  }
  std::string t = Env("IRON_PROXY_UPSTREAM_RESPONSE_HEADER_TIMEOUT");
  if (!t.empty() && !ParseGoDuration(t, &cfg->proxy.upstream_response_header_timeout_ns)) {
    *err = "IRON_PROXY_UPSTREAM_RESPONSE_HEADER_TIMEOUT: time: invalid duration " + Json(t).dump();
    return false;
  }
  return true;
}

void ApplyDefaults(Config* cfg) {
  if (cfg->dns.IsEnabled() && cfg->dns.listen.empty()) cfg->dns.listen = ":53";
  if (cfg->proxy.http_listen.empty()) cfg->proxy.http_listen = ":80";
  if (cfg->proxy.https_listen.empty()) cfg->proxy.https_listen = ":443";
  if (cfg->proxy.max_request_body_bytes == 0) cfg->proxy.max_request_body_bytes = 1 << 20;
  if (cfg->proxy.upstream_response_header_timeout_ns == 0) cfg->proxy.upstream_response_header_timeout_ns = 30 * kSecond;
  if (!cfg->proxy.deny_set) {
    cfg->proxy.upstream_deny_cidrs = {"169.254.169.254/32", "fd00:ec2::254/128", "127.0.0.0/8", "::1/128"};
    cfg->proxy.deny_set = true;
  }
  if (cfg->tls.mode.empty()) cfg->tls.mode = "mitm";
  if (cfg->tls.cert_cache_size == 0) cfg->tls.cert_cache_size = 1000;
  if (cfg->tls.leaf_cert_expiry_hours == 0) cfg->tls.leaf_cert_expiry_hours = 72;
  if (cfg->metrics.listen.empty()) cfg->metrics.listen = ":9090";
  if (!cfg->management.listen.empty() && cfg->management.api_key_env.empty()) {
    cfg->management.api_key_env = "IRON_MANAGEMENT_API_KEY";
  }
  if (cfg->log.level.empty()) cfg->log.level = "info";
}

}  // namespace

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool LoadConfig(const std::string& path, Config* cfg, std::string* err) {
  *cfg = Config{};
  if (!path.empty() && !ParseFile(path, cfg, err)) return false;
  if (!ApplyEnv(cfg, err)) return false;
  ApplyDefaults(cfg);
  return true;
}

std::string Validate(const Config& cfg) {
  if (cfg.dns.IsEnabled() && cfg.dns.proxy_ip.empty()) return "dns.proxy_ip is required";
  if (cfg.tls.mode == "mitm") {
    if (cfg.tls.ca_cert.empty()) return "tls.ca_cert is required";
    if (cfg.tls.ca_key.empty()) return "tls.ca_key is required";
  } else if (cfg.tls.mode != "sni-only") {
    return "tls.mode must be \"mitm\" or \"sni-only\"; got " + Json(cfg.tls.mode).dump();
  }
  Level level;
  if (!ParseLevel(cfg.log.level, &level)) return "log.level: unknown log level: " + Json(cfg.log.level).dump();
  if (cfg.proxy.upstream_response_header_timeout_ns <= 0) {
    return "proxy.upstream_response_header_timeout must be positive; got " +
           std::to_string(cfg.proxy.upstream_response_header_timeout_ns) + "ns";
  }
  for (const auto& raw : cfg.proxy.upstream_deny_cidrs) {
    Prefix p;
    std::string err;
    if (!ParseDenyCidr(raw, &p, &err)) return "proxy.upstream_deny_cidrs: " + err;
  }
  if (!cfg.management.listen.empty()) {
    if (cfg.management.api_key_env.empty()) return "management.api_key_env is required when management.listen is set";
    if (Env(cfg.management.api_key_env.c_str()).empty()) {
      return "management.api_key_env " + Json(cfg.management.api_key_env).dump() + " is not set in the environment";
    }
  }
  for (std::size_t i = 0; i < cfg.dns.records.size(); ++i) {
    const auto& r = cfg.dns.records[i];
    std::string at = "dns.records[" + std::to_string(i) + "]";
    if (r.name.empty()) return at + ".name is required";
    if (r.type != "A" && r.type != "CNAME") return at + ".type must be A or CNAME; got " + Json(r.type).dump();
    if (r.value.empty()) return at + ".value is required";
  }
  return "";
}

bool ParseGoDuration(const std::string& input, long long* ns) {
  std::string s = input;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; s = s.substr(1); }
  if (s == "0") { *ns = 0; return true; }
  if (s.empty()) return false;
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == start) return false;
    double value = std::atof(s.substr(start, i - start).c_str());
    std::size_t ustart = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    std::string unit = s.substr(ustart, i - ustart);
    double mult = 0;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return false;
    total += value * mult;
  }
  *ns = static_cast<long long>(std::llround(neg ? -total : total));
  return true;
}

}  // namespace irondouble
