// Process seam: everything ironward does to other processes goes through a Processes.
//
//   run      a program to completion: exact argv, exact environment, timeout, output cap
//            (RunProgram; Run is the CommandRunner form with the probe environment)
//   spawn    a program detached from ironward (the supervised iron-proxy)
//   /proc    a process's stat, environment and command line, the pid list, whether a pid exists
//   identity whether a pid is still the process ironward started (starttime + per-start nonce),
//            and a signal or an exit watch only while it is (pinned by a pidfd before the check)
//   reap     an exited child of this process (`ironward run` is the proxies' subreaper)
//
// RealProcesses is the one real implementation (process_run.cpp, process_spawn.cpp,
// process_proc.cpp); unit tests use tests/fakes/fake_processes.h. Processes is also a
// CommandRunner, the narrower role the host firewalls, nftables, doctor and the survey are given.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/io/command_runner.h"
#include "state/result.h"

namespace ironward {

/// What RunProgram keeps of each of stdout and stderr unless told otherwise.
inline constexpr std::size_t kDefaultOutputCap = 1024U * 1024U;

struct RunRequest {
  std::vector<std::string> argv;  ///< argv[0]: an absolute path, or a bare name found on search_path
  std::vector<std::string> env;   ///< "NAME=value" entries: the whole environment, nothing inherited
  std::chrono::milliseconds timeout{0};
  std::size_t max_output = kDefaultOutputCap;  ///< per stream; the rest is read and dropped
  /// Non-empty: argv[0] is looked up there (an absolute one is checked to be an executable file)
  /// before anything is started, and a miss is kNotFound "<name> not found in <search_path>".
  /// Empty: argv[0] is exec'd exactly as given and execve's own error is reported.
  std::string search_path;
  std::string cwd;  ///< "" = ironward's own
};

/// The probe form every CommandRunner::Run uses: env exactly {PATH=kProbePath, LC_ALL=C}, bare
/// names looked up on kProbePath, kDefaultOutputCap.
RunRequest ProbeCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout);

/// A detached start: fork -> setsid -> fork, so the program outlives a one-shot `ironward
/// reconcile` and is never ironward's child (unless ironward is a subreaper). The grandchild gets
/// stdin /dev/null, stdout+stderr appended to the log *file* (never a pipe: a write can neither
/// block nor SIGPIPE it when ironward is gone), no other fd, default signal dispositions, an empty
/// signal mask, umask 077, cwd = `cwd`, and exactly `env`. An exec failure is reported back
/// through a CLOEXEC pipe.
struct SpawnRequest {
  std::string binary;              ///< absolute path, exec'd directly (no PATH lookup)
  std::vector<std::string> argv;   ///< argv[0] included
  std::vector<std::string> env;    ///< "NAME=value" entries: the whole environment
  int log_fd = -1;                 ///< opened by the caller; dup'd onto 1 and 2
  std::string cwd;
};

struct ProcStat {
  char state = '?';            ///< field 3 ('R', 'S', 'Z', ...)
  std::uint64_t starttime = 0; ///< field 22, clock ticks since boot
  std::uint64_t flags = 0;     ///< field 9, the kernel's PF_* flags
  /// PF_EXITING: the process is dying. Between SIGKILL and the zombie state its memory (and so
  /// /proc/<pid>/environ) is already gone while the state letter still says running.
  bool Exiting() const { return (flags & 0x4U) != 0; }
  /// A zombie, dead, or on its way there: not a live process whatever its pid says.
  bool Dying() const { return state == 'Z' || state == 'X' || Exiting(); }
};

/// Parses the text of /proc/<pid>/stat (after the last ')', so odd comm names are fine); nullopt
/// when malformed.
std::optional<ProcStat> ParseProcStat(std::string_view text);

/// Name of the per-start nonce variable in the environment of a process ironward starts detached.
inline constexpr const char* kNonceEnv = "IRONWARD_PROXY_NONCE";

/// Who a pid really is. A pid from a pidfile is trusted (or signalled) only when the process
/// behind it is the one ironward started: same /proc starttime AND our per-start nonce in its
/// environment. Anything else (no such pid, a zombie, a recycled pid) counts as gone.
struct ProcessIdentity {
  pid_t pid = 0;
  std::string nonce;
  std::uint64_t starttime = 0;
};

enum class Liveness {
  kAlive,     ///< the very process we started
  kGone,      ///< no such pid, or a zombie
  kRecycled,  ///< the pid now belongs to another process (never signal it)
};
std::string_view ToString(Liveness l);

/// How a child ended, as its parent saw it.
struct ChildExit {
  bool signaled = false;  ///< killed by a signal (vs. exited)
  int value = 0;          ///< the signal number, or the exit code
  std::string Words() const;  ///< "killed by SIGKILL", "exited with code 1"
};

class Processes : public CommandRunner {
 public:
  /// Runs `request` to completion in its own process group, stdin /dev/null, stdout/stderr
  /// through pipes. On timeout the whole group gets SIGKILL and the child is reaped; when the
  /// child exits, leftovers in its group are killed too, so nothing is left behind. Never throws;
  /// safe to call from several threads at once.
  virtual CommandResult RunProgram(const RunRequest& request) = 0;
  /// CommandRunner: RunProgram(ProbeCommand(argv, timeout)).
  CommandResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) final;

  /// Starts the program detached (see SpawnRequest); its pid once exec succeeded, or the error.
  virtual Result<pid_t> SpawnDetached(const SpawnRequest& request) = 0;

  /// /proc/<pid>/stat; nullopt when gone.
  virtual std::optional<ProcStat> ReadStat(pid_t pid) const = 0;
  /// NUL-separated entries of /proc/<pid>/environ (empty when unreadable, e.g. a zombie).
  virtual std::vector<std::string> ReadEnviron(pid_t pid) const = 0;
  /// /proc/<pid>/cmdline, arguments NUL-separated ("" when gone or unreadable).
  virtual std::string ReadCommandLine(pid_t pid) const = 0;
  /// The target of /proc/<pid>/cwd (symlinks resolved; "" when gone or unreadable). Unlike the
  /// environment or the command line, reading it does not touch the process's memory.
  virtual std::string ReadWorkingDirectory(pid_t pid) const = 0;
  /// The pids in /proc now.
  virtual std::vector<pid_t> ListPids() const = 0;
  /// A process with this pid exists (ours or another user's: signal 0 is sent or EPERM).
  virtual bool Exists(pid_t pid) const = 0;

  /// Value of `name` in the process's environment, nullopt when absent or unreadable.
  std::optional<std::string> EnvironValue(pid_t pid, std::string_view name) const;
  /// Same starttime and nonce as `id`, from ReadStat and ReadEnviron.
  Liveness CheckIdentity(const ProcessIdentity& id) const;

  /// Sends `sig` only if `id` is still alive; true when sent. Never signals a recycled pid.
  virtual bool SignalIfSame(const ProcessIdentity& id, int sig) = 0;
  /// A pidfd of `id` (readable once it exits; the caller closes it), -1 when it is not alive.
  virtual int OpenExitWatch(const ProcessIdentity& id) = 0;
  /// Reaps `pid` if it is an exited child of this process (waitpid WNOHANG): how it ended, or
  /// nullopt (still running, or not our child).
  virtual std::optional<ChildExit> ReapIfExited(pid_t pid) = 0;
};

/// The real thing: fork/execve, /proc, pidfds, waitpid.
class RealProcesses final : public Processes {
 public:
  CommandResult RunProgram(const RunRequest& request) override;
  Result<pid_t> SpawnDetached(const SpawnRequest& request) override;
  std::optional<ProcStat> ReadStat(pid_t pid) const override;
  std::vector<std::string> ReadEnviron(pid_t pid) const override;
  std::string ReadCommandLine(pid_t pid) const override;
  std::string ReadWorkingDirectory(pid_t pid) const override;
  std::vector<pid_t> ListPids() const override;
  bool Exists(pid_t pid) const override;
  bool SignalIfSame(const ProcessIdentity& id, int sig) override;
  int OpenExitWatch(const ProcessIdentity& id) override;
  std::optional<ChildExit> ReapIfExited(pid_t pid) override;
};

}  // namespace ironward
