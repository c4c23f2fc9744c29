// The state directory (default /var/lib/ironward): the only place ironward persists anything.
//
// Every path is opened component by component with O_NOFOLLOW, so a symlink planted where one
// of our files (or directories) should be is refused, never followed; a file owned by another
// user is refused too. Writes are atomic: temp file created 0600-or-stricter from its first
// byte (O_EXCL), written, fsync'd, renamed over the target, then the directory is fsync'd.
//
// StateReader is all a dry run gets; only StateWriter can change anything.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "state/result.h"

namespace ironward::state {

struct FileStat {
  bool exists = false;
  mode_t mode = 0;  ///< permission bits only
  uid_t uid = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t ctime_ns = 0;
};

/// What identifies one version of a file's content without reading it: any write to the content
/// moves mtime and ctime; utimensat can set mtime back but sets ctime to now, and ctime cannot be
/// set from user space; replacing the file (rename) changes the inode, and a reused inode number
/// comes with a new ctime. So an unchanged identity means unchanged content, short of raw writes
/// to the block device or a clock set back to the exact nanosecond (see docs/daemon.md).
struct FileIdentity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

inline FileIdentity IdentityOf(const FileStat& st) { return {st.dev, st.ino, st.size, st.mtime_ns, st.ctime_ns}; }

class StateReader {
 public:
  explicit StateReader(std::filesystem::path root);
  virtual ~StateReader() = default;

  const std::filesystem::path& root() const { return root_; }
  /// Absolute path of a state file ("ca.crt", "bin/iron-proxy").
  std::filesystem::path PathOf(std::string_view name) const;

  /// Root is either missing (ok, exists=false) or a real directory owned by us.
  Result<FileStat> StatRoot() const;
  /// Reads a whole state file; nullopt when it does not exist. Refuses symlinks,
  /// non-regular files and files owned by another user.
  Result<std::optional<std::string>> Read(std::string_view name) const;
  /// Same checks as Read, but streams the file to `sink` in 64 KiB chunks (no copy of the whole file
  /// in memory); false when it does not exist.
  Result<bool> ReadInto(std::string_view name, const std::function<void(std::string_view)>& sink) const;
  /// SHA-256 (hex) of a state file, streamed; nullopt when it does not exist. For large files (the
  /// proxy binary is re-hashed every pass: reading it whole grew the heap of `run` by its size).
  Result<std::optional<std::string>> Sha256File(std::string_view name) const;
  /// The last `max_bytes` bytes of a state file (all of it when shorter), with Read's checks;
  /// nullopt when it does not exist. A log's tail without reading the whole log.
  Result<std::optional<std::string>> ReadTail(std::string_view name, std::size_t max_bytes) const;
  Result<FileStat> Stat(std::string_view name) const;
  /// Names of regular files directly inside a state subdirectory ("" = root); sorted.
  Result<std::vector<std::string>> List(std::string_view subdir) const;

 protected:
  /// Opens the directory holding `name` safely; returns its fd (caller closes) or an error.
  /// Missing intermediate directories give -1 with ok status.
  Result<int> OpenParent(std::string_view name, bool create, std::string* leaf) const;
  /// Opens an existing state file with `flags` (plus O_NOFOLLOW | O_CLOEXEC) and Read's checks:
  /// no symlink, a regular file, ours. Returns its fd (caller closes); -1 with ok status when it
  /// does not exist.
  Result<int> OpenFile(std::string_view name, int flags) const;

  std::filesystem::path root_;
  uid_t uid_;
};

class StateWriter final : public StateReader {
 public:
  using StateReader::StateReader;

  /// Creates the root 0700 (and parents 0755) if missing; refuses a symlink or a foreign
  /// owner; tightens a looser mode on a directory we own.
  Status EnsureRoot();
  /// Atomically replaces `name` with `content` at `mode`. Intermediate dirs are made 0700.
  Status WriteAtomic(std::string_view name, std::string_view content, mode_t mode);
  /// Sets the mode of an existing file we own (refuses symlinks).
  Status Chmod(std::string_view name, mode_t mode);
  /// Atomically renames one state file over another (both inside the state dir).
  Status Rename(std::string_view from, std::string_view to);
  /// Removes a file; missing is fine. Refuses symlinks and foreign files.
  Status Remove(std::string_view name);
  /// Copy-truncate, for a log another process appends to (log rotation): copies `from` into `to`
  /// (replaced atomically, as WriteAtomic, at `mode`), then truncates `from` to zero bytes in
  /// place, so that process's O_APPEND descriptor keeps working. `from` must exist.
  Status CopyTruncate(std::string_view from, std::string_view to, mode_t mode);

 private:
  /// WriteAtomic with the content written by `fill` into the temp file's fd.
  Status WriteAtomicWith(std::string_view name, mode_t mode, const std::function<Status(int fd)>& fill);
};

}  // namespace ironward::state
