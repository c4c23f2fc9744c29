// MountPolicy: host paths a container may never see. Used for declared sandboxes (refused before
// anything is created) and for the unmanaged containers enforcement polices.
//
// A mount is forbidden when its host path
//  * is, or is a parent of, the Docker socket (the sandbox could start containers that bypass the
//    proxy) or $HOME (everything the operator owns);
//  * is, is a parent of, or lies inside ~/.ssh, ~/.aws, ~/.config or ironward's state directory
//    (credentials, the CA key, the token mappings).
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
};

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
