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

Status CopyFd(int from, int to) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Transient(Errno("reading log"));
    if (n == 0) return Status::Ok();
    ssize_t off = 0;
    while (off < n) {
      const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Error::Transient(Errno("writing rotated log"));
      off += w;
    }
  }
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

Result<bool> RotateIfNeeded(const std::string& dir, std::uint64_t max_bytes, const std::string& name) {
  auto dfd_r = OpenDir(dir);
  if (!dfd_r) return dfd_r.error();
  const int dfd = *dfd_r;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } close_dir{dfd};
  const int live = ::openat(dfd, name.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (live < 0) {
    if (errno == ENOENT) return false;
    return Error::Transient(Errno("opening " + name));
  }
  Closer close_live{live};
  if (auto s = CheckOurs(live, name); !s) return s.error();
  struct stat st {};
  if (::fstat(live, &st) != 0) return Error::Transient(Errno("stat " + name));
  if (static_cast<std::uint64_t>(st.st_size) <= max_bytes) return false;
  for (int i = kLogKeep - 1; i >= 1; --i) {
    const std::string from = name + "." + std::to_string(i);
    const std::string to = name + "." + std::to_string(i + 1);
    if (::renameat(dfd, from.c_str(), dfd, to.c_str()) != 0 && errno != ENOENT) {
      return Error::Transient(Errno("rotating " + from));
    }
  }
  const std::string first = name + ".1";
  if (::unlinkat(dfd, first.c_str(), 0) != 0 && errno != ENOENT) return Error::Transient(Errno("removing " + first));
  const int copy = ::openat(dfd, first.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (copy < 0) return Error::Transient(Errno("creating " + first));
  Closer close_copy{copy};
  if (auto s = CopyFd(live, copy); !s) return s.error();
  // Lines the proxy writes between the copy above and this truncate are lost (documented race).
  if (::ftruncate(live, 0) != 0) return Error::Transient(Errno("truncating " + name));
  return true;
}

std::vector<std::string> TailLines(const std::string& path, std::size_t n) {
  std::vector<std::string> lines;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return lines;
  struct stat st {};
  std::string data;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const off_t window = 64 * 1024;
    const off_t start = st.st_size > window ? st.st_size - window : 0;
    data.resize(static_cast<std::size_t>(st.st_size - start));
    const ssize_t got = ::pread(fd, data.data(), data.size(), start);
    data.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    if (start > 0) {  // drop the partial first line
      const auto nl = data.find('\n');
      data = nl == std::string::npos ? "" : data.substr(nl + 1);
    }
  }
  ::close(fd);
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
