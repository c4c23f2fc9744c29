#include "reconcilers/daemon/spawn.h"

namespace ironward::daemon {
namespace {

bool ValidEnvName(const std::string& n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool Reserved(const std::string& n) {
  static const char* const kExact[] = {"PATH", "HOME", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR", "XDG_CONFIG_HOME",
                                       "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy",
                                       "https_proxy", "no_proxy", "all_proxy", "LD_PRELOAD", "LD_LIBRARY_PATH"};
  for (const char* e : kExact) {
    if (n == e) return true;
  }
  return n.rfind("IRON_", 0) == 0 || n.rfind("IRONWARD_", 0) == 0 || n.rfind("OTEL_", 0) == 0 ||
         n.rfind("LC_", 0) == 0 || n.rfind("GODEBUG", 0) == 0;
}

}  // namespace

Result<std::vector<std::string>> BuildEnvironment(const EnvInputs& in) {
  std::vector<std::string> env = {
      std::string("PATH=") + kProxyPath,
      "HOME=" + in.state_root + "/" + kProxyHomeDir,
      "LANG=C.UTF-8",
      in.management_key_env + "=" + in.management_key,
      std::string(kNonceEnv) + "=" + in.nonce,
  };
  if (!ValidEnvName(in.management_key_env)) return Error::Invalid("management key variable name is not valid");
  for (const auto& [name, value] : in.secrets) {
    if (!ValidEnvName(name)) return Error::Invalid("secret name '" + name + "' is not a valid environment variable name");
    if (Reserved(name) || name == in.management_key_env) {
      return Error::Invalid("secret name '" + name + "' would override a variable ironward sets for iron-proxy");
    }
    if (value.find('\0') != std::string::npos) return Error::Invalid("secret '" + name + "' contains a NUL byte");
    env.push_back(name + "=" + value);
  }
  if (!in.upstream_ca_file.empty()) env.push_back("SSL_CERT_FILE=" + in.upstream_ca_file);
  return env;
}

}  // namespace ironward::daemon
