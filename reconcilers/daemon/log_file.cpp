#include "reconcilers/daemon/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "state/encoding.h"

namespace ironward::daemon {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

/// Opens the state dir itself (no symlink as the last component).
Result<int> OpenDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::Transient(Errno("opening " + dir));
  return fd;
}

Status CheckOurs(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::Transient(Errno("stat " + name));
  if (!S_ISREG(st.st_mode)) return Error::Terminal(name + " is not a regular file");
  if (st.st_uid != ::geteuid()) return Error::Terminal(name + " is owned by another user");
  if ((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) return Error::Transient(Errno("chmod " + name));
  return Status::Ok();
}

}  // namespace

Result<int> OpenLogForAppend(const std::string& dir, const std::string& name) {
  auto dfd = OpenDir(dir);
  if (!dfd) return dfd.error();
  const int fd = ::openat(*dfd, name.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  const int err = errno;
  ::close(*dfd);
  if (fd < 0) {
    errno = err;
    return Error::Transient(Errno("opening " + name));
  }
  if (auto s = CheckOurs(fd, name); !s) {
    ::close(fd);
    return s.error();
  }
  return fd;
}

Result<bool> RotateIfNeeded(state::StateWriter& state, std::uint64_t max_bytes, const std::string& name) {
  auto live = state.Stat(name);
  if (!live) return live.error();
  if (!live->exists) return false;
  if (live->mode != 0600) {
    if (auto s = state.Chmod(name, 0600); !s) return s.error();
  }
  if (live->size <= max_bytes) return false;
  for (int i = kLogKeep - 1; i >= 1; --i) {
    const std::string from = name + "." + std::to_string(i);
    auto older = state.Stat(from);
    if (!older) return older.error();
    if (!older->exists) continue;
    if (auto s = state.Rename(from, name + "." + std::to_string(i + 1)); !s) return s.error();
  }
  // .1 is gone now (renamed to .2), and CopyTruncate replaces it atomically anyway.
  if (auto s = state.CopyTruncate(name, name + ".1", 0600); !s) return s.error();
  return true;
}

std::vector<std::string> TailLines(const state::StateReader& state, std::size_t n, const std::string& name) {
  std::vector<std::string> lines;
  constexpr std::size_t kWindow = 64 * 1024;
  // One byte more than the window tells whether the file is longer than it (then the window's
  // first line is partial and dropped).
  auto tail = state.ReadTail(name, kWindow + 1);
  if (!tail.ok() || !tail->has_value()) return lines;
  std::string data = std::move(**tail);
  if (data.size() > kWindow) {
    data.erase(0, data.size() - kWindow);
    const auto nl = data.find('\n');
    data = nl == std::string::npos ? "" : data.substr(nl + 1);
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    if (nl > pos) lines.push_back(data.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  return lines;
}

std::string FormatTail(const std::vector<std::string>& lines, const std::vector<std::string>& secret_values) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  for (const auto& v : secret_values) {
    if (v.size() < 4) continue;  // too short to scrub without mangling the text
    const std::string label = SensitiveLabel(v);
    for (auto p = out.find(v); p != std::string::npos; p = out.find(v, p + label.size())) out.replace(p, v.size(), label);
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace ironward::daemon
