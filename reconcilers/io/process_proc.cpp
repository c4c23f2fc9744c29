// /proc reads, identity checks, identity-checked signals and reaping: the RealProcesses side of
// "who is this pid", and the checks every Processes shares (process.h).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "reconcilers/io/process.h"

namespace ironward {
namespace {

// glibc 2.36's <sys/pidfd.h> lacks C linkage for C++; call the syscalls directly.
int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }
int PidfdSendSignal(int pidfd, int sig) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U)); }

std::string ReadProcFile(pid_t pid, const char* leaf) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + leaf;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (1U << 20)) break;  // environments are small; never read unbounded
  }
  ::close(fd);
  return out;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // rest: " S ppid pgrp ..." ; field 3 is the state, field 9 the flags, field 22 the starttime.
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < rest.size() && fields.size() < 20) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    std::size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j > i) fields.push_back(rest.substr(i, j - i));
    i = j + 1;
  }
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  ProcStat st;
  st.state = fields[0][0];
  const std::string_view flags = fields[6];  // field 9
  if (std::from_chars(flags.data(), flags.data() + flags.size(), st.flags).ec != std::errc()) return std::nullopt;
  const std::string_view start = fields[19];  // field 22 = index 19 after the state (field 3)
  if (std::from_chars(start.data(), start.data() + start.size(), st.starttime).ec != std::errc()) return std::nullopt;
  return st;
}

std::string_view ToString(Liveness l) {
  switch (l) {
    case Liveness::kAlive: return "alive";
    case Liveness::kGone: return "gone";
    case Liveness::kRecycled: return "recycled";
  }
  return "?";
}

std::string ChildExit::Words() const {
  if (!signaled) return "exited with code " + std::to_string(value);
  const char* abbrev = ::sigabbrev_np(value);
  return "killed by " + (abbrev != nullptr ? "SIG" + std::string(abbrev) : "signal " + std::to_string(value));
}

std::optional<std::string> Processes::EnvironValue(pid_t pid, std::string_view name) const {
  const std::string prefix = std::string(name) + "=";
  for (auto& e : ReadEnviron(pid)) {
    if (e.compare(0, prefix.size(), prefix) == 0) return e.substr(prefix.size());
  }
  return std::nullopt;
}

Liveness Processes::CheckIdentity(const ProcessIdentity& id) const {
  if (id.pid <= 0 || id.nonce.empty()) return Liveness::kGone;
  const auto st = ReadStat(id.pid);
  if (!st || st->Dying()) return Liveness::kGone;
  if (st->starttime != id.starttime) return Liveness::kRecycled;
  const auto nonce = EnvironValue(id.pid, kNonceEnv);
  if (nonce && *nonce == id.nonce) return Liveness::kAlive;
  if (!nonce) {
    // The process may have begun exiting between the two reads (its environ vanishes then).
    const auto again = ReadStat(id.pid);
    if (!again || again->Dying()) return Liveness::kGone;
  }
  return Liveness::kRecycled;
}

std::optional<ProcStat> RealProcesses::ReadStat(pid_t pid) const {
  if (pid <= 0) return std::nullopt;
  const std::string text = ReadProcFile(pid, "stat");
  if (text.empty()) return std::nullopt;
  return ParseProcStat(text);
}

std::vector<std::string> RealProcesses::ReadEnviron(pid_t pid) const {
  std::vector<std::string> out;
  if (pid <= 0) return out;
  const std::string text = ReadProcFile(pid, "environ");
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string RealProcesses::ReadCommandLine(pid_t pid) const { return pid > 0 ? ReadProcFile(pid, "cmdline") : ""; }

std::string RealProcesses::ReadWorkingDirectory(pid_t pid) const {
  if (pid <= 0) return "";
  const std::string link = "/proc/" + std::to_string(pid) + "/cwd";
  char buf[4096];
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return "";
  return std::string(buf, static_cast<std::size_t>(n));
}

std::vector<pid_t> RealProcesses::ListPids() const {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    const std::string_view name(e->d_name);
    if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc() || pid <= 0) continue;
    out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

bool RealProcesses::Exists(pid_t pid) const { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

bool RealProcesses::SignalIfSame(const ProcessIdentity& id, int sig) {
  if (id.pid <= 0) return false;
  // Pin the process first; only then check who it is; signal through the pin.
  const int pidfd = PidfdOpen(id.pid);
  if (pidfd < 0) {
    if (errno != ENOSYS) return false;  // ESRCH: gone
    // Kernel without pidfds: check-then-kill (a tiny window remains).
    return CheckIdentity(id) == Liveness::kAlive && ::kill(id.pid, sig) == 0;
  }
  bool sent = false;
  if (CheckIdentity(id) == Liveness::kAlive) sent = PidfdSendSignal(pidfd, sig) == 0;
  ::close(pidfd);
  return sent;
}

int RealProcesses::OpenExitWatch(const ProcessIdentity& id) {
  if (id.pid <= 0) return -1;
  // Open first, then check identity: the pidfd pins the process, so a recycled pid cannot
  // slip in between the check and the watch.
  const int fd = PidfdOpen(id.pid);
  if (fd < 0) return -1;
  if (CheckIdentity(id) != Liveness::kAlive) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::optional<ChildExit> RealProcesses::ReapIfExited(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid) return std::nullopt;  // 0: still running; -1 ECHILD: not our child
  if (WIFSIGNALED(status)) return ChildExit{true, WTERMSIG(status)};
  return ChildExit{false, WIFEXITED(status) ? WEXITSTATUS(status) : 0};
}

}  // namespace ironward
