// EgressWiring: what every sandbox is wired with, derived from the facts of the reconcilers
// before it (CA, mappings, proxy config, sandbox network). Token values are held in memory only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "state/spec/spec.h"
#include "reconcilers/reconciler.h"

namespace ironward::sandboxes {

inline constexpr const char* kNoProxy = "localhost,127.0.0.1,::1";

struct EgressWiring {
  std::string owner;            ///< metadata.name
  /// spec.wiring: where the CA appears inside the container (read-only), the proxy tokens'
  /// variable prefix (<prefix><provider secret name>) and the marker variable (set to 1).
  std::string ca_path;
  std::string token_env_prefix;
  std::string marker_env;
  std::string proxy_host;       ///< host.docker.internal, or the sandbox network's gateway
  std::uint16_t tunnel_port = 0;
  std::uint16_t http_port = 0;
  std::string network_mode;     ///< "bridge" or the sandbox network's name
  std::vector<std::string> extra_hosts;
  /// enforcement.routing dns/both: the container's resolver is the proxy's DNS (the gateway, whose
  /// port 53 the firewall steers to it). Empty otherwise (the engine's default).
  std::vector<std::string> dns_servers;
  /// enforcement.routing: the proxy variables are set (proxy-variables, both) or not (dns).
  bool proxy_variables = true;
  std::string ca_host_path;     ///< the trust bundle (or ca.crt) on the host
  std::string ca_digest;        ///< sha256 of its bytes ("" pending)
  std::int64_t token_rotation = 0;
  /// <token_env_prefix><SECRET> -> token. SENSITIVE: never printed; only SensitiveLabel().
  std::map<std::string, std::string> tokens;
  std::vector<std::string> token_names;  ///< every token env name, known even when pending
  /// Inputs only known after apply ("CA", "proxy token for openrouter", "sandbox network").
  std::vector<std::string> pending;
  /// spec.sandboxes[].secretEnv secrets (SecretFacts' sandbox_*): digests as far as known, values
  /// (SENSITIVE, memory only) when this process has them, and why a secret has none.
  std::map<std::string, std::string> secret_digests;
  std::map<std::string, std::string> secret_values;
  std::map<std::string, std::string> secret_missing;

  bool Pending() const { return !pending.empty(); }
  bool NetworkPending() const;
  std::string HttpsProxyUrl() const;  ///< http://host:tunnel_port
  std::string HttpProxyUrl() const;   ///< http://host:http_port
  /// sha256 over the token values (never the values themselves); "" while pending.
  std::string TokensDigest() const;
  /// One digest for "what the sandbox trusts and presents": CA + tokens. "" while pending.
  std::string PostureDigest() const;
};

/// Where a sandbox's secretEnv stands under `w`.
struct SecretEnvState {
  std::string digest;   ///< label value: sha256 over VAR, secret and sha256(value); "" = no secretEnv
  std::string unknown;  ///< secrets whose digest is only known after apply ("" = none)
  std::string missing;  ///< "NAME: why" for secrets without a value anywhere ("" = none)
  std::string no_value; ///< secrets whose digest is known but whose value this process lacks
};
SecretEnvState SecretEnvOf(const spec::Sandbox& sandbox, const EgressWiring& w);

/// Collects the wiring from ctx.facts. Errors when a fact a sandbox needs is missing entirely
/// (an upstream reconciler is not built or did not run); pending facts are listed, not errors.
Result<EgressWiring> CollectWiring(const ReconcileContext& ctx);

}  // namespace ironward::sandboxes
