#include "state/state_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include <openssl/evp.h>
#include <cerrno>
#include <cstring>

#include "state/encoding.h"
#include "state/fault.h"
#include "state/owned_fd.h"

namespace ironward::state {
namespace {

FileStat StatOf(const struct stat& st) {
  FileStat f;
  f.exists = true;
  f.mode = st.st_mode & 07777U;
  f.uid = st.st_uid;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  f.dev = static_cast<std::uint64_t>(st.st_dev);
  f.ino = static_cast<std::uint64_t>(st.st_ino);
  f.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
  return f;
}

std::string Errno(int err) { return std::strerror(err); }

/// Splits "a/b/c" into components, rejecting absolute paths, "", "." and "..".
Result<std::vector<std::string>> SplitName(std::string_view name) {
  std::vector<std::string> parts;
  if (name.empty() || name.front() == '/') return Error::Terminal("invalid state file name '" + std::string(name) + "'");
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return Error::Terminal("invalid state file name '" + std::string(name) + "'");
    }
    parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

Status CheckOwned(const struct stat& st, uid_t uid, const std::string& path) {
  if (st.st_uid != uid) {
    return Error::Terminal(path + " is owned by uid " + std::to_string(st.st_uid) + ", not by us (uid " +
                           std::to_string(uid) + "); refusing to use it");
  }
  return Status::Ok();
}

Error RefuseSymlink(const std::string& path) {
  // The hint must not lose data: the target may hold tokens or keys (mappings.json, ca.key).
  return Error::Terminal(path + " is a symlink; refusing to follow it. To keep its content, replace the link with a "
                         "copy of its target (cp --remove-destination \"$(readlink -f " + path + ")\" " + path +
                         ") and re-run");
}

}  // namespace

StateReader::StateReader(std::filesystem::path root) : root_(std::move(root)), uid_(::geteuid()) {}

std::filesystem::path StateReader::PathOf(std::string_view name) const { return root_ / std::string(name); }

Result<FileStat> StateReader::StatRoot() const {
  struct stat st {};
  if (::lstat(root_.c_str(), &st) != 0) {
    if (errno == ENOENT) return FileStat{};
    return Error::Transient("state dir " + root_.string() + ": " + Errno(errno));
  }
  if (S_ISLNK(st.st_mode)) return RefuseSymlink("state dir " + root_.string());
  if (!S_ISDIR(st.st_mode)) return Error::Terminal("state dir " + root_.string() + " is not a directory");
  if (auto s = CheckOwned(st, uid_, "state dir " + root_.string()); !s) return s.error();
  return StatOf(st);
}

Result<int> StateReader::OpenParent(std::string_view name, bool create, std::string* leaf) const {
  auto parts = SplitName(name);
  if (!parts) return parts.error();
  *leaf = parts->back();
  parts->pop_back();

  Fd dir(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() < 0) {
    if (errno == ENOENT && !create) return -1;
    if (errno == ELOOP) return RefuseSymlink("state dir " + root_.string());
    return Error::Transient("opening state dir " + root_.string() + ": " + Errno(errno));
  }
  struct stat st {};
  ::fstat(dir.get(), &st);
  if (auto s = CheckOwned(st, uid_, "state dir " + root_.string()); !s) return s.error();

  std::filesystem::path walked = root_;
  for (const auto& part : *parts) {
    walked /= part;
    int fd = ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      if (!create) return -1;
      if (::mkdirat(dir.get(), part.c_str(), 0700) != 0 && errno != EEXIST) {
        return Error::Transient("creating " + walked.string() + ": " + Errno(errno));
      }
      fd = ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      const int err = errno;
      struct stat lst {};
      const bool is_link = ::fstatat(dir.get(), part.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode);
      if (err == ELOOP || is_link) return RefuseSymlink(walked.string());
      if (err == ENOTDIR) return Error::Terminal(walked.string() + " is not a directory");
      errno = err;
      return Error::Transient("opening " + walked.string() + ": " + Errno(errno));
    }
    Fd next(fd);
    ::fstat(next.get(), &st);
    if (auto s = CheckOwned(st, uid_, walked.string()); !s) return s.error();
    dir = Fd(next.release());
  }
  return dir.release();
}

Result<std::optional<std::string>> StateReader::Read(std::string_view name) const {
  std::string out;
  auto found = ReadInto(name, [&out](std::string_view chunk) { out.append(chunk); });
  if (!found) return found.error();
  if (!*found) return std::optional<std::string>{};
  return std::optional<std::string>(std::move(out));
}

Result<std::optional<std::string>> StateReader::Sha256File(std::string_view name) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) {
    return Error::Transient("sha256: cannot initialise the digest");
  }
  auto found = ReadInto(name, [&md](std::string_view chunk) { EVP_DigestUpdate(md.get(), chunk.data(), chunk.size()); });
  if (!found) return found.error();
  if (!*found) return std::optional<std::string>{};
  Bytes digest(32);
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), digest.data(), &len);
  return std::optional<std::string>(HexEncode(digest));
}

Result<int> StateReader::OpenFile(std::string_view name, int flags) const {
  std::string leaf;
  auto parent = OpenParent(name, false, &leaf);
  if (!parent) return parent.error();
  if (*parent < 0) return -1;
  Fd dir(*parent);
  const std::string path = PathOf(name).string();
  Fd fd(::openat(dir.get(), leaf.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return -1;
    if (errno == ELOOP) return RefuseSymlink(path);
    return Error::Transient("reading " + path + ": " + Errno(errno));
  }
  struct stat st {};
  ::fstat(fd.get(), &st);
  if (!S_ISREG(st.st_mode)) return Error::Terminal(path + " is not a regular file");
  if (auto s = CheckOwned(st, uid_, path); !s) return s.error();
  return fd.release();
}

Result<bool> StateReader::ReadInto(std::string_view name, const std::function<void(std::string_view)>& sink) const {
  auto opened = OpenFile(name, O_RDONLY | O_NONBLOCK);
  if (!opened) return opened.error();
  if (*opened < 0) return false;
  Fd fd(*opened);
  const std::string path = PathOf(name).string();
  std::string buf(65536, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::Transient("reading " + path + ": " + Errno(errno));
    }
    if (n == 0) break;
    sink(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  return true;
}

Result<FileStat> StateReader::Stat(std::string_view name) const {
  std::string leaf;
  auto parent = OpenParent(name, false, &leaf);
  if (!parent) return parent.error();
  if (*parent < 0) return FileStat{};
  Fd dir(*parent);
  const std::string path = PathOf(name).string();
  struct stat st {};
  if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return FileStat{};
    return Error::Transient("stat " + path + ": " + Errno(errno));
  }
  if (S_ISLNK(st.st_mode)) return RefuseSymlink(path);
  if (auto s = CheckOwned(st, uid_, path); !s) return s.error();
  return StatOf(st);
}

Result<std::vector<std::string>> StateReader::List(std::string_view subdir) const {
  std::vector<std::string> names;
  int raw = -1;
  if (subdir.empty()) {
    raw = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) {
      if (errno == ENOENT) return names;
      return Error::Transient("opening state dir " + root_.string() + ": " + Errno(errno));
    }
  } else {
    std::string leaf;
    auto parent = OpenParent(std::string(subdir) + "/x", false, &leaf);
    if (!parent) return parent.error();
    if (*parent < 0) return names;
    raw = *parent;
  }
  DIR* d = ::fdopendir(raw);
  if (d == nullptr) {
    ::close(raw);
    return Error::Transient("listing " + PathOf(subdir).string() + ": " + Errno(errno));
  }
  while (dirent* e = ::readdir(d)) {
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      names.emplace_back(e->d_name);
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status StateWriter::EnsureRoot() {
  std::error_code ec;
  const auto parent = root_.parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return Error::Transient("creating " + parent.string() + ": " + ec.message());
  }
  if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::Transient("creating state dir " + root_.string() + ": " + Errno(errno));
  }
  auto st = StatRoot();
  if (!st) return st.error();
  if (st->mode != 0700 && ::chmod(root_.c_str(), 0700) != 0) {
    return Error::Transient("chmod 0700 " + root_.string() + ": " + Errno(errno));
  }
  return Status::Ok();
}

Status StateWriter::WriteAtomic(std::string_view name, std::string_view content, mode_t mode) {
  return WriteAtomicWith(name, mode, [content](int fd) { return WriteAll(fd, content); });
}

Status StateWriter::WriteAtomicWith(std::string_view name, mode_t mode, const std::function<Status(int fd)>& fill) {
  if (auto s = EnsureRoot(); !s) return s;
  std::string leaf;
  auto parent = OpenParent(name, true, &leaf);
  if (!parent) return parent.error();
  Fd dir(*parent);
  const std::string path = PathOf(name).string();

  // The target must not be a symlink or someone else's file: refuse rather than replace it,
  // so a planted link is reported instead of silently swallowed.
  struct stat st {};
  if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return RefuseSymlink(path);
    if (!S_ISREG(st.st_mode)) return Error::Terminal(path + " exists and is not a regular file");
    if (auto s = CheckOwned(st, uid_, path); !s) return s;
  }

  const std::string tmp = "." + leaf + ".tmp-" + RandomHex(6);
  // Created with the final mode (or stricter) from the first byte: a key is never readable
  // by anyone else, not even for an instant.
  Fd fd(::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0700U));
  if (fd.get() < 0) return Error::Transient("creating temp file for " + path + ": " + Errno(errno));
  auto fail = [&](const std::string& what, int err) -> Status {
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return Error::Transient(what + " " + path + ": " + Errno(err));
  };
  if (auto s = fill(fd.get()); !s) return fail("writing", errno);
  if (::fchmod(fd.get(), mode) != 0) return fail("chmod", errno);
  if (::fsync(fd.get()) != 0) return fail("fsync", errno);
  IRONWARD_FAULT_POINT(std::string("write:") + std::string(name) + ":before-rename");
  if (::renameat(dir.get(), tmp.c_str(), dir.get(), leaf.c_str()) != 0) return fail("renaming into", errno);
  ::fsync(dir.get());
  return Status::Ok();
}

Status StateWriter::Chmod(std::string_view name, mode_t mode) {
  std::string leaf;
  auto parent = OpenParent(name, false, &leaf);
  if (!parent) return parent.error();
  const std::string path = PathOf(name).string();
  if (*parent < 0) return Error::Transient(path + " does not exist");
  Fd dir(*parent);
  Fd fd(::openat(dir.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ELOOP) return RefuseSymlink(path);
    return Error::Transient("opening " + path + ": " + Errno(errno));
  }
  struct stat st {};
  ::fstat(fd.get(), &st);
  if (auto s = CheckOwned(st, uid_, path); !s) return s;
  if (::fchmod(fd.get(), mode) != 0) return Error::Transient("chmod " + path + ": " + Errno(errno));
  return Status::Ok();
}

Status StateWriter::Rename(std::string_view from, std::string_view to) {
  std::string from_leaf;
  std::string to_leaf;
  auto from_parent = OpenParent(from, false, &from_leaf);
  if (!from_parent) return from_parent.error();
  if (*from_parent < 0) return Error::Transient(PathOf(from).string() + " does not exist");
  Fd from_dir(*from_parent);
  auto to_parent = OpenParent(to, true, &to_leaf);
  if (!to_parent) return to_parent.error();
  Fd to_dir(*to_parent);
  struct stat st {};
  if (::fstatat(from_dir.get(), from_leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Error::Transient("stat " + PathOf(from).string() + ": " + Errno(errno));
  }
  if (S_ISLNK(st.st_mode)) return RefuseSymlink(PathOf(from).string());
  if (auto s = CheckOwned(st, uid_, PathOf(from).string()); !s) return s;
  if (::fstatat(to_dir.get(), to_leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return RefuseSymlink(PathOf(to).string());
    if (auto s = CheckOwned(st, uid_, PathOf(to).string()); !s) return s;
  }
  if (::renameat(from_dir.get(), from_leaf.c_str(), to_dir.get(), to_leaf.c_str()) != 0) {
    return Error::Transient("renaming " + PathOf(from).string() + " to " + PathOf(to).string() + ": " + Errno(errno));
  }
  ::fsync(to_dir.get());
  if (from_dir.get() != to_dir.get()) ::fsync(from_dir.get());
  return Status::Ok();
}

Status StateWriter::Remove(std::string_view name) {
  std::string leaf;
  auto parent = OpenParent(name, false, &leaf);
  if (!parent) return parent.error();
  if (*parent < 0) return Status::Ok();
  Fd dir(*parent);
  const std::string path = PathOf(name).string();
  struct stat st {};
  if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Error::Transient("stat " + path + ": " + Errno(errno));
  }
  if (S_ISLNK(st.st_mode)) return RefuseSymlink(path);
  if (auto s = CheckOwned(st, uid_, path); !s) return s;
  if (::unlinkat(dir.get(), leaf.c_str(), 0) != 0 && errno != ENOENT) {
    return Error::Transient("removing " + path + ": " + Errno(errno));
  }
  ::fsync(dir.get());
  return Status::Ok();
}

}  // namespace ironward::state
