#include "reconcilers/io/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>

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

// Child side, between fork and execve: async-signal-safe calls only.
[[noreturn]] void ExecChild(int devnull, int out_fd, int err_fd, int status_fd, const char* path, char* const* argv,
                            char* const* envp) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
  if (::dup2(devnull, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) {
    int e = errno;
    (void)!::write(status_fd, &e, sizeof e);
    ::_exit(127);
  }
  ::execve(path, argv, envp);
  int e = errno;
  (void)!::write(status_fd, &e, sizeof e);
  ::_exit(127);
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

}  // namespace

std::string FindExecutable(const std::string& name, const std::string& search_path) {
  auto usable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return name.front() == '/' && usable(name) ? name : "";
  std::stringstream dirs(search_path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty() || dir.front() != '/') continue;
    std::string candidate = dir + "/" + name;
    if (usable(candidate)) return candidate;
  }
  return "";
}

CommandResult RealCommandRunner::Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty()) return SpawnFailed("empty command", EINVAL);
  const std::string path = FindExecutable(argv[0]);
  if (path.empty()) return CommandResult::NotFound(argv[0] + " not found in " + kProbePath);

  // Everything the child needs is prepared before fork (no allocation after it).
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (auto& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::string env_path = std::string("PATH=") + kProbePath;
  std::string env_lc = "LC_ALL=C";
  std::array<char*, 3> c_envp{env_path.data(), env_lc.data(), nullptr};

  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.get() < 0) return SpawnFailed("open /dev/null", errno);
  Fd out_r, out_w, err_r, err_w, st_r, st_w;
  if (!MakePipe(&out_r, &out_w) || !MakePipe(&err_r, &err_w) || !MakePipe(&st_r, &st_w)) {
    return SpawnFailed("pipe", errno);
  }

  const Steady::time_point deadline = Steady::now() + timeout;
  pid_t pid = ::fork();
  if (pid < 0) return SpawnFailed("fork", errno);
  if (pid == 0) {
    ExecChild(devnull.get(), out_w.get(), err_w.get(), st_w.get(), path.c_str(), c_argv.data(), c_envp.data());
  }
  ::setpgid(pid, pid);  // also done in the child; whichever runs first wins (EACCES after exec is fine)
  out_w.Reset();
  err_w.Reset();
  st_w.Reset();

  CommandResult result;
  int exec_errno = 0;
  std::size_t exec_errno_len = 0;
  bool timed_out = false;
  bool exited = false;
  bool gone = false;
  Steady::time_point drain_until{};
  std::array<Fd*, 3> fds{&out_r, &err_r, &st_r};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  char buf[8192];
  for (;;) {
    std::array<pollfd, 3> pfds{};
    std::array<std::size_t, 3> which{};
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
      if (idx == 2) {
        std::size_t take = std::min(len, sizeof exec_errno - exec_errno_len);
        std::memcpy(reinterpret_cast<char*>(&exec_errno) + exec_errno_len, buf, take);
        exec_errno_len += take;
        continue;
      }
      std::string* sink = sinks[idx];
      std::size_t room = max_output_bytes_ > sink->size() ? max_output_bytes_ - sink->size() : 0;
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

  if (exec_errno_len == sizeof exec_errno) {
    CommandResult failed = exec_errno == ENOENT ? CommandResult::NotFound(path + ": " + std::strerror(ENOENT))
                                                : SpawnFailed("exec " + path, exec_errno);
    return failed;
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

std::string Describe(const CommandResult& result, std::chrono::milliseconds timeout) {
  auto first_line = [](const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    if (line.size() > 160) line = line.substr(0, 160) + "...";
    return line;
  };
  switch (result.outcome) {
    case CommandResult::Outcome::kTimedOut:
      return "timed out after " + std::to_string(timeout.count()) + " ms";
    case CommandResult::Outcome::kNotFound:
    case CommandResult::Outcome::kSpawnFailed:
      return result.error;
    case CommandResult::Outcome::kSignaled:
      return "killed by signal " + std::to_string(result.exit_code);
    case CommandResult::Outcome::kExited: {
      std::string text = first_line(result.err.empty() ? result.out : result.err);
      return "exit " + std::to_string(result.exit_code) + (text.empty() ? "" : ": " + text);
    }
  }
  return "unknown outcome";
}

}  // namespace ironward
