#include "reconcilers/binary/version_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

namespace ironward::binary {
namespace {

class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_.data(), O_CLOEXEC) != 0) fds_ = {-1, -1};
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void CloseRead() { Close(0); }
  void CloseWrite() { Close(1); }

 private:
  void Close(std::size_t i) {
    if (fds_[i] >= 0) ::close(fds_[i]);
    fds_[i] = -1;
  }
  std::array<int, 2> fds_{};
};

/// Child side of fork(): only async-signal-safe calls from here on.
[[noreturn]] void ExecChild(char* const* argv, char* const* envp, const Pipe& out, const Pipe& err,
                            const Pipe& status) {
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out.write_end(), STDOUT_FILENO) < 0 ||
      ::dup2(err.write_end(), STDERR_FILENO) < 0) {
    const int e = errno;
    (void)!::write(status.write_end(), &e, sizeof(e));
    ::_exit(127);
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  (void)!::chdir("/");
  // Nothing else the controller holds open (state files, sockets) reaches the child.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(argv[0], argv, envp);
  const int e = errno;
  (void)!::write(status.write_end(), &e, sizeof(e));
  ::_exit(127);
}

int Remaining(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  const auto first = line.find_first_not_of(" \t");
  return first == std::string::npos ? "" : line.substr(first);
}

}  // namespace

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 std::chrono::milliseconds timeout, std::size_t max_output) {
  if (argv.empty()) return Error::Terminal("RunProcess: empty argv");
  std::vector<char*> cargv;
  std::vector<char*> cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cargv.push_back(nullptr);
  cenv.push_back(nullptr);

  // A just-written executable can briefly be "text file busy" when another thread forked while
  // its write descriptor was open; that clears within milliseconds.
  for (int attempt = 0;; ++attempt) {
    Pipe out;
    Pipe err;
    Pipe status;
    if (!out.ok() || !err.ok() || !status.ok()) return Error::Transient(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) return Error::Transient(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) ExecChild(cargv.data(), cenv.data(), out, err, status);
    out.CloseWrite();
    err.CloseWrite();
    status.CloseWrite();

    int exec_errno = 0;
    ssize_t n = 0;
    do {
      n = ::read(status.read_end(), &exec_errno, sizeof(exec_errno));
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
      int ignored = 0;
      ::waitpid(pid, &ignored, 0);
      if (exec_errno == ETXTBSY && attempt < 20) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        continue;
      }
      return Error::Terminal("cannot execute " + argv[0] + ": " + std::strerror(exec_errno));
    }

    ProcessResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds{pollfd{out.read_end(), POLLIN, 0}, pollfd{err.read_end(), POLLIN, 0}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    int open_fds = 2;
    while (open_fds > 0) {
      const int left = Remaining(deadline);
      if (left == 0) {
        result.timed_out = true;
        ::kill(pid, SIGKILL);
        break;
      }
      const int rc = ::poll(fds.data(), fds.size(), left);
      if (rc < 0 && errno != EINTR) break;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        char buf[4096];
        const ssize_t got = ::read(fds[i].fd, buf, sizeof(buf));
        if (got > 0) {
          const auto room = max_output - std::min(max_output, sinks[i]->size());
          sinks[i]->append(buf, std::min(room, static_cast<std::size_t>(got)));
        } else if (got == 0 || errno != EINTR) {
          fds[i].fd = -1;
          --open_fds;
        }
      }
    }
    int wstatus = 0;
    for (;;) {
      const pid_t w = ::waitpid(pid, &wstatus, result.timed_out ? 0 : WNOHANG);
      if (w == pid || (w < 0 && errno != EINTR)) break;
      if (w == 0 && Remaining(deadline) == 0) {
        result.timed_out = true;
        ::kill(pid, SIGKILL);
        continue;
      }
      if (w == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
    return result;
  }
}

Result<std::string> ProbeVersion(const std::filesystem::path& binary) {
  // Appended, not `"`" + binary.string()`: that form trips GCC 12's -Wrestrict false positive (bug 105651).
  std::string what = "`";
  what += binary.string();
  what += " version`";
  auto r = RunProcess({binary.string(), "version"}, {kProbeEnv}, kProbeTimeout);
  if (!r) return r.error();
  if (r->timed_out) {
    return Error::Terminal(what + " did not finish within " + std::to_string(kProbeTimeout.count() / 1000) + " s");
  }
  if (r->term_signal != 0) {
    return Error::Terminal(what + " was killed by signal " + std::to_string(r->term_signal));
  }
  if (r->exit_code != 0) {
    const std::string detail = FirstLine(r->err).substr(0, 200);
    return Error::Terminal(what + " exited with status " + std::to_string(r->exit_code) +
                           (detail.empty() ? "" : ": " + detail));
  }
  std::string version = FirstLine(r->out);
  if (version.empty()) return Error::Terminal(what + " printed nothing");
  return version;
}

}  // namespace ironward::binary
