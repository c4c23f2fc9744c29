// RealProcesses::RunProgram: the one place ironward runs a program to completion (the survey's,
// doctor's and the host firewalls' commands through CommandRunner, `iron-proxy version`).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "reconcilers/io/process.h"

namespace ironward {
namespace {

using Steady = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return true;
}

CommandResult SpawnFailed(const std::string& what, int err) {
  return CommandResult::SpawnFailed(what + ": " + std::strerror(err));
}

// What the child reports back through the status pipe when it cannot start the program.
enum ChildStep : int { kSetUp = 1, kChdir = 2, kExec = 3 };

[[noreturn]] void ChildFailed(int status_fd, int step) {
  const int report[2] = {step, errno};
  (void)!::write(status_fd, report, sizeof report);
  ::_exit(127);
}

// Child side, between fork and execve: async-signal-safe calls only.
[[noreturn]] void ExecChild(int devnull, int out_fd, int err_fd, int status_fd, const char* path, char* const* argv,
                            char* const* envp, const char* cwd) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
  if (::dup2(devnull, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) {
    ChildFailed(status_fd, kSetUp);
  }
  if (cwd != nullptr && ::chdir(cwd) != 0) ChildFailed(status_fd, kChdir);
  // Nothing else ironward holds open (state files, sockets) reaches the program.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(path, argv, envp);
  ChildFailed(status_fd, kExec);
}

enum class ChildState { kRunning, kExited, kGone };

// kExited once the child has terminated; does not reap it (WNOWAIT), so its pid (and process
// group id) stay reserved until we kill the group and reap. kGone when someone else reaped it
// (e.g. a host program that set SIGCHLD to SIG_IGN).
ChildState PeekChild(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD ? ChildState::kGone : ChildState::kRunning;
  }
  return info.si_pid == pid ? ChildState::kExited : ChildState::kRunning;
}

// The parent's side once exec succeeded: collects stdout/stderr (each capped) until the child
// exits or the deadline passes, then kills whatever is left of its group and reaps it.
CommandResult Collect(pid_t pid, Fd& out_r, Fd& err_r, const std::string& path, Steady::time_point deadline,
                      std::size_t max_output) {
  CommandResult result;
  bool timed_out = false;
  bool exited = false;
  bool gone = false;
  Steady::time_point drain_until{};
  std::array<Fd*, 2> fds{&out_r, &err_r};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  char buf[8192];
  for (;;) {
    std::array<pollfd, 2> pfds{};
    std::array<std::size_t, 2> which{};
    nfds_t n = 0;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i]->get() >= 0) {
        pfds[n] = pollfd{fds[i]->get(), POLLIN, 0};
        which[n++] = i;
      }
    }
    if (!exited) {
      const ChildState state = PeekChild(pid);
      gone = state == ChildState::kGone;
      exited = state != ChildState::kRunning;
    }
    if (exited && drain_until == Steady::time_point{}) {
      // Whatever it left in its group may hold the pipes open: drain briefly, then stop.
      drain_until = Steady::now() + std::chrono::milliseconds(100);
    }
    if (exited && n == 0) break;
    const Steady::time_point now = Steady::now();
    if (now >= deadline) {
      timed_out = !exited;
      break;
    }
    if (exited && now >= drain_until) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = static_cast<int>(std::min<long long>(left, 20));
    int rc = ::poll(n == 0 ? nullptr : pfds.data(), n, wait_ms);
    if (rc < 0 && errno != EINTR) {
      timed_out = !exited;  // cannot watch it any more: treat like a timeout and kill it
      break;
    }
    if (rc <= 0) continue;
    for (nfds_t k = 0; k < n; ++k) {
      if (pfds[k].revents == 0) continue;
      const std::size_t idx = which[k];
      ssize_t got = ::read(fds[idx]->get(), buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fds[idx]->Reset();
        continue;
      }
      auto len = static_cast<std::size_t>(got);
      std::string* sink = sinks[idx];
      std::size_t room = max_output > sink->size() ? max_output - sink->size() : 0;
      if (len > room) result.truncated = true;
      sink->append(buf, std::min(len, room));
    }
  }

  if (gone) {  // reaped behind our back: its pid may already be reused, so signal nothing
    return CommandResult::SpawnFailed(path + ": child was reaped by someone else (SIGCHLD ignored?)");
  }
  // The (possibly zombie) leader keeps its pid, so the group id cannot be reused before the reap.
  ::kill(-pid, SIGKILL);
  if (!exited) ::kill(pid, SIGKILL);  // in case setpgid lost a race with an early exec
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }

  if (timed_out) {
    result.outcome = CommandResult::Outcome::kTimedOut;
    result.exit_code = -1;
  } else if (WIFEXITED(wstatus)) {
    result.outcome = CommandResult::Outcome::kExited;
    result.exit_code = WEXITSTATUS(wstatus);
  } else {
    result.outcome = CommandResult::Outcome::kSignaled;
    result.exit_code = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : -1;
  }
  return result;
}

}  // namespace

RunRequest ProbeCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  RunRequest request;
  request.argv = std::move(argv);
  request.env = {std::string("PATH=") + kProbePath, "LC_ALL=C"};
  request.timeout = timeout;
  request.search_path = kProbePath;
  return request;
}

CommandResult Processes::Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  return RunProgram(ProbeCommand(argv, timeout));
}

CommandResult RealProcesses::RunProgram(const RunRequest& request) {
  if (request.argv.empty()) return SpawnFailed("empty command", EINVAL);
  std::string path = request.argv[0];
  if (!request.search_path.empty()) {
    path = FindExecutable(request.argv[0], request.search_path);
    if (path.empty()) return CommandResult::NotFound(request.argv[0] + " not found in " + request.search_path);
  }

  // Everything the child needs is prepared before fork (no allocation after it).
  std::vector<std::string> args = request.argv;
  std::vector<char*> c_argv;
  for (auto& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env = request.env;
  std::vector<char*> c_envp;
  for (auto& e : env) c_envp.push_back(e.data());
  c_envp.push_back(nullptr);
  const char* cwd = request.cwd.empty() ? nullptr : request.cwd.c_str();

  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.get() < 0) return SpawnFailed("open /dev/null", errno);
  const Steady::time_point deadline = Steady::now() + request.timeout;
  // A just-written executable can briefly be "text file busy" when another thread forked while
  // its write descriptor was open; that clears within milliseconds.
  for (int attempt = 0;; ++attempt) {
    Fd out_r, out_w, err_r, err_w, st_r, st_w;
    if (!MakePipe(&out_r, &out_w) || !MakePipe(&err_r, &err_w) || !MakePipe(&st_r, &st_w)) {
      return SpawnFailed("pipe", errno);
    }
    pid_t pid = ::fork();
    if (pid < 0) return SpawnFailed("fork", errno);
    if (pid == 0) {
      ExecChild(devnull.get(), out_w.get(), err_w.get(), st_w.get(), path.c_str(), c_argv.data(), c_envp.data(), cwd);
    }
    ::setpgid(pid, pid);  // also done in the child; whichever runs first wins (EACCES after exec is fine)
    out_w.Reset();
    err_w.Reset();
    st_w.Reset();

    // The status pipe closes unread when exec succeeds (CLOEXEC); otherwise it carries the
    // step and errno (one write below PIPE_BUF: read whole or not at all).
    int report[2] = {0, 0};
    ssize_t n = 0;
    do {
      n = ::read(st_r.get(), report, sizeof report);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof report)) {
      return Collect(pid, out_r, err_r, path, deadline, request.max_output);
    }
    int ignored = 0;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    const int step = report[0];
    const int err = report[1];
    if (step == kExec && err == ETXTBSY && attempt < 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      continue;
    }
    CommandResult failed;
    if (step == kChdir) {
      failed = SpawnFailed("chdir " + request.cwd, err);
    } else if (step == kExec && err == ENOENT) {
      failed = CommandResult::NotFound(path + ": " + std::strerror(ENOENT));
    } else {
      failed = SpawnFailed("exec " + path, err);
    }
    failed.exec_errno = err;
    return failed;
  }
}

}  // namespace ironward
