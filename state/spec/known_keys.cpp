// The one list of accepted YAML keys: the loader rejects anything else, and the schema-sync
// test compares it with schemas/ironward.v1.schema.json.
#include "state/spec/loader.h"

namespace ironward::spec {

const std::map<std::string, std::set<std::string>>& KnownKeys() {
  static const std::map<std::string, std::set<std::string>> kKeys = {
      {"", {"apiVersion", "kind", "metadata", "spec"}},
      {"metadata", {"name"}},
      {"spec",
       {"proxy", "ca", "providers", "allowlist", "credentials", "tokens", "enforcement",
        "sandboxes", "reconcile", "wiring", "dns"}},
      {"spec.proxy",
       {"version", "source", "bind", "tunnelPort", "httpPort", "metricsPort", "managementPort",
        "dnsPort", "httpsPort", "upstreamDenyCidrs", "logLevel", "upstreamCaFile",
        "maxRestartBackoff", "upstreamResponseHeaderTimeout"}},
      {"spec.proxy.source", {"url", "sha256", "checksumsUrl"}},
      {"spec.ca", {"algorithm", "validity", "renewBefore", "rotation"}},
      {"spec.providers[]", {"name", "secret", "hosts", "headers", "in", "optional"}},
      {"spec.credentials", {"source", "envFile", "bitwarden", "allowEnvFallback"}},
      {"spec.credentials.bitwarden",
       {"projectId", "accessTokenEnv", "serverUrl", "apiUrl", "identityUrl", "refreshInterval",
        "retryInterval"}},
      {"spec.tokens", {"rotation"}},
      {"spec.enforcement",
       {"mode", "network", "uncoveredProviders", "selector", "networkName", "networkSubnet", "requireDigest", "hostFirewall",
        "routing"}},
      {"spec.dns", {"passthrough", "records"}},
      {"spec.dns.records[]", {"name", "type", "value"}},
      {"spec.sandboxes[]",
       {"name", "image", "command", "env", "mounts", "resources", "ports", "user", "capAdd", "restart", "oneshot",
        "healthcheck", "noProxy", "requireDigest", "secretEnv"}},
      {"spec.sandboxes[].ports[]", {"containerPort", "hostPort", "hostAddress", "protocol", "public"}},
      {"spec.sandboxes[].healthcheck", {"command", "interval", "timeout", "retries"}},
      {"spec.sandboxes[].resources", {"memory", "cpus", "pids"}},
      {"spec.reconcile", {"interval", "prune", "suspend", "parallelism"}},
      {"spec.wiring", {"profile", "tokenEnvPrefix", "markerEnv", "caPath"}},
  };
  return kKeys;
}

}  // namespace ironward::spec
