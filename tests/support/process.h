// Child processes for tests: starting a program (`ironward run`, a stand-in, a browser) with its
// output in a log file and a chosen environment, waiting for it, and looking at processes in /proc.
// Header-only and free of ironward libraries.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/eventually.h"

namespace ironward::testing {

/// The process exists (a zombie nobody has reaped yet counts).
inline bool Alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

/// The process runs nothing any more: it is gone, or a zombie nobody has reaped yet (a detached
/// proxy's parent may be a reaper outside the test).
inline bool ProcessGone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  return stat.empty() || stat.find(") Z ") != std::string::npos;
}

/// CPU time the process used so far (utime + stime, /proc/<pid>/stat fields 14 and 15), in clock
/// ticks (sysconf(_SC_CLK_TCK) a second); -1 when it cannot be read.
inline long CpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 > text.size()) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atol(field.c_str());
  }
  return ticks;
}

/// Live (not zombie) processes whose command line, arguments joined by spaces, contains `needle`;
/// e.g. the proxies started with one state directory's proxy.yaml ("-config <state>/proxy.yaml").
inline int LiveProcessesWithArgs(const std::string& needle) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos && !ProcessGone(std::atoi(pid.c_str()))) ++n;
  }
  return n;
}

/// How Spawn starts a child.
struct SpawnOptions {
  std::string log;            ///< stdout and stderr are appended here ("" = inherited from the test)
  bool truncate_log = false;  ///< start `log` (and `err_log`) empty instead of appending
  std::string err_log;        ///< stderr apart from stdout ("" = together in `log`)
  std::map<std::string, std::string> env;  ///< set in the child's environment
  std::vector<std::string> unset_env;      ///< removed from the child's environment
  /// Set to the child's own pid once forked (as systemd sets WATCHDOG_PID to the main process).
  std::string own_pid_env;
  bool new_process_group = false;  ///< its own process group: kill(-pid) then reaches its helpers too
};

/// Starts `args` (args[0] a path, or a name looked up on PATH) as a child of the test; its pid, or
/// -1 when fork failed. The caller waits for it: ChildProcess does, and kills it when it goes.
inline pid_t Spawn(std::vector<std::string> args, const SpawnOptions& options = {}) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // The child: file descriptors and environment, then exec (or exit 127).
  if (options.new_process_group) ::setpgid(0, 0);
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (options.truncate_log ? O_TRUNC : O_APPEND);
  if (!options.log.empty()) {
    const int fd = ::open(options.log.c_str(), flags, 0600);
    ::dup2(fd, 1);
    if (options.err_log.empty()) ::dup2(fd, 2);
  }
  if (!options.err_log.empty()) ::dup2(::open(options.err_log.c_str(), flags, 0600), 2);
  for (const auto& name : options.unset_env) ::unsetenv(name.c_str());
  for (const auto& [name, value] : options.env) ::setenv(name.c_str(), value.c_str(), 1);
  if (!options.own_pid_env.empty()) ::setenv(options.own_pid_env.c_str(), std::to_string(::getpid()).c_str(), 1);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

/// How a child ended.
struct ExitStatus {
  int code = -1;   ///< exit code; -1 when a signal ended it
  int signal = 0;  ///< the signal that ended it; 0 when it exited
  /// The shell's convention: the exit code, or 128 + the signal.
  int ShellCode() const { return signal != 0 ? 128 + signal : code; }
};

inline ExitStatus DecodeWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

/// A child process of the test, killed (SIGKILL) and reaped when the object goes unless it has
/// exited and been waited for.
class ChildProcess {
 public:
  ChildProcess() = default;
  explicit ChildProcess(std::vector<std::string> args, const SpawnOptions& options = {}) {
    Start(std::move(args), options);
  }
  ~ChildProcess() { Kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Starts the program (killing one this object still runs); false when fork failed.
  bool Start(std::vector<std::string> args, const SpawnOptions& options = {}) {
    Kill();
    pid_ = Spawn(std::move(args), options);
    if (pid_ < 0) pid_ = 0;
    exit_.reset();
    return pid_ > 0;
  }
  /// The child's pid; 0 when none was started.
  pid_t pid() const { return pid_; }
  /// Started and not exited (an exited child is reaped here and its status kept).
  bool Alive() {
    if (pid_ <= 0 || exit_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) exit_ = DecodeWaitStatus(status);
    return r == 0;
  }
  /// Waits for the exit as long as it takes.
  ExitStatus Wait() {
    if (pid_ > 0 && !exit_) {
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) exit_ = DecodeWaitStatus(status);
    }
    return exit_.value_or(ExitStatus{});
  }
  /// The exit code (128 + signal when a signal ended it) once it exited within `timeout`; -1 if
  /// it is still running then (or was never started).
  int WaitExit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    (void)Eventually([&] { return !Alive(); }, timeout, std::chrono::milliseconds(20));
    return exit_ ? exit_->ShellCode() : -1;
  }
  /// Whether the child still runs once every signal sent to it so far has been acted on, without
  /// waiting a while for them: it is stopped (SIGSTOP), waited for, and continued (SIGCONT). Linux
  /// takes pending signals lowest number first, so a SIGHUP, SIGINT or SIGTERM sent before ends it
  /// before it can stop (and a SIGKILL ends it at once): a check that nothing killed it.
  bool SurvivesSignalsSentSoFar() {
    if (pid_ <= 0 || exit_ || ::kill(pid_, SIGSTOP) != 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WUNTRACED) != pid_) return false;
    if (!WIFSTOPPED(status)) {
      exit_ = DecodeWaitStatus(status);
      return false;
    }
    ::kill(pid_, SIGCONT);
    return true;
  }
  /// SIGKILL and reap, unless it already exited.
  void Kill() {
    if (pid_ > 0 && !exit_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) exit_ = DecodeWaitStatus(status);
    }
  }

 private:
  pid_t pid_ = 0;
  std::optional<ExitStatus> exit_;
};

}  // namespace ironward::testing
