#include "reconcilers/daemon/process_identity.h"

#include <unistd.h>

#include <thread>

#include "reconcilers/daemon/spawn.h"

namespace ironward::daemon {

bool WaitGone(const Processes& processes, const ProcessIdentity& id, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (processes.CheckIdentity(id) != Liveness::kAlive) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

std::vector<ProcessIdentity> FindStrays(const Processes& processes, const std::filesystem::path& state_root,
                                        pid_t except) {
  std::vector<ProcessIdentity> out;
  const std::string home_entry = "HOME=" + (state_root / kProxyHomeDir).string();
  const std::string nonce_prefix = std::string(kNonceEnv) + "=";
  // /proc/<pid>/cwd shows the directory with symlinks resolved; "" = cannot tell, no shortcut.
  std::error_code ec;
  const std::filesystem::path resolved = std::filesystem::canonical(state_root, ec);
  const std::string spawn_dir = ec ? std::string() : resolved.string();
  const pid_t self = ::getpid();
  for (const pid_t pid : processes.ListPids()) {
    if (pid <= 0 || pid == except || pid == self) continue;
    if (!spawn_dir.empty()) {
      const std::string cwd = processes.ReadWorkingDirectory(pid);
      if (!cwd.empty() && cwd != spawn_dir) continue;
    }
    const auto env = processes.ReadEnviron(pid);
    bool home_match = false;
    std::string nonce;
    for (const auto& kv : env) {
      if (kv == home_entry) home_match = true;
      if (kv.compare(0, nonce_prefix.size(), nonce_prefix) == 0) nonce = kv.substr(nonce_prefix.size());
    }
    if (!home_match || nonce.empty()) continue;
    const auto st = processes.ReadStat(pid);
    if (!st || st->state == 'Z') continue;
    out.push_back(ProcessIdentity{pid, nonce, st->starttime});
  }
  return out;
}

}  // namespace ironward::daemon
