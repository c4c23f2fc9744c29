#include "reconcilers/daemon/daemon_control.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "reconcilers/daemon/log_file.h"
#include "reconcilers/daemon/spawn.h"
#include "state/encoding.h"
#include "state/fault.h"

namespace ironward::daemon {

Result<std::string> EnsureManagementKey(state::StateWriter& state) {
  auto existing = state.Read(kManagementKeyFile);
  if (!existing) return existing.error().Wrap("reading management.key");
  if (existing->has_value()) {
    std::string key = **existing;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.size() >= 32) {
      auto st = state.Stat(kManagementKeyFile);
      if (st.ok() && st->mode != 0600) {
        if (auto s = state.Chmod(kManagementKeyFile, 0600); !s) return s.error();
      }
      return key;
    }
  }
  std::string key = RandomHex(16);
  if (auto s = state.WriteAtomic(kManagementKeyFile, key + "\n", 0600); !s) {
    return s.error().Wrap("writing management.key");
  }
  return key;
}

Status EnsureProxyHome(const std::filesystem::path& root) {
  const int dfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return Error::Transient("opening state dir: " + std::string(std::strerror(errno)));
  Status result = Status::Ok();
  if (::mkdirat(dfd, kProxyHomeDir, 0700) != 0 && errno != EEXIST) {
    result = Error::Transient("creating proxy-home: " + std::string(std::strerror(errno)));
  } else {
    struct stat st {};
    if (::fstatat(dfd, kProxyHomeDir, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
      result = Error::Terminal("proxy-home is not a directory");
    } else if (st.st_uid != ::geteuid()) {
      result = Error::Terminal("proxy-home is owned by another user");
    } else if ((st.st_mode & 07777) != 0700 && ::fchmodat(dfd, kProxyHomeDir, 0700, 0) != 0) {
      result = Error::Transient("chmod proxy-home: " + std::string(std::strerror(errno)));
    }
  }
  ::close(dfd);
  return result;
}

Result<CrashState> ReadCrashState(const state::StateReader& state) {
  auto text = state.Read(kCrashStateFile);
  if (!text) return text.error().Wrap("reading daemon.json");
  if (!text->has_value()) return CrashState{};
  return ParseCrashState(**text);
}

Status WriteCrashState(state::StateWriter& state, const CrashState& s) {
  return state.WriteAtomic(kCrashStateFile, SerializeCrashState(s), 0600);
}

Status WritePidRecord(state::StateWriter& state, const PidRecord& r) {
  return state.WriteAtomic(kPidFile, SerializePidRecord(r), 0600);
}

Result<StartResult> StartProxy(Processes& processes, state::StateWriter& state, const Clock& clock,
                               const StartRequest& rq) {
  const std::filesystem::path root = state.root();
  if (auto s = EnsureProxyHome(root); !s) return s.error();
  EnvInputs env_in;
  env_in.state_root = root.string();
  env_in.management_key_env = rq.management_key_env;
  env_in.management_key = rq.management_key;
  env_in.nonce = RandomHex(16);
  env_in.secrets = rq.secrets;
  env_in.upstream_ca_file = rq.upstream_ca_file;
  auto env = BuildEnvironment(env_in);
  if (!env) return env.error();

  // Intent first: if ironward dies between spawn and the pidfile, the nonce finds the process.
  StartResult out;
  out.record.nonce = env_in.nonce;
  out.record.state = RecordState::kStarting;
  out.record.inputs = rq.inputs;
  out.record.started_at = FormatRfc3339(clock.Now());
  if (auto s = WritePidRecord(state, out.record); !s) return s.error().Wrap("writing iron-proxy.pid");

  auto log_fd = OpenLogForAppend(root.string());
  if (!log_fd) return log_fd.error();
  SpawnRequest sp;
  sp.binary = rq.binary;
  sp.argv = {"iron-proxy", "-config", rq.config_path};
  sp.env = std::move(*env);
  sp.log_fd = *log_fd;
  sp.cwd = root.string();
  auto pid = processes.SpawnDetached(sp);
  ::close(*log_fd);
  if (!pid) return pid.error();
  IRONWARD_FAULT_POINT("daemon.after-spawn");

  out.record.pid = *pid;
  const auto st = processes.ReadStat(*pid);
  out.record.starttime = st ? st->starttime : 0;
  IRONWARD_FAULT_POINT("daemon.before-pidfile");
  if (auto s = WritePidRecord(state, out.record); !s) {
    TerminateIdentified(processes, ProcessIdentity{*pid, out.record.nonce, out.record.starttime},
                        std::chrono::seconds(2));
    return s.error().Wrap("writing iron-proxy.pid");
  }

  const ProcessIdentity id{*pid, out.record.nonce, out.record.starttime};
  const ReadinessResult ready = WaitReady(processes, id, rq.endpoints, rq.http, rq.readiness);
  if (ready.ready) {
    out.ready = true;
    out.record.state = RecordState::kRunning;
  } else {
    out.detail = ready.detail;
    out.exited = ready.exited;
    if (!ready.exited) {
      processes.SignalIfSame(id, SIGKILL);
      WaitGone(processes, id, std::chrono::seconds(5));
    }
    out.record.state = RecordState::kCrashed;
  }
  if (auto s = WritePidRecord(state, out.record); !s) return s.error().Wrap("writing iron-proxy.pid");
  return out;
}

bool TerminateIdentified(Processes& processes, const ProcessIdentity& id, std::chrono::milliseconds grace) {
  if (!processes.SignalIfSame(id, SIGTERM)) return false;
  if (WaitGone(processes, id, grace)) return false;
  // Still the very same process (SignalIfSame re-checks starttime + nonce): kill it.
  const bool killed = processes.SignalIfSame(id, SIGKILL);
  WaitGone(processes, id, std::chrono::seconds(5));
  return killed;
}

Result<StopResult> StopProxy(Processes& processes, state::StateWriter& state, std::chrono::milliseconds grace) {
  StopResult out;
  auto text = state.Read(kPidFile);
  if (!text) return text.error().Wrap("reading iron-proxy.pid");
  pid_t tracked = 0;
  if (text->has_value()) {
    auto rec = ParsePidRecord(**text);
    if (rec.ok()) {
      tracked = rec->pid;
      const ProcessIdentity id{rec->pid, rec->nonce, rec->starttime};
      out.pid = rec->pid;
      if (rec->pid > 0 && processes.CheckIdentity(id) == Liveness::kAlive) {
        out.was_running = true;
        rec->state = RecordState::kStopping;  // an exit from here on is one we asked for
        if (auto s = WritePidRecord(state, *rec); !s) return s.error().Wrap("writing iron-proxy.pid");
        out.killed = TerminateIdentified(processes, id, grace);
        if (processes.CheckIdentity(id) == Liveness::kAlive) {
          return Error::Transient("iron-proxy pid " + std::to_string(rec->pid) + " did not exit after SIGKILL");
        }
      }
    }
  }
  for (const auto& stray : FindStrays(processes, state.root(), tracked)) {
    TerminateIdentified(processes, stray, grace);
    ++out.strays_stopped;
  }
  if (auto s = state.Remove(kPidFile); !s) return s.error().Wrap("removing iron-proxy.pid");
  out.message = out.was_running ? "stopped iron-proxy pid " + std::to_string(out.pid) +
                                      (out.killed ? " (SIGKILL after the grace period)" : " (SIGTERM)")
                                : "iron-proxy was not running";
  if (out.strays_stopped > 0) out.message += "; stopped " + std::to_string(out.strays_stopped) + " stray process(es)";
  return out;
}

Result<StopResult> StopProxy(const std::filesystem::path& state_dir, std::chrono::milliseconds grace) {
  state::StateWriter state(state_dir);
  auto root = state.StatRoot();
  if (!root) return root.error();
  if (!root->exists) return StopResult{false, false, 0, 0, "state directory does not exist"};
  RealProcesses processes;
  return StopProxy(processes, state, grace);
}

}  // namespace ironward::daemon
