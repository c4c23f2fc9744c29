// iron-proxy-running: probes the live process recorded in <state-dir>/iron-proxy.pid (same pid,
// starttime and nonce: Processes::CheckIdentity) and the tunnel listener from <state-dir>/proxy.yaml
// (accepts a TCP connection), through the ProxyProbe seam. status.json is not consulted.
#include "controller/harden/signals.h"
#include "reconcilers/daemon/pid_record.h"

namespace ironward::harden {
namespace {

SignalResult Running(SignalStatus status, std::string detail, std::string fix = "") {
  return Make(kIronProxyRunning, status, std::move(detail), std::move(fix));
}

// A state-dir file read without following symlinks; on failure, the signal to report.
std::optional<SignalResult> ReadStateFile(const ProbeEnv& env, const std::string& path, std::string* out) {
  FileRead read = env.files.Read(path, /*follow_symlinks=*/false);
  switch (read.outcome) {
    case FileRead::Outcome::kOk:
      *out = std::move(read.content);
      return std::nullopt;
    case FileRead::Outcome::kMissing:
      return Running(SignalStatus::kFail, "no " + path + ": iron-proxy is not running",
                     std::string(kReconcileFix) + " (or keep `ironward run` going)");
    case FileRead::Outcome::kDenied:
      return Running(SignalStatus::kWarn, "cannot read " + read.error, std::string(kRunAsRoot));
    default:
      return Running(SignalStatus::kWarn, "cannot read " + read.error, "");
  }
}

}  // namespace

SignalResult ProbeIronProxyRunning(const ProbeEnv& env) {
  const FileInfo dir = env.files.Stat(env.state_dir);
  if (dir.kind == FileInfo::Kind::kMissing) {
    return Running(SignalStatus::kSkip, env.state_dir + " does not exist (ironward has never run with this state dir)");
  }
  if (dir.kind == FileInfo::Kind::kDenied) {
    return Running(SignalStatus::kWarn, "cannot inspect " + dir.error, std::string(kRunAsRoot));
  }

  const std::string pid_path = env.state_dir + "/" + daemon::kPidFile;
  std::string text;
  if (auto early = ReadStateFile(env, pid_path, &text)) return *early;
  const Result<daemon::PidRecord> record = daemon::ParsePidRecord(text);
  if (!record) return Running(SignalStatus::kWarn, pid_path + ": " + record.error().message, "");
  if (record->pid <= 0) {
    return Running(SignalStatus::kFail, "iron-proxy start was interrupted before its pid was recorded",
                   std::string(kReconcileFix));
  }
  const std::string pid = "pid " + std::to_string(record->pid);
  switch (env.proxy.Identity({record->pid, record->nonce, record->starttime})) {
    case Liveness::kAlive:
      break;
    case Liveness::kGone:
      return Running(SignalStatus::kFail, "iron-proxy is gone (" + pid + " is not running)",
                     "see `ironward status` and the proxy log, then " + std::string(kReconcileFix));
    case Liveness::kRecycled:
      // Without root another user's /proc/<pid>/environ is unreadable, so the nonce cannot match.
      if (!env.is_root) {
        return Running(SignalStatus::kWarn, "cannot confirm that " + pid + " is iron-proxy",
                       std::string(kRunAsRoot));
      }
      return Running(SignalStatus::kFail, "iron-proxy is gone (" + pid + " now belongs to another process)",
                     std::string(kReconcileFix));
  }

  const std::string config_path = env.state_dir + "/proxy.yaml";
  if (auto early = ReadStateFile(env, config_path, &text)) {
    if (early->status != SignalStatus::kFail) return *early;
    return Running(SignalStatus::kFail, pid + " is alive but " + config_path + " is missing",
                   std::string(kReconcileFix));
  }
  const Result<daemon::Endpoints> eps = daemon::EndpointsFromConfig(text);
  if (!eps) return Running(SignalStatus::kWarn, config_path + ": " + eps.error().message, "");
  if (!eps->tunnel) return Running(SignalStatus::kWarn, config_path + " has no proxy.tunnel_listen", "");
  const std::string listener = "tunnel listener " + eps->tunnel->ToString();
  if (!env.proxy.Accepts(*eps->tunnel, env.timeout)) {
    return Running(SignalStatus::kFail,
                   "iron-proxy " + pid + " is alive but its " + listener + " does not accept connections",
                   "see `ironward status` and the proxy log, then " + std::string(kReconcileFix));
  }
  return Running(SignalStatus::kPass, "iron-proxy " + pid + " alive, " + listener + " accepts connections");
}

}  // namespace ironward::harden
