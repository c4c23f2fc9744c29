// Watches the state directory with inotify, so `ironward run` heals a state file changed behind
// its back (deleted, replaced, re-moded, a symlink planted) within a second instead of at the next
// drift check. It watches the directory and its bin/ and secrets/ subdirectories (not the files:
// a replaced file is a new inode) and ignores ironward's own bookkeeping (status.json, the lock,
// daemon.json, the Bitwarden login cache, the proxy's log, hidden temp files). After a pass, the
// files its events name are looked at: one now missing, a symlink or readable by others was
// changed meanwhile (a delete right after the pass healed another) and gets one more pass; the
// rest were the pass's own writes.
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
  /// Of `names`, those in a state no pass leaves behind: missing, a symlink, or a file with any
  /// group/other permission bit.
  std::vector<std::string> Unsettled(const std::vector<std::string>& names) const;
  /// (Re-)arms the watches: the state directory, bin/ or secrets/ may have been created (the
  /// first pass makes them), removed or replaced since. Idempotent.
  void Arm();

  /// Whether a change of `relative` (a path under the state dir) is one a pass should look at.
  static bool Relevant(const std::string& relative);

 private:
  std::filesystem::path root_;
  int fd_ = -1;
  std::map<int, std::string> dirs_;  ///< watch descriptor -> "" (root) or "bin" / "secrets"
};

}  // namespace ironward::run
