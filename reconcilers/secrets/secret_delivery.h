// How secret values reach iron-proxy, and the files of the `file` delivery.
//
//  * env delivery (iron-proxy 0.39-0.41, and always for `source: env`): the daemon starts the
//    proxy with the values in its environment; a rotation needs a restart.
//  * file delivery (`source: bitwarden` with iron-proxy >= 0.42, the same rule as the renderer
//    in proxy_config/render.cpp): one 0600 file per secret under <state>/secrets/ (0700), written
//    atomically; a rotation rewrites the files and the daemon reloads the proxy (POST /v1/reload),
//    which re-reads them.
//
// The daemon tells the two apart by SecretFacts::combined_digest: file delivery prefixes it with
// kFileDeliveredPrefix (see reconcilers/daemon/daemon_plan.cpp).
#pragma once

#include <map>
#include <string>

#include "state/spec/spec.h"
#include "state/result.h"
#include "state/state_dir.h"

namespace ironward::secrets {

inline constexpr const char* kSecretsDir = "secrets";
inline constexpr const char* kFileDeliveredPrefix = "file:";

/// True when the rendered proxy.yaml reads secrets from files (see above).
bool FileDelivery(const spec::Spec& spec);

/// sha256 over the sorted (name, digest) pairs; prefixed with kFileDeliveredPrefix for file delivery.
std::string CombinedDigest(const std::map<std::string, std::string>& digests, bool file_delivery);

/// name -> sha256 of each regular file in <state>/secrets/ (missing dir = empty map).
Result<std::map<std::string, std::string>> DeliveredFileDigests(const state::StateReader& state);

/// Makes <state>/secrets/ hold exactly `values`: writes files whose digest differs (0600,
/// atomic) and removes files of secrets no longer wanted. Returns the number of files changed.
Result<int> SyncSecretFiles(state::StateWriter& state, const std::map<std::string, std::string>& values);

}  // namespace ironward::secrets
