// Facts one reconciler publishes for the ones after it (the edges of the dependency DAG).
// During a dry run these are projections: values that only exist after apply are `pending`.
// A reconciler sees them through a FactsView: it reads only the facts of the resources it declares
// (Reconciler::DependsOn / AlsoReads) and publishes only its own.
// Token values are held here in memory only; they are never printed, logged or written
// outside their 0600 files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ironward {

struct BinaryFacts {
  std::string path;        ///< installed binary
  std::string sha256;      ///< of the installed binary ("" when pending)
  std::string version;     ///< reported by `iron-proxy version`
  bool pending = false;
};

struct CaFacts {
  std::string cert_path;
  std::string key_path;
  std::string fingerprint_sha256;  ///< of the DER cert; "" when pending
  std::string cert_digest;         ///< sha256 of ca.crt bytes; "" when pending
  /// What sandboxes trust (mounted read-only): the active CA, plus the next or previous one
  /// during a staged rotation. Empty path = same as cert_path (no rotation support yet).
  std::string trust_bundle_path;
  std::string trust_bundle_digest;  ///< sha256 of the bundle bytes; "" when pending
  std::string rotation_phase = "stable";  ///< stable | staged | switched (see docs/ca.md)
  bool pending = false;
};

struct MappingFacts {
  std::int64_t rotation = 0;
  std::map<std::string, std::string> tokens;  ///< provider name -> token (sensitive)
  std::set<std::string> pending;              ///< providers whose token is minted at apply
  /// secret name -> provider name as mappings.json recorded them before this pass (also
  /// providers no longer declared): plans label a removed provider by its name.
  std::map<std::string, std::string> recorded_names;
};

struct SecretFacts {
  std::map<std::string, std::string> digests;  ///< secret name -> sha256 of value
  /// secret name -> value. SENSITIVE: in memory only, handed to the proxy's environment (or
  /// its 0600 secret files); never printed, logged, planned or written to status.
  std::map<std::string, std::string> values;
  std::string combined_digest;  ///< sha256 over all (name, digest) pairs: one value for "did anything rotate"
  bool pending = false;         ///< values will only be known at apply (e.g. Bitwarden refresh due)
  /// Digests known (from secrets.json) but no values in this process: a fresh ironward process
  /// could not fetch from Bitwarden. A running proxy keeps what it has; it cannot be (re)started
  /// with environment delivery until a fetch succeeds.
  bool values_unavailable = false;
  /// spec.sandboxes[].secretEnv secrets (never a provider's): for the sandboxes that name them
  /// only, so they are in neither `values` (the proxy's environment) nor `combined_digest`.
  std::map<std::string, std::string> sandbox_digests;  ///< secret name -> sha256 of value
  std::map<std::string, std::string> sandbox_values;   ///< SENSITIVE, as `values`
  std::map<std::string, std::string> sandbox_missing;  ///< secret name -> why it has no value
  /// Names of the `optional: true` providers whose key has no value: left out of proxy.yaml (no
  /// secrets entry, hosts not allowlisted unless spec.allowlist has them) until a pass finds it.
  /// Their proxy tokens stay (mappings), so sandboxes and `ironward wiring` are unaffected.
  std::set<std::string> skipped_providers;
};

struct ConfigFacts {
  std::string path;
  std::string digest;          ///< sha256 of the rendered proxy.yaml ("" when pending)
  std::string listeners_digest;  ///< part that needs a restart to change
  std::string ruleset_digest;    ///< part /v1/reload can apply (transforms)
  std::string bind_address;      ///< resolved IPv4 the tunnel/http listeners bind (sandboxes dial it)
  std::uint16_t tunnel_port = 0; ///< CONNECT listener (HTTPS_PROXY)
  std::uint16_t http_port = 0;   ///< absolute-form listener (HTTP_PROXY)
  /// proxy_config/config_summary.h of the rendered file (no token): the daemon records it at
  /// start and diffs it field by field to name every cause of a restart.
  nlohmann::json summary;
  bool pending = false;
};

/// The sandbox network (enforcement.network: internal).
struct NetworkFacts {
  std::string name;      ///< docker network name
  std::string id;        ///< "" when pending
  std::string gateway;   ///< IPv4 of the bridge on the host side (where the proxy binds)
  std::string bridge;    ///< host interface name of the bridge ("" when pending)
  bool pending = false;
};

/// Containers ironward owns, as the sandboxes reconciler left them.
struct SandboxFacts {
  std::map<std::string, std::string> container_ids;  ///< sandbox name -> container id ("" pending)
};

/// Each member is published by the reconciler of the same name (config: proxy_config).
struct Facts {
  std::optional<BinaryFacts> binary;
  std::optional<CaFacts> ca;
  std::optional<MappingFacts> mappings;
  std::optional<SecretFacts> secrets;
  std::optional<ConfigFacts> config;
  std::optional<NetworkFacts> network;
  std::optional<SandboxFacts> sandboxes;
};

class Reconciler;

/// The facts as a reconciler may use them. Reconciler::Plan and Apply narrow the view to that
/// reconciler: it reads the facts of the resources it declares (DependsOn, AlsoReads) and its own,
/// and publishes only its own. Anything else throws std::logic_error naming the reconciler and the
/// resource: a programming error, found by the first test or pass that reaches the line, whether or
/// not the fact is there (the engine turns it into a failed plan). A view made from a Facts object
/// (the engine, commands such as `wiring`, tests setting facts up) reads and publishes everything.
class FactsView {
 public:
  FactsView(Facts& facts) : facts_(&facts) {}  // NOLINT(google-explicit-constructor): implicit on purpose

  const std::optional<BinaryFacts>& binary() const { return Read(facts_->binary, "binary"); }
  const std::optional<CaFacts>& ca() const { return Read(facts_->ca, "ca"); }
  const std::optional<MappingFacts>& mappings() const { return Read(facts_->mappings, "mappings"); }
  const std::optional<SecretFacts>& secrets() const { return Read(facts_->secrets, "secrets"); }
  const std::optional<ConfigFacts>& config() const { return Read(facts_->config, "proxy_config"); }
  const std::optional<NetworkFacts>& network() const { return Read(facts_->network, "network"); }
  const std::optional<SandboxFacts>& sandboxes() const { return Read(facts_->sandboxes, "sandboxes"); }

  void Publish(BinaryFacts f) { Write(facts_->binary, std::move(f), "binary"); }
  void Publish(CaFacts f) { Write(facts_->ca, std::move(f), "ca"); }
  void Publish(MappingFacts f) { Write(facts_->mappings, std::move(f), "mappings"); }
  void Publish(SecretFacts f) { Write(facts_->secrets, std::move(f), "secrets"); }
  void Publish(ConfigFacts f) { Write(facts_->config, std::move(f), "proxy_config"); }
  void Publish(NetworkFacts f) { Write(facts_->network, std::move(f), "network"); }
  void Publish(SandboxFacts f) { Write(facts_->sandboxes, std::move(f), "sandboxes"); }

 private:
  friend class Reconciler;
  /// The same facts as `reader` may use them: those of `readable` and its own.
  FactsView For(std::string_view reader, const std::vector<std::string_view>& readable) const;
  /// Throws unless the reader may read (publish = false) or publish the facts of `resource`.
  void Check(std::string_view resource, bool publish) const;

  template <class T>
  const std::optional<T>& Read(const std::optional<T>& fact, std::string_view resource) const {
    Check(resource, false);
    return fact;
  }
  template <class T>
  void Write(std::optional<T>& fact, T value, std::string_view resource) {
    Check(resource, true);
    fact = std::move(value);
  }

  Facts* facts_;
  std::optional<std::string> reader_;  ///< nullopt: every fact, read and publish
  std::vector<std::string> readable_;  ///< the reader's declared resources
};

}  // namespace ironward
