#include "reconcilers/sandboxes/wiring.h"

#include <algorithm>

#include "state/encoding.h"

namespace ironward::sandboxes {

bool EgressWiring::NetworkPending() const {
  return std::find(pending.begin(), pending.end(), "sandbox network") != pending.end();
}

std::string EgressWiring::HttpsProxyUrl() const {
  return "http://" + proxy_host + ":" + std::to_string(tunnel_port);
}

std::string EgressWiring::HttpProxyUrl() const { return "http://" + proxy_host + ":" + std::to_string(http_port); }

std::string EgressWiring::TokensDigest() const {
  if (Pending()) return "";
  std::string all;
  for (const auto& [name, token] : tokens) all += name + "=" + Sha256Hex(token) + "\n";
  return Sha256Hex(all);
}

std::string EgressWiring::PostureDigest() const {
  if (Pending()) return "";
  return Sha256Hex("ca=" + ca_digest + "\nrotation=" + std::to_string(token_rotation) + "\ntokens=" + TokensDigest());
}

SecretEnvState SecretEnvOf(const spec::Sandbox& s, const EgressWiring& w) {
  SecretEnvState st;
  if (s.secret_env.empty()) return st;
  auto add = [](std::string& list, const std::string& item) { list += (list.empty() ? "" : ", ") + item; };
  std::string all;
  for (const auto& [var, secret] : s.secret_env) {  // std::map: sorted by variable
    if (auto m = w.secret_missing.find(secret); m != w.secret_missing.end()) {
      add(st.missing, secret + " (" + var + "): " + m->second);
      continue;
    }
    auto d = w.secret_digests.find(secret);
    if (d == w.secret_digests.end()) {
      add(st.unknown, secret);
      continue;
    }
    if (w.secret_values.count(secret) == 0) add(st.no_value, secret);
    all += var + "=" + secret + ":" + d->second + "\n";
  }
  if (st.missing.empty() && st.unknown.empty()) st.digest = Sha256Hex(all);
  return st;
}

Result<EgressWiring> CollectWiring(const ReconcileContext& ctx) {
  const spec::Spec& spec = ctx.desired.spec;
  const FactsView& f = ctx.facts;
  EgressWiring w;
  w.owner = ctx.desired.name;
  w.ca_path = spec.wiring.ca_path;
  w.token_env_prefix = spec.wiring.token_env_prefix;
  w.marker_env = spec.wiring.marker_env;
  w.proxy_variables = spec.enforcement.InjectsProxyVariables();

  // Proxy address and ports: the published config; the spec's ports while it is pending.
  w.tunnel_port = spec.proxy.tunnel_port;
  w.http_port = spec.proxy.http_port != 0 ? spec.proxy.http_port : static_cast<std::uint16_t>(spec.proxy.tunnel_port + 1);
  if (f.config()) {
    if (f.config()->tunnel_port != 0) w.tunnel_port = f.config()->tunnel_port;
    if (f.config()->http_port != 0) w.http_port = f.config()->http_port;
  }
  if (spec.enforcement.network == spec::NetworkMode::kInternal) {
    w.network_mode = spec.enforcement.network_name;
    if (!f.network()) {
      return Error::Terminal("enforcement.network is internal but no sandbox network was published (the network "
                             "reconciler did not run); refusing to start sandboxes on the default bridge");
    }
    if (f.network()->pending || f.network()->gateway.empty()) {
      w.pending.push_back("sandbox network");
      w.proxy_host = kKnownAfterApply;
    } else {
      w.proxy_host = f.network()->gateway;
      w.extra_hosts.push_back("host.docker.internal:" + f.network()->gateway);
      if (spec.enforcement.RoutesDns()) w.dns_servers.push_back(f.network()->gateway);
    }
  } else {
    w.network_mode = "bridge";
    w.proxy_host = "host.docker.internal";
    w.extra_hosts.push_back("host.docker.internal:host-gateway");
  }

  if (!f.ca()) return Error::Terminal("no CA facts: the ca reconciler did not run");
  w.ca_host_path = f.ca()->trust_bundle_path.empty() ? f.ca()->cert_path : f.ca()->trust_bundle_path;
  w.ca_digest = f.ca()->trust_bundle_path.empty() ? f.ca()->cert_digest : f.ca()->trust_bundle_digest;
  if (f.ca()->trust_bundle_digest.empty() && !f.ca()->trust_bundle_path.empty()) w.ca_digest = "";
  if (f.ca()->pending || w.ca_digest.empty()) {
    w.pending.push_back("CA");
    w.ca_digest.clear();
  }

  w.token_rotation = spec.tokens.rotation;
  if (!spec.providers.empty() && !f.mappings()) {
    return Error::Terminal("no proxy-token facts: the mappings reconciler did not run");
  }
  if (f.mappings()) w.token_rotation = f.mappings()->rotation != 0 ? f.mappings()->rotation : spec.tokens.rotation;
  for (const spec::Provider& p : spec.providers) {
    const std::string env = w.token_env_prefix + p.secret;
    w.token_names.push_back(env);
    const bool pending = f.mappings()->pending.count(p.name) != 0;
    auto it = f.mappings()->tokens.find(p.name);
    if (pending || it == f.mappings()->tokens.end() || it->second.empty()) {
      w.pending.push_back("proxy token for " + p.name);
    } else {
      w.tokens[env] = it->second;
    }
  }
  if (f.secrets()) {
    w.secret_digests = f.secrets()->sandbox_digests;
    w.secret_values = f.secrets()->sandbox_values;
    w.secret_missing = f.secrets()->sandbox_missing;
  }
  std::sort(w.token_names.begin(), w.token_names.end());
  w.token_names.erase(std::unique(w.token_names.begin(), w.token_names.end()), w.token_names.end());
  return w;
}

}  // namespace ironward::sandboxes
