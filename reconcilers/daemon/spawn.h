// The environment of the supervised iron-proxy (it is started with Processes::SpawnDetached,
// reconcilers/io/process.h): exactly what ironward sets, nothing inherited.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reconcilers/io/process.h"
#include "state/result.h"

namespace ironward::daemon {

struct EnvInputs {
  std::string state_root;        ///< HOME=<state_root>/proxy-home
  std::string management_key_env;
  std::string management_key;    ///< SENSITIVE
  std::string nonce;
  std::map<std::string, std::string> secrets;  ///< env name -> value (SENSITIVE)
  std::string upstream_ca_file;  ///< "" = none (SSL_CERT_FILE not set)
};

inline constexpr const char* kProxyPath = "/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kProxyHomeDir = "proxy-home";

/// Exactly PATH, HOME, LANG, the management key, the nonce, the secrets and (optionally)
/// SSL_CERT_FILE. Nothing is inherited from ironward's own environment. Errors when a secret
/// name is not a plain variable name or would override one of ours (PATH, HOME, IRON_*, proxy
/// variables...). Error messages name variables, never values.
Result<std::vector<std::string>> BuildEnvironment(const EnvInputs& in);

}  // namespace ironward::daemon
