// Facts one reconciler publishes for the ones after it (the edges of the dependency DAG).
// During a dry run these are projections: values that only exist after apply are `pending`.
// Token values are held here in memory only; they are never printed, logged or written
// outside their 0600 files.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

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
  bool pending = false;
};

struct MappingFacts {
  std::int64_t rotation = 0;
  std::map<std::string, std::string> tokens;  ///< provider name -> token (sensitive)
  std::set<std::string> pending;              ///< providers whose token is minted at apply
};

struct SecretFacts {
  std::map<std::string, std::string> digests;  ///< secret name -> sha256 of value
  /// secret name -> value. SENSITIVE: in memory only, handed to the proxy's environment (or
  /// its 0600 secret files); never printed, logged, planned or written to status.
  std::map<std::string, std::string> values;
  std::string combined_digest;  ///< sha256 over all (name, digest) pairs: one value for "did anything rotate"
  bool pending = false;         ///< values will only be known at apply (e.g. Bitwarden refresh due)
};

struct ConfigFacts {
  std::string path;
  std::string digest;          ///< sha256 of the rendered proxy.yaml ("" when pending)
  std::string listeners_digest;  ///< part that needs a restart to change
  std::string ruleset_digest;    ///< part /v1/reload can apply (transforms)
  bool pending = false;
};

struct Facts {
  std::optional<BinaryFacts> binary;
  std::optional<CaFacts> ca;
  std::optional<MappingFacts> mappings;
  std::optional<SecretFacts> secrets;
  std::optional<ConfigFacts> config;
};

}  // namespace ironward
