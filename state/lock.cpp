#include "state/lock.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

namespace ironward::state {
namespace {

/// ".<leaf>.tmp-<12 hex>": the temp name StateWriter::WriteAtomic renames into place.
bool IsWriteTemp(std::string_view name) {
  const auto pos = name.rfind(".tmp-");
  if (name.size() < 2 || name[0] != '.' || pos == std::string_view::npos || pos < 2) return false;
  const std::string_view hex = name.substr(pos + 5);
  if (hex.size() != 12) return false;
  for (const char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// Removes temp files a writer killed between create and rename left behind (kill -9, power
/// loss). Only under the writer lock, so no live writer can own them; regular files of ours only,
/// never through a symlink.
void RemoveStaleTemps(const std::string& root) {
  const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) return;
  for (const char* sub : {".", "bin", "ca-archive", "mappings-backup", "secrets"}) {
    const int fd = ::openat(root_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      ::close(fd);
      continue;
    }
    while (const dirent* e = ::readdir(dir)) {
      if (!IsWriteTemp(e->d_name)) continue;
      struct stat st {};
      if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid()) {
        ::unlinkat(fd, e->d_name, 0);
      }
    }
    ::closedir(dir);
  }
  ::close(root_fd);
}

}  // namespace

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<WriterLock> WriterLock::Acquire(StateWriter& writer, std::chrono::milliseconds wait) {
  if (auto s = writer.EnsureRoot(); !s) return s.error();
  const std::string path = writer.PathOf("ironward.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == ELOOP) return Error::Terminal(path + " is a symlink; refusing to follow it");
    return Error::Transient("opening lock " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd, &st);
  if (st.st_uid != ::geteuid() || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::Terminal(path + " is not a regular file owned by us; refusing to use it");
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      ::close(fd);
      return Error::Transient("locking " + path + ": " + std::strerror(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      char buf[32] = {0};
      const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      ::close(fd);
      return Error::Transient("another ironward (pid " + holder + ") is changing " + writer.root().string() +
                              "; try again when it is done");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  RemoveStaleTemps(writer.root().string());
  return WriterLock(fd);
}

}  // namespace ironward::state
