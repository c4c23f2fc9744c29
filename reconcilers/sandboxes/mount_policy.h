// MountPolicy: host paths a container may never see. Used for declared sandboxes (refused before
// anything is created) and for the unmanaged containers enforcement polices.
//
// A mount is forbidden when its host path
//  * is, or is a parent of, the Docker socket (the sandbox could start containers that bypass the
//    proxy), /etc, or the home of the controller or of any person's account (everything they own);
//  * is, is a parent of, or lies inside a credential store in one of those homes (~/.ssh, ~/.aws,
//    ~/.config, ~/.kube, ~/.docker, ~/.gnupg, ~/.netrc), /etc/shadow, /etc/gshadow, /etc/ssh (host
//    keys), ironward's state directory (the CA key, the token mappings) or its config (/etc/ironward,
//    the credentials env file).
// Paths are compared both as written (lexically normalised) and with symlinks resolved, so
// /var/run/docker.sock and /run/docker.sock are the same thing.
#pragma once

#include <string>
#include <vector>

namespace ironward::sandboxes {

struct MountPolicyInputs {
  std::string home;                        ///< $HOME of the controller ("" = unknown, not checked)
  std::string state_dir;                   ///< ironward's state directory
  std::vector<std::string> docker_sockets;  ///< the engine's socket(s); the defaults are always added
  /// name -> home of every person's account on the host (PersonHomes of /etc/passwd).
  std::vector<std::pair<std::string, std::string>> account_homes;
  /// ironward's configuration: /etc/ironward and the credentials env file (spec.credentials.envFile).
  std::vector<std::string> config_paths;
};

/// The accounts of a passwd(5) text whose home is a person's: root, and UIDs 1000-59999 (Debian's
/// UID_MIN..UID_MAX), or any account whose home lies under /home. System accounts (whose "homes" are
/// /usr/sbin, /var/www, /nonexistent, …) are left out, and so is a home of "/".
std::vector<std::pair<std::string, std::string>> PersonHomes(const std::string& passwd);

class MountPolicy {
 public:
  explicit MountPolicy(const MountPolicyInputs& inputs);

  /// "" when `host_path` may be mounted, otherwise why not (names the protected path).
  std::string Check(const std::string& host_path) const;

  /// The host path of a "host:container[:mode]" bind.
  static std::string HostPathOf(const std::string& bind);

 private:
  struct Rule {
    std::vector<std::string> forms;  ///< the path as written and resolved
    std::string what;                ///< "the Docker socket", "~/.ssh", ...
    bool subtree = false;            ///< also forbid anything inside it
  };
  void Add(const std::string& path, std::string what, bool subtree);
  std::vector<Rule> rules_;
};

}  // namespace ironward::sandboxes
