#include "controller/harden/file_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ironward::harden {
namespace {

FileRead FromErrno(int err, const std::string& path) {
  std::string why = path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return FileRead::Fail(FileRead::Outcome::kMissing, why);
    case EACCES:
    case EPERM:
      return FileRead::Fail(FileRead::Outcome::kDenied, why);
    case ELOOP:
      return FileRead::Fail(FileRead::Outcome::kNotRegular, path + ": is a symlink");
    default:
      return FileRead::Fail(FileRead::Outcome::kError, why);
  }
}

}  // namespace

FileRead RealFileReader::Read(const std::string& path, bool follow_symlinks) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: never adopt a terminal.
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (follow_symlinks ? 0 : O_NOFOLLOW);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return FromErrno(errno, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return FromErrno(e, path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return FileRead::Fail(FileRead::Outcome::kNotRegular, path + ": not a regular file");
  }
  std::string content;
  char buf[16384];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      ::close(fd);
      return FromErrno(e, path);
    }
    if (got == 0) break;
    content.append(buf, static_cast<std::size_t>(got));
    if (content.size() > max_bytes_) {
      ::close(fd);
      return FileRead::Fail(FileRead::Outcome::kTooLarge,
                            path + ": larger than " + std::to_string(max_bytes_) + " bytes");
    }
  }
  ::close(fd);
  return FileRead::Ok(std::move(content));
}

FileInfo RealFileReader::Stat(const std::string& path) {
  struct stat st {};
  FileInfo info;
  if (::lstat(path.c_str(), &st) != 0) {
    int e = errno;
    info.error = path + ": " + std::strerror(e);
    info.kind = (e == ENOENT || e == ENOTDIR) ? FileInfo::Kind::kMissing
                : (e == EACCES || e == EPERM) ? FileInfo::Kind::kDenied
                                              : FileInfo::Kind::kError;
    return info;
  }
  info.size = static_cast<std::uint64_t>(st.st_size);
  if (S_ISREG(st.st_mode)) {
    info.kind = FileInfo::Kind::kRegular;
  } else if (S_ISLNK(st.st_mode)) {
    info.kind = FileInfo::Kind::kSymlink;
  } else if (S_ISDIR(st.st_mode)) {
    info.kind = FileInfo::Kind::kDirectory;
  } else {
    info.kind = FileInfo::Kind::kOther;
  }
  return info;
}

std::vector<std::string> RealFileReader::List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* ent = ::readdir(d)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
    if (names.size() > 4096) break;  // a survey has no business with huge directories
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ironward::harden
