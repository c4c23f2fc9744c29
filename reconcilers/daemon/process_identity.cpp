#include "reconcilers/daemon/process_identity.h"

#include <unistd.h>

#include <thread>

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

std::vector<ProcessIdentity> FindStrays(const Processes& processes, const std::string& home, pid_t except) {
  std::vector<ProcessIdentity> out;
  const std::string home_entry = "HOME=" + home;
  const std::string nonce_prefix = std::string(kNonceEnv) + "=";
  const pid_t self = ::getpid();
  for (const pid_t pid : processes.ListPids()) {
    if (pid <= 0 || pid == except || pid == self) continue;
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
