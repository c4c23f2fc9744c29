// Detached start of the proxy: fork -> setsid -> fork, so it outlives a one-shot
// `ironward reconcile` and is never ironward's child. The grandchild gets stdin /dev/null,
// stdout+stderr appended to the log *file* (never a pipe: a write can neither block nor
// SIGPIPE the proxy when ironward is gone), no other fd, default signal dispositions, an
// empty signal mask, umask 077, cwd = the state dir, and exactly the environment given.
// An exec failure is reported back through a CLOEXEC pipe.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "state/result.h"

namespace ironward::daemon {

struct SpawnRequest {
  std::string binary;              ///< absolute path, exec'd directly (no PATH lookup)
  std::vector<std::string> argv;   ///< argv[0] included
  std::vector<std::string> env;    ///< "NAME=value" entries: the whole environment
  int log_fd = -1;                 ///< opened by the caller (see log_file.h); dup'd onto 1 and 2
  std::string cwd;
};

/// Starts the process; returns its pid once exec succeeded (or the exec error).
Result<pid_t> SpawnDetached(const SpawnRequest& request);

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
