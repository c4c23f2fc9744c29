// Watches the state directory with inotify, so `ironward run` heals a state file changed behind
// its back (deleted, replaced, re-moded, a symlink planted) within a second instead of at the next
// drift check. It watches the directory and its bin/ and secrets/ subdirectories (not the files:
// a replaced file is a new inode) and ignores ironward's own bookkeeping (status.json, the lock,
// daemon.json, the Bitwarden login cache, the proxy's log, hidden temp files). Events a pass
// causes itself are drained and dropped after the pass (Discard).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ironward::run {

class StateWatch {
 public:
  explicit StateWatch(std::filesystem::path root);
  ~StateWatch();
  StateWatch(const StateWatch&) = delete;
  StateWatch& operator=(const StateWatch&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  /// Reads all pending events; the state files they concern ("mappings.json", "bin/iron-proxy"),
  /// sorted and unique; empty when none matters.
  std::vector<std::string> Drain();
  /// Drops pending events (a pass's own writes) and (re-)arms the watches: the directories may
  /// have been created, removed or replaced since.
  void Discard();

  /// Whether a change of `relative` (a path under the state dir) is one a pass should look at.
  static bool Relevant(const std::string& relative);

 private:
  void Arm();

  std::filesystem::path root_;
  int fd_ = -1;
  std::map<int, std::string> dirs_;  ///< watch descriptor -> "" (root) or "bin" / "secrets"
};

}  // namespace ironward::run
