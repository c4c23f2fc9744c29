#include "reconcilers/sandboxes/enforcement_check.h"

#include <charconv>

#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {

constexpr std::size_t kMinSecretLength = 8;  // shorter values would match by accident

struct HostPort {
  std::string host;
  std::uint16_t port = 0;  ///< 0 when there is none
};

/// Host and port of "scheme://[user@]host:port[/...]".
HostPort HostPortOf(const std::string& url) {
  std::string rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string::npos) rest = rest.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || rest.find(']', colon) != std::string::npos) return {rest, 0};
  HostPort hp{rest.substr(0, colon), 0};
  unsigned port = 0;
  const char* begin = rest.data() + colon + 1;
  const char* end = rest.data() + rest.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec == std::errc() && ptr == end && port <= 65535) hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

void CheckProxyVar(const docker::ContainerInfo& c, const char* upper, const char* lower,
                   std::initializer_list<std::uint16_t> ports, const std::set<std::string>& hosts,
                   std::vector<std::string>& out) {
  auto up = c.EnvValue(upper);
  auto low = c.EnvValue(lower);
  if (!up && !low) {
    out.push_back(std::string(upper) + " is not set (egress bypasses the proxy)");
    return;
  }
  for (const auto& [name, value] : {std::pair{upper, up}, std::pair{lower, low}}) {
    if (!value) continue;
    const HostPort hp = HostPortOf(*value);
    bool ok = hosts.empty() || hosts.count(hp.host) != 0;
    bool port_ok = false;
    for (auto p : ports) port_ok = port_ok || (p != 0 && p == hp.port);
    ok = ok && port_ok;
    if (!ok) out.push_back(std::string(name) + " does not point at the egress proxy");
  }
}

std::string WithoutTrailingSlash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

std::vector<std::string> Violations(const docker::ContainerInfo& c, const PolicyInputs& in, const MountPolicy& policy) {
  std::vector<std::string> out;
  if (in.proxy_variables) {
    CheckProxyVar(c, "HTTPS_PROXY", "https_proxy", {in.tunnel_port}, in.proxy_hosts, out);
    CheckProxyVar(c, "HTTP_PROXY", "http_proxy", {in.http_port, in.tunnel_port}, in.proxy_hosts, out);
  }

  const docker::MountPoint* ca = nullptr;
  for (const auto& m : c.mounts) {
    if (WithoutTrailingSlash(m.destination) == in.ca_path) ca = &m;
  }
  if (ca == nullptr) {
    out.push_back("egress CA is not mounted at " + in.ca_path);
  } else {
    if (ca->rw) out.push_back("egress CA mount is writable (must be read-only)");
    if (!in.ca_host_path.empty() && WithoutTrailingSlash(ca->source) != WithoutTrailingSlash(in.ca_host_path)) {
      out.push_back("egress CA mount is not ironward's CA bundle (" + ca->source + ")");
    }
  }
  if (!c.EnvValue("SSL_CERT_FILE")) out.push_back("SSL_CERT_FILE is not set");

  for (const auto& kv : c.config.env) {
    const auto eq = kv.find('=');
    const std::string name = kv.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (auto p = in.secret_names.find(name); p != in.secret_names.end()) {
      out.push_back("env sets " + name + ", the real secret name of provider '" + p->second + "'");
    }
    const std::string digest = Sha256Hex(value);
    bool leaked = false;
    for (const auto& [secret, d] : in.secret_digests) {
      if (!value.empty() && d == digest) {
        out.push_back("env " + name + " holds the real value of secret " + secret);
        leaked = true;
        break;
      }
    }
    if (!leaked) {
      for (const auto& [secret, v] : in.secret_values) {
        if (v.size() >= kMinSecretLength && value.find(v) != std::string::npos) {
          out.push_back("env " + name + " contains the real value of secret " + secret);
          break;
        }
      }
    }
    if (in.tokens_known && !in.token_env_prefix.empty() && name.rfind(in.token_env_prefix, 0) == 0) {
      auto t = in.current_tokens.find(name);
      if (t == in.current_tokens.end()) {
        out.push_back(name + " is not a proxy token of any declared provider");
      } else if (!ConstantTimeEquals(t->second, value)) {
        out.push_back(name + " holds a stale proxy token (not the current one)");
      }
    }
  }

  for (const auto& m : c.mounts) {
    if (m.type != "bind" && m.type != "") continue;
    // The CA bundle lives in the state directory; mounting exactly it, read-only, is the point.
    if (!in.ca_host_path.empty() && !m.rw && WithoutTrailingSlash(m.source) == WithoutTrailingSlash(in.ca_host_path)) continue;
    if (std::string why = policy.Check(m.source); !why.empty()) {
      out.push_back("forbidden mount " + m.source + " -> " + m.destination + ": " + why);
    }
  }
  if (c.host_config.privileged) out.push_back("runs privileged");
  if (c.host_config.network_mode == "host") {
    out.push_back("uses the host network (bypasses any network isolation)");
  } else if (!in.sandbox_network.empty()) {
    for (const auto& [network, endpoint] : c.networks) {
      if (network != in.sandbox_network) {
        out.push_back("attached to network " + network + " besides the sandbox network " + in.sandbox_network +
                      " (a way out that bypasses the proxy)");
      }
    }
    if (c.networks.empty() && c.host_config.network_mode != "none") {
      out.push_back("not attached to the sandbox network " + in.sandbox_network);
    }
  }
  return out;
}

}  // namespace ironward::sandboxes
