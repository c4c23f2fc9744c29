// RealProcesses::SpawnDetached: fork -> setsid -> fork, so the started program is never
// ironward's child and outlives it (see SpawnRequest in process.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "reconcilers/io/process.h"

namespace ironward {
namespace {

// What the grandchild reports back on exec failure: which step, and errno.
struct ChildError {
  int step = 0;
  int err = 0;
};
constexpr const char* kSteps[] = {"", "open /dev/null", "dup2", "chdir", "execve"};

bool WriteAll(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Returns bytes read (short on EOF).
std::size_t ReadAll(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

[[noreturn]] void ChildFail(int report_fd, int step) {
  ChildError e{step, errno};
  WriteAll(report_fd, &e, sizeof e);
  ::_exit(127);
}

// Runs in the grandchild, after fork in a possibly multi-threaded parent: async-signal-safe
// calls only (no allocation).
[[noreturn]] void ExecGrandchild(const SpawnRequest& rq, int report_fd, char* const* argv, char* const* envp) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // SIGKILL/STOP just fail
  // Keep the report pipe clear of 0..2.
  if (report_fd < 3) {
    const int moved = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) ::_exit(127);
    report_fd = moved;
  }
  int log_fd = rq.log_fd;
  if (log_fd < 3) {
    log_fd = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 3);
    if (log_fd < 0) ChildFail(report_fd, 2);
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) ChildFail(report_fd, 1);
  if (::dup2(devnull, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) ChildFail(report_fd, 2);
  // Close everything else except the (CLOEXEC) report pipe, which exec closes.
  const unsigned lo = 3;
  const unsigned rp = static_cast<unsigned>(report_fd);
  if (rp > lo) ::close_range(lo, rp - 1, 0);
  ::close_range(rp + 1, ~0U, 0);
  ::umask(077);
  if (::chdir(rq.cwd.c_str()) != 0) ChildFail(report_fd, 3);
  ::execve(rq.binary.c_str(), argv, envp);
  ChildFail(report_fd, 4);
}

}  // namespace

Result<pid_t> RealProcesses::SpawnDetached(const SpawnRequest& rq) {
  if (rq.argv.empty() || rq.binary.empty() || rq.log_fd < 0) return Error::Terminal("spawn: incomplete request");
  // Everything the children need is built before fork: they must not allocate.
  std::vector<char*> argv;
  for (const auto& a : rq.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : rq.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int pid_pipe[2];
  int report[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) return Error::Transient(std::string("spawn: pipe: ") + std::strerror(errno));
  if (::pipe2(report, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(pid_pipe[0]);
    ::close(pid_pipe[1]);
    return Error::Transient(std::string("spawn: pipe: ") + std::strerror(err));
  }
  const pid_t middle = ::fork();
  if (middle < 0) {
    const int err = errno;
    for (int fd : {pid_pipe[0], pid_pipe[1], report[0], report[1]}) ::close(fd);
    return Error::Transient(std::string("spawn: fork: ") + std::strerror(err));
  }
  if (middle == 0) {
    ::close(pid_pipe[0]);
    ::close(report[0]);
    ::setsid();  // new session: no controlling terminal, no SIGHUP from ours
    const pid_t grandchild = ::fork();
    if (grandchild == 0) ExecGrandchild(rq, report[1], argv.data(), envp.data());
    WriteAll(pid_pipe[1], &grandchild, sizeof grandchild);  // -1 when the fork failed
    ::_exit(0);
  }
  ::close(pid_pipe[1]);
  ::close(report[1]);
  pid_t pid = -1;
  const std::size_t got_pid = ReadAll(pid_pipe[0], &pid, sizeof pid);
  ::close(pid_pipe[0]);
  // EOF without a report = exec succeeded (the CLOEXEC write end closed in the grandchild).
  ChildError child_error;
  const std::size_t got_err = ReadAll(report[0], &child_error, sizeof child_error);
  ::close(report[0]);
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  if (got_pid != sizeof pid || pid <= 0) return Error::Transient("spawn: fork of the detached process failed");
  if (got_err == sizeof child_error) {
    const int step = child_error.step >= 1 && child_error.step <= 4 ? child_error.step : 0;
    return Error::Transient("spawn: " + std::string(kSteps[step]) + " " + rq.binary + ": " +
                            std::strerror(child_error.err));
  }
  return pid;
}

}  // namespace ironward
